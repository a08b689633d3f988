package nn_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomBatchNorm returns a BatchNorm2d whose four tensors are random, so
// that it is far from the identity.
func randomBatchNorm(rng *tensor.RNG, c int) *nn.BatchNorm2d {
	bn := nn.NewBatchNorm2d(c, 1e-3)
	bn.Weight.Value.CopyFrom(tensor.Uniform(rng, 0.5, 1.5, c))
	bn.Bias.Value.CopyFrom(tensor.Normal(rng, 0, 0.5, c))
	bn.RunningMean.Value.CopyFrom(tensor.Normal(rng, 0, 0.5, c))
	bn.RunningVar.Value.CopyFrom(tensor.Uniform(rng, 0.2, 3, c))
	return bn
}

func TestBatchNorm2dInference(t *testing.T) {
	rng := tensor.NewRNG(5)
	bn := randomBatchNorm(rng, 3)
	x := tensor.Normal(rng, 1, 2, 2, 3, 4, 5)
	y := bn.Forward(autograd.Const(x)).Value.Data()
	w, b := bn.Weight.Value.Data(), bn.Bias.Value.Data()
	mean, vr := bn.RunningMean.Value.Data(), bn.RunningVar.Value.Data()
	for i, v := range x.Data() {
		c := i / 20 % 3
		want := (float64(v)-float64(mean[c]))/math.Sqrt(float64(vr[c])+1e-3)*float64(w[c]) + float64(b[c])
		require.InDelta(t, want, y[i], 1e-5*(1+math.Abs(want)), "element %d", i)
	}
	scale, shift := bn.ScaleShift()
	for c := range 3 {
		assert.InDelta(t, float64(w[c])/math.Sqrt(float64(vr[c])+1e-3), scale[c], 1e-6)
		assert.InDelta(t, float64(b[c])-float64(mean[c])*float64(scale[c]), shift[c], 1e-6)
	}
	require.PanicsWithValue(t, "nn: BatchNorm2d: input [2 4 4 5] for 3 channels",
		func() { bn.Forward(autograd.Const(tensor.Zeros(2, 4, 4, 5))) })
}

func TestGradBatchNormAndPools(t *testing.T) {
	rng := tensor.NewRNG(6)
	bn := randomBatchNorm(rng, 3)
	checkModule(t, bn, tensor.Normal(rng, 0, 1, 2, 3, 4, 5), autograd.DefaultGradCheck)
	assert.Nil(t, bn.RunningMean.Grad, "running statistics get no gradient")
	assert.Nil(t, bn.RunningVar.Grad)

	// Distinct values keep the max pools' choices away from ties.
	d := tensor.Normal(rng, 0, 1, 2, 3, 6, 5).Data()
	for i := range d {
		d[i] += 0.2 * float32(i%7)
	}
	x := tensor.FromSlice(d, 2, 3, 6, 5)
	for _, m := range []nn.Module{
		nn.MaxPool2d{Opts: tensor.PoolOpts{Kernel: 3, Stride: 2}},
		nn.AvgPool2d{Opts: tensor.PoolOpts{Kernel: 3, Stride: 1, Padding: 1}},
		nn.GlobalAvgPool2d{},
		nn.NewSequential(nn.NewConv2d(rng, 3, 4, 1, tensor.ConvOpts{}, false), randomBatchNorm(rng, 4), nn.Tanh{}),
	} {
		checkModule(t, m, x, autograd.GradCheckOptions{Eps: 3e-3, Atol: 2e-3, Rtol: 2e-2, Seed: 4})
	}
	assert.Equal(t, []int{2, 3, 1, 1}, nn.GlobalAvgPool2d{}.Forward(autograd.Const(x)).Shape())
}

func TestBatchNormRunningStatsLoad(t *testing.T) {
	rng := tensor.NewRNG(7)
	// PyTorch's layout: a conv followed by its batch norm, as "1.running_var".
	newNet := func() *nn.Sequential {
		return nn.NewSequential(nn.NewConv2d(rng, 3, 4, 3, tensor.ConvOpts{}, false), randomBatchNorm(rng, 4))
	}
	src, dst := newNet(), newNet()
	sd := nn.StateDict(src)
	assert.Contains(t, sd, "1.running_mean")
	assert.Contains(t, sd, "1.running_var")
	sd["1.num_batches_tracked"] = tensor.Scalar(100) // PyTorch writes it; it has no use here
	require.NoError(t, nn.LoadStateDict(dst, sd))
	bn := dst.Layers[1].(*nn.BatchNorm2d)
	assert.Equal(t, src.Layers[1].(*nn.BatchNorm2d).RunningVar.Value.Data(), bn.RunningVar.Value.Data(),
		"running statistics load when the model has them")

	// A model with batch norm needs its statistics.
	delete(sd, "1.running_var")
	err := nn.LoadStateDict(dst, sd)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing: 1.running_var")

	// Saved and loaded through a file, the statistics come back.
	path := filepath.Join(t.TempDir(), "bn.safetensors")
	require.NoError(t, nn.Save(path, src))
	again := newNet()
	require.NoError(t, nn.Load(path, again))
	assert.Equal(t, src.Layers[1].(*nn.BatchNorm2d).RunningMean.Value.Data(), again.Layers[1].(*nn.BatchNorm2d).RunningMean.Value.Data())

	// An optimiser leaves them alone even when gradients are switched on.
	nn.SetRequiresGrad(again, true)
	y := again.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 1, 3, 5, 5)))
	autograd.Backward(autograd.Sum(y))
	before := again.Layers[1].(*nn.BatchNorm2d).RunningMean.Value.Data()
	nn.NewAdam([]nn.ParamGroup{{Params: again.Parameters(), LR: 0.1}}, 0.5, 0.999).Step()
	assert.Equal(t, before, again.Layers[1].(*nn.BatchNorm2d).RunningMean.Value.Data())
}
