//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/semgan/semgan/kernels"
)

// The products in TF32 and BF16, on the tensor-core kernels and on the
// scalar ones (forced by Backend.scalarProducts, as on a device without
// tensor cores), against a float64 reference computed here from operands
// rounded with kernels.Precision.Round. A product of two rounded operands
// is exact in float32, so the kernels differ from the reference only by the
// float32 sums: the tolerance is tolRounded times the sum of the magnitudes
// of the terms of each element.

const tolRounded = 1e-5

// paths are the two ways a TF32 or BF16 product runs, by the scalar flag
// and the kernel names the tests expect it to launch.
var paths = []struct {
	name   string
	scalar bool
	suffix string // of the kernel names: gemm<suffix>, conv_forward<suffix>, ...
}{
	{"tensor cores", false, "_tc_f32"},
	{"scalar", true, "_f32"},
}

// launched runs f on the backend under test with the scalar kernels forced
// or not, and returns the names of the kernels it launched.
func (h *harness) launched(scalar bool, f func()) []string {
	h.t.Helper()
	be := h.gpu
	be.mu.Lock()
	saved := be.profile // SEMGAN_CUDA_PROFILE=1 keeps its own
	be.scalarProducts, be.profile = scalar, map[string]*KernelTime{}
	be.mu.Unlock()
	defer func() {
		be.mu.Lock()
		be.scalarProducts, be.profile = false, saved
		be.mu.Unlock()
	}()
	f()
	if err := be.Synchronize(); err != nil {
		h.t.Fatalf("device error: %v", err)
	}
	var names []string
	for _, k := range be.Profile() {
		names = append(names, k.Kernel)
	}
	slices.Sort(names)
	return names
}

// expectKernels reports an error unless got lists exactly want.
func expectKernels(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s launched %v, want %v", what, got, want)
	}
}

// rounded returns xs rounded with prec, as float64.
func rounded(prec kernels.Precision, xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(prec.Round(x))
	}
	return out
}

// refSum is one element of a reference: the value and the sum of the
// magnitudes of its terms.
type refSum struct{ v, mag float64 }

func (s *refSum) add(x float64) { s.v += x; s.mag += math.Abs(x) }

// closeToRef reports the first mismatches of got against want (without
// stopping) and returns the largest error relative to the magnitudes.
func closeToRef(t *testing.T, name string, got []float32, want []refSum, tol float64) float64 {
	t.Helper()
	bad, worst := 0, 0.0
	for i, w := range want {
		err := math.Abs(float64(got[i]) - w.v)
		if !(err <= tol*w.mag+1e-30) { // NaN fails
			if bad++; bad <= 5 {
				t.Errorf("%s: element %d = %g, want %g (error %.3g, magnitude %.3g)", name, i, got[i], w.v, err, w.mag)
			}
		}
		if w.mag > 0 {
			worst = max(worst, err/w.mag)
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d mismatches in all", name, bad)
	}
	return worst
}

// gemmRef returns C = alpha*op(A)op(B) + beta*C0 in float64 with operands
// rounded with p.Precision (C0 is not read when beta is 0); elements of C
// outside the batch entries keep their value.
func gemmRef(p kernels.GemmParams, a, b, c0 []float32) []refSum {
	ra, rb := rounded(p.Precision, a), rounded(p.Precision, b)
	out := make([]refSum, len(c0))
	for i, v := range c0 { // the gaps between batch entries stay as they are
		out[i].add(float64(v))
	}
	for e := range p.Batch {
		for m := range p.M {
			for n := range p.N {
				var s refSum
				for k := range p.K {
					ia, ib := m*p.K+k, k*p.N+n
					if p.TransA {
						ia = k*p.M + m
					}
					if p.TransB {
						ib = n*p.K + k
					}
					s.add(float64(p.Alpha) * ra[e*p.StrideA+ia] * rb[e*p.StrideB+ib])
				}
				i := e*p.StrideC + m*p.N + n
				if p.Beta != 0 {
					s.add(float64(p.Beta) * float64(c0[i]))
				}
				out[i] = s
			}
		}
	}
	return out
}

// TestGemmPrecision checks Gemm in TF32 and BF16 on both paths, for every
// combination of transposes, against gemmRef: shapes that divide no tile,
// several tiles and k-steps, a batch with gaps between its entries and
// one B for all, alpha and beta, and K = 0.
func TestGemmPrecision(t *testing.T) {
	h := newHarness(t, 11)
	type gcase struct {
		m, n, k, batch int
		alpha, beta    float32
		strideB0       bool
	}
	cases := []gcase{
		{37, 45, 19, 1, 1, 0, false},
		{9, 70, 70, 1, -1.5, 0.5, false}, // two tiles along N; three k-steps, so both stages are reused
		{130, 20, 20, 2, 1, 1, true},     // two tiles along M (three of the scalar kernel); one B for the batch
		{3, 5, 0, 1, 1, 0.5, false},      // K = 0: C = beta*C
	}
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			for _, prec := range []kernels.Precision{kernels.TF32, kernels.BF16} {
				for _, c := range cases {
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
						p := kernels.GemmParams{TransA: tr[0], TransB: tr[1], M: c.m, N: c.n, K: c.k, Alpha: c.alpha,
							Beta: c.beta, Batch: c.batch, StrideA: c.m * c.k, StrideB: c.k * c.n, StrideC: c.m * c.n,
							Precision: prec}
						if c.strideB0 {
							p.StrideB = 0
						}
						if c.batch > 1 {
							// Gaps between the entries, which leave those after
							// the first without 16-byte alignment.
							p.StrideA, p.StrideC = p.StrideA+1, p.StrideC+3
						}
						name := fmt.Sprintf("%s gemm %dx%dx%d batch %d trans %v alpha %g beta %g strides %d %d %d",
							prec, c.m, c.n, c.k, c.batch, tr, c.alpha, c.beta, p.StrideA, p.StrideB, p.StrideC)
						av := h.values(max(1, p.ALen()))
						bv := h.values(max(1, p.BLen()))
						cv := h.values(p.CLen())
						a, b, cm := h.upload(av), h.upload(bv), h.upload(cv)
						got := h.launched(path.scalar, func() { h.gpu.Gemm(p, a.g, b.g, cm.g) })
						expectKernels(t, name, got, "gemm"+path.suffix)
						closeToRef(t, name, h.download(cm.g), gemmRef(p, av, bv, cv), tolRounded)
					}
				}
			}
		})
	}
}

