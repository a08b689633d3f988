//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/cpu"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
)

// The backend suite: every primitive run on this backend and on the CPU
// reference with the same inputs, on odd shapes (sizes that do not divide
// the blocks and tiles), comparing every output element with a tolerance
// atol + rtol*|reference|. Forward outputs start as NaN on both backends, so
// an element a kernel forgets to write shows up; backward outputs start as
// the same random values, so that accumulation (+=) is checked. Under tag
// cudaemu this runs on the emulator; under tag cuda on the GPU.

// harness holds the backend under test, the reference and a generator.
type harness struct {
	t   *testing.T
	gpu *Backend
	cpu kernels.Backend
	r   *rand.Rand
}

// sharedBackend is the backend of the tests, opened once.
var sharedBackend *Backend

func newHarness(t *testing.T, seed uint64) *harness {
	t.Helper()
	if sharedBackend == nil {
		be, err := Open()
		if err != nil {
			// On a GPU machine (scripts/gpu-check.sh) a missing device is a
			// failure, not a reason to skip.
			if os.Getenv("SEMGAN_CUDA_REQUIRE") == "1" {
				t.Fatalf("SEMGAN_CUDA_REQUIRE=1 but: %v", err)
			}
			t.Skipf("no CUDA device: %v", err)
		}
		t.Logf("device: %s", be.Device())
		sharedBackend = be
	}
	ref, err := kernels.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, gpu: sharedBackend, cpu: ref, r: rand.New(rand.NewPCG(seed, 0x5e6a9))}
}

// pair is one tensor on both backends; g and c are nil for an absent
// operand.
type pair struct{ g, c kernels.Buffer }

// upload makes a pair holding s.
func (h *harness) upload(s []float32) pair {
	g, c := h.gpu.Alloc(len(s)), h.cpu.Alloc(len(s))
	h.gpu.Upload(g, s)
	h.cpu.Upload(c, s)
	h.t.Cleanup(func() { h.gpu.Free(g); h.cpu.Free(c) })
	return pair{g, c}
}

// rand makes a pair of n values uniform in [-1, 1).
func (h *harness) rand(n int) pair { return h.upload(h.values(n)) }

// values returns n values uniform in [-1, 1).
func (h *harness) values(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*h.r.Float32() - 1
	}
	return s
}

// nan makes a pair of n NaNs, for outputs that must be overwritten.
func (h *harness) nan(n int) pair {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return h.upload(s)
}

// both runs f on the backend under test and on the reference; pick returns
// a pair's buffer on the backend f is given.
func (h *harness) both(f func(be kernels.Backend, pick func(pair) kernels.Buffer)) {
	h.t.Helper()
	f(h.gpu, func(p pair) kernels.Buffer { return p.g })
	f(h.cpu, func(p pair) kernels.Buffer { return p.c })
	if err := h.gpu.Synchronize(); err != nil {
		h.t.Fatalf("device error: %v", err)
	}
}

// download copies a buffer of the backend under test.
func (h *harness) download(b kernels.Buffer) []float32 {
	s := make([]float32, b.Len())
	h.gpu.Download(s, b)
	return s
}

// check compares p on both backends, reporting (without stopping) the first
// mismatches and logging the largest error.
func (h *harness) check(name string, p pair, atol, rtol float64) {
	h.t.Helper()
	got := h.download(p.g)
	want := make([]float32, p.c.Len())
	h.cpu.Download(want, p.c)
	kerneltest.CloseTo(h.t, name, got, want, atol, rtol)
}

// Tolerances: elementwise work is exact or within a few ulps; sums over
// hundreds of terms are added in a different order than the reference
// (which sums in float64 in places).
const (
	tolElem = 2e-6
	tolSum  = 2e-5
)

