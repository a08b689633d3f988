package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/semgan/semgan/kernels/internal/naive"
)

// The products in TF32 and BF16. For GEMM and convolution, rounding the
// operands is all a precision changes, and a product of two rounded
// operands is exact in float32 (11+11 or 8+8 significant bits), so a
// kernel in precision p on (a, b) must agree with the float64 reference on
// (p.Round(a), p.Round(b)) as closely as an FP32 kernel agrees with it on
// (a, b): only the order of the float32 sums differs. Every test also
// checks that its operands are ones whose rounding moves the reference
// farther than that tolerance, so that a kernel ignoring the precision
// would fail it.

// rounded returns a copy of x rounded with p.Round.
func rounded(p kernels.Precision, x []float32) []float32 {
	r := append([]float32(nil), x...)
	p.RoundSlice(r)
	return r
}

// requireApart fails the test unless some element of exact (the reference
// on unrounded operands) lies farther than atol + rtol*|want| from want:
// the operands are ones on which a kernel that ignored the precision would
// fail the comparison with want.
func requireApart(t *testing.T, name string, exact, want []float64, atol, rtol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(exact[i]-want[i]) > atol+rtol*math.Abs(want[i]) {
			return
		}
	}
	t.Errorf("%s: rounding the operands changes no element by more than the tolerance: the test could not fail", name)
}

// lowPrecisions are the precisions that round.
var lowPrecisions = []kernels.Precision{kernels.TF32, kernels.BF16}

func TestGemmPrecision(t *testing.T) {
	shapes := []kernels.GemmParams{
		{M: 3, N: 37, K: 29},                // fewer rows than a tile: gemmSmallM
		{M: 23, N: 41, K: 31, TransA: true}, // packed, partial tiles
		{M: 13, N: 70, K: 9, TransB: true},  // packed, B transposed
		{M: 2, N: 19, K: 66, TransB: true},  // small, dot products
		{M: 30, N: 67, K: packKC + 5},       // two blocks of k
		{M: 25, N: 33, K: 17, TransA: true, TransB: true},
	}
	onEveryGemmPath(t, func(t *testing.T) {
		for _, prec := range lowPrecisions {
			for i, p := range shapes {
				// alpha 0.7 is not a power of 2: the operands must be
				// rounded before it is applied.
				p.Alpha, p.Beta, p.Batch, p.Precision = 0.7, 0.5, 1, prec
				r := newRand(uint64(i))
				a, b, c := randSlice(r, p.ALen()), randSlice(r, p.BLen()), randSlice(r, p.CLen())
				want := gemmRef(p, rounded(prec, a), rounded(prec, b), c)
				got := append([]float32(nil), c...)
				Gemm(p, a, b, got)
				name := fmt.Sprintf("%v %+v", prec, p)
				atol, rtol := 1e-5, 1e-5*float64(p.K+1)
				kerneltest.CloseTo(t, name, got, want, atol, rtol)
				requireApart(t, name, gemmRef(p, a, b, c), want, atol, rtol)
			}
		}
	})
}

func TestConvPrecision(t *testing.T) {
	onEveryGemmPath(t, func(t *testing.T) {
		for _, prec := range lowPrecisions {
			for i, p := range convCases {
				p.Precision = prec
				t.Run(fmt.Sprintf("%v/%s", prec, convName(p)), func(t *testing.T) { testConvPrecision(t, p, uint64(i)) })
			}
		}
	})
}

// testConvPrecision checks the three passes of p (which rounds) against
// the references on rounded operands; the bias gradient is exact.
func testConvPrecision(t *testing.T, p kernels.ConvParams, seed uint64) {
	r := newRand(seed)
	x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC), randSlice(r, p.YLen())
	rx, rw, rdy := rounded(p.Precision, x), rounded(p.Precision, w), rounded(p.Precision, dy)
	// Each output is a float32 sum of n terms of magnitude below 1, whose
	// rounding errors add up to about 1e-7*sqrt(n) times the partial sums:
	// 1e-5*sqrt(n) leaves a wide margin, and stays below what rounding the
	// operands changes (requireApart).
	tolOf := func(n int) float64 { return 1e-5 * math.Sqrt(float64(n)) }
	tol := tolOf(p.InC * p.KH * p.KW)

	y := make([]float32, p.YLen())
	ConvForward(p, x, w, bias, y)
	want := convRef(p, rx, rw, bias)
	kerneltest.CloseTo(t, "y", y, want, tol, 1e-5)
	requireApart(t, "y", convRef(p, x, w, bias), want, tol, 1e-5)

	dx, dw, db := make([]float32, p.XLen()), make([]float32, p.WLen()), make([]float32, p.OutC)
	ConvBackwardData(p, dy, w, dx)
	ConvBackwardFilter(p, x, dy, dw, db)
	wantDx, wantDw, _ := convBackwardRef(p, rx, rw, rdy)
	exactDx, exactDw, wantDb := convBackwardRef(p, x, w, dy)
	dxTol, dwTol := tolOf(p.OutC*p.KH*p.KW), tolOf(p.N*p.OutH()*p.OutW())
	kerneltest.CloseTo(t, "dx", dx, wantDx, dxTol, 1e-5)
	kerneltest.CloseTo(t, "dw", dw, wantDw, dwTol, 1e-5)
	kerneltest.CloseTo(t, "dbias", db, wantDb, dwTol, 1e-5)
	requireApart(t, "dx", exactDx, wantDx, dxTol, 1e-5)
	requireApart(t, "dw", exactDw, wantDw, dwTol, 1e-5)
}

