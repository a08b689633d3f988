package cpu

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

// attnRef materialises the Nq x Nk weights in float64 and returns o, lse
// and the weights P [Batch][Nq*Nk].
func attnRef(p kernels.AttentionParams, q, k, v []float64) (o, lse []float64, P [][]float64) {
	o, lse = make([]float64, p.Batch*p.Dv*p.Nq), make([]float64, p.Batch*p.Nq)
	for b := range p.Batch {
		pb := make([]float64, p.Nq*p.Nk)
		for j := range p.Nq {
			s := pb[j*p.Nk : (j+1)*p.Nk]
			mx := math.Inf(-1)
			for i := range p.Nk {
				for d := range p.Dk {
					s[i] += q[(b*p.Dk+d)*p.Nq+j] * k[(b*p.Dk+d)*p.Nk+i]
				}
				s[i] *= float64(p.Scale)
				mx = max(mx, s[i])
			}
			sum := 0.0
			for i := range s {
				s[i] = math.Exp(s[i] - mx)
				sum += s[i]
			}
			for i := range s {
				s[i] /= sum
			}
			lse[b*p.Nq+j] = mx + math.Log(sum)
			for c := range p.Dv {
				for i := range p.Nk {
					o[(b*p.Dv+c)*p.Nq+j] += s[i] * v[(b*p.Dv+c)*p.Nk+i]
				}
			}
		}
		P = append(P, pb)
	}
	return o, lse, P
}

// attnBackwardRef applies the backward formulas directly to the
// materialised weights.
func attnBackwardRef(p kernels.AttentionParams, q, k, v, do []float64) (dq, dk, dv []float64) {
	_, _, P := attnRef(p, q, k, v)
	dq, dk, dv = make([]float64, len(q)), make([]float64, len(k)), make([]float64, len(v))
	sc := float64(p.Scale)
	for b := range p.Batch {
		for j := range p.Nq {
			pj := P[b][j*p.Nk : (j+1)*p.Nk]
			dp := make([]float64, p.Nk)
			D := 0.0
			for i := range p.Nk {
				for c := range p.Dv {
					dp[i] += do[(b*p.Dv+c)*p.Nq+j] * v[(b*p.Dv+c)*p.Nk+i]
				}
				D += pj[i] * dp[i]
			}
			for i := range p.Nk {
				ds := pj[i] * (dp[i] - D)
				for d := range p.Dk {
					dq[(b*p.Dk+d)*p.Nq+j] += sc * ds * k[(b*p.Dk+d)*p.Nk+i]
					dk[(b*p.Dk+d)*p.Nk+i] += sc * ds * q[(b*p.Dk+d)*p.Nq+j]
				}
				for c := range p.Dv {
					dv[(b*p.Dv+c)*p.Nk+i] += pj[i] * do[(b*p.Dv+c)*p.Nq+j]
				}
			}
		}
	}
	return dq, dk, dv
}

type attnCase struct {
	p   kernels.AttentionParams
	mag float32 // q and k are uniform in [-mag, mag)
	fd  bool    // small enough for finite differences
}

var attnCases = []attnCase{
	{kernels.AttentionParams{Batch: 2, Dk: 3, Dv: 5, Nq: 7, Nk: 11, Scale: 0.7}, 1, true},
	{kernels.AttentionParams{Batch: 1, Dk: 4, Dv: 2, Nq: 13, Nk: 6, Scale: 1}, 1, true},
	{kernels.AttentionParams{Batch: 1, Dk: 4, Dv: 4, Nq: 37, Nk: 29, Scale: 1}, 1, false},
	{kernels.AttentionParams{Batch: 3, Dk: 2, Dv: 3, Nq: 70, Nk: 5, Scale: 0.35}, 1, false},
	{kernels.AttentionParams{Batch: 2, Dk: 8, Dv: 17, Nq: 130, Nk: 67, Scale: 0.3535}, 1, false},
	{kernels.AttentionParams{Batch: 1, Dk: 1, Dv: 1, Nq: 1, Nk: 1, Scale: 1}, 1, true},
	// Scores in the hundreds: exp without the max subtracted overflows.
	{kernels.AttentionParams{Batch: 2, Dk: 4, Dv: 3, Nq: 9, Nk: 12, Scale: 1}, 12, false},
}

func attnName(c attnCase) string {
	p := c.p
	return fmt.Sprintf("B%d Dk%d Dv%d Nq%d Nk%d scale%g mag%g", p.Batch, p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, c.mag)
}

func TestAttention(t *testing.T) {
	for ci, c := range attnCases {
		for _, procs := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/procs=%d", attnName(c), procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				testAttention(t, c, uint64(ci))
			})
		}
	}
}