func TestMemory(t *testing.T) {
	h := newHarness(t, 1)
	be := h.gpu
	start := be.LiveBytes()
	b := be.Alloc(300)
	if got := h.download(b); !allEqual(got, 0) {
		t.Errorf("Alloc is not zero-filled: %v", got[:5])
	}
	if d := be.LiveBytes() - start; d != 1200 {
		t.Errorf("LiveBytes grew by %d for 300 floats, want 1200", d)
	}
	be.Fill(b, 2.5)
	if got := h.download(b); !allEqual(got, 2.5) {
		t.Errorf("Fill(2.5): %v", got[:5])
	}
	src := h.values(300)
	be.Upload(b, src)
	c := be.Alloc(300)
	be.Copy(c, b)
	kerneltest.CloseTo(t, "Upload, Copy, Download", h.download(c), src, 0, 0)
	be.Free(b)
	be.Free(c)
	if d := be.LiveBytes() - start; d != 0 {
		t.Errorf("LiveBytes after Free is %d above the start", d)
	}
	// The freed block comes back, zero-filled again.
	cached := be.CachedBytes()
	d := be.Alloc(299)
	if be.CachedBytes() >= cached {
		t.Errorf("Alloc of a cached size did not reuse the cache (%d bytes cached before, %d after)", cached, be.CachedBytes())
	}
	if got := h.download(d); !allEqual(got, 0) {
		t.Errorf("reused block is not zero-filled: %v", got[:5])
	}
	be.Free(d)
	e := be.Alloc(0)
	if e.Len() != 0 {
		t.Errorf("Alloc(0) has length %d", e.Len())
	}
	be.Free(e)
	be.Release()
	if be.CachedBytes() != 0 {
		t.Errorf("CachedBytes after Release: %d", be.CachedBytes())
	}
	if err := be.Synchronize(); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "Free twice", func() { be.Free(d) })
	mustPanic(t, "use after Free", func() { be.Fill(d, 1) })
	mustPanic(t, "foreign buffer", func() { be.Fill(cpu.Wrap(make([]float32, 3)), 1) })
	mustPanic(t, "Upload length", func() { be.Upload(be.Alloc(3), make([]float32, 4)) })
	if be.Name() != "cuda" {
		t.Errorf("Name() = %q", be.Name())
	}
	reg, err := kernels.Open("cuda")
	if err != nil {
		t.Fatalf("kernels.Open(cuda): %v", err)
	}
	if reg.Name() != "cuda" {
		t.Errorf("registered backend is named %q", reg.Name())
	}
}

func allEqual(s []float32, v float32) bool {
	for _, x := range s {
		if x != v {
			return false
		}
	}
	return true
}

// mustPanic reports an error if f does not panic.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestGemm(t *testing.T) {
	h := newHarness(t, 2)
	type gcase struct {
		m, n, k, batch int
		alpha, beta    float32
		strideB0       bool // one B for every batch entry
	}
	cases := []gcase{
		{1, 1, 1, 1, 1, 0, false},
		{65, 33, 17, 1, 1, 0, false},
		{70, 130, 40, 1, 0.5, 0.25, false},
		{5, 7, 0, 1, 1, 0.5, false}, // K = 0: C = beta*C
		{9, 11, 13, 3, -1.5, 1, false},
		{9, 66, 20, 2, 1, 0, true},
		{12, 10, 8, 1, 0, 0.5, false}, // alpha 0: A and B not read
	}
	for _, c := range cases {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			p := kernels.GemmParams{TransA: tr[0], TransB: tr[1], M: c.m, N: c.n, K: c.k, Alpha: c.alpha,
				Beta: c.beta, Batch: c.batch, StrideA: c.m * c.k, StrideB: c.k * c.n, StrideC: c.m * c.n}
			if c.strideB0 {
				p.StrideB = 0
			}
			name := fmt.Sprintf("gemm %dx%dx%d batch %d trans %v alpha %g beta %g strideB %d",
				c.m, c.n, c.k, c.batch, tr, c.alpha, c.beta, p.StrideB)
			a := h.rand(max(1, c.batch*c.m*c.k))
			if c.alpha == 0 {
				a = h.nan(max(1, c.batch*c.m*c.k))
			}
			b := h.rand(max(1, (c.batch-1)*p.StrideB+c.k*c.n))
			cm := h.rand(c.batch * c.m * c.n)
			if c.beta == 0 {
				cm = h.nan(c.batch * c.m * c.n)
			}
			h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) { be.Gemm(p, x(a), x(b), x(cm)) })
			h.check(name, cm, tolSum, tolSum)
		}
	}
}

