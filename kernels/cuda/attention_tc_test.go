//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
)

// The attention kernels in TF32 and BF16, on tensor cores and on the
// fallback path (the FP32 kernels rounding their operands), against a
// float64 reference that rounds the same operands with kernels.Precision.Round.
//
// Tolerances. The reference and the kernels round q, k, v and do
// identically, so those roundings cause no difference; what differs is
//
//   - the order and precision of the sums (float32 in the kernels): at most
//     some 1e-6 of the sum of the terms' magnitudes for these lengths, taken
//     as 1e-5 of it;
//   - the operand that is itself a result, P or dS: the forward rounds
//     exp(s - m) for a running maximum m and divides by l afterwards, where
//     the reference rounds p = exp(s - lse); each of R(e)/l and R(p) is within
//     u*p of p (u the unit roundoff: 2^-11 for TF32, 2^-8 for BF16), so they
//     differ by at most 2u*p. In the backward the kernel's p and ds differ
//     from the reference's only by float32 error, but that can move them
//     across a rounding boundary, again by at most one ulp, 2u|x|.
//
// So an element sum_i a_i b_i whose a is P or dS is within
// (2u + 1e-5) * sum_i |a_i b_i| + 1e-5 of the reference; that is the
// tolerance of o, dv, dq and dk, computed per element from the reference's
// own terms. For BF16 2u = 1/128: with P of one key near 1 that is errors of
// ~1e-2 relative, as the rounding of P itself allows. For dq and dk, ds =
// p (dp - D) adds the float32 error of the difference dp - D, 1e-5 of
// p (|dp terms| + |D terms|) for each term. lse involves no rounded result
// (only the rounded q and k): its tolerance is 2e-5 (1 + |lse|).

// attnRounding says which operands a reference rounds: in for q, k, v and
// do, pds for the weights P and the score gradients dS.
type attnRounding struct{ in, pds kernels.Precision }

// unitRoundoff returns half the spacing of precision p's significands
// relative to the value: 2^-11 for TF32, 2^-8 for BF16, 2^-24 for FP32.
func unitRoundoff(p kernels.Precision) float64 {
	switch p {
	case kernels.TF32:
		return 0x1p-11
	case kernels.BF16:
		return 0x1p-8
	}
	return 0x1p-24
}

// attnRef is the float64 reference of attention, with the products'
// operands rounded as r says; tolerances as the file's comment derives.
type attnRef struct {
	p       kernels.AttentionParams
	r       attnRounding
	q, k, v []float64 // the inputs, rounded with r.in
}

func newAttnRef(p kernels.AttentionParams, r attnRounding, q, k, v []float32) *attnRef {
	return &attnRef{p: p, r: r, q: rounded(r.in, q), k: rounded(r.in, k), v: rounded(r.in, v)}
}

// roundP rounds a weight or score gradient computed in float64 as a
// kernel's float32 would be rounded.
func (a *attnRef) roundP(x float64) float64 { return float64(a.r.pds.Round(float32(x))) }

// scores returns s[j][i] = scale * sum_d q[d,j] k[d,i] of batch entry b.
func (a *attnRef) scores(b int) [][]float64 {
	p := a.p
	s := make([][]float64, p.Nq)
	for j := range s {
		s[j] = make([]float64, p.Nk)
		for i := range s[j] {
			var acc float64
			for d := 0; d < p.Dk; d++ {
				acc += a.q[(b*p.Dk+d)*p.Nq+j] * a.k[(b*p.Dk+d)*p.Nk+i]
			}
			s[j][i] = float64(p.Scale) * acc
		}
	}
	return s
}

