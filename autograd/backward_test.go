package autograd_test

import (
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackwardAccumulatesAcrossCalls(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, -2, 3}, 3))
	Backward(Sum(Scale(x, 2)))
	Backward(Sum(Scale(x, 3)))
	assert.Equal(t, []float32{5, 5, 5}, x.Grad.Data())
	x.ZeroGrad()
	assert.Nil(t, x.Grad)
}

func TestBackwardReleasesIntermediates(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{0.5, -1}, 2))
	h := Tanh(x)
	loss := Sum(Scale(h, 2))
	Backward(loss)
	assert.Nil(t, h.Grad, "intermediate gradients are freed")
	assert.False(t, h.RequiresGrad(), "a released intermediate acts as a constant")
	assert.NotNil(t, x.Grad)
	assert.NotNil(t, loss.Grad)
}

func TestNoGradAndDetach(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2}, 2))
	var y *Var
	NoGrad(func() { y = Tanh(x) })
	assert.False(t, y.RequiresGrad())

	d := Tanh(x).Detach()
	assert.False(t, d.RequiresGrad())
	loss := Sum(Mul(x, d))
	Backward(loss)
	// d is a constant: dL/dx = d, not d + x*(1-d^2).
	assert.InDeltaSlice(t, d.Value.Data(), x.Grad.Data(), 1e-7)
}

func TestBackwardOnConstantIsNoOp(t *testing.T) {
	c := Const(tensor.Full(2, 3))
	Backward(Sum(c))
	assert.Nil(t, c.Grad)
}

func TestBackwardDeepChainNoRecursion(t *testing.T) {
	x := Param(tensor.Full(0.1, 4))
	h := x
	for range 20000 {
		h = AddScalar(h, 0.001)
	}
	Backward(Sum(h))
	assert.Equal(t, []float32{1, 1, 1, 1}, x.Grad.Data())
}

func TestBackwardRejectsNonScalar(t *testing.T) {
	x := Param(tensor.Full(1, 2))
	require.PanicsWithValue(t, "autograd: Backward: loss has shape [2]; use BackwardWith for non-scalar outputs", func() { Backward(Tanh(x)) })
}

func TestShapeErrorsNameTheOp(t *testing.T) {
	x := Param(tensor.Zeros(1, 3, 8, 8))
	w := Param(tensor.Zeros(4, 2, 3, 3))
	require.PanicsWithValue(t, "tensor: Conv2d: input [1 3 8 8] vs weight [4 2 3 3]", func() { Conv2d(x, w, nil, tensor.ConvOpts{}) })
}

func TestBackwardFreesItsSeed(t *testing.T) {
	dev := tensor.Default()
	x := Param(tensor.FromSlice([]float32{0.5, -1}, 2))
	loss := Sum(Scale(x, 3))
	before := dev.LiveBytes()
	Backward(loss)
	// What stays: x's gradient (2 values) and the loss's own (1 value).
	assert.Equal(t, before+3*4, dev.LiveBytes())
	x.ZeroGrad()
	loss.ZeroGrad()
}