func TestConv(t *testing.T) {
	h := newHarness(t, 3)
	cases := []kernels.ConvParams{
		{N: 2, InC: 3, InH: 9, InW: 7, OutC: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, InC: 4, InH: 13, InW: 13, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1},
		{N: 2, InC: 3, InH: 11, InW: 10, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, InC: 5, InH: 6, InW: 5, OutC: 70, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
		{N: 1, InC: 2, InH: 8, InW: 9, OutC: 3, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 0},
		// A long reduction for the filter gradient: split over blocks.
		{N: 2, InC: 2, InH: 26, InW: 26, OutC: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1},
	}
	for _, p := range cases {
		name := p.String()
		x, w, bias := h.rand(p.XLen()), h.rand(p.WLen()), h.rand(p.OutC)
		for _, withBias := range []bool{true, false} {
			y := h.nan(p.YLen())
			bb := bias
			if !withBias {
				bb = pair{}
			}
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.ConvForward(p, a(x), a(w), a(bb), a(y)) })
			h.check(fmt.Sprintf("ConvForward %s bias %v", name, withBias), y, tolSum, tolSum)
		}
		dy, dx := h.rand(p.YLen()), h.rand(p.XLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.ConvBackwardData(p, a(dy), a(w), a(dx)) })
		h.check("ConvBackwardData "+name, dx, tolSum, tolSum)
		dw, db := h.rand(p.WLen()), h.rand(p.OutC)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.ConvBackwardFilter(p, a(x), a(dy), a(dw), a(db))
		})
		h.check("ConvBackwardFilter dw "+name, dw, 1e-4, tolSum)
		h.check("ConvBackwardFilter dbias "+name, db, 1e-4, tolSum)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.ConvBackwardFilter(p, a(x), a(dy), a(dw), nil)
		})
		h.check("ConvBackwardFilter dw only "+name, dw, 1e-4, tolSum)
	}
}

func TestPad(t *testing.T) {
	h := newHarness(t, 4)
	cases := []kernels.PadParams{
		{N: 2, C: 3, H: 5, W: 7, Top: 3, Bottom: 3, Left: 3, Right: 3, Mode: kernels.PadReflect},
		{N: 1, C: 2, H: 4, W: 9, Top: 1, Bottom: 2, Left: 3, Right: 0, Mode: kernels.PadReflect},
		{N: 2, C: 1, H: 2, W: 2, Top: 1, Bottom: 1, Left: 1, Right: 1, Mode: kernels.PadReflect},
		{N: 2, C: 3, H: 5, W: 6, Top: 2, Bottom: 0, Left: 1, Right: 4, Mode: kernels.PadZero},
	}
	for _, p := range cases {
		name := fmt.Sprintf("%+v", p)
		x, y := h.rand(p.N*p.C*p.H*p.W), h.nan(p.N*p.C*p.OutH()*p.OutW())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.Pad(p, a(x), a(y)) })
		h.check("Pad "+name, y, 0, 0)
		dy, dx := h.rand(p.N*p.C*p.OutH()*p.OutW()), h.rand(p.N*p.C*p.H*p.W)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.PadBackward(p, a(dy), a(dx)) })
		h.check("PadBackward "+name, dx, tolElem, tolElem)
	}
}

