package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

var reduceOps = []kernels.ReduceOp{kernels.Sum, kernels.Mean, kernels.MeanAbsDiff, kernels.MeanSquaredDiff}

func reduceRef(op kernels.ReduceOp, a, b []float32) float64 {
	s := 0.0
	for i, v := range a {
		switch op {
		case kernels.Sum, kernels.Mean:
			s += float64(v)
		case kernels.MeanAbsDiff:
			s += math.Abs(float64(v) - float64(b[i]))
		case kernels.MeanSquaredDiff:
			d := float64(v) - float64(b[i])
			s += d * d
		}
	}
	if op != kernels.Sum {
		s /= float64(len(a))
	}
	return s
}

func TestReduce(t *testing.T) {
	for _, n := range []int{1, 7, reduceBlock - 1, reduceBlock + 1, 100003} {
		for _, op := range reduceOps {
			name := fmt.Sprintf("%v n=%d", op, n)
			r := newRand(uint64(n))
			a, b := randSlice(r, n), randSlice(r, n)
			b[0] = a[0] // a zero difference
			for i := range a {
				a[i] += 0.25 // a sum that is not near 0
			}
			b[0] = a[0]
			out := guarded(1, []float32{float32(math.NaN())})
			bb := b
			if op == kernels.Sum || op == kernels.Mean {
				bb = nil
			}
			Reduce(op, a, bb, out)
			want := reduceRef(op, a, b)
			kerneltest.CloseTo(t, name, out, []float64{want}, 0, 1e-6)
			checkGuard(t, name+": out", out)

			// Gradients with upstream g, twice.
			g := float32(-1.5)
			da0, db0 := randSlice(r, n), randSlice(r, n)
			da, db := guarded(n, da0), guarded(n, db0)
			if bb == nil {
				db = nil
			}
			wantDa, wantDb := make([]float64, n), make([]float64, n)
			for i := range n {
				d := float64(a[i]) - float64(b[i])
				switch op {
				case kernels.Sum:
					wantDa[i] = float64(g)
				case kernels.Mean:
					wantDa[i] = float64(g) / float64(n)
				case kernels.MeanAbsDiff:
					sign := 0.0
					if d > 0 {
						sign = 1
					} else if d < 0 {
						sign = -1
					}
					wantDa[i] = float64(g) / float64(n) * sign
				case kernels.MeanSquaredDiff:
					wantDa[i] = float64(g) * 2 * d / float64(n)
				}
				wantDb[i] = -wantDa[i]
			}
			for times := 1.0; times <= 2; times++ {
				ReduceBackward(op, a, bb, []float32{g}, da, db)
				kerneltest.CloseTo(t, fmt.Sprintf("%s: da x%v", name, times), da, addF64(da0, wantDa, times), 1e-7, 1e-5)
				if db != nil {
					kerneltest.CloseTo(t, fmt.Sprintf("%s: db x%v", name, times), db, addF64(db0, wantDb, times), 1e-7, 1e-5)
				}
			}
			checkGuard(t, name+": da", da)
			checkGuard(t, name+": db", db)
			if op == kernels.MeanAbsDiff {
				require.Equal(t, da0[0], da[0], "sign(0) must be 0")
			}
			// Only db.
			if bb != nil {
				db2 := make([]float32, n)
				ReduceBackward(op, a, bb, []float32{g}, nil, db2)
				kerneltest.CloseTo(t, name+": db alone", db2, wantDb, 1e-7, 1e-5)
			}
		}
	}
}

func TestReduceFloat64Accumulation(t *testing.T) {
	// 2^24 + many ones: a float32 running sum would stop at 2^24.
	a := make([]float32, 1<<17)
	for i := range a {
		a[i] = 1
	}
	a[0] = 1 << 24
	out := make([]float32, 1)
	Reduce(kernels.Sum, a, nil, out)
	require.Equal(t, float32(1<<24+1<<17-1), out[0])
}

func TestReducePanics(t *testing.T) {
	a := make([]float32, 4)
	require.PanicsWithValue(t, "cpu: Reduce: b has 3 elements, want 4 for mean_abs_diff",
		func() { Reduce(kernels.MeanAbsDiff, a, a[:3], a[:1]) })
	require.Panics(t, func() { Reduce(kernels.Sum, a, nil, a[:2]) })
	require.Panics(t, func() { Reduce(kernels.ReduceOp(9), a, nil, a[:1]) })
	require.Panics(t, func() { ReduceBackward(kernels.Sum, a, nil, a[:1], a, a) })
	require.Panics(t, func() { ReduceBackward(kernels.MeanSquaredDiff, a, a, a[:2], a, nil) })
}

func BenchmarkReduce(b *testing.B) {
	n := 1 << 20
	r := newRand(1)
	x, y, out := randSlice(r, n), randSlice(r, n), make([]float32, 1)
	for _, op := range []kernels.ReduceOp{kernels.Sum, kernels.MeanAbsDiff} {
		b.Run(op.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Reduce(op, x, y, out)
			}
			bytes := 4 * float64(n)
			if op != kernels.Sum {
				bytes *= 2
			}
			b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
