//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// checkPad panics, naming fn, if p is invalid or x and y (named xName and
// yName) do not have the unpadded and padded lengths.
func checkPad(fn string, p kernels.PadParams, x, y *buffer, xName, yName string) {
	if err := p.Validate(); err != nil {
		panic("cuda: " + fn + ": " + err.Error())
	}
	if p.Mode != kernels.PadZero && p.Mode != kernels.PadReflect {
		panic(fmt.Sprintf("cuda: %s: unknown pad mode %d", fn, p.Mode))
	}
	shape := func() string {
		return fmt.Sprintf("[N=%d C=%d %dx%d] padded (top %d, bottom %d, left %d, right %d) to %dx%d",
			p.N, p.C, p.H, p.W, p.Top, p.Bottom, p.Left, p.Right, p.OutH(), p.OutW())
	}
	checkLens(fn, shape, arg{xName, x, p.N * p.C * p.H * p.W, false}, arg{yName, y, p.N * p.C * p.OutH() * p.OutW(), false})
	checkInt32(fn, y.n)
}

// Pad writes x [N, C, H, W] padded by p into y, overwriting y, with zeros
// or by reflection. It panics if p is invalid or a buffer has the wrong
// length.
func (be *Backend) Pad(p kernels.PadParams, x, y kernels.Buffer) {
	const fn = "Pad"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	checkPad(fn, p, xb, yb, "x", "y")
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "pad_forward_f32", blocksFor(yb.n), block1(yb.n), 0, ptr(xb), ptr(yb), argInt(p.N*p.C),
		argInt(p.H), argInt(p.W), argInt(p.Top), argInt(p.Left), argInt(p.OutH()), argInt(p.OutW()),
		argBool(p.Mode == kernels.PadReflect))
}

// PadBackward accumulates into dx [N, C, H, W] the gradient of Pad given
// dy: each input element receives the sum of the output elements copied
// from it. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) PadBackward(p kernels.PadParams, dy, dx kernels.Buffer) {
	const fn = "PadBackward"
	dyb, dxb := be.unwrap(fn, dy), be.unwrap(fn, dx)
	checkPad(fn, p, dxb, dyb, "dx", "dy")
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "pad_backward_f32", blocksFor(dxb.n), block1(dxb.n), 0, ptr(dyb), ptr(dxb), argInt(p.N*p.C),
		argInt(p.H), argInt(p.W), argInt(p.Top), argInt(p.Bottom), argInt(p.Left), argInt(p.Right),
		argBool(p.Mode == kernels.PadReflect))
}
