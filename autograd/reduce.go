package autograd

import (
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

func reduce(op kernels.ReduceOp, a, b *Var) *Var {
	y := tensor.Reduce(op, a.Value, valueOf(b))
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		tensor.ReduceBackwardAcc(op, a.Value, valueOf(b), dy, a.gradIf(), b.gradIf())
	})
}

// Sum returns the sum of the elements of a, as a Var of shape [].
func Sum(a *Var) *Var { return reduce(kernels.Sum, a, nil) }

// Mean returns the mean of the elements of a, as a Var of shape [].
func Mean(a *Var) *Var { return reduce(kernels.Mean, a, nil) }

// L1Loss returns mean |a - b|; a and b have the same shape.
func L1Loss(a, b *Var) *Var { return reduce(kernels.MeanAbsDiff, a, b) }

// MSELoss returns mean (a - b)^2; a and b have the same shape.
func MSELoss(a, b *Var) *Var { return reduce(kernels.MeanSquaredDiff, a, b) }
