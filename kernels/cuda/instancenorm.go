//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// InstanceNormForward normalises each (n, c) plane of x [N, C, S]:
// y = (x-mean)*rstd*gamma[c] + beta[c], with the biased variance; gamma and
// beta may be nil. mean and rstd [N*C] are written for the backward pass.
// It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) InstanceNormForward(p kernels.NormParams, x, gamma, beta, y, mean, rstd kernels.Buffer) {
	const fn = "InstanceNormForward"
	xb, gb, bb, yb := be.unwrap(fn, x), be.unwrap(fn, gamma), be.unwrap(fn, beta), be.unwrap(fn, y)
	mb, rb := be.unwrap(fn, mean), be.unwrap(fn, rstd)
	must(fn, p.CheckForward(ln(xb), ln(gb), ln(bb), ln(yb), ln(mb), ln(rb)))
	checkInt32(fn, p.XLen())
	nc := p.StatLen()
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchInstanceNormForward(fn, dim3{min(nc, maxBlocks), 1, 1}, block1(p.S), 0,
		ptr(xb), ptr(gb), ptr(bb), ptr(yb), ptr(mb), ptr(rb), nc, p.C, p.S, p.Eps)
}

// InstanceNormBackward accumulates dx, dgamma and dbeta (any may be nil)
// from dy, using the mean and rstd kept by the forward pass; gamma may be
// nil. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) InstanceNormBackward(p kernels.NormParams, x, gamma, mean, rstd, dy, dx, dgamma, dbeta kernels.Buffer) {
	const fn = "InstanceNormBackward"
	xb, gb, mb, rb := be.unwrap(fn, x), be.unwrap(fn, gamma), be.unwrap(fn, mean), be.unwrap(fn, rstd)
	dyb, dxb, dgb, dbb := be.unwrap(fn, dy), be.unwrap(fn, dx), be.unwrap(fn, dgamma), be.unwrap(fn, dbeta)
	must(fn, p.CheckBackward(ln(xb), ln(gb), ln(mb), ln(rb), ln(dyb), ln(dxb), ln(dgb), ln(dbb)))
	checkInt32(fn, p.XLen())
	nc := p.StatLen()
	if dxb == nil && dgb == nil && dbb == nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchInstanceNormBackward(fn, dim3{min(nc, maxBlocks), 1, 1}, block1(p.S), 0,
		ptr(xb), ptr(gb), ptr(mb), ptr(rb), ptr(dyb), ptr(dxb), ptr(dgb), ptr(dbb), nc, p.C, p.S)
}
