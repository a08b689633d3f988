//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// checkNorm panics, naming fn, if a size of p is not positive or Eps is
// negative or NaN.
func checkNorm(fn string, p kernels.NormParams) {
	if p.N < 1 || p.C < 1 || p.S < 1 || !(p.Eps >= 0) {
		panic(fmt.Sprintf("cuda: %s: bad parameters %+v", fn, p))
	}
	checkInt32(fn, p.N*p.C*p.S)
}

// normShape describes p in panic messages.
func normShape(p kernels.NormParams) func() string {
	return func() string { return fmt.Sprintf("[N=%d C=%d S=%d]", p.N, p.C, p.S) }
}

// InstanceNormForward normalises each (n, c) plane of x [N, C, S]:
// y = (x-mean)*rstd*gamma[c] + beta[c], with the biased variance; gamma and
// beta may be nil. mean and rstd [N*C] are written for the backward pass.
// It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) InstanceNormForward(p kernels.NormParams, x, gamma, beta, y, mean, rstd kernels.Buffer) {
	const fn = "InstanceNormForward"
	checkNorm(fn, p)
	xb, gb, bb, yb := be.unwrap(fn, x), be.unwrap(fn, gamma), be.unwrap(fn, beta), be.unwrap(fn, y)
	mb, rb := be.unwrap(fn, mean), be.unwrap(fn, rstd)
	nc := p.N * p.C
	checkLens(fn, normShape(p), arg{"x", xb, nc * p.S, false}, arg{"gamma", gb, p.C, true},
		arg{"beta", bb, p.C, true}, arg{"y", yb, nc * p.S, false},
		arg{"mean", mb, nc, false}, arg{"rstd", rb, nc, false})
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "instance_norm_forward_f32", dim3{min(nc, maxBlocks), 1, 1}, block1(p.S), 0,
		ptr(xb), ptr(gb), ptr(bb), ptr(yb), ptr(mb), ptr(rb), argInt(nc), argInt(p.C), argInt(p.S), argF32(p.Eps))
}

// InstanceNormBackward accumulates dx, dgamma and dbeta (any may be nil)
// from dy, using the mean and rstd kept by the forward pass; gamma may be
// nil. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) InstanceNormBackward(p kernels.NormParams, x, gamma, mean, rstd, dy, dx, dgamma, dbeta kernels.Buffer) {
	const fn = "InstanceNormBackward"
	checkNorm(fn, p)
	xb, gb, mb, rb := be.unwrap(fn, x), be.unwrap(fn, gamma), be.unwrap(fn, mean), be.unwrap(fn, rstd)
	dyb, dxb, dgb, dbb := be.unwrap(fn, dy), be.unwrap(fn, dx), be.unwrap(fn, dgamma), be.unwrap(fn, dbeta)
	nc := p.N * p.C
	checkLens(fn, normShape(p), arg{"x", xb, nc * p.S, false}, arg{"gamma", gb, p.C, true},
		arg{"mean", mb, nc, false}, arg{"rstd", rb, nc, false}, arg{"dy", dyb, nc * p.S, false},
		arg{"dx", dxb, nc * p.S, true}, arg{"dgamma", dgb, p.C, true}, arg{"dbeta", dbb, p.C, true})
	if dxb == nil && dgb == nil && dbb == nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "instance_norm_backward_f32", dim3{min(nc, maxBlocks), 1, 1}, block1(p.S), 0,
		ptr(xb), ptr(gb), ptr(mb), ptr(rb), ptr(dyb), ptr(dxb), ptr(dgb), ptr(dbb), argInt(nc), argInt(p.C), argInt(p.S))
}
