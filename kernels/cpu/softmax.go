package cpu

import (
	"fmt"
)

// checkSoftmax panics, naming fn, if a size is negative or a slice does not
// hold rows*cols elements.
func checkSoftmax(fn string, rows, cols int, args ...arg) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("cpu: %s: bad size %d x %d", fn, rows, cols))
	}
	checkLens(fn, func() string { return fmt.Sprintf("%d rows x %d cols", rows, cols) }, args...)
}

// SoftmaxForward writes into y [rows, cols] the softmax of each row of x,
// y_i = exp(x_i - max x) / sum_j exp(x_j - max x), overwriting y; the
// maximum is subtracted so that large inputs cannot overflow. y may be x.
// Rows are spread over goroutines. SoftmaxForward panics if a slice has the
// wrong length.
func SoftmaxForward(rows, cols int, x, y []float32) {
	checkSoftmax("SoftmaxForward", rows, cols, arg{"x", x, rows * cols, false}, arg{"y", y, rows * cols, false})
	if cols == 0 {
		return
	}
	parallelFor(rows, max(1, elemMinChunk/cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr := y[r*cols : (r+1)*cols]
			copy(yr, x[r*cols:(r+1)*cols])
			_, sum := expRow(yr)
			inv := float32(1 / sum)
			for i := range yr {
				yr[i] *= inv
			}
		}
	})
}

// SoftmaxBackward accumulates into dx [rows, cols] the gradient of
// SoftmaxForward given its output y and dy:
//
//	dx_i += y_i * (dy_i - sum_j y_j dy_j)
//
// SoftmaxBackward panics if a slice has the wrong length.
func SoftmaxBackward(rows, cols int, y, dy, dx []float32) {
	checkSoftmax("SoftmaxBackward", rows, cols, arg{"y", y, rows * cols, false},
		arg{"dy", dy, rows * cols, false}, arg{"dx", dx, rows * cols, true})
	if cols == 0 || dx == nil {
		return
	}
	parallelFor(rows, max(1, elemMinChunk/cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, dyr, dxr := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
			var dot float64
			for i, v := range yr {
				dot += float64(v) * float64(dyr[i])
			}
			d := float32(dot)
			for i, v := range yr {
				dxr[i] += v * (dyr[i] - d)
			}
		}
	})
}