func TestPool(t *testing.T) {
	h := newHarness(t, 17)
	cases := []kernels.PoolParams{
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CountIncludePad: true},
		{N: 1, C: 5, H: 11, W: 8, KH: 3, KW: 2, StrideH: 2, StrideW: 2},
		{N: 3, C: 2, H: 9, W: 13, KH: 3, KW: 5, StrideH: 2, StrideW: 3, PadH: 1, PadW: 2},
		{N: 1, C: 1, H: 35, W: 35, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CountIncludePad: true},
	}
	for _, p := range cases {
		name := p.String()
		xs := h.values(p.XLen())
		for i := range xs {
			if i%7 == 3 {
				xs[i] = xs[i-1] // ties: the first maximum wins on both
			}
		}
		x := h.upload(xs)
		y := h.nan(p.YLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.MaxPoolForward(p, a(x), a(y)) })
		h.check("MaxPoolForward "+name, y, 0, 0)
		dy, dx := h.rand(p.YLen()), h.rand(p.XLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.MaxPoolBackward(p, a(x), a(dy), a(dx)) })
		h.check("MaxPoolBackward "+name, dx, tolElem, tolElem)
		y = h.nan(p.YLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.AvgPoolForward(p, a(x), a(y)) })
		h.check("AvgPoolForward "+name, y, tolElem, tolElem)
		dx = h.rand(p.XLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.AvgPoolBackward(p, a(dy), a(dx)) })
		h.check("AvgPoolBackward "+name, dx, tolElem, tolElem)
	}
}

func TestCopyBlocks(t *testing.T) {
	h := newHarness(t, 18)
	for _, p := range []kernels.BlockCopyParams{
		{Count: 3, Len: 5, SrcStride: 5, DstOffset: 2, DstStride: 12},
		{Count: 4, Len: 1, SrcOffset: 3, SrcStride: 2, DstStride: 1},
		{Count: 1, Len: 301, SrcOffset: 1, DstOffset: 4},
		{Count: 2, Len: 3, DstOffset: 1, DstStride: 3}, // one source block twice
		{Count: 37, Len: 29, SrcOffset: 7, SrcStride: 31, DstOffset: 5, DstStride: 40},
		{Count: 0, Len: 3},
	} {
		for _, acc := range []bool{false, true} {
			p.Accumulate = acc
			srcLen := max(p.SrcOffset+max(p.Count-1, 0)*p.SrcStride+p.Len, 1) + 2
			dstLen := max(p.DstOffset+max(p.Count-1, 0)*p.DstStride+p.Len, 1) + 3
			src, dst := h.rand(srcLen), h.rand(dstLen)
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.CopyBlocks(p, a(src), a(dst)) })
			h.check(fmt.Sprintf("CopyBlocks %+v", p), dst, tolElem, 0)
		}
	}
	be := h.gpu
	a := be.Alloc(10)
	defer be.Free(a)
	mustPanic(t, "CopyBlocks same buffer", func() { be.CopyBlocks(kernels.BlockCopyParams{Count: 1, Len: 2, DstOffset: 3}, a, a) })
	mustPanic(t, "CopyBlocks past the end", func() {
		be.CopyBlocks(kernels.BlockCopyParams{Count: 2, Len: 6, SrcStride: 6, DstStride: 6}, a, be.Alloc(12))
	})
}