// forward returns o and lse with their tolerances.
func (a *attnRef) forward() (o, oTol, lse, lseTol []float64) {
	p := a.p
	o, oTol = make([]float64, p.Batch*p.Dv*p.Nq), make([]float64, p.Batch*p.Dv*p.Nq)
	lse, lseTol = make([]float64, p.Batch*p.Nq), make([]float64, p.Batch*p.Nq)
	u := unitRoundoff(p.Precision)
	for b := 0; b < p.Batch; b++ {
		s := a.scores(b)
		for j := 0; j < p.Nq; j++ {
			mx := math.Inf(-1)
			for _, x := range s[j] {
				mx = math.Max(mx, x)
			}
			var l float64
			for _, x := range s[j] {
				l += math.Exp(x - mx)
			}
			lj := mx + math.Log(l)
			lse[b*p.Nq+j], lseTol[b*p.Nq+j] = lj, 2e-5*(1+math.Abs(lj))
			for c := 0; c < p.Dv; c++ {
				var acc, mag float64
				for i := 0; i < p.Nk; i++ {
					pw := a.roundP(math.Exp(s[j][i] - lj))
					vv := a.v[(b*p.Dv+c)*p.Nk+i]
					acc += pw * vv
					mag += math.Abs(pw * vv)
				}
				e := (b*p.Dv+c)*p.Nq + j
				o[e], oTol[e] = acc, (2*u+1e-5)*mag+1e-5
			}
		}
	}
	return o, oTol, lse, lseTol
}

// backward returns what the backward pass adds to dq, dk and dv, and the
// tolerances, given the forward's o and lse (float32, as a kernel receives
// them) and the output gradient do.
func (a *attnRef) backward(o, lse, do []float32) (dq, dqTol, dk, dkTol, dv, dvTol []float64) {
	p := a.p
	u := unitRoundoff(p.Precision)
	dq, dqTol = make([]float64, p.Batch*p.Dk*p.Nq), make([]float64, p.Batch*p.Dk*p.Nq)
	dk, dkTol = make([]float64, p.Batch*p.Dk*p.Nk), make([]float64, p.Batch*p.Dk*p.Nk)
	dv, dvTol = make([]float64, p.Batch*p.Dv*p.Nk), make([]float64, p.Batch*p.Dv*p.Nk)
	rdo := rounded(a.r.in, do)
	scale := float64(p.Scale)
	for b := 0; b < p.Batch; b++ {
		s := a.scores(b)
		// P, and dS with the magnitude of its float32 error terms.
		P, dS, dSerr := grid(p.Nq, p.Nk), grid(p.Nq, p.Nk), grid(p.Nq, p.Nk)
		for j := 0; j < p.Nq; j++ {
			var D, Dmag float64 // D = sum_c do o, unrounded
			for c := 0; c < p.Dv; c++ {
				x := float64(do[(b*p.Dv+c)*p.Nq+j]) * float64(o[(b*p.Dv+c)*p.Nq+j])
				D, Dmag = D+x, Dmag+math.Abs(x)
			}
			for i := 0; i < p.Nk; i++ {
				pw := math.Exp(s[j][i] - float64(lse[b*p.Nq+j]))
				var dp, dpMag float64
				for c := 0; c < p.Dv; c++ {
					x := rdo[(b*p.Dv+c)*p.Nq+j] * a.v[(b*p.Dv+c)*p.Nk+i]
					dp, dpMag = dp+x, dpMag+math.Abs(x)
				}
				P[j][i], dS[j][i], dSerr[j][i] = pw, pw*(dp-D), pw*(dpMag+Dmag)
			}
		}
		for c := 0; c < p.Dv; c++ {
			for i := 0; i < p.Nk; i++ {
				var acc, mag float64
				for j := 0; j < p.Nq; j++ {
					x := a.roundP(P[j][i]) * rdo[(b*p.Dv+c)*p.Nq+j]
					acc, mag = acc+x, mag+math.Abs(x)
				}
				e := (b*p.Dv+c)*p.Nk + i
				dv[e], dvTol[e] = acc, (2*u+1e-5)*mag+1e-5
			}
		}
		for d := 0; d < p.Dk; d++ {
			for i := 0; i < p.Nk; i++ {
				var acc, mag, mag2 float64
				for j := 0; j < p.Nq; j++ {
					qq := a.q[(b*p.Dk+d)*p.Nq+j]
					acc += a.roundP(dS[j][i]) * qq
					mag += math.Abs(dS[j][i] * qq)
					mag2 += math.Abs(dSerr[j][i] * qq)
				}
				e := (b*p.Dk+d)*p.Nk + i
				dk[e], dkTol[e] = scale*acc, scale*((2*u+1e-5)*mag+1e-5*mag2)+1e-5
			}
			for j := 0; j < p.Nq; j++ {
				var acc, mag, mag2 float64
				for i := 0; i < p.Nk; i++ {
					kk := a.k[(b*p.Dk+d)*p.Nk+i]
					acc += a.roundP(dS[j][i]) * kk
					mag += math.Abs(dS[j][i] * kk)
					mag2 += math.Abs(dSerr[j][i] * kk)
				}
				e := (b*p.Dk+d)*p.Nq + j
				dq[e], dqTol[e] = scale*acc, scale*((2*u+1e-5)*mag+1e-5*mag2)+1e-5
			}
		}
	}
	return dq, dqTol, dk, dkTol, dv, dvTol
}

