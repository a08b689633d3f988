//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// poolDims returns the POOL_ARGS of pool.cu for p.
func poolDims(p kernels.PoolParams) poolArgs {
	return poolArgs{planes: p.N * p.C, h: p.H, w: p.W, kh: p.KH, kw: p.KW, sh: p.StrideH, sw: p.StrideW,
		ph: p.PadH, pw: p.PadW, oh: p.OutH(), ow: p.OutW()}
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
	be.launchMaxPoolForward(fn, blocksFor(yb.n), block1(yb.n), 0, ptr(xb), ptr(yb), poolDims(p))
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
	be.launchMaxPoolBackward(fn, blocksFor(dxb.n), block1(dxb.n), 0, ptr(xb), ptr(dyb), ptr(dxb), poolDims(p))
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
	be.launchAvgPoolForward(fn, blocksFor(yb.n), block1(yb.n), 0, ptr(xb), ptr(yb), poolDims(p),
		flag(p.CountIncludePad))
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
	be.launchAvgPoolBackward(fn, blocksFor(dxb.n), block1(dxb.n), 0, ptr(dyb), ptr(dxb), poolDims(p),
		flag(p.CountIncludePad))
}