func TestInstanceNorm(t *testing.T) {
	h := newHarness(t, 5)
	for _, p := range []kernels.NormParams{{N: 2, C: 3, S: 37, Eps: 1e-5}, {N: 1, C: 2, S: 300, Eps: 1e-3}} {
		for _, affine := range []bool{false, true} {
			name := fmt.Sprintf("%+v affine %v", p, affine)
			n := p.N * p.C * p.S
			xs := h.values(n)
			for i := range xs {
				xs[i] = 3*xs[i] + 5 // a mean well away from 0
			}
			x := h.upload(xs)
			var gamma, beta pair
			if affine {
				gamma, beta = h.rand(p.C), h.rand(p.C)
			}
			y, mean, rstd := h.nan(n), h.nan(p.N*p.C), h.nan(p.N*p.C)
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
				be.InstanceNormForward(p, a(x), a(gamma), a(beta), a(y), a(mean), a(rstd))
			})
			h.check("InstanceNormForward y "+name, y, tolSum, tolSum)
			h.check("InstanceNormForward mean "+name, mean, tolSum, tolSum)
			h.check("InstanceNormForward rstd "+name, rstd, tolSum, tolSum)
			dy, dx := h.rand(n), h.rand(n)
			var dgamma, dbeta pair
			if affine {
				dgamma, dbeta = h.rand(p.C), h.rand(p.C)
			}
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
				be.InstanceNormBackward(p, a(x), a(gamma), a(mean), a(rstd), a(dy), a(dx), a(dgamma), a(dbeta))
			})
			h.check("InstanceNormBackward dx "+name, dx, 1e-4, tolSum)
			if affine {
				h.check("InstanceNormBackward dgamma "+name, dgamma, 1e-4, tolSum)
				h.check("InstanceNormBackward dbeta "+name, dbeta, 1e-4, tolSum)
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	h := newHarness(t, 6)
	for _, rc := range [][2]int{{3, 1}, {2, 300}, {4, 37}} {
		rows, cols := rc[0], rc[1]
		name := fmt.Sprintf("%dx%d", rows, cols)
		xs := h.values(rows * cols)
		for i := range xs {
			xs[i] *= 30 // large scores: the maximum must be subtracted
		}
		x, y := h.upload(xs), h.nan(rows*cols)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, a(x), a(y))
		})
		h.check("SoftmaxForward "+name, y, tolElem, tolSum)
		dy, dx := h.rand(rows*cols), h.rand(rows*cols)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.SoftmaxBackward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, a(y), a(dy), a(dx))
		})
		h.check("SoftmaxBackward "+name, dx, tolSum, tolSum)
		// In place.
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, a(x), a(x))
		})
		h.check("SoftmaxForward in place "+name, x, tolElem, tolSum)
	}
}

func TestUnary(t *testing.T) {
	h := newHarness(t, 7)
	for _, n := range []int{1, 257} {
		for op := kernels.ReLU; op <= kernels.Abs; op++ {
			name := fmt.Sprintf("%v n=%d", op, n)
			xs := h.values(n)
			xs[0] = 0 // the kink of ReLU and Abs
			x, y := h.upload(xs), h.nan(n)
			const alpha = 0.2
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.Unary(op, alpha, a(x), a(y)) })
			h.check("Unary "+name, y, tolElem, tolElem)
			dy, dx := h.rand(n), h.rand(n)
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
				be.UnaryBackward(op, alpha, a(x), a(y), a(dy), a(dx))
			})
			h.check("UnaryBackward "+name, dx, tolElem, tolElem)
			h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.Unary(op, alpha, a(x), a(x)) })
			h.check("Unary in place "+name, x, tolElem, tolElem)
		}
	}
}

// broadcastCases are the broadcast patterns of the model: b of the full
// shape, per channel, a scalar, per image and position, and a transposed b.
func broadcastCases() []kernels.BroadcastParams {
	const n, c, hh, w = 2, 3, 5, 7
	return []kernels.BroadcastParams{
		{Shape: [4]int{n, c, hh, w}, BStride: [4]int{c * hh * w, hh * w, w, 1}},
		{Shape: [4]int{n, c, hh, w}, BStride: [4]int{0, 1, 0, 0}},
		{Shape: [4]int{n, c, hh, w}, BStride: [4]int{0, 0, 0, 0}},
		{Shape: [4]int{n, c, hh, w}, BStride: [4]int{hh * w, 0, w, 1}},
		{Shape: [4]int{1, 1, 6, 4}, BStride: [4]int{0, 0, 1, 6}},
		{Shape: [4]int{1, 3, 300, 1}, BStride: [4]int{0, 1, 0, 0}}, // long sums per element of b
	}
}