// grid returns an n x m matrix of zeros.
func grid(n, m int) [][]float64 {
	g := make([][]float64, n)
	for i := range g {
		g[i] = make([]float64, m)
	}
	return g
}

// plus returns base + add elementwise.
func plus(base []float32, add []float64) []float64 {
	out := make([]float64, len(base))
	for i := range out {
		out[i] = float64(base[i]) + add[i]
	}
	return out
}

// toF32 converts xs to float32.
func toF32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

// within reports, with t.Errorf, the elements of got farther from want than
// their tolerance (the first five, then a count), and returns the largest
// error and the largest ratio of error to tolerance. NaN never matches.
func within(t *testing.T, name string, got []float32, want, tol []float64) (maxErr, maxRatio float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: length %d, want %d", name, len(got), len(want))
		return math.Inf(1), math.Inf(1)
	}
	bad := 0
	var first string
	for i := range want {
		e := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		maxErr, maxRatio = math.Max(maxErr, e), math.Max(maxRatio, e/tol[i])
		if e > tol[i] {
			if bad < 5 {
				first += fmt.Sprintf("\n  [%d] got %.8g want %.8g (err %.3g, tolerance %.3g)", i, got[i], want[i], e, tol[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements off, max error %.3g:%s", name, bad, len(want), maxErr, first)
	} else {
		t.Logf("%s: %d elements, max error %.3g, at most %.2f of the tolerance", name, len(want), maxErr, maxRatio)
	}
	return maxErr, maxRatio
}

// maxDiff returns the largest |got - want|.
func maxDiff(got []float32, want []float64) float64 {
	m := 0.0
	for i := range got {
		m = math.Max(m, math.Abs(float64(got[i])-want[i]))
	}
	return m
}

// attnTCCases have sizes that divide no tile: Nq, Nk odd, Dk and Dv not
// multiples of 8 (Dk = 5), the model's proportions (Dk = Dv/8) with
// several key tiles, and wider channels, where the tensor-core kernels'
// tiles shrink to fit the shared memory (Dk = 24: the backward's query
// tiles single-buffered; Dk = Dv = 64: the forward's key tiles of 32, the
// backward's blocks of 2 warps), and Dv = 72, beyond them. Nk = 140 is a
// multiple of 4 (16-byte copies), the others are not (4-byte copies).
var attnTCCases = []kernels.AttentionParams{
	{Batch: 2, Dk: 8, Dv: 24, Nq: 37, Nk: 45, Scale: 0.35},
	{Batch: 1, Dk: 5, Dv: 13, Nq: 70, Nk: 33, Scale: 0.45},
	{Batch: 1, Dk: 8, Dv: 64, Nq: 19, Nk: 140, Scale: 0.35},
	{Batch: 1, Dk: 24, Dv: 64, Nq: 33, Nk: 21, Scale: 0.2},
	{Batch: 1, Dk: 64, Dv: 64, Nq: 23, Nk: 50, Scale: 0.125},
	// Past the tensor-core kernels' reach: the FP32 kernels, rounding.
	{Batch: 1, Dk: 8, Dv: 72, Nq: 9, Nk: 20, Scale: 0.35},
}

// launched runs f with the backend profiling and returns the names of the
// kernels it launched, in no order.
func launched(h *harness, f func()) map[string]bool {
	be := h.gpu
	be.mu.Lock()
	saved := be.profile
	be.profile = map[string]*KernelTime{}
	be.mu.Unlock()
	defer func() {
		be.mu.Lock()
		be.profile = saved
		be.mu.Unlock()
	}()
	f()
	names := map[string]bool{}
	for _, k := range be.Profile() {
		names[k.Kernel] = true
	}
	return names
}

// attnKernels returns the kernels that attention p must launch: the
// forward's, and the backward's besides attention_rowdot_f32. The
// tensor-core kernels take Dk, Dv <= 64.
func attnKernels(p kernels.AttentionParams, tensorCores bool) (fwd string, bwd []string) {
	if !tensorCores || p.Precision == kernels.FP32 || p.Dk > attnTCMaxD || p.Dv > attnTCMaxD {
		return "attention_forward_f32", []string{"attention_backward_dq_f32", "attention_backward_dkdv_f32"}
	}
	return "attention_forward_" + p.Precision.String(), []string{"attention_backward_" + p.Precision.String()}
}

// attnRun runs the forward and the backward pass of p on be with inputs
// from h and checks them against the reference: forward outputs start as
// NaN; the gradients start random and must be accumulated into; a nil
// gradient must be skipped (the others stay as they were). tensorCores
// says which kernels must run.
func attnRun(t *testing.T, h *harness, p kernels.AttentionParams, tensorCores bool) {
	name := fmt.Sprintf("%v %+v", p.Precision, p)
	be := h.gpu
	wantFwd, wantBwd := attnKernels(p, tensorCores)
	qs, ks, vs := h.values(p.Batch*p.Dk*p.Nq), h.values(p.Batch*p.Dk*p.Nk), h.values(p.Batch*p.Dv*p.Nk)
	for i := range qs {
		qs[i] *= 3 // peaked weights
	}
	ref := newAttnRef(p, attnRounding{p.Precision, p.Precision}, qs, ks, vs)
	q, k, v := h.upload(qs), h.upload(ks), h.upload(vs)
	o, lse := h.nan(p.Batch*p.Dv*p.Nq), h.nan(p.Batch*p.Nq)
	if ran := launched(h, func() { be.AttentionForward(p, q.g, k.g, v.g, o.g, lse.g) }); !ran[wantFwd] {
		t.Errorf("%s: forward launched %v, want %s", name, ran, wantFwd)
	}
	wo, oTol, wlse, lseTol := ref.forward()
	within(t, "forward o "+name, h.download(o.g), wo, oTol)
	within(t, "forward lse "+name, h.download(lse.g), wlse, lseTol)

	// The backward pass from the reference's o and lse, so that it is
	// checked alone.
	o32, lse32 := toF32(wo), toF32(wlse)
	ob, lb := h.upload(o32), h.upload(lse32)
	dos := h.values(p.Batch * p.Dv * p.Nq)
	do := h.upload(dos)
	dq0, dk0, dv0 := h.values(p.Batch*p.Dk*p.Nq), h.values(p.Batch*p.Dk*p.Nk), h.values(p.Batch*p.Dv*p.Nk)
	dq, dk, dv := h.upload(dq0), h.upload(dk0), h.upload(dv0)
	rdq, dqTol, rdk, dkTol, rdv, dvTol := ref.backward(o32, lse32, dos)
	ran := launched(h, func() { be.AttentionBackward(p, q.g, k.g, v.g, ob.g, lb.g, do.g, dq.g, dk.g, dv.g) })
	for _, want := range wantBwd {
		if !ran[want] {
			t.Errorf("%s: backward launched %v, want %s", name, ran, want)
		}
	}
	gdq, gdk, gdv := h.download(dq.g), h.download(dk.g), h.download(dv.g)
	within(t, "backward dq "+name, gdq, plus(dq0, rdq), dqTol)
	within(t, "backward dk "+name, gdk, plus(dk0, rdk), dkTol)
	within(t, "backward dv "+name, gdv, plus(dv0, rdv), dvTol)

	// dq alone: it accumulates again, dk and dv are left alone.
	be.AttentionBackward(p, q.g, k.g, v.g, ob.g, lb.g, do.g, dq.g, nil, nil)
	within(t, "backward dq only "+name, h.download(dq.g), plus(gdq, rdq), dqTol)
	sameAs(t, "backward dq only: dk "+name, h.download(dk.g), gdk)
	sameAs(t, "backward dq only: dv "+name, h.download(dv.g), gdv)
	// dk and dv without dq.
	gdq = h.download(dq.g)
	be.AttentionBackward(p, q.g, k.g, v.g, ob.g, lb.g, do.g, nil, dk.g, dv.g)
	within(t, "backward dk, dv: dk "+name, h.download(dk.g), plus(gdk, rdk), dkTol)
	within(t, "backward dk, dv: dv "+name, h.download(dv.g), plus(gdv, rdv), dvTol)
	sameAs(t, "backward dk, dv: dq "+name, h.download(dq.g), gdq)
	if err := be.Synchronize(); err != nil {
		t.Fatalf("%s: device error: %v", name, err)
	}
}

// sameAs reports elements of got that differ from want at all.
func sameAs(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: [%d] changed from %g to %g", name, i, want[i], got[i])
			return
		}
	}
}

// withFallback runs f with the backend's attention forced onto its
// fallback kernels, or not.
func withFallback(h *harness, fallback bool, f func()) {
	be := h.gpu
	be.mu.Lock()
	saved := be.scalarProducts
	be.scalarProducts = fallback
	be.mu.Unlock()
	defer func() {
		be.mu.Lock()
		be.scalarProducts = saved
		be.mu.Unlock()
	}()
	f()
}

// TestAttentionTensorCores checks the tensor-core kernels (TF32 and BF16),
// forward and backward, against the rounded reference.
func TestAttentionTensorCores(t *testing.T) {
	h := newHarness(t, 31)
	if !h.gpu.drv.tensorCores() {
		t.Skip("no tensor cores on this device")
	}
	for _, prec := range []kernels.Precision{kernels.TF32, kernels.BF16} {
		for _, p := range attnTCCases {
			p.Precision = prec
			withFallback(h, false, func() { attnRun(t, h, p, true) })
		}
	}
}

// TestAttentionFallbackPrecision checks the kernels of devices without
// tensor cores in TF32 and BF16 (they round the operands of every product)
// against the same reference, and in FP32.
func TestAttentionFallbackPrecision(t *testing.T) {
	h := newHarness(t, 32)
	for _, prec := range kernels.Precisions {
		for _, p := range attnTCCases[:2] {
			p.Precision = prec
			withFallback(h, true, func() { attnRun(t, h, p, false) })
		}
	}
}

// subTF32 returns n positive values in [0.5, 1) whose bits below TF32's
// mantissa are 0xfff: just under half a TF32 ulp, so that rounding to TF32
// (and to BF16) removes nearly half an ulp from every one of them, all in
// the same direction.
func subTF32(h *harness, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		x := 0.5 + 0.5*h.r.Float32()
		s[i] = math.Float32frombits(math.Float32bits(x)&^0x1fff | 0xfff)
	}
	return s
}

