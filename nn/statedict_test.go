package nn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func smallNet(seed uint64) *nn.Sequential {
	rng := tensor.NewRNG(seed)
	return nn.NewSequential(nn.NewConv2d(rng, 3, 8, 3, tensor.ConvOpts{Padding: 1}, true), nn.NewInstanceNorm2d(8, true), nn.ReLU{},
		nn.NewConvTranspose2d(rng, 8, 3, 3, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}, true))
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "net.safetensors")
	a, b := smallNet(1), smallNet(2)
	require.NoError(t, nn.Save(path, a))
	require.NoError(t, nn.Load(path, b))
	for i, p := range b.Parameters() {
		assert.Equal(t, a.Parameters()[i].Var.Value.Data(), p.Var.Value.Data(), p.Name)
	}
}

func TestLoadStateDictReportsEveryProblem(t *testing.T) {
	m := smallNet(1)
	sd := nn.StateDict(smallNet(2))
	delete(sd, "0.bias")
	sd["3.weight"] = tensor.Zeros(3, 8, 3, 3)
	sd["9.weight"] = tensor.Zeros(1)
	sd["1.running_mean"] = tensor.Zeros(8) // ignored, as in old PyTorch checkpoints
	before := m.Parameters()[1].Var.Value.Data()
	err := nn.LoadStateDict(m, sd)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing: 0.bias")
	assert.Contains(t, err.Error(), "wrong shape: 3.weight [3 8 3 3] (model [8 3 3 3])")
	assert.Contains(t, err.Error(), "unexpected: 9.weight")
	assert.NotContains(t, err.Error(), "running_mean")
	assert.Equal(t, before, m.Parameters()[1].Var.Value.Data(), "a failed load leaves the model unchanged")
}

func TestLoadRejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	require.NoError(t, os.WriteFile(path, []byte{200, 0, 0, 0, 0, 0, 0, 0, '{'}, 0o644))
	err := nn.Load(path, smallNet(1))
	require.Error(t, err)
}

func TestAdamStateDictRoundTrip(t *testing.T) {
	rng := tensor.NewRNG(3)
	run := func(opt *nn.Adam, m nn.Module, steps int) {
		for range steps {
			opt.ZeroGrad()
			loss := autograd.MSELoss(m.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 4, 5))), autograd.Const(tensor.Zeros(2, 3, 8, 10)))
			autograd.Backward(loss)
			opt.Step()
		}
	}
	m := smallNet(1)
	opt := nn.NewAdam([]nn.ParamGroup{{Params: m.Parameters(), LR: 1e-2}}, 0.5, 0.999)
	run(opt, m, 3)

	m2 := smallNet(9)
	require.NoError(t, nn.LoadStateDict(m2, nn.StateDict(m)))
	opt2 := nn.NewAdam([]nn.ParamGroup{{Params: m2.Parameters(), LR: 1e-2}}, 0.5, 0.999)
	require.NoError(t, opt2.LoadStateDict(opt.StateDict()))
	assert.Equal(t, float32(3), opt2.StateDict()["0.0.weight.step"].Item())

	bad := opt.StateDict()
	bad["0.0.weight.exp_avg"] = tensor.Zeros(2)
	require.ErrorContains(t, opt2.LoadStateDict(bad), `"0.0.weight" has shapes [2]`)
}

func TestLinearDecay(t *testing.T) {
	// CycleGAN: 100 epochs at the base rate, then 100 decaying to near 0.
	assert.Equal(t, float32(1), nn.LinearDecay(0, 100, 100))
	assert.Equal(t, float32(1), nn.LinearDecay(98, 100, 100))
	assert.InDelta(t, 1-1.0/101, nn.LinearDecay(100, 100, 100), 1e-6)
	assert.InDelta(t, 1-100.0/101, nn.LinearDecay(199, 100, 100), 1e-6)
}

func TestSetRequiresGradFreezes(t *testing.T) {
	m := smallNet(1)
	nn.SetRequiresGrad(m, false)
	x := autograd.Param(tensor.Normal(tensor.NewRNG(1), 0, 1, 1, 3, 4, 4))
	autograd.Backward(autograd.Sum(m.Forward(x)))
	assert.NotNil(t, x.Grad)
	for _, p := range m.Parameters() {
		assert.Nil(t, p.Var.Grad, p.Name)
	}
}