func TestBinaryAndSumTo(t *testing.T) {
	h := newHarness(t, 8)
	for _, p := range broadcastCases() {
		for op := kernels.Add; op <= kernels.Div; op++ {
			name := fmt.Sprintf("%v shape %v strides %v", op, p.Shape, p.BStride)
			a, y := h.rand(p.Len()), h.nan(p.Len())
			bs := h.values(p.BLen())
			for i := range bs {
				bs[i] += 3 // away from 0 for Div
			}
			b := h.upload(bs)
			h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) { be.Binary(op, p, x(a), x(b), x(y)) })
			h.check("Binary "+name, y, tolElem, tolElem)
			h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) { be.Binary(op, p, x(a), x(b), x(a)) })
			h.check("Binary in place "+name, a, tolElem, tolElem)
		}
		x, y := h.rand(p.Len()), h.rand(p.BLen())
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.SumTo(p, a(x), a(y)) })
		h.check(fmt.Sprintf("SumTo shape %v strides %v", p.Shape, p.BStride), y, tolSum, tolSum)
	}
}

func TestAxpby(t *testing.T) {
	h := newHarness(t, 9)
	for _, beta := range []float32{0, 0.7} {
		x, y := h.rand(300), h.rand(300)
		if beta == 0 {
			y = h.nan(300)
		}
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.Axpby(-1.5, a(x), beta, a(y)) })
		h.check(fmt.Sprintf("Axpby beta %g", beta), y, tolElem, tolElem)
	}
}

func TestReduce(t *testing.T) {
	h := newHarness(t, 10)
	for _, n := range []int{0, 1, 1000} {
		for op := kernels.Sum; op <= kernels.MeanSquaredDiff; op++ {
			name := fmt.Sprintf("%v n=%d", op, n)
			a, b := h.rand(n), h.rand(n)
			if n > 0 {
				// Equal elements: the gradient of |a-b| there is 0.
				h.gpu.Copy(a.g, b.g)
				h.cpu.Copy(a.c, b.c)
				av := h.values(n)
				av[0] = 0
				bv := make([]float32, n)
				h.cpu.Download(bv, b.c)
				av[0] = bv[0]
				h.gpu.Upload(a.g, av)
				h.cpu.Upload(a.c, av)
			}
			var bb pair
			if op == kernels.MeanAbsDiff || op == kernels.MeanSquaredDiff {
				bb = b
			}
			out := h.nan(1)
			h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) { be.Reduce(op, x(a), x(bb), x(out)) })
			h.check("Reduce "+name, out, tolSum, tolSum)
			dout := h.upload([]float32{1.7})
			da, db := h.rand(n), h.rand(n)
			var dbb pair
			if bb.g != nil {
				dbb = db
			}
			h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) {
				be.ReduceBackward(op, x(a), x(bb), x(dout), x(da), x(dbb))
			})
			h.check("ReduceBackward da "+name, da, tolElem, tolElem)
			if dbb.g != nil {
				h.check("ReduceBackward db "+name, db, tolElem, tolElem)
				h.both(func(be kernels.Backend, x func(pair) kernels.Buffer) {
					be.ReduceBackward(op, x(a), x(bb), x(dout), nil, x(dbb))
				})
				h.check("ReduceBackward db only "+name, db, tolElem, tolElem)
			}
		}
	}
}

func TestAdam(t *testing.T) {
	h := newHarness(t, 11)
	param, grad, m := h.rand(333), h.rand(333), h.rand(333)
	vs := h.values(333)
	for i := range vs {
		vs[i] = vs[i] * vs[i]
	}
	v := h.upload(vs)
	for step := 1; step <= 3; step++ {
		p := kernels.AdamParams{LR: 2e-3, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, Step: step}
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) { be.Adam(p, a(param), a(grad), a(m), a(v)) })
		h.check(fmt.Sprintf("Adam step %d param", step), param, tolElem, tolElem)
		h.check(fmt.Sprintf("Adam step %d m", step), m, tolElem, tolElem)
		h.check(fmt.Sprintf("Adam step %d v", step), v, tolElem, tolElem)
	}
}

// attnCases are attention shapes with sizes that do not divide the tiles,
// more keys than queries and the reverse, and channel counts of the model's
// proportions (Dk = Dv/8).
var attnCases = []kernels.AttentionParams{
	{Batch: 2, Dk: 3, Dv: 5, Nq: 37, Nk: 45, Scale: 1},
	{Batch: 1, Dk: 2, Dv: 16, Nq: 70, Nk: 33, Scale: 0.7},
	{Batch: 1, Dk: 1, Dv: 1, Nq: 1, Nk: 1, Scale: 1},
	// Wide enough that the tiles shrink to fit the shared memory.
	{Batch: 1, Dk: 25, Dv: 200, Nq: 20, Nk: 19, Scale: 0.2},
}