// TestAttentionPrecision checks attention in TF32 and BF16 against the
// naive reference, which rounds the same operands but its weights P after
// normalising them where the kernel rounds exp(S - m) before: the outputs
// may differ by 2 units of the precision's rounding (u, 2^-11 for TF32 and
// 2^-8 for BF16) times sum_i p_i |v_i| <= 1. The gradients are checked
// against the FP32 formulas on rounded operands with a tolerance of a few
// u: they round P and dS, which the formulas do not.
func TestAttentionPrecision(t *testing.T) {
	for _, prec := range lowPrecisions {
		u := map[kernels.Precision]float64{kernels.TF32: 0x1p-11, kernels.BF16: 0x1p-8}[prec]
		for ci, c := range attnCases[:5] {
			p := c.p
			p.Precision = prec
			t.Run(fmt.Sprintf("%v/%s", prec, attnName(c)), func(t *testing.T) {
				r := newRand(uint64(ci))
				q, k, v := randSlice(r, p.QLen()), randSlice(r, p.KLen()), randSlice(r, p.VLen())
				do := randSlice(r, p.OLen())
				o, lse := make([]float32, p.OLen()), make([]float32, p.LSELen())
				AttentionForward(p, q, k, v, o, lse)
				wantO, wantLse := naive.Attention(p, f64(q), f64(k), f64(v))
				kerneltest.CloseTo(t, "o", o, wantO, 2*u, 1e-5)
				// lse is float32 arithmetic on exact products: 2e-6 is
				// ten times the float32 noise seen, and less than
				// rounding q and k moves it.
				kerneltest.CloseTo(t, "lse", lse, wantLse, 2e-6, 2e-6)
				p32 := p
				p32.Precision = kernels.FP32
				_, exactLse := naive.Attention(p32, f64(q), f64(k), f64(v))
				requireApart(t, "lse", exactLse, wantLse, 2e-6, 2e-6)

				dq, dk, dv := make([]float32, p.QLen()), make([]float32, p.KLen()), make([]float32, p.VLen())
				AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
				rq, rk, rv, rdo := f64(rounded(prec, q)), f64(rounded(prec, k)), f64(rounded(prec, v)), f64(rounded(prec, do))
				wantDq, wantDk, wantDv := attnBackwardRef(p, rq, rk, rv, rdo)
				gtol := 8 * u
				kerneltest.CloseTo(t, "dq", dq, wantDq, gtol, gtol)
				kerneltest.CloseTo(t, "dk", dk, wantDk, gtol, gtol)
				kerneltest.CloseTo(t, "dv", dv, wantDv, gtol, gtol)
			})
		}
	}
}

// TestAttentionRoundsWeights shows that the weights P are rounded as an
// operand of O = V P: with v = 1 everywhere, exact weights give o = 1 (they
// sum to 1) to float32 accuracy, while rounded ones sum to 1 only up to
// their rounding (here up to about 0.2 u). A kernel that left P unrounded
// would fail here, where the comparison with the reference's 2u tolerance
// could not tell.
func TestAttentionRoundsWeights(t *testing.T) {
	p := kernels.AttentionParams{Batch: 2, Dk: 8, Dv: 3, Nq: 130, Nk: 67, Scale: 0.3535}
	r := newRand(7)
	q, k := randSlice(r, p.QLen()), randSlice(r, p.KLen())
	v := make([]float32, p.VLen())
	for i := range v {
		v[i] = 1
	}
	for _, prec := range kernels.Precisions {
		p.Precision = prec
		o, lse := make([]float32, p.OLen()), make([]float32, p.LSELen())
		AttentionForward(p, q, k, v, o, lse)
		dev := 0.0
		for _, x := range o {
			dev = max(dev, math.Abs(float64(x)-1))
		}
		u := map[kernels.Precision]float64{kernels.FP32: 0, kernels.TF32: 0x1p-11, kernels.BF16: 0x1p-8}[prec]
		switch {
		case prec == kernels.FP32 && dev > 1e-6:
			t.Errorf("fp32: o deviates from 1 by %.3g", dev)
		case prec != kernels.FP32 && dev < 0.01*u:
			t.Errorf("%v: o deviates from 1 by only %.3g: the weights were not rounded", prec, dev)
		}
		t.Logf("%v: max |o - 1| = %.3g", prec, dev)
	}
}
