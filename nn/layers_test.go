package nn_test

import (
	"math"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkModule gradient-checks m's output with respect to its input and
// every parameter.
func checkModule(t *testing.T, m nn.Module, x *tensor.Tensor, opt autograd.GradCheckOptions) {
	t.Helper()
	inputs := []*autograd.Var{autograd.Param(x)}
	for _, p := range m.Parameters() {
		inputs = append(inputs, p.Var)
	}
	require.NoError(t, autograd.GradCheck(func(in []*autograd.Var) *autograd.Var { return m.Forward(in[0]) }, inputs, opt))
}

func TestGradLayers(t *testing.T) {
	rng := tensor.NewRNG(1)
	loose := autograd.GradCheckOptions{Eps: 3e-3, Atol: 2e-3, Rtol: 2e-2, Seed: 2}
	cases := []struct {
		name string
		m    nn.Module
		in   []int
	}{
		{"conv2d", nn.NewConv2d(rng, 3, 4, 3, tensor.ConvOpts{Stride: 2, Padding: 1}, true), []int{2, 3, 7, 5}},
		{"conv_transpose2d", nn.NewConvTranspose2d(rng, 4, 3, 3, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}, true), []int{2, 4, 3, 5}},
		{"instance_norm_affine", nn.NewInstanceNorm2d(3, true), []int{2, 3, 5, 7}},
		{"reflection_pad", nn.NewReflectionPad2d(2), []int{2, 3, 5, 3}},
		{"sequential", nn.NewSequential(nn.NewConv2d(rng, 3, 3, 3, tensor.ConvOpts{Padding: 1}, true), nn.LeakyReLU{Slope: 0.2}, nn.Tanh{}), []int{2, 3, 5, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkModule(t, tc.m, tensor.Normal(rng, 0, 1, tc.in...), loose)
		})
	}
}

func newAttention(rng *tensor.RNG, withOut bool) *nn.SelfAttention2d {
	a := nn.NewSelfAttention2d(rng, 16, withOut)
	a.Gamma.Value.Fill(0.7) // a trained gamma: 0 would hide every other gradient
	return a
}

func TestGradSelfAttention(t *testing.T) {
	rng := tensor.NewRNG(2)
	for _, withOut := range []bool{false, true} {
		for _, unfused := range []bool{false, true} {
			a := newAttention(rng, withOut)
			a.Unfused = unfused
			checkModule(t, a, tensor.Normal(rng, 0, 1, 2, 16, 3, 5), autograd.DefaultGradCheck)
		}
	}
}

func TestSelfAttentionFusedMatchesUnfused(t *testing.T) {
	rng := tensor.NewRNG(3)
	a := newAttention(rng, true)
	x := autograd.Param(tensor.Normal(rng, 0, 1, 2, 16, 6, 7))
	fused := a.Forward(x)
	autograd.Backward(autograd.Sum(autograd.Tanh(fused)))
	gradFused := x.Grad.Data()
	paramGrads := map[string][]float32{}
	for _, p := range a.Parameters() {
		paramGrads[p.Name] = p.Var.Grad.Data()
		p.Var.ZeroGrad()
	}
	x.ZeroGrad()

	a.Unfused = true
	plain := a.Forward(x)
	require.InDeltaSlice(t, plain.Value.Data(), fused.Value.Data(), 1e-5)
	autograd.Backward(autograd.Sum(autograd.Tanh(plain)))
	assert.InDeltaSlice(t, x.Grad.Data(), gradFused, 1e-4)
	for _, p := range a.Parameters() {
		assert.InDeltaSlice(t, p.Var.Grad.Data(), paramGrads[p.Name], 1e-4, p.Name)
	}
}

func TestSelfAttentionStartsAsIdentity(t *testing.T) {
	rng := tensor.NewRNG(4)
	a := nn.NewSelfAttention2d(rng, 8, false)
	x := tensor.Normal(rng, 0, 1, 1, 8, 3, 3)
	assert.Equal(t, x.Data(), a.Forward(autograd.Const(x)).Value.Data())
}

