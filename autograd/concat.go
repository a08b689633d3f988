package autograd

import "github.com/semgan/semgan/tensor"

// Concat returns xs joined along dimension dim, as torch.cat; each input
// receives its part of the gradient.
func Concat(dim int, xs ...*Var) *Var {
	vals := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		vals[i] = x.Value
	}
	y := tensor.Concat(dim, vals...)
	return record(y, xs, func(dy *tensor.Tensor) {
		grads := make([]*tensor.Tensor, len(xs))
		for i, x := range xs {
			grads[i] = x.gradIf()
		}
		tensor.ConcatBackwardAcc(dim, vals, dy, grads)
	})
}
