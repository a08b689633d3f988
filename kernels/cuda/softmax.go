//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// checkSoftmax panics, naming fn, if a size is negative or a buffer does
// not hold rows*cols elements.
func checkSoftmax(fn string, rows, cols int, args ...arg) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("cuda: %s: bad size %d x %d", fn, rows, cols))
	}
	checkLens(fn, func() string { return fmt.Sprintf("%d rows x %d cols", rows, cols) }, args...)
	checkInt32(fn, rows*cols)
}

// SoftmaxForward writes into y [rows, cols] the softmax of each row of x,
// overwriting y; y may be x. It panics if a buffer has the wrong length.
func (be *Backend) SoftmaxForward(rows, cols int, x, y kernels.Buffer) {
	const fn = "SoftmaxForward"
	xb, yb := be.unwrap(fn, x), be.unwrap(fn, y)
	checkSoftmax(fn, rows, cols, arg{"x", xb, rows * cols, false}, arg{"y", yb, rows * cols, false})
	if rows == 0 || cols == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "softmax_forward_f32", dim3{min(rows, maxBlocks), 1, 1}, block1(cols), 0,
		ptr(xb), ptr(yb), argInt(rows), argInt(cols))
}

// SoftmaxBackward accumulates into dx [rows, cols] the gradient of
// SoftmaxForward given its output y and dy; a nil dx is skipped. It panics
// if a buffer has the wrong length.
func (be *Backend) SoftmaxBackward(rows, cols int, y, dy, dx kernels.Buffer) {
	const fn = "SoftmaxBackward"
	yb, dyb, dxb := be.unwrap(fn, y), be.unwrap(fn, dy), be.unwrap(fn, dx)
	checkSoftmax(fn, rows, cols, arg{"y", yb, rows * cols, false}, arg{"dy", dyb, rows * cols, false},
		arg{"dx", dxb, rows * cols, true})
	if rows == 0 || cols == 0 || dxb == nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launch(fn, "softmax_backward_f32", dim3{min(rows, maxBlocks), 1, 1}, block1(cols), 0,
		ptr(yb), ptr(dyb), ptr(dxb), argInt(rows), argInt(cols))
}