func TestParameterNames(t *testing.T) {
	rng := tensor.NewRNG(5)
	m := nn.NewSequential(nn.NewReflectionPad2d(1), nn.NewConv2d(rng, 3, 8, 3, tensor.ConvOpts{}, true),
		nn.NewInstanceNorm2d(8, true), nn.NewSelfAttention2d(rng, 8, true), nn.NewConv2d(rng, 8, 1, 1, tensor.ConvOpts{}, false))
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"1.weight", "1.bias", "2.weight", "2.bias",
		"3.f.weight", "3.f.bias", "3.g.weight", "3.g.bias", "3.h.weight", "3.h.bias", "3.v.weight", "3.v.bias", "3.gamma",
		"4.weight"}, names)
	assert.Equal(t, 3*8*9+8+8+8+2*(8+1)+64+8+64+8+1+8, nn.CountParameters(m))
}

func TestInitNormal(t *testing.T) {
	rng := tensor.NewRNG(6)
	conv := nn.NewConv2d(rng, 64, 64, 3, tensor.ConvOpts{}, true)
	norm := nn.NewInstanceNorm2d(64, true)
	m := nn.NewSequential(conv, norm)
	before := tensor.Default().LiveBytes()
	nn.InitNormal(m, rng, 0.02)
	assert.Equal(t, before, tensor.Default().LiveBytes(), "InitNormal keeps no buffer of its own")
	mean, std := stats(conv.Weight.Value.Data())
	assert.InDelta(t, 0, mean, 1e-3)
	assert.InDelta(t, 0.02, std, 1e-3)
	assert.Equal(t, make([]float32, 64), conv.Bias.Value.Data())
	mean, _ = stats(norm.Weight.Value.Data())
	assert.InDelta(t, 1, mean, 0.01)
}

func stats(d []float32) (mean, std float64) {
	for _, v := range d {
		mean += float64(v)
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d)))
}

// TestSequentialFusesNormActivation checks that a Sequential whose instance
// norm is followed by an activation, fused or not (a negative slope is not
// fused), computes the values and gradients of its layers run one after
// another.
func TestSequentialFusesNormActivation(t *testing.T) {
	rng := tensor.NewRNG(9)
	x := tensor.Normal(rng, 0, 1, 2, 3, 5, 4)
	dy := tensor.Normal(rng, 0, 1, 2, 3, 5, 4)
	for _, act := range []nn.Module{nn.ReLU{}, &nn.ReLU{}, nn.LeakyReLU{Slope: 0.2}, &nn.LeakyReLU{Slope: 0.2}, nn.LeakyReLU{Slope: -0.5}} {
		seq := nn.NewSequential(nn.NewConv2d(rng, 3, 3, 3, tensor.ConvOpts{Padding: 1}, true), nn.NewInstanceNorm2d(3, true), act)
		run := func(forward func(*autograd.Var) *autograd.Var) (y []float32, grads [][]float32) {
			in := autograd.Param(x.Clone())
			for _, p := range seq.Parameters() {
				p.Var.ZeroGrad()
			}
			out := forward(in)
			autograd.BackwardWith(out, dy)
			grads = append(grads, in.Grad.Data())
			for _, p := range seq.Parameters() {
				grads = append(grads, p.Var.Grad.Data())
			}
			return out.Value.Data(), grads
		}
		wantY, wantGrads := run(func(h *autograd.Var) *autograd.Var {
			for _, l := range seq.Layers {
				h = l.Forward(h)
			}
			return h
		})
		gotY, gotGrads := run(seq.Forward)
		assert.Equal(t, wantY, gotY, "%T %v: values", act, act)
		for i := range wantGrads {
			assert.InDeltaSlice(t, wantGrads[i], gotGrads[i], 1e-4, "%T %v: gradient %d", act, act, i)
		}
	}
}

