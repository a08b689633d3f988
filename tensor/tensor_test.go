package tensor_test

import (
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReshapeSharesStorage(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	y := x.Reshape(3, -1)
	assert.Equal(t, []int{3, 2}, y.Shape())
	y.Fill(7)
	assert.Equal(t, []float32{7, 7, 7, 7, 7, 7}, x.Data())
	require.PanicsWithValue(t, "tensor: Reshape: [2 3] (6 elements) to [4 2]", func() { x.Reshape(4, 2) })
}

func TestRandomIsSeeded(t *testing.T) {
	a := tensor.Normal(tensor.NewRNG(42), 0, 1, 100).Data()
	b := tensor.Normal(tensor.NewRNG(42), 0, 1, 100).Data()
	c := tensor.Normal(tensor.NewRNG(43), 0, 1, 100).Data()
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	u := tensor.Uniform(tensor.NewRNG(1), -2, 3, 1000).Data()
	for _, v := range u {
		require.True(t, v >= -2 && v < 3, "%v outside [-2, 3)", v)
	}
}

func TestBroadcastRules(t *testing.T) {
	p := tensor.Broadcast("test", []int{2, 3, 4, 5}, []int{3, 1, 1})
	assert.Equal(t, kernels.BroadcastParams{Shape: [4]int{2, 3, 4, 5}, BStride: [4]int{0, 1, 0, 0}}, p)
	p = tensor.Broadcast("test", []int{3, 5}, []int{5})
	assert.Equal(t, kernels.BroadcastParams{Shape: [4]int{1, 1, 3, 5}, BStride: [4]int{0, 0, 0, 1}}, p)
	p = tensor.Broadcast("test", []int{2, 3, 4}, []int{2, 1, 4})
	assert.Equal(t, kernels.BroadcastParams{Shape: [4]int{1, 2, 3, 4}, BStride: [4]int{0, 4, 0, 1}}, p)
	require.PanicsWithValue(t, "tensor: add: cannot broadcast [3] over [2 4]", func() { tensor.Add(tensor.Zeros(2, 4), tensor.Zeros(3)) })
}

func TestShapeErrorsNameTheOp(t *testing.T) {
	x := tensor.Zeros(1, 3, 8, 8)
	require.PanicsWithValue(t, "tensor: Conv2d: input [1 3 8 8] vs weight [4 2 3 3]", func() {
		tensor.Conv2d(x, tensor.Zeros(4, 2, 3, 3), nil, tensor.ConvOpts{})
	})
	require.PanicsWithValue(t, "tensor: Conv2d: bias has shape [3], want [4]", func() {
		tensor.Conv2d(x, tensor.Zeros(4, 3, 3, 3), tensor.Zeros(3), tensor.ConvOpts{})
	})
	require.Panics(t, func() { tensor.Pad2d(x, tensor.Padding{Left: 8, Reflect: true}) })
	require.PanicsWithValue(t, "tensor: MatMul: a [2 3] (trans false) vs b [2 3] (trans false)", func() {
		tensor.MatMul(tensor.Zeros(2, 3), tensor.Zeros(2, 3), false, false)
	})
	require.PanicsWithValue(t, "tensor: FromSlice: 3 values for shape [2 2] (4 elements)", func() { tensor.FromSlice([]float32{1, 2, 3}, 2, 2) })
}

func TestConvTransposeShape(t *testing.T) {
	x := tensor.Zeros(2, 8, 5, 7)
	w := tensor.Zeros(8, 4, 3, 3)
	y := tensor.ConvTranspose2d(x, w, tensor.Zeros(4), tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1})
	assert.Equal(t, []int{2, 4, 10, 14}, y.Shape())
	require.Panics(t, func() { tensor.ConvTranspose2d(x, w, nil, tensor.ConvOpts{Stride: 2, OutputPadding: 2}) })
}

func TestToSameDeviceIsIdentity(t *testing.T) {
	x := tensor.Zeros(3)
	assert.Same(t, x, x.To(x.Device()))
	assert.Equal(t, "cpu", x.Device().Name())
}
