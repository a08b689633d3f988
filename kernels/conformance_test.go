package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/semgan/semgan/kernels"
	_ "github.com/semgan/semgan/kernels/cpu"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
)

// The conformance test, in the manner of ggml's test-backend-ops: every op
// of kernels.Backend, on every backend registered in the test binary (cpu;
// cuda too under tag cuda or cudaemu, see conformance_cuda_test.go), on odd
// shapes, against the plain float64 loops of kernels/internal/naive; and
// every backward op against central differences of the same loops. The
// ops with products (GEMM, convolution, attention) are checked in every
// precision: the reference rounds the same operands (see
// conformanceOps for the tolerances).

// op is one case of the conformance test.
type op struct {
	name string
	in   []int // lengths of the inputs
	out  []int // lengths of the outputs
	// run writes the outputs on be. The harness fills them with NaN first,
	// so an element the op forgets shows up.
	run func(be kernels.Backend, in, out []kernels.Buffer)
	// ref computes the outputs in float64.
	ref func(in [][]float64) [][]float64
	// grad, if set, accumulates into din (nil where diff is false) the
	// gradient of sum_k <dout[k], out[k]> over the first len(dout) outputs.
	grad  func(be kernels.Backend, in, out, dout, din []kernels.Buffer)
	diff  []bool // the inputs grad differentiates
	douts int    // the outputs that have a gradient
	// gen, if set, draws input i of n elements (default: uniform [-1, 1)).
	gen func(r *rand.Rand, i, n int) []float32
	tol float64 // atol = rtol of the forward check; the gradients get 10x
	// outTol, where set, is the tolerance of each output of the forward
	// check instead of tol.
	outTol []float64
	// prec is the precision of the op's products (FP32 for ops without).
	// Outside FP32 ref rounds operands and so is piecewise constant:
	// gradients are then checked against central differences of exact
	// (ref in FP32) at the rounded inputs, with gradients of the outputs
	// drawn already rounded, so that a backward pass that rounds its
	// operands computes the same products. exact is set for every op
	// with products.
	prec  kernels.Precision
	exact func(in [][]float64) [][]float64
}

// uniform returns n values uniform in [lo, hi).
func uniform(r *rand.Rand, n int, lo, hi float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return s
}

// f64 converts to float64.
func f64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// orNil returns nil for an absent (empty) optional input of ref.
func orNil(s []float64) []float64 {
	if len(s) == 0 {
		return nil
	}
	return s
}

// backends opens every registered backend.
func backends(t *testing.T) []kernels.Backend {
	var out []kernels.Backend
	for _, name := range kernels.Names() {
		be, err := kernels.Open(name)
		if err != nil {
			t.Logf("%s: %v (skipped)", name, err)
			continue
		}
		out = append(out, be)
	}
	return out
}

// check runs o on be and compares it with its reference.
func (o op) check(t testing.TB, be kernels.Backend, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xc0ffee))
	ins := make([][]float32, len(o.in))
	inBufs := make([]kernels.Buffer, len(o.in))
	for i, n := range o.in {
		if o.gen != nil {
			ins[i] = o.gen(r, i, n)
		} else {
			ins[i] = uniform(r, n, -1, 1)
		}
		inBufs[i] = upload(be, ins[i])
	}
	outBufs := make([]kernels.Buffer, len(o.out))
	for k, n := range o.out {
		outBufs[k] = upload(be, nans(n))
	}
	defer freeAll(be, inBufs, outBufs)
	o.run(be, inBufs, outBufs)
	in64 := make([][]float64, len(ins))
	for i := range ins {
		in64[i] = f64(ins[i])
	}
	want := o.ref(in64)
	for k := range o.out {
		tol := o.tol
		if k < len(o.outTol) {
			tol = o.outTol[k]
		}
		kerneltest.CloseTo(t, fmt.Sprintf("%s output %d", o.name, k), download(be, outBufs[k]), want[k], tol, tol)
	}
	if o.grad == nil {
		return
	}
	douts := make([][]float32, o.douts)
	doutBufs := make([]kernels.Buffer, o.douts)
	for k := range douts {
		douts[k] = uniform(r, o.out[k], -1, 1)
		o.prec.RoundSlice(douts[k])
		doutBufs[k] = upload(be, douts[k])
	}
	dins := make([][]float32, len(o.in))
	dinBufs := make([]kernels.Buffer, len(o.in))
	for i, n := range o.in {
		if o.diff[i] {
			dins[i] = uniform(r, n, -1, 1) // backward accumulates onto these
			dinBufs[i] = upload(be, dins[i])
		}
	}
	defer freeAll(be, doutBufs, dinBufs)
	o.grad(be, inBufs, outBufs, doutBufs, dinBufs)
	// loss(in) = sum_k <dout[k], ref(in)[k]>, differentiated centrally.
	ref := o.ref
	if o.prec != kernels.FP32 {
		ref = o.exact
		for i := range ins {
			r := append([]float32(nil), ins[i]...)
			o.prec.RoundSlice(r)
			in64[i] = f64(r)
		}
	}
	loss := func() float64 {
		var s float64
		for k, y := range ref(in64)[:o.douts] {
			for j, v := range y {
				s += float64(douts[k][j]) * v
			}
		}
		return s
	}
	const h = 1e-6
	for i := range o.in {
		if !o.diff[i] {
			continue
		}
		want := f64(dins[i])
		for j := range in64[i] {
			x := in64[i][j]
			in64[i][j] = x + h
			up := loss()
			in64[i][j] = x - h
			down := loss()
			in64[i][j] = x
			want[j] += (up - down) / (2 * h)
		}
		kerneltest.CloseTo(t, fmt.Sprintf("%s gradient of input %d", o.name, i), download(be, dinBufs[i]), want, 10*o.tol, 10*o.tol)
	}
}