// TestSequentialFusesPadConv checks that a reflection pad followed by a
// convolution runs as autograd.PadConv2d, in Forward and in ForwardRange:
// the same values and gradients as the layers one by one, and one tensor
// fewer kept for backward (the padded input).
func TestSequentialFusesPadConv(t *testing.T) {
	rng := tensor.NewRNG(10)
	x := tensor.Normal(rng, 0, 1, 2, 3, 6, 5)
	seq := nn.NewSequential(nn.NewReflectionPad2d(1), nn.NewConv2d(rng, 3, 4, 3, tensor.ConvOpts{}, true),
		nn.NewInstanceNorm2d(4, false), nn.ReLU{})
	dev := tensor.Default()
	run := func(forward func(*autograd.Var) *autograd.Var) (y []float32, kept int64, grads [][]float32) {
		in := autograd.Param(x.Clone())
		for _, p := range seq.Parameters() {
			p.Var.ZeroGrad()
		}
		before := dev.LiveBytes()
		out := forward(in)
		kept = dev.LiveBytes() - before
		autograd.BackwardWith(out, tensor.Normal(tensor.NewRNG(11), 0, 1, out.Shape()...))
		grads = append(grads, in.Grad.Data())
		for _, p := range seq.Parameters() {
			grads = append(grads, p.Var.Grad.Data())
		}
		return out.Value.Data(), kept, grads
	}
	wantY, wantKept, wantGrads := run(func(h *autograd.Var) *autograd.Var {
		for _, l := range seq.Layers {
			h = l.Forward(h)
		}
		return h
	})
	padded := int64(4 * 2 * 3 * 8 * 7)
	for _, c := range []struct {
		name    string
		forward func(*autograd.Var) *autograd.Var
	}{
		{"Forward", seq.Forward},
		{"ForwardRange", func(h *autograd.Var) *autograd.Var { return seq.ForwardRange(seq.ForwardRange(h, 0, 2), 2, 4) }},
	} {
		name, forward := c.name, c.forward
		gotY, gotKept, gotGrads := run(forward)
		assert.Equal(t, wantY, gotY, "%s: values", name)
		// The unfused layers also keep the norm's output before the ReLU.
		assert.Equal(t, wantKept-padded-4*int64(len(wantY)), gotKept, "%s: bytes kept for backward", name)
		for i := range wantGrads {
			assert.InDeltaSlice(t, wantGrads[i], gotGrads[i], 1e-5, "%s: gradient %d", name, i)
		}
	}
}

// viewLayer returns a view of its input with the same shape: a layer whose
// output shares its input's storage.
type viewLayer struct{}

func (viewLayer) Forward(x *autograd.Var) *autograd.Var { return autograd.Reshape(x, x.Shape()...) }
func (viewLayer) Parameters() []nn.Param                { return nil }

// TestSequentialFreesIntermediatesWithoutGrad checks that inference hands
// each intermediate result back as soon as the next layer has used it,
// except around a view, and that a graph keeps all of them.
func TestSequentialFreesIntermediatesWithoutGrad(t *testing.T) {
	rng := tensor.NewRNG(12)
	x := tensor.Normal(rng, 0, 1, 2, 3, 6, 5)
	seq := nn.NewSequential(nn.NewConv2d(rng, 3, 4, 3, tensor.ConvOpts{Padding: 1}, true), nn.ReLU{},
		viewLayer{}, nn.LeakyReLU{Slope: 0.2}, nn.NewConv2d(rng, 4, 2, 1, tensor.ConvOpts{}, true))
	var want []float32
	autograd.NoGrad(func() {
		h := autograd.Const(x)
		for _, l := range seq.Layers {
			h = l.Forward(h)
		}
		want = h.Value.Data()
	})
	dev := tensor.Default()
	act := int64(4 * 2 * 4 * 6 * 5) // bytes of one 4-channel activation
	out := int64(4 * len(want))

	scope := tensor.OpenScope()
	before := dev.LiveBytes()
	var got *autograd.Var
	autograd.NoGrad(func() { got = seq.Forward(autograd.Const(x)) })
	// Alive: the result alone. The ReLU's output stays while the view of it
	// is the last result and goes once the next layer has read that view.
	assert.Equal(t, out, dev.LiveBytes()-before, "bytes alive after inference")
	assert.Equal(t, want, got.Value.Data())
	scope.Close() // frees what is left, without freeing anything twice
	assert.Equal(t, before, dev.LiveBytes())

	// Recording a graph, every intermediate stays for backward.
	scope = tensor.OpenScope()
	before = dev.LiveBytes()
	got = seq.Forward(autograd.Param(x.Clone()))
	assert.Equal(t, int64(4*x.Len())+3*act+out, dev.LiveBytes()-before, "bytes alive with a graph")
	assert.Equal(t, want, got.Value.Data())
	scope.Close()
}
