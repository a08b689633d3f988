//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// Reduce writes op(a, b) into out[0] (see kernels.ReduceOp); b is ignored
// for Sum and Mean. The mean of no elements is NaN. It panics if a buffer
// has the wrong length (out must have 1 element) or op is unknown.
func (be *Backend) Reduce(op kernels.ReduceOp, a, b, out kernels.Buffer) {
	const fn = "Reduce"
	ab, bb, ob := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, out)
	must(fn, op.CheckForward(ln(ab), ln(bb), ln(ob)))
	checkInt32(fn, ab.n)
	if op == kernels.Sum || op == kernels.Mean {
		bb = nil
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	grid := blocksFor(ab.n)
	partial := be.allocLocked(grid.x)
	defer be.freeLocked(partial)
	be.launchReducePartial(fn, grid, block1(ab.n), 0, int(op), ptr(ab), ptr(bb), ptr(partial), ab.n)
	be.launchReduceFinal(fn, dim3{1, 1, 1}, block1(grid.x), 0, int(op), ptr(partial), grid.x, ptr(ob), ab.n)
}

// ReduceBackward accumulates into da and db (either may be nil) the
// gradient of Reduce given dout[0]; db must be nil for Sum and Mean. It
// panics if a buffer has the wrong length or op is unknown.
func (be *Backend) ReduceBackward(op kernels.ReduceOp, a, b, dout, da, db kernels.Buffer) {
	const fn = "ReduceBackward"
	ab, bb, gb := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, dout)
	dab, dbb := be.unwrap(fn, da), be.unwrap(fn, db)
	must(fn, op.CheckBackward(ln(ab), ln(bb), ln(gb), ln(dab), ln(dbb)))
	checkInt32(fn, ab.n)
	n := ab.n
	if op == kernels.Sum || op == kernels.Mean {
		bb = nil
	}
	if n == 0 || (dab == nil && dbb == nil) {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchReduceBackward(fn, blocksFor(n), block1(n), 0, int(op), ptr(ab), ptr(bb), ptr(gb), ptr(dab), ptr(dbb), n)
}
