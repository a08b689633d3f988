package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// Reduce returns op(a, b) as a tensor of shape []. b is nil for Sum and
// Mean and must have a's shape for the difference reductions.
func Reduce(op kernels.ReduceOp, a, b *Tensor) *Tensor {
	checkReduce(op, a, b)
	out := New(a.dev)
	a.dev.Reduce(op, a.buf, bufOf(b), out.buf)
	return out
}

// ReduceBackwardAcc accumulates into da and db (either may be nil) the gradient
// of Reduce given dout, the gradient of the reduced value.
func ReduceBackwardAcc(op kernels.ReduceOp, a, b, dout, da, db *Tensor) {
	checkReduce(op, a, b)
	if da != nil {
		mustShape("ReduceBackwardAcc", "da", da, a.shape...)
	}
	if db != nil {
		mustShape("ReduceBackwardAcc", "db", db, a.shape...)
	}
	a.dev.ReduceBackward(op, a.buf, bufOf(b), dout.buf, bufOf(da), bufOf(db))
}

func checkReduce(op kernels.ReduceOp, a, b *Tensor) {
	diff := op == kernels.MeanAbsDiff || op == kernels.MeanSquaredDiff
	switch {
	case diff && b == nil:
		panic(fmt.Sprintf("tensor: %s: needs two operands", op))
	case diff:
		mustSameDevice(op.String(), a, b)
		mustShape(op.String(), "target", b, a.shape...)
	case b != nil:
		panic(fmt.Sprintf("tensor: %s: takes one operand", op))
	}
	if a.Len() == 0 && op != kernels.Sum {
		panic(fmt.Sprintf("tensor: %s: empty input %v", op, a.shape))
	}
}

// Sum returns the sum of all elements as a tensor of shape [].
func Sum(a *Tensor) *Tensor { return Reduce(kernels.Sum, a, nil) }

// Mean returns the mean of all elements as a tensor of shape [].
func Mean(a *Tensor) *Tensor { return Reduce(kernels.Mean, a, nil) }
