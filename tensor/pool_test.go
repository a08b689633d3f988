package tensor_test

import (
	"fmt"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bare is the CPU backend behind another type, standing for a second
// device: an op on its tensors must run there and keep its results there.
type bare struct{ kernels.Backend }

func bareCPU(t *testing.T) kernels.Backend {
	t.Helper()
	dev, err := kernels.Open("cpu")
	require.NoError(t, err)
	return bare{dev}
}

func TestPoolingOnAnotherDevice(t *testing.T) {
	rng := tensor.NewRNG(1)
	other := bareCPU(t)
	for _, o := range []tensor.PoolOpts{
		{Kernel: 3, Stride: 1, Padding: 1},
		{Kernel: 3, Stride: 1, Padding: 1, CountIncludePad: true},
		{Kernel: 3, Stride: 2},
		{Kernel: 2}, // stride defaults to the kernel
	} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			x := tensor.Normal(rng, 0, 1, 2, 3, 7, 8)
			xo := tensor.FromSliceOn(other, x.Data(), x.Shape()...)
			for _, pool := range []struct {
				name string
				fwd  func(*tensor.Tensor, tensor.PoolOpts) *tensor.Tensor
				bwd  func(*tensor.Tensor, tensor.PoolOpts, *tensor.Tensor, *tensor.Tensor)
			}{
				{"max", tensor.MaxPool2d, tensor.MaxPool2dBackwardAcc},
				{"avg", tensor.AvgPool2d, tensor.AvgPool2dBackwardAcc},
			} {
				y, yo := pool.fwd(x, o), pool.fwd(xo, o)
				assert.Equal(t, y.Shape(), yo.Shape())
				assert.Equal(t, y.Data(), yo.Data(), pool.name)
				assert.Equal(t, other, yo.Device(), "the result stays on the tensor's device")
				dy := tensor.Normal(rng, 0, 1, y.Shape()...)
				dx, dxo := tensor.Full(0.5, x.Shape()...), tensor.FromSliceOn(other, tensor.Full(0.5, x.Shape()...).Data(), x.Shape()...)
				pool.bwd(x, o, dy, dx)
				pool.bwd(xo, o, tensor.FromSliceOn(other, dy.Data(), dy.Shape()...), dxo)
				assert.Equal(t, dx.Data(), dxo.Data(), pool.name+" backward")
			}
		})
	}
}

func TestPoolShapes(t *testing.T) {
	x := tensor.Zeros(2, 3, 147, 147)
	assert.Equal(t, []int{2, 3, 73, 73}, tensor.MaxPool2d(x, tensor.PoolOpts{Kernel: 3, Stride: 2}).Shape())
	assert.Equal(t, []int{2, 3, 147, 147}, tensor.AvgPool2d(x, tensor.PoolOpts{Kernel: 3, Stride: 1, Padding: 1}).Shape())
	require.PanicsWithValue(t,
		"tensor: MaxPool2d: input [2 3 147 147], {Kernel:3 Stride:1 Padding:2 CountIncludePad:false}: pool: padding 2x2 must be between 0 and half the window 3x3",
		func() { tensor.MaxPool2d(x, tensor.PoolOpts{Kernel: 3, Stride: 1, Padding: 2}) })
	require.Panics(t, func() { tensor.AvgPool2d(tensor.Zeros(3, 5, 5), tensor.PoolOpts{Kernel: 3}) })
	require.Panics(t, func() {
		tensor.AvgPool2dBackwardAcc(x, tensor.PoolOpts{Kernel: 3}, tensor.Zeros(2, 3, 48, 48), tensor.ZerosLike(x))
	})
}

func TestGlobalAvgPool2d(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 10, 20, 30, 40, -1, -1, -1, -5}, 1, 3, 2, 2)
	y := tensor.GlobalAvgPool2d(x)
	assert.Equal(t, []int{1, 3, 1, 1}, y.Shape())
	assert.Equal(t, []float32{2.5, 25, -2}, y.Data())
	dx := tensor.Full(1, 1, 3, 2, 2)
	tensor.GlobalAvgPool2dBackwardAcc(x, tensor.FromSlice([]float32{4, 8, -4}, 1, 3, 1, 1), dx)
	assert.Equal(t, []float32{2, 2, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0}, dx.Data())
	require.Panics(t, func() { tensor.GlobalAvgPool2d(tensor.Zeros(2, 3, 0, 4)) })
}
