package autograd

import "github.com/semgan/semgan/tensor"

// MaxPool2d returns the maximum of each window of x [N, C, H, W], as
// torch's max_pool2d. The gradient goes to the element each maximum came
// from.
func MaxPool2d(x *Var, o tensor.PoolOpts) *Var {
	y := tensor.MaxPool2d(x.Value, o)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.MaxPool2dBackwardAcc(x.Value, o, dy, x.grad())
	})
}

// AvgPool2d returns the average of each window of x [N, C, H, W], as
// torch's avg_pool2d with count_include_pad = o.CountIncludePad.
func AvgPool2d(x *Var, o tensor.PoolOpts) *Var {
	y := tensor.AvgPool2d(x.Value, o)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.AvgPool2dBackwardAcc(x.Value, o, dy, x.grad())
	})
}

// GlobalAvgPool2d returns the mean of each plane of x [N, C, H, W] as
// [N, C, 1, 1], as torch's adaptive_avg_pool2d(x, 1).
func GlobalAvgPool2d(x *Var) *Var {
	y := tensor.GlobalAvgPool2d(x.Value)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.GlobalAvgPool2dBackwardAcc(x.Value, dy, x.grad())
	})
}
