//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// Unary computes y = op(x) elementwise (see kernels.UnaryOp); alpha is the
// slope of LeakyReLU, the factor of Scale and the addend of AddScalar. y may
// be x. It panics if the lengths differ or op is unknown.
func (be *Backend) Unary(op kernels.UnaryOp, alpha float32, x, y kernels.Buffer) {
	const fn = "Unary"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, op.CheckForward(ln(xb), ln(yb)))
	checkInt32(fn, xb.n)
	if xb.n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchUnary(fn, blocksFor(xb.n), block1(xb.n), 0, int(op), alpha, ptr(xb), ptr(yb), xb.n)
}

// UnaryBackward accumulates dx += op'(x) * dy, given x and y = op(x). Only
// the operand the derivative reads must be given (x for ReLU, LeakyReLU,
// Square and Abs; y for Tanh, Sigmoid and Exp; neither for Scale and
// AddScalar). A nil dx is skipped. It panics if a given buffer's length
// differs from dy's or op is unknown.
func (be *Backend) UnaryBackward(op kernels.UnaryOp, alpha float32, x, y, dy, dx kernels.Buffer) {
	const fn = "UnaryBackward"
	xb, yb, dyb, dxb := be.unwrap(fn, x), be.unwrap(fn, y), be.unwrap(fn, dy), be.unwrap(fn, dx)
	must(fn, op.CheckBackward(ln(xb), ln(yb), ln(dyb), ln(dxb)))
	n := dyb.n
	checkInt32(fn, n)
	if dxb == nil || n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchUnaryBackward(fn, blocksFor(n), block1(n), 0, int(op), alpha, ptr(xb), ptr(yb), ptr(dyb), ptr(dxb), n)
}

// Binary computes y = a op b, where b is broadcast over a's shape as p
// describes. y may be a. It panics if a buffer has the wrong length, a
// stride reads outside b, or op is unknown.
func (be *Backend) Binary(op kernels.BinaryOp, p kernels.BroadcastParams, a, b, y kernels.Buffer) {
	const fn = "Binary"
	ab, bb, yb := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, y)
	must(fn, p.CheckBinary(op, ln(ab), ln(bb), ln(yb)))
	n := p.Len()
	checkInt32(fn, n)
	if n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	s, bs := p.Shape, p.BStride
	be.launchBinary(fn, blocksFor(n), block1(n), 0, int(op), ptr(ab), ptr(bb), ptr(yb),
		s[0], s[1], s[2], s[3], bs[0], bs[1], bs[2], bs[3])
}

// Axpby computes y = alpha*x + beta*y; y is not read when beta is 0. It
// panics if the lengths differ.
func (be *Backend) Axpby(alpha float32, x kernels.Buffer, beta float32, y kernels.Buffer) {
	const fn = "Axpby"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, kernels.CheckAxpby(ln(xb), ln(yb)))
	checkInt32(fn, xb.n)
	if xb.n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchAxpby(fn, blocksFor(xb.n), block1(xb.n), 0, alpha, ptr(xb), beta, ptr(yb), xb.n)
}

// sumToBlockMin is the length of sum from which SumTo gives each element
// of y a block of threads instead of one thread.
const sumToBlockMin = 256

// SumTo accumulates x, of the full shape of p, into y, of b's shape,
// summing over the dimensions that p broadcasts (the adjoint of Binary's
// broadcast). It panics if a buffer has the wrong length or a stride reads
// outside y.
func (be *Backend) SumTo(p kernels.BroadcastParams, x, y kernels.Buffer) {
	const fn = "SumTo"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, p.CheckSumTo(ln(xb), ln(yb)))
	checkInt32(fn, p.Len())
	if p.Len() == 0 {
		return
	}
	nkeep := p.BLen()
	nsum := p.Len() / nkeep
	s, bs := p.Shape, p.BStride
	be.mu.Lock()
	defer be.mu.Unlock()
	if nsum >= sumToBlockMin {
		be.launchSumToBlock(fn, dim3{min(nkeep, maxBlocks), 1, 1}, block1(nsum), 0, ptr(xb), ptr(yb),
			s[0], s[1], s[2], s[3], bs[0], bs[1], bs[2], bs[3], nkeep, nsum)
		return
	}
	be.launchSumToThread(fn, blocksFor(nkeep), block1(nkeep), 0, ptr(xb), ptr(yb),
		s[0], s[1], s[2], s[3], bs[0], bs[1], bs[2], bs[3], nkeep, nsum)
}