func upload(be kernels.Backend, s []float32) kernels.Buffer {
	b := be.Alloc(len(s))
	be.Upload(b, s)
	return b
}

func download(be kernels.Backend, b kernels.Buffer) []float32 {
	s := make([]float32, b.Len())
	be.Download(s, b)
	return s
}

func nans(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

func freeAll(be kernels.Backend, lists ...[]kernels.Buffer) {
	for _, l := range lists {
		for _, b := range l {
			be.Free(b)
		}
	}
}

// buf returns b, or nil for an absent (empty) optional buffer.
func buf(b kernels.Buffer) kernels.Buffer {
	if b == nil || b.Len() == 0 {
		return nil
	}
	return b
}

func TestConformance(t *testing.T) {
	ops := conformanceOps()
	for _, be := range backends(t) {
		t.Run(be.Name(), func(t *testing.T) {
			for i, o := range ops {
				t.Run(o.name, func(t *testing.T) {
					o.check(t, be, uint64(i))
					if err := be.Synchronize(); err != nil {
						t.Fatalf("device error: %v", err)
					}
				})
			}
		})
	}
}

// ignoresPrecision is a backend that computes every product in FP32
// whatever precision it is asked for.
type ignoresPrecision struct{ kernels.Backend }

func (b ignoresPrecision) Gemm(p kernels.GemmParams, a, bb, c kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.Gemm(p, a, bb, c)
}

func (b ignoresPrecision) ConvForward(p kernels.ConvParams, x, w, bias, y kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.ConvForward(p, x, w, bias, y)
}

func (b ignoresPrecision) ConvBackwardData(p kernels.ConvParams, dy, w, dx kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.ConvBackwardData(p, dy, w, dx)
}

func (b ignoresPrecision) ConvBackwardFilter(p kernels.ConvParams, x, dy, dw, dbias kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.ConvBackwardFilter(p, x, dy, dw, dbias)
}

func (b ignoresPrecision) AttentionForward(p kernels.AttentionParams, q, k, v, o, lse kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.AttentionForward(p, q, k, v, o, lse)
}

func (b ignoresPrecision) AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv kernels.Buffer) {
	p.Precision = kernels.FP32
	b.Backend.AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
}

// failures is a testing.TB that counts the errors reported to it instead
// of failing the test.
type failures struct {
	testing.TB
	n int
}

func (f *failures) Errorf(string, ...any) { f.n++ }
func (f *failures) Logf(string, ...any)   {}
func (f *failures) Helper()               {}

// TestConformanceCatchesIgnoredPrecision runs the conformance cases of the
// ops with products in TF32 and BF16 on a CPU backend that computes them
// in FP32: each case must fail, so the tolerances of the conformance test
// are tight enough to tell a backend that ignores the precision, and the
// FP32 cases (the same backend, the precision it does honour) must pass.
func TestConformanceCatchesIgnoredPrecision(t *testing.T) {
	cpu, err := kernels.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	be := ignoresPrecision{cpu}
	for i, o := range conformanceOps() {
		if o.exact == nil {
			continue // no products
		}
		f := &failures{TB: t}
		o.check(f, be, uint64(i))
		switch {
		case o.prec == kernels.FP32 && f.n > 0:
			t.Errorf("%s: %d mismatches in FP32", o.name, f.n)
		case o.prec != kernels.FP32 && f.n == 0:
			t.Errorf("%s: computed in FP32, it passes the check", o.name)
		}
		t.Logf("%s: %d mismatches", o.name, f.n)
	}
}
