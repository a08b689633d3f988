//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// poolArgs returns the slots of pool.cu's size arguments, from planes to ow.
func poolArgs(p kernels.PoolParams) []uint64 {
	return []uint64{argInt(p.N * p.C), argInt(p.H), argInt(p.W), argInt(p.KH), argInt(p.KW), argInt(p.StrideH),
		argInt(p.StrideW), argInt(p.PadH), argInt(p.PadW), argInt(p.OutH()), argInt(p.OutW())}
}

// MaxPoolForward writes into y [N, C, OutH, OutW] the maximum of each window
// of x [N, C, H, W] (see kernels.PoolParams), overwriting y; a NaN in a
// window makes its maximum NaN. It panics if p is invalid or a buffer has
// the wrong length.
func (be *Backend) MaxPoolForward(p kernels.PoolParams, x, y kernels.Buffer) {
	const fn = "MaxPoolForward"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, p.CheckForward(ln(xb), ln(yb)))
	checkInt32(fn, xb.n, yb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "max_pool_forward_f32", blocksFor(yb.n), block1(yb.n), 0,
		append([]uint64{ptr(xb), ptr(yb)}, poolArgs(p)...)...)
}

// MaxPoolBackward accumulates into dx [N, C, H, W] the gradient of
// MaxPoolForward given dy: each dy element goes to the input element its
// window's maximum came from (the first among equal maxima), found again
// from x. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) MaxPoolBackward(p kernels.PoolParams, x, dy, dx kernels.Buffer) {
	const fn = "MaxPoolBackward"
	xb, dyb, dxb := be.unwrap(fn, x), be.unwrap(fn, dy), be.unwrap(fn, dx)
	must(fn, p.CheckMaxBackward(ln(xb), ln(dyb), ln(dxb)))
	checkInt32(fn, xb.n, dyb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "max_pool_backward_f32", blocksFor(dxb.n), block1(dxb.n), 0,
		append([]uint64{ptr(xb), ptr(dyb), ptr(dxb)}, poolArgs(p)...)...)
}

// AvgPoolForward writes into y [N, C, OutH, OutW] the average of each
// window of x [N, C, H, W], with the divisor kernels.PoolParams describes,
// overwriting y. It panics if p is invalid or a buffer has the wrong
// length.
func (be *Backend) AvgPoolForward(p kernels.PoolParams, x, y kernels.Buffer) {
	const fn = "AvgPoolForward"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, p.CheckForward(ln(xb), ln(yb)))
	checkInt32(fn, xb.n, yb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "avg_pool_forward_f32", blocksFor(yb.n), block1(yb.n), 0,
		append(append([]uint64{ptr(xb), ptr(yb)}, poolArgs(p)...), argBool(p.CountIncludePad))...)
}

// AvgPoolBackward accumulates into dx [N, C, H, W] the gradient of
// AvgPoolForward given dy: each dy element divided by its window's divisor,
// added to the window's input elements. It panics if p is invalid or a
// buffer has the wrong length.
func (be *Backend) AvgPoolBackward(p kernels.PoolParams, dy, dx kernels.Buffer) {
	const fn = "AvgPoolBackward"
	dyb, dxb := be.unwrap(fn, dy), be.unwrap(fn, dx)
	must(fn, p.CheckAvgBackward(ln(dyb), ln(dxb)))
	checkInt32(fn, dxb.n, dyb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "avg_pool_backward_f32", blocksFor(dxb.n), block1(dxb.n), 0,
		append(append([]uint64{ptr(dyb), ptr(dxb)}, poolArgs(p)...), argBool(p.CountIncludePad))...)
}