// TestAttentionSmallTiles forces tiles of a few queries and keys, so that
// every case walks several key tiles: the online softmax rescales earlier
// tiles whenever a later one holds a larger score, which the case with
// keys sorted by growing score forces on every tile.
func TestAttentionSmallTiles(t *testing.T) {
	oldQ, oldK := attnQueries, attnKeys
	t.Cleanup(func() { attnQueries, attnKeys = oldQ, oldK })
	cases := append([]attnCase{
		// Growing scores along the keys (see testAttention's sorted flag).
		{kernels.AttentionParams{Batch: 1, Dk: 1, Dv: 3, Nq: 5, Nk: 23, Scale: 1}, 20, false},
	}, attnCases...)
	for _, tiles := range [][2]int{{3, 4}, {1, 1}, {8, 5}} {
		attnQueries, attnKeys = tiles[0], tiles[1]
		for ci, c := range cases {
			t.Run(fmt.Sprintf("tiles=%dx%d/%s", tiles[0], tiles[1], attnName(c)), func(t *testing.T) {
				testAttention(t, c, uint64(300+ci))
			})
		}
	}
}

func testAttention(t *testing.T, c attnCase, seed uint64) {
	p := c.p
	r := newRand(seed)
	qLen, kLen, vLen, oLen := p.Batch*p.Dk*p.Nq, p.Batch*p.Dk*p.Nk, p.Batch*p.Dv*p.Nk, p.Batch*p.Dv*p.Nq
	q, k, v := randSlice(r, qLen), randSlice(r, kLen), randSlice(r, vLen)
	if p.Dk == 1 && p.Batch == 1 {
		// One key dimension: positive queries and keys growing along
		// the sequence make every later key score higher.
		for i := range q {
			q[i] = 0.5 + abs32(q[i])
		}
		for i := range k {
			k[i] = float32(i) / float32(len(k))
		}
	}
	for i := range q {
		q[i] *= c.mag
	}
	for i := range k {
		k[i] *= c.mag
	}
	q64, k64, v64 := f64(q), f64(k), f64(v)
	wantO, wantLse, _ := attnRef(p, q64, k64, v64)
	o, lse := guarded(oLen, randSlice(r, oLen)), guarded(p.Batch*p.Nq, nil)
	AttentionForward(p, q, k, v, o, lse)
	// Scores of magnitude m carry float32 rounding of about m*1e-7 into
	// the weights.
	tol := 2e-6 * float64(c.mag*c.mag) * float64(p.Dk)
	kerneltest.CloseTo(t, "o", o, wantO, 1e-5+tol, 1e-5)
	kerneltest.CloseTo(t, "lse", lse, wantLse, 1e-5, 1e-5+tol)
	checkGuard(t, "o", o)
	checkGuard(t, "lse", lse)

	do := randSlice(r, oLen)
	do64 := f64(do)
	wantDq, wantDk, wantDv := attnBackwardRef(p, q64, k64, v64, do64)
	if c.fd {
		// The direct formulas against central differences of attnRef.
		loss := func() float64 { oo, _, _ := attnRef(p, q64, k64, v64); return dot64(oo, do64) }
		for _, g := range []struct {
			name      string
			x, direct []float64
		}{{"dq", q64, wantDq}, {"dk", k64, wantDk}, {"dv", v64, wantDv}} {
			num := numGrad(loss, g.x, 1e-6)
			for i := range num {
				require.InDelta(t, num[i], g.direct[i], 1e-7, "%s[%d]: formula vs finite differences", g.name, i)
			}
		}
	}
	dq0, dk0, dv0 := randSlice(r, qLen), randSlice(r, kLen), randSlice(r, vLen)
	dq, dk, dv := guarded(qLen, dq0), guarded(kLen, dk0), guarded(vLen, dv0)
	gtol := 1e-5 + tol*float64(c.mag)
	for times := 1.0; times <= 2; times++ {
		AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
		kerneltest.CloseTo(t, fmt.Sprintf("dq x%v", times), dq, addF64(dq0, wantDq, times), gtol, 1e-4)
		kerneltest.CloseTo(t, fmt.Sprintf("dk x%v", times), dk, addF64(dk0, wantDk, times), gtol, 1e-4)
		kerneltest.CloseTo(t, fmt.Sprintf("dv x%v", times), dv, addF64(dv0, wantDv, times), gtol, 1e-4)
	}
	checkGuard(t, "dq", dq)
	checkGuard(t, "dk", dk)
	checkGuard(t, "dv", dv)
	// Each gradient alone.
	for which := range 3 {
		gs := [3][]float32{}
		gs[which] = make([]float32, [3]int{qLen, kLen, vLen}[which])
		AttentionBackward(p, q, k, v, o, lse, do, gs[0], gs[1], gs[2])
		kerneltest.CloseTo(t, fmt.Sprintf("gradient %d alone", which), gs[which], [3][]float64{wantDq, wantDk, wantDv}[which], gtol, 1e-4)
	}
}

