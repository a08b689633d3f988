package cpu

import "github.com/semgan/semgan/kernels"

// SoftmaxForward writes into y [p.Rows, p.Cols] the softmax of each row of x,
// y_i = exp(x_i - max x) / sum_j exp(x_j - max x), overwriting y; the
// maximum is subtracted so that large inputs cannot overflow. y may be x.
// Rows are spread over goroutines. SoftmaxForward panics if a slice has the
// wrong length.
func SoftmaxForward(p kernels.SoftmaxParams, x, y []float32) {
	must("SoftmaxForward", p.CheckForward(ln(x), ln(y)))
	rows, cols := p.Rows, p.Cols
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

// SoftmaxBackward accumulates into dx [p.Rows, p.Cols] the gradient of
// SoftmaxForward given its output y and dy:
//
//	dx_i += y_i * (dy_i - sum_j y_j dy_j)
//
// SoftmaxBackward panics if a slice has the wrong length.
func SoftmaxBackward(p kernels.SoftmaxParams, y, dy, dx []float32) {
	must("SoftmaxBackward", p.CheckBackward(ln(y), ln(dy), ln(dx)))
	rows, cols := p.Rows, p.Cols
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

// expRow replaces row by exp(row - max(row)) and returns the maximum and the
// sum of the exponentials (in float64).
func expRow(row []float32) (mx float32, sum float64) {
	mx = maxOf(row)
	return mx, expShift(row, mx)
}
