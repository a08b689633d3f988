//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// checkReduce panics, naming fn, if op is unknown or, for the ops with two
// operands, b is not as long as a.
func checkReduce(fn string, op kernels.ReduceOp, a, b *buffer) {
	switch op {
	case kernels.Sum, kernels.Mean:
	case kernels.MeanAbsDiff, kernels.MeanSquaredDiff:
		checkLens(fn, op.String, arg{"b", b, a.n, false})
	default:
		panic(fmt.Sprintf("cuda: %s: unknown op %v", fn, op))
	}
	checkInt32(fn, a.n)
}

// Reduce writes op(a, b) into out[0] (see kernels.ReduceOp); b is ignored
// for Sum and Mean. The mean of no elements is NaN. It panics if a buffer
// has the wrong length (out must have 1 element) or op is unknown.
func (be *Backend) Reduce(op kernels.ReduceOp, a, b, out kernels.Buffer) {
	const fn = "Reduce"
	ab, bb, ob := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, out)
	checkLens(fn, op.String, arg{"out", ob, 1, false})
	if ab == nil {
		panic("cuda: Reduce: a is nil")
	}
	checkReduce(fn, op, ab, bb)
	if op == kernels.Sum || op == kernels.Mean {
		bb = nil
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	grid := blocksFor(ab.n)
	partial := be.allocLocked(grid.x)
	defer be.freeLocked(partial)
	be.launch(fn, "reduce_partial_f32", grid, block1(ab.n), 0, argInt(int(op)), ptr(ab), ptr(bb), ptr(partial), argInt(ab.n))
	be.launch(fn, "reduce_final_f32", dim3{1, 1, 1}, block1(grid.x), 0, argInt(int(op)), ptr(partial), argInt(grid.x),
		ptr(ob), argInt(ab.n))
}

// ReduceBackward accumulates into da and db (either may be nil) the
// gradient of Reduce given dout[0]; db must be nil for Sum and Mean. It
// panics if a buffer has the wrong length or op is unknown.
func (be *Backend) ReduceBackward(op kernels.ReduceOp, a, b, dout, da, db kernels.Buffer) {
	const fn = "ReduceBackward"
	ab, bb, gb := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, dout)
	dab, dbb := be.unwrap(fn, da), be.unwrap(fn, db)
	if ab == nil {
		panic("cuda: ReduceBackward: a is nil")
	}
	checkReduce(fn, op, ab, bb)
	n := ab.n
	checkLens(fn, op.String, arg{"dout", gb, 1, false}, arg{"da", dab, n, true}, arg{"db", dbb, n, true})
	if (op == kernels.Sum || op == kernels.Mean) && dbb != nil {
		panic(fmt.Sprintf("cuda: %s: db given for %v, which has no b", fn, op))
	}
	if op == kernels.Sum || op == kernels.Mean {
		bb = nil
	}
	if n == 0 || (dab == nil && dbb == nil) {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "reduce_backward_f32", blocksFor(n), block1(n), 0, argInt(int(op)), ptr(ab), ptr(bb), ptr(gb),
		ptr(dab), ptr(dbb), argInt(n))
}
