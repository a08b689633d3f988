package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// PoolOpts are the hyper-parameters of a square-window pooling, as the
// arguments of PyTorch's max_pool2d and avg_pool2d without ceil mode or
// dilation. A zero Stride means Kernel (PyTorch's default).
type PoolOpts struct {
	Kernel, Stride, Padding int
	// CountIncludePad makes average pooling divide by the whole window,
	// padding included (PyTorch's default); without it the divisor is the
	// number of input elements in the window. Max pooling ignores it.
	CountIncludePad bool
}

func poolParams(op string, x *Tensor, o PoolOpts) kernels.PoolParams {
	mustRank(op, "input", x, 4)
	s := o.Stride
	if s == 0 {
		s = o.Kernel
	}
	p := kernels.PoolParams{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: o.Kernel, KW: o.Kernel, StrideH: s, StrideW: s, PadH: o.Padding, PadW: o.Padding,
		CountIncludePad: o.CountIncludePad}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: input %v, %+v: %v", op, x.shape, o, err))
	}
	return p
}

// MaxPool2d returns the maximum of each window of x [N, C, H, W], as
// torch's max_pool2d: [N, C, OutH, OutW]. It panics on a rank other than 4
// or options the input cannot take (see kernels.PoolParams.Validate).
func MaxPool2d(x *Tensor, o PoolOpts) *Tensor {
	p := poolParams("MaxPool2d", x, o)
	y := New(x.dev, p.N, p.C, p.OutH(), p.OutW())
	x.dev.MaxPoolForward(p, x.buf, y.buf)
	return y
}

// MaxPool2dBackwardAcc accumulates into dx the gradient of MaxPool2d given dy:
// each element of dy goes to the input element its window's maximum came
// from.
func MaxPool2dBackwardAcc(x *Tensor, o PoolOpts, dy, dx *Tensor) {
	p := poolParams("MaxPool2dBackwardAcc", x, o)
	mustSameDevice("MaxPool2dBackwardAcc", x, dy, dx)
	mustShape("MaxPool2dBackwardAcc", "dy", dy, p.N, p.C, p.OutH(), p.OutW())
	mustShape("MaxPool2dBackwardAcc", "dx", dx, x.shape...)
	x.dev.MaxPoolBackward(p, x.buf, dy.buf, dx.buf)
}

// AvgPool2d returns the average of each window of x [N, C, H, W], as
// torch's avg_pool2d (with count_include_pad as o.CountIncludePad says):
// [N, C, OutH, OutW]. It panics as MaxPool2d does.
func AvgPool2d(x *Tensor, o PoolOpts) *Tensor {
	p := poolParams("AvgPool2d", x, o)
	y := New(x.dev, p.N, p.C, p.OutH(), p.OutW())
	x.dev.AvgPoolForward(p, x.buf, y.buf)
	return y
}

// AvgPool2dBackwardAcc accumulates into dx the gradient of AvgPool2d given dy.
// x only supplies the input's shape.
func AvgPool2dBackwardAcc(x *Tensor, o PoolOpts, dy, dx *Tensor) {
	p := poolParams("AvgPool2dBackwardAcc", x, o)
	mustSameDevice("AvgPool2dBackwardAcc", x, dy, dx)
	mustShape("AvgPool2dBackwardAcc", "dy", dy, p.N, p.C, p.OutH(), p.OutW())
	mustShape("AvgPool2dBackwardAcc", "dx", dx, x.shape...)
	x.dev.AvgPoolBackward(p, dy.buf, dx.buf)
}

// planeBroadcast describes a value per (n, c) plane broadcast over the
// planes of t [N, C, ...].
func planeBroadcast(t *Tensor) kernels.BroadcastParams {
	planes := t.shape[0] * t.shape[1]
	return kernels.BroadcastParams{Shape: [4]int{1, 1, planes, t.Len() / planes}, BStride: [4]int{0, 0, 1, 0}}
}

// GlobalAvgPool2d returns the mean of each (n, c) plane of x [N, C, H, W]
// as [N, C, 1, 1]: torch's adaptive_avg_pool2d to 1x1. It panics on a rank
// other than 4 or an empty plane.
func GlobalAvgPool2d(x *Tensor) *Tensor {
	mustRank("GlobalAvgPool2d", "input", x, 4)
	if x.Len() == 0 {
		panic(fmt.Sprintf("tensor: GlobalAvgPool2d: empty input %v", x.shape))
	}
	y := New(x.dev, x.shape[0], x.shape[1], 1, 1)
	x.dev.SumTo(planeBroadcast(x), x.buf, y.buf)
	y.ScaleInPlace(1 / float32(x.shape[2]*x.shape[3]))
	return y
}

// GlobalAvgPool2dBackwardAcc accumulates into dx the gradient of
// GlobalAvgPool2d given dy [N, C, 1, 1]: each plane of dx gets its dy
// divided by the plane's size.
func GlobalAvgPool2dBackwardAcc(x, dy, dx *Tensor) {
	mustRank("GlobalAvgPool2dBackwardAcc", "input", x, 4)
	mustSameDevice("GlobalAvgPool2dBackwardAcc", x, dy, dx)
	mustShape("GlobalAvgPool2dBackwardAcc", "dy", dy, x.shape[0], x.shape[1], 1, 1)
	mustShape("GlobalAvgPool2dBackwardAcc", "dx", dx, x.shape...)
	if x.Len() == 0 {
		return
	}
	g := Apply(kernels.Scale, 1/float32(x.shape[2]*x.shape[3]), dy)
	x.dev.Binary(kernels.Add, planeBroadcast(x), dx.buf, g.buf, dx.buf)
	g.Free()
}