func TestAttention(t *testing.T) {
	h := newHarness(t, 12)
	for _, p := range attnCases {
		name := fmt.Sprintf("%+v", p)
		qs := h.values(p.Batch * p.Dk * p.Nq)
		for i := range qs {
			qs[i] *= 4 // peaked weights
		}
		q, k, v := h.upload(qs), h.rand(p.Batch*p.Dk*p.Nk), h.rand(p.Batch*p.Dv*p.Nk)
		o, lse := h.nan(p.Batch*p.Dv*p.Nq), h.nan(p.Batch*p.Nq)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.AttentionForward(p, a(q), a(k), a(v), a(o), a(lse))
		})
		h.check("AttentionForward o "+name, o, tolSum, tolSum)
		h.check("AttentionForward lse "+name, lse, tolSum, tolSum)
		do := h.rand(p.Batch * p.Dv * p.Nq)
		dq, dk, dv := h.rand(p.Batch*p.Dk*p.Nq), h.rand(p.Batch*p.Dk*p.Nk), h.rand(p.Batch*p.Dv*p.Nk)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.AttentionBackward(p, a(q), a(k), a(v), a(o), a(lse), a(do), a(dq), a(dk), a(dv))
		})
		h.check("AttentionBackward dq "+name, dq, 1e-4, tolSum)
		h.check("AttentionBackward dk "+name, dk, 1e-4, tolSum)
		h.check("AttentionBackward dv "+name, dv, 1e-4, tolSum)
		// Only some gradients wanted.
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.AttentionBackward(p, a(q), a(k), a(v), a(o), a(lse), a(do), nil, nil, a(dv))
		})
		h.check("AttentionBackward dv only "+name, dv, 1e-4, tolSum)
		h.both(func(be kernels.Backend, a func(pair) kernels.Buffer) {
			be.AttentionBackward(p, a(q), a(k), a(v), a(o), a(lse), a(do), a(dq), nil, nil)
		})
		h.check("AttentionBackward dq only "+name, dq, 1e-4, tolSum)
	}
}

// TestAttentionPlain checks the fused kernel against the plain path on the
// same device: S = scale * Q^T K by batched GEMM, P = row softmax of S,
// o = V P^T by batched GEMM, materialising the Nq x Nk matrix.
func TestAttentionPlain(t *testing.T) {
	h := newHarness(t, 13)
	be := h.gpu
	// Few queries: the plain path's row softmax takes a block per query,
	// which the emulator runs slowly.
	for _, p := range []kernels.AttentionParams{{Batch: 1, Dk: 3, Dv: 4, Nq: 7, Nk: 40, Scale: 0.8}} {
		q, k, v := h.rand(p.Batch*p.Dk*p.Nq), h.rand(p.Batch*p.Dk*p.Nk), h.rand(p.Batch*p.Dv*p.Nk)
		o, lse := be.Alloc(p.Batch*p.Dv*p.Nq), be.Alloc(p.Batch*p.Nq)
		be.AttentionForward(p, q.g, k.g, v.g, o, lse)
		plain := attentionPlain(be, p, q.g, k.g, v.g)
		kerneltest.CloseTo(t, fmt.Sprintf("fused vs plain attention %+v", p), h.download(o), h.download(plain), tolSum, tolSum)
		be.Free(o)
		be.Free(lse)
		be.Free(plain)
		if err := be.Synchronize(); err != nil {
			t.Fatal(err)
		}
	}
}