// TestTensorCoresRound checks that each path of each precision rounds its
// operands: with operands whose low bits lie below the precision, the result
// is close to the rounded reference and far from the FP32 one, and FP32
// itself is close to the FP32 reference.
func TestTensorCoresRound(t *testing.T) {
	h := newHarness(t, 12)
	p := kernels.GemmParams{M: 20, N: 24, K: 64, Alpha: 1, Batch: 1, StrideA: 20 * 64, StrideB: 64 * 24, StrideC: 20 * 24}
	av, bv := h.values(p.M*p.K), h.values(p.K*p.N)
	for i := range av {
		// 1 + 3*2^-13 times a power of two rounds down to the power of two
		// in TF32 and BF16 (a relative error of 3.7e-4), and every term is
		// positive, so that the errors add up instead of cancelling.
		av[i] = (1 + 3.0/(1<<13)) * float32(int(1)<<(i%3)) / 2
	}
	for i := range bv {
		bv[i] = 0.5 + abs32(bv[i])/2
	}
	exact := gemmRef(p, av, bv, make([]float32, p.M*p.N)) // p.Precision is FP32
	a, b := h.upload(av), h.upload(bv)
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			for _, prec := range kernels.Precisions {
				p.Precision = prec
				name := prec.String()
				cm := h.nan(p.M * p.N)
				kernel := "gemm" + path.suffix
				if prec == kernels.FP32 {
					kernel = "gemm_f32" // FP32 never runs on the tensor cores
				}
				expectKernels(t, name, h.launched(path.scalar, func() { h.gpu.Gemm(p, a.g, b.g, cm.g) }), kernel)
				got := h.download(cm.g)
				worst := closeToRef(t, name+" vs its rounded reference", got, gemmRef(p, av, bv, make([]float32, p.M*p.N)), tolRounded)
				// How far from the exact product, relative to the magnitudes:
				// about 3.7e-4 from A's rounding in TF32 and BF16 (plus some
				// of B's), under 1e-6 in FP32.
				dist := 0.0
				for i, w := range exact {
					dist = max(dist, math.Abs(float64(got[i])-w.v)/w.mag)
				}
				t.Logf("%s: largest error %.2g vs rounded reference, %.2g vs exact", name, worst, dist)
				if prec == kernels.FP32 {
					if dist > tolRounded {
						t.Errorf("%s: %.3g from the exact product", name, dist)
					}
				} else if dist < 10*tolRounded {
					t.Errorf("%s: only %.3g from the exact product: operands not rounded", name, dist)
				}
			}
		})
	}
}

// convRef holds the float64 references of the three convolution passes,
// from operands rounded with the precision (the bias and its gradient are
// not rounded).
type convRef struct{ y, dx, dw, db []refSum }

