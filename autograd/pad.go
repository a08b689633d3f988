package autograd

import "github.com/semgan/semgan/tensor"

// Pad2d pads x [N, C, H, W] with zeros or by reflection.
func Pad2d(x *Var, pd tensor.Padding) *Var {
	y := tensor.Pad2d(x.Value, pd)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.Pad2dBackwardAcc(x.Value, pd, dy, x.grad())
	})
}
