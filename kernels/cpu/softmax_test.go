package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

func softmaxRef(rows, cols int, x []float32) []float64 {
	y := make([]float64, len(x))
	for r := range rows {
		mx := math.Inf(-1)
		for _, v := range x[r*cols : (r+1)*cols] {
			mx = max(mx, float64(v))
		}
		sum := 0.0
		for i, v := range x[r*cols : (r+1)*cols] {
			y[r*cols+i] = math.Exp(float64(v) - mx)
			sum += y[r*cols+i]
		}
		for i := range cols {
			y[r*cols+i] /= sum
		}
	}
	return y
}

func TestSoftmax(t *testing.T) {
	for i, rc := range [][3]int{{1, 1, 1}, {3, 7, 1}, {17, 33, 5}, {2, 1000, 1}, {5, 3, 200}, {1500, 29, 2}} {
		rows, cols, mag := rc[0], rc[1], float32(rc[2])
		name := fmt.Sprintf("%dx%d mag %v", rows, cols, mag)
		r := newRand(uint64(i))
		x := randSlice(r, rows*cols)
		for j := range x {
			x[j] *= mag // up to 200: exp without the max subtracted overflows
		}
		y := guarded(rows*cols, randSlice(r, rows*cols))
		SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, x, y)
		want := softmaxRef(rows, cols, x)
		kerneltest.CloseTo(t, name+": y", y, want, 1e-6, 1e-5)
		checkGuard(t, name+": y", y)
		checkNoDenormals(t, name+": y", y)

		// In place.
		z := append([]float32(nil), x...)
		SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, z, z)
		kerneltest.CloseTo(t, name+": in place", z, want, 1e-6, 1e-5)

		// Backward: dx += y*(dy - <y, dy>), twice.
		dy := randSlice(r, rows*cols)
		ref := make([]float64, len(dy))
		for rr := range rows {
			d := 0.0
			for j := range cols {
				d += want[rr*cols+j] * float64(dy[rr*cols+j])
			}
			for j := range cols {
				ref[rr*cols+j] = want[rr*cols+j] * (float64(dy[rr*cols+j]) - d)
			}
		}
		dx0 := randSlice(r, len(dy))
		dx := guarded(len(dy), dx0)
		for times := 1.0; times <= 2; times++ {
			SoftmaxBackward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, y, dy, dx)
			kerneltest.CloseTo(t, fmt.Sprintf("%s: dx x%v", name, times), dx, addF64(dx0, ref, times), 1e-6, 1e-5)
		}
		checkGuard(t, name+": dx", dx)
		SoftmaxBackward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, y, dy, nil)
	}
}

func TestSoftmaxPanics(t *testing.T) {
	require.PanicsWithValue(t, "cpu: SoftmaxForward: y has 5 elements, want 6 for 2 rows x 3 cols",
		func() {
			SoftmaxForward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, make([]float32, 6), make([]float32, 5))
		})
	require.Panics(t, func() {
		SoftmaxBackward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, make([]float32, 6), make([]float32, 5), nil)
	})
	require.Panics(t, func() { SoftmaxForward(kernels.SoftmaxParams{Rows: -1, Cols: 3}, nil, nil) })
	SoftmaxForward(kernels.SoftmaxParams{Rows: 0, Cols: 3}, nil, nil)
}

func BenchmarkSoftmax(b *testing.B) {
	rows, cols := 1024, 1024
	r := newRand(1)
	x, dy := randSlice(r, rows*cols), randSlice(r, rows*cols)
	y, dx := make([]float32, rows*cols), make([]float32, rows*cols)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, x, y)
		}
		b.ReportMetric(8*float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SoftmaxBackward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, y, dy, dx)
		}
		b.ReportMetric(16*float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}