// attentionPlain computes attention with two batched GEMMs and a row
// softmax, holding the whole [Batch, Nq, Nk] score matrix.
func attentionPlain(be kernels.Backend, p kernels.AttentionParams, q, k, v kernels.Buffer) kernels.Buffer {
	s := be.Alloc(p.Batch * p.Nq * p.Nk)
	defer be.Free(s)
	// S [Nq, Nk] = scale * q^T [Nq, Dk] * k [Dk, Nk].
	be.Gemm(kernels.GemmParams{TransA: true, M: p.Nq, N: p.Nk, K: p.Dk, Alpha: p.Scale, Batch: p.Batch,
		StrideA: p.Dk * p.Nq, StrideB: p.Dk * p.Nk, StrideC: p.Nq * p.Nk}, q, k, s)
	be.SoftmaxForward(kernels.SoftmaxParams{Rows: p.Batch * p.Nq, Cols: p.Nk}, s, s)
	o := be.Alloc(p.Batch * p.Dv * p.Nq)
	// o [Dv, Nq] = v [Dv, Nk] * P^T [Nk, Nq].
	be.Gemm(kernels.GemmParams{TransB: true, M: p.Dv, N: p.Nq, K: p.Nk, Alpha: 1, Batch: p.Batch,
		StrideA: p.Dv * p.Nk, StrideB: p.Nq * p.Nk, StrideC: p.Dv * p.Nq}, v, s, o)
	return o
}

// TestArgumentChecks spot-checks that mistakes panic with the package's
// prefix before anything is launched.
func TestArgumentChecks(t *testing.T) {
	h := newHarness(t, 14)
	be := h.gpu
	a, b := be.Alloc(6), be.Alloc(5)
	defer be.Free(a)
	defer be.Free(b)
	mustPanic(t, "Gemm short", func() { be.Gemm(kernels.GemmParams{M: 3, N: 3, K: 3, Alpha: 1, Batch: 1}, a, b, b) })
	mustPanic(t, "Unary length", func() { be.Unary(kernels.ReLU, 0, a, b) })
	mustPanic(t, "Unary op", func() { be.Unary(kernels.UnaryOp(99), 0, a, a) })
	mustPanic(t, "Softmax length", func() { be.SoftmaxForward(kernels.SoftmaxParams{Rows: 2, Cols: 2}, a, a) })
	mustPanic(t, "Pad reflect too wide", func() {
		be.Pad(kernels.PadParams{N: 1, C: 1, H: 2, W: 3, Top: 2, Mode: kernels.PadReflect}, a, b)
	})
	mustPanic(t, "Reduce db for Sum", func() { be.ReduceBackward(kernels.Sum, a, nil, b, a, a) })
	if err := be.Synchronize(); err != nil {
		t.Fatal(err)
	}
}

// TestProfile checks that a profiling backend (SEMGAN_CUDA_PROFILE=1) counts
// and times every launch by kernel, and that ResetProfile starts over.
func TestProfile(t *testing.T) {
	h := newHarness(t, 14)
	be := h.gpu
	be.mu.Lock()
	saved := be.profile
	be.profile = map[string]*KernelTime{} // what Open does under the variable
	be.mu.Unlock()
	defer func() {
		be.mu.Lock()
		be.profile = saved
		be.mu.Unlock()
	}()
	x, y := be.Alloc(300), be.Alloc(300)
	defer be.Free(x)
	defer be.Free(y)
	for range 3 {
		be.Axpby(2, x, 1, y)
	}
	prof := be.Profile()
	if len(prof) != 1 || prof[0].Kernel != "axpby_f32" || prof[0].Launches != 3 || prof[0].Total <= 0 {
		t.Fatalf("profile after 3 Axpby: %+v, want axpby_f32 launched 3 times in a positive time", prof)
	}
	be.ResetProfile()
	if prof := be.Profile(); len(prof) != 0 {
		t.Errorf("profile after ResetProfile: %+v", prof)
	}
}

func TestBackendMethods(t *testing.T) {
	h := newHarness(t, 19)
	kerneltest.CheckMethods(t, h.gpu, "CachedBytes", "Device", "Profile", "Release", "ResetProfile")
	kerneltest.CheckMethods(t, h.cpu)
}