func newConvRef(p kernels.ConvParams, x, w, bias, dy, dx0, dw0, db0 []float32) convRef {
	rx, rw, rdy := rounded(p.Precision, x), rounded(p.Precision, w), rounded(p.Precision, dy)
	oh, ow := p.OutH(), p.OutW()
	r := convRef{y: make([]refSum, p.YLen()), dx: make([]refSum, p.XLen()), dw: make([]refSum, p.WLen()),
		db: make([]refSum, p.OutC)}
	for i, v := range dx0 {
		r.dx[i].add(float64(v))
	}
	for i, v := range dw0 {
		r.dw[i].add(float64(v))
	}
	for i, v := range db0 {
		r.db[i].add(float64(v))
	}
	for n := range p.N {
		for o := range p.OutC {
			for i := range oh {
				for j := range ow {
					yi := ((n*p.OutC+o)*oh+i)*ow + j
					r.y[yi].add(float64(bias[o]))
					r.db[o].add(float64(dy[yi]))
					for c := range p.InC {
						for kh := range p.KH {
							for kw := range p.KW {
								ih, iw := i*p.StrideH-p.PadH+kh, j*p.StrideW-p.PadW+kw
								if ih < 0 || ih >= p.InH || iw < 0 || iw >= p.InW {
									continue
								}
								xi := ((n*p.InC+c)*p.InH+ih)*p.InW + iw
								wi := ((o*p.InC+c)*p.KH+kh)*p.KW + kw
								r.y[yi].add(rx[xi] * rw[wi])
								r.dx[xi].add(rdy[yi] * rw[wi])
								r.dw[wi].add(rx[xi] * rdy[yi])
							}
						}
					}
				}
			}
		}
	}
	return r
}

// TestConvPrecision checks the three convolution passes in TF32 and BF16 on
// both paths against newConvRef: odd sizes, strides 1, 2 and (2, 3),
// padding, kernels 1x1 to 7x7, batches of 2, and a filter gradient split
// over blocks. The bias gradient is checked too (it is never rounded).
func TestConvPrecision(t *testing.T) {
	h := newHarness(t, 13)
	cases := []kernels.ConvParams{
		{N: 2, InC: 3, InH: 9, InW: 7, OutC: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, InC: 2, InH: 11, InW: 11, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
		{N: 2, InC: 3, InH: 11, InW: 10, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, InC: 8, InH: 5, InW: 7, OutC: 33, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
		{N: 1, InC: 5, InH: 8, InW: 9, OutC: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 0, PadW: 2},
		// A long reduction for the filter gradient, split over blocks that
		// add with atomics; only the filter gradient is run, and only in
		// TF32 (the split does not depend on the precision, and the
		// emulator is slow with so many pixels).
		{N: 2, InC: 2, InH: 26, InW: 26, OutC: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1},
	}
	split := func(p kernels.ConvParams) bool { return p.N*p.OutH()*p.OutW() >= 1024 }
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			for _, prec := range []kernels.Precision{kernels.TF32, kernels.BF16} {
				for _, p := range cases {
					p.Precision = prec
					if split(p) && prec != kernels.TF32 {
						continue
					}
					name := fmt.Sprintf("%s %s", prec, p)
					xv, wv, bv, dyv := h.values(p.XLen()), h.values(p.WLen()), h.values(p.OutC), h.values(p.YLen())
					dxv, dwv, dbv := h.values(p.XLen()), h.values(p.WLen()), h.values(p.OutC)
					ref := newConvRef(p, xv, wv, bv, dyv, dxv, dwv, dbv)
					x, w, bias, dy := h.upload(xv), h.upload(wv), h.upload(bv), h.upload(dyv)
					y, dx, dw, db := h.nan(p.YLen()), h.upload(dxv), h.upload(dwv), h.upload(dbv)

					if !split(p) {
						got := h.launched(path.scalar, func() { h.gpu.ConvForward(p, x.g, w.g, bias.g, y.g) })
						expectKernels(t, "ConvForward "+name, got, "conv_forward"+path.suffix)
						closeToRef(t, "ConvForward "+name, h.download(y.g), ref.y, tolRounded)

						got = h.launched(path.scalar, func() { h.gpu.ConvBackwardData(p, dy.g, w.g, dx.g) })
						expectKernels(t, "ConvBackwardData "+name, got, "conv_backward_data"+path.suffix)
						closeToRef(t, "ConvBackwardData "+name, h.download(dx.g), ref.dx, tolRounded)
					}

					got := h.launched(path.scalar, func() { h.gpu.ConvBackwardFilter(p, x.g, dy.g, dw.g, db.g) })
					expectKernels(t, "ConvBackwardFilter "+name, got, "conv_backward_filter"+path.suffix, "conv_bias_grad_f32")
					closeToRef(t, "ConvBackwardFilter dw "+name, h.download(dw.g), ref.dw, tolRounded)
					closeToRef(t, "ConvBackwardFilter dbias "+name, h.download(db.g), ref.db, tolRounded)
				}
			}
		})
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }
