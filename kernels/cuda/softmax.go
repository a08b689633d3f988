//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// SoftmaxForward writes into y [p.Rows, p.Cols] the softmax of each row of x,
// overwriting y; y may be x. It panics if a buffer has the wrong length.
func (be *Backend) SoftmaxForward(p kernels.SoftmaxParams, x, y kernels.Buffer) {
	const fn = "SoftmaxForward"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	must(fn, p.CheckForward(ln(xb), ln(yb)))
	checkInt32(fn, p.Len())
	rows, cols := p.Rows, p.Cols
	if rows == 0 || cols == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchSoftmaxForward(fn, dim3{min(rows, maxBlocks), 1, 1}, block1(cols), 0, ptr(xb), ptr(yb), rows, cols)
}

// SoftmaxBackward accumulates into dx [p.Rows, p.Cols] the gradient of
// SoftmaxForward given its output y and dy; a nil dx is skipped. It panics
// if a buffer has the wrong length.
func (be *Backend) SoftmaxBackward(p kernels.SoftmaxParams, y, dy, dx kernels.Buffer) {
	const fn = "SoftmaxBackward"
	yb, dyb, dxb := be.unwrap(fn, y), be.unwrap(fn, dy), be.unwrap(fn, dx)
	must(fn, p.CheckBackward(ln(yb), ln(dyb), ln(dxb)))
	checkInt32(fn, p.Len())
	rows, cols := p.Rows, p.Cols
	if rows == 0 || cols == 0 || dxb == nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchSoftmaxBackward(fn, dim3{min(rows, maxBlocks), 1, 1}, block1(cols), 0, ptr(yb), ptr(dyb), ptr(dxb),
		rows, cols)
}
