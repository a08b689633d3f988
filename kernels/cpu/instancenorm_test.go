package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// normRef is instance norm in float64: y, mean and rstd. gamma and beta may
// be nil.
func normRef(p kernels.NormParams, x, gamma, beta []float64) (y, mean, rstd []float64) {
	y, mean, rstd = make([]float64, len(x)), make([]float64, p.N*p.C), make([]float64, p.N*p.C)
	for pl := range p.N * p.C {
		c := pl % p.C
		xs := x[pl*p.S : (pl+1)*p.S]
		m := 0.0
		for _, v := range xs {
			m += v
		}
		m /= float64(p.S)
		va := 0.0
		for _, v := range xs {
			va += (v - m) * (v - m)
		}
		va /= float64(p.S)
		r := 1 / math.Sqrt(va+float64(p.Eps))
		mean[pl], rstd[pl] = m, r
		for i, v := range xs {
			o := (v - m) * r
			if gamma != nil {
				o *= gamma[c]
			}
			if beta != nil {
				o += beta[c]
			}
			y[pl*p.S+i] = o
		}
	}
	return y, mean, rstd
}

// numGrad returns the central-difference gradient of f at x (float64).
func numGrad(f func() float64, x []float64, h float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestInstanceNorm(t *testing.T) {
	cases := []kernels.NormParams{
		{N: 2, C: 3, S: 7, Eps: 1e-5},
		{N: 1, C: 5, S: 33, Eps: 1e-5},
		{N: 3, C: 2, S: 1, Eps: 1e-3}, // one element: y = beta
		{N: 2, C: 4, S: 130, Eps: 0.1},
	}
	for i, p := range cases {
		for _, affine := range []bool{false, true} {
			name := fmt.Sprintf("%+v affine=%v", p, affine)
			r := newRand(uint64(i))
			n := p.N * p.C * p.S
			x := randSlice(r, n)
			var gamma, beta []float32
			var g64, b64 []float64
			if affine {
				gamma, beta = randSlice(r, p.C), randSlice(r, p.C)
				g64, b64 = f64(gamma), f64(beta)
			}
			x64 := f64(x)
			wantY, wantMean, wantRstd := normRef(p, x64, g64, b64)

			y, mean, rstd := guarded(n, nil), guarded(p.N*p.C, nil), guarded(p.N*p.C, nil)
			InstanceNormForward(p, x, gamma, beta, y, mean, rstd)
			kerneltest.CloseTo(t, name+": y", y, wantY, 1e-5, 1e-5)
			kerneltest.CloseTo(t, name+": mean", mean, wantMean, 1e-6, 1e-6)
			kerneltest.CloseTo(t, name+": rstd", rstd, wantRstd, 1e-6, 1e-5)
			checkGuard(t, name+": y", y)
			checkGuard(t, name+": mean", mean)
			checkGuard(t, name+": rstd", rstd)

			// Gradients of L = <y, dy> by central differences of normRef.
			dy := randSlice(r, n)
			dy64 := f64(dy)
			loss := func() float64 { yy, _, _ := normRef(p, x64, g64, b64); return dot64(yy, dy64) }
			wantDx := numGrad(loss, x64, 1e-6)
			var wantDg, wantDb []float64
			if affine {
				wantDg, wantDb = numGrad(loss, g64, 1e-6), numGrad(loss, b64, 1e-6)
			}

			dx0, dg0, db0 := randSlice(r, n), randSlice(r, p.C), randSlice(r, p.C)
			dx, dg, db := guarded(n, dx0), guarded(p.C, dg0), guarded(p.C, db0)
			for times := 1.0; times <= 2; times++ {
				if affine {
					InstanceNormBackward(p, x, gamma, mean, rstd, dy, dx, dg, db)
					kerneltest.CloseTo(t, fmt.Sprintf("%s: dgamma x%v", name, times), dg, addF64(dg0, wantDg, times), 1e-4, 1e-4)
					kerneltest.CloseTo(t, fmt.Sprintf("%s: dbeta x%v", name, times), db, addF64(db0, wantDb, times), 1e-4, 1e-4)
				} else {
					InstanceNormBackward(p, x, nil, mean, rstd, dy, dx, nil, nil)
				}
				kerneltest.CloseTo(t, fmt.Sprintf("%s: dx x%v", name, times), dx, addF64(dx0, wantDx, times), 1e-4, 1e-4)
			}
			checkGuard(t, name+": dx", dx)
			checkGuard(t, name+": dgamma", dg)
			checkGuard(t, name+": dbeta", db)

			// dgamma and dbeta alone (nil dx).
			if affine {
				dg2, db2 := make([]float32, p.C), make([]float32, p.C)
				InstanceNormBackward(p, x, gamma, mean, rstd, dy, nil, dg2, db2)
				kerneltest.CloseTo(t, name+": dgamma alone", dg2, wantDg, 1e-4, 1e-4)
				kerneltest.CloseTo(t, name+": dbeta alone", db2, wantDb, 1e-4, 1e-4)
			}
		}
	}
}

// TestInstanceNormLargeMean checks that a mean far larger than the spread
// does not cancel the variance (a one-pass E[x^2]-E[x]^2 in float32 would).
func TestInstanceNormLargeMean(t *testing.T) {
	p := kernels.NormParams{N: 1, C: 2, S: 257, Eps: 1e-5}
	r := newRand(5)
	x := randSlice(r, p.N*p.C*p.S)
	for i := range x {
		x[i] = 1000 + 0.01*x[i]
	}
	wantY, _, wantRstd := normRef(p, f64(x), nil, nil)
	y, mean, rstd := make([]float32, len(x)), make([]float32, 2), make([]float32, 2)
	InstanceNormForward(p, x, nil, nil, y, mean, rstd)
	// x itself is only known to float32 precision near 1000 (6e-5), which
	// is 1% of the spread; the reference sees the same rounded x.
	kerneltest.CloseTo(t, "rstd", rstd, wantRstd, 0, 1e-4)
	kerneltest.CloseTo(t, "y", y, wantY, 2e-3, 1e-3)
}

func TestInstanceNormPanics(t *testing.T) {
	p := kernels.NormParams{N: 2, C: 3, S: 4, Eps: 1e-5}
	x, y, m := make([]float32, 24), make([]float32, 24), make([]float32, 6)
	require.PanicsWithValue(t, "cpu: InstanceNormForward: mean has 5 elements, want 6 for [N=2 C=3 S=4]",
		func() { InstanceNormForward(p, x, nil, nil, y, m[:5], m) })
	require.Panics(t, func() { InstanceNormForward(p, x, make([]float32, 2), nil, y, m, m) })
	require.Panics(t, func() { InstanceNormBackward(p, x, nil, m, m, y[1:], x, nil, nil) })
	require.Panics(t, func() { InstanceNormForward(kernels.NormParams{N: 2, C: 3, S: 0}, nil, nil, nil, nil, m, m) })
}

func BenchmarkInstanceNorm(b *testing.B) {
	p := kernels.NormParams{N: 1, C: 64, S: 64 * 64, Eps: 1e-5}
	r := newRand(1)
	n := p.N * p.C * p.S
	x, dy := randSlice(r, n), randSlice(r, n)
	y, dx := make([]float32, n), make([]float32, n)
	mean, rstd := make([]float32, p.N*p.C), make([]float32, p.N*p.C)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			InstanceNormForward(p, x, nil, nil, y, mean, rstd)
		}
		b.ReportMetric(8*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			InstanceNormBackward(p, x, nil, mean, rstd, dy, dx, nil, nil)
		}
		b.ReportMetric(12*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}

// TestInstanceNormPlanePasses checks each plane pass (the assembly kernel
// on the blocks of 16 where the CPU has one, Go on the rest) against a
// plain float64 loop, on lengths with and without a tail.
func TestInstanceNormPlanePasses(t *testing.T) {
	t.Logf("assembly plane kernels: %v", sum64Kernel != nil)
	r := newRand(3)
	for _, n := range []int{5, 16, 48, 4096 + 7} {
		x, dy, dx := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range x {
			x[i] += 3 // a mean for the passes to take off
		}
		const mu, a, b, c = 3.1, 0.7, -1.3, 2.1
		var sum, sumSq, sumDy, sumDyDev float64
		wantY, wantDx := make([]float64, n), make([]float64, n)
		for i, v := range x {
			d := float64(v) - mu
			sum += float64(v)
			sumSq += d * d
			sumDy += float64(dy[i])
			sumDyDev += float64(dy[i]) * d
			wantY[i] = float64(v)*a + c
			wantDx[i] = float64(dx[i]) + a*float64(dy[i]) + b*float64(v) + c
		}
		name := fmt.Sprintf("n=%d", n)
		assert.InEpsilon(t, sum, sum64(x), 1e-12, name+": sum64")
		assert.InEpsilon(t, sumSq, sumSqDev64(x, mu), 1e-12, name+": sumSqDev64")
		sd, sdx := sumDyDyDev64(x, dy, mu)
		assert.InEpsilon(t, sumDy, sd, 1e-12, name+": sumDyDyDev64 dy")
		assert.InEpsilon(t, sumDyDev, sdx, 1e-12, name+": sumDyDyDev64 dy*(x-mu)")
		y := make([]float32, n)
		affine64(x, y, a, c)
		kerneltest.CloseTo(t, name+": affine64", y, wantY, 0, 1e-7)
		affine2Acc64(dy, x, dx, a, b, c)
		kerneltest.CloseTo(t, name+": affine2Acc64", dx, wantDx, 1e-6, 1e-6)
	}
}