func TestAttentionPanics(t *testing.T) {
	p := kernels.AttentionParams{Batch: 1, Dk: 2, Dv: 3, Nq: 4, Nk: 5, Scale: 1}
	q, k, v, o, lse := make([]float32, 8), make([]float32, 10), make([]float32, 15), make([]float32, 12), make([]float32, 4)
	require.PanicsWithValue(t, "cpu: AttentionForward: v has 14 elements, want 15 for [Batch=1 Dk=2 Dv=3 Nq=4 Nk=5]",
		func() { AttentionForward(p, q, k, v[:14], o, lse) })
	require.Panics(t, func() { AttentionBackward(p, q, k, v, o, lse, o, q, k, v[1:]) })
	bad := p
	bad.Nk = 0
	require.Panics(t, func() { AttentionForward(bad, q, nil, nil, o, lse) })
}

// BenchmarkAttention times the attention of a SAGAN block on a 32x32
// feature map with 64 channels (Dk = C/8).
func BenchmarkAttention(b *testing.B) {
	p := kernels.AttentionParams{Batch: 1, Dk: 8, Dv: 64, Nq: 1024, Nk: 1024, Scale: 1}
	r := newRand(1)
	q, k, v := randSlice(r, p.Dk*p.Nq), randSlice(r, p.Dk*p.Nk), randSlice(r, p.Dv*p.Nk)
	o, lse, do := make([]float32, p.Dv*p.Nq), make([]float32, p.Nq), randSlice(r, p.Dv*p.Nq)
	dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
	// Multiply-adds per query and key: forward Dk+Dv, backward 3Dk+2Dv.
	pairs := float64(p.Batch * p.Nq * p.Nk)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AttentionForward(p, q, k, v, o, lse)
		}
		b.ReportMetric(2*pairs*float64(p.Dk+p.Dv)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
		}
		b.ReportMetric(2*pairs*float64(3*p.Dk+2*p.Dv)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// TestExp32 checks the polynomial exponential against math.Exp over the
// range that matters, the flush below expFlush and the clamp above.
func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 88; x += 0.00731 {
		got, want := float64(exp32(x)), math.Exp(float64(x))
		worst = max(worst, math.Abs(got-want)/want)
	}
	require.Less(t, worst, 3e-7, "largest relative error of exp32")
	require.Zero(t, exp32(-87.01))
	require.Zero(t, exp32(float32(math.Inf(-1))))
	require.False(t, math.IsInf(float64(exp32(100)), 0), "exp32(100) is clamped, not Inf")
}

// TestExpShiftPaths compares expShift, on the Go path and on every
// assembly kernel the CPU runs, with exp32 on lengths around multiples of 8
// and 16, with arguments on both sides of the flush.
func TestExpShiftPaths(t *testing.T) {
	paths := map[string]func(x *float32, n int, shift float32) float64{"go": nil}
	for isa, k := range asmExpShiftKernels() {
		paths[isa] = k
	}
	saved := expShiftKernel
	defer func() { expShiftKernel = saved }()
	for name, kernel := range paths {
		expShiftKernel = kernel
		r := newRand(5)
		for c := range 100 {
			// Wide arguments about [-120, 80] cross the flush; narrow ones
			// about [-8, 4] keep the sum small enough to show a stray lane.
			n, scale, offset := c/2, float32(100), float32(-20)
			if c%2 == 1 {
				scale, offset = 6, -2
			}
			x := randSlice(r, n)
			for i := range x {
				x[i] = x[i]*scale + offset
			}
			got := guarded(n, x)
			sum := expShift(got, 3)
			var wantSum float64
			for i, v := range x {
				e := exp32(v - 3)
				wantSum += float64(e)
				require.InDelta(t, e, got[i], 2e-7*float64(e), "%s n=%d i=%d x=%g", name, n, i, v)
				if v-3 < expFlush {
					require.Zero(t, got[i], "%s n=%d i=%d flushed", name, n, i)
				}
			}
			require.InDelta(t, wantSum, sum, 1e-6*wantSum+1e-30, "%s n=%d sum", name, n)
			checkGuard(t, fmt.Sprintf("%s n=%d", name, n), got)
		}
	}
}

func abs32(v float32) float32 { return max(v, -v) }

// TestScoreGradKernelMatchesGo checks that scoreGrad gives the Go loop's
// bits, kernel or not, on lengths with and without a tail.
func TestScoreGradKernelMatchesGo(t *testing.T) {
	r := newRand(8)
	for _, n := range []int{7, 16, 53} {
		p, dp := randSlice(r, n), randSlice(r, n)
		got := append([]float32(nil), dp...)
		scoreGrad(p, got, 0.3)
		for i := range p {
			if want := p[i] * (dp[i] - 0.3); got[i] != want {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, got[i], want)
			}
		}
	}
}