// TestAttentionRounds shows that the kernels round their operands, on
// both paths: with inputs that carry bits below TF32 precision the results
// are near the rounded reference and measurably far from the exact one
// (lse for q and k, dv for P and do, dq for dS and k); and in BF16 dv is
// measurably far from a reference that leaves P unrounded.
func TestAttentionRounds(t *testing.T) {
	h := newHarness(t, 33)
	p := kernels.AttentionParams{Batch: 1, Dk: 8, Dv: 16, Nq: 37, Nk: 45, Scale: 0.35}
	for _, fallback := range []bool{false, true} {
		for _, prec := range []kernels.Precision{kernels.TF32, kernels.BF16} {
			p.Precision = prec
			name := fmt.Sprintf("%v fallback=%v", prec, fallback)
			qs, ks, vs := subTF32(h, p.Batch*p.Dk*p.Nq), subTF32(h, p.Batch*p.Dk*p.Nk), subTF32(h, p.Batch*p.Dv*p.Nk)
			dos := subTF32(h, p.Batch*p.Dv*p.Nq)
			full := newAttnRef(p, attnRounding{prec, prec}, qs, ks, vs)
			exact := newAttnRef(p, attnRounding{kernels.FP32, kernels.FP32}, qs, ks, vs)
			noP := newAttnRef(p, attnRounding{prec, kernels.FP32}, qs, ks, vs)
			wo, _, wlse, lseTol := full.forward()
			_, _, xlse, _ := exact.forward()
			o32, lse32 := toF32(wo), toF32(wlse)
			rdq, dqTol, _, _, rdv, dvTol := full.backward(o32, lse32, dos)
			edq, _, _, _, edv, _ := exact.backward(o32, lse32, dos)
			_, _, _, _, pdv, _ := noP.backward(o32, lse32, dos)

			var glse, gdq, gdv []float32
			withFallback(h, fallback, func() {
				q, k, v, do := h.upload(qs), h.upload(ks), h.upload(vs), h.upload(dos)
				o, lse := h.nan(len(wo)), h.nan(len(wlse))
				h.gpu.AttentionForward(p, q.g, k.g, v.g, o.g, lse.g)
				glse = h.download(lse.g)
				ob, lb := h.upload(o32), h.upload(lse32)
				dq, dv := h.upload(make([]float32, len(rdq))), h.upload(make([]float32, len(rdv)))
				h.gpu.AttentionBackward(p, q.g, k.g, v.g, ob.g, lb.g, do.g, dq.g, nil, dv.g)
				gdq, gdv = h.download(dq.g), h.download(dv.g)
			})
			for _, c := range []struct {
				what      string
				got       []float32
				want, tol []float64
				far       []float64
				farName   string
			}{
				// The separations (at least 10 tolerances' worth) are what
				// half an ulp of every operand moves these results by, with
				// a margin: ~2e-3 for lse, ~2e-4 relative for dv and dq in
				// TF32, 16 times that in BF16.
				{"lse", glse, wlse, lseTol, xlse, "exact"},
				{"dv", gdv, rdv, dvTol, edv, "exact"},
				{"dq", gdq, rdq, dqTol, edq, "exact"},
			} {
				near, _ := within(t, c.what+" "+name, c.got, c.want, c.tol)
				far := maxDiff(c.got, c.far)
				if far < 10*near || far < 1e-4 {
					t.Errorf("%s %s: %.3g from the %s reference, %.3g from the rounded one: the operands are not rounded",
						c.what, name, far, c.farName, near)
				} else {
					t.Logf("%s %s: %.3g from the %s reference, %.3g from the rounded one", c.what, name, far, c.farName, near)
				}
			}
			if prec == kernels.BF16 {
				near := maxDiff(gdv, rdv)
				if far := maxDiff(gdv, pdv); far < 5*near {
					t.Errorf("dv %s: %.3g from the reference with P unrounded, %.3g from the rounded one: P is not rounded",
						name, far, near)
				} else {
					t.Logf("dv %s: %.3g from the reference with P unrounded, %.3g from the rounded one", name, far, near)
				}
			}
		}
	}
}
