//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// Pad writes x [N, C, H, W] padded by p into y, overwriting y, with zeros
// or by reflection. It panics if p is invalid or a buffer has the wrong
// length.
func (be *Backend) Pad(p kernels.PadParams, x, y kernels.Buffer) {
	const fn = "Pad"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, p.CheckForward(ln(xb), ln(yb)))
	checkInt32(fn, yb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchPadForward(fn, blocksFor(yb.n), block1(yb.n), 0, ptr(xb), ptr(yb), p.N*p.C,
		p.H, p.W, p.Top, p.Left, p.OutH(), p.OutW(), flag(p.Mode == kernels.PadReflect))
}

// PadBackward accumulates into dx [N, C, H, W] the gradient of Pad given
// dy: each input element receives the sum of the output elements copied
// from it. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) PadBackward(p kernels.PadParams, dy, dx kernels.Buffer) {
	const fn = "PadBackward"
	dyb, dxb := be.unwrap(fn, dy), be.unwrap(fn, dx)
	must(fn, p.CheckBackward(ln(dyb), ln(dxb)))
	checkInt32(fn, dyb.n)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchPadBackward(fn, blocksFor(dxb.n), block1(dxb.n), 0, ptr(dyb), ptr(dxb), p.N*p.C,
		p.H, p.W, p.Top, p.Bottom, p.Left, p.Right, flag(p.Mode == kernels.PadReflect))
}
