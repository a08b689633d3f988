package cpu

import (
	"fmt"
	"sync"

	"github.com/semgan/semgan/kernels"
)

func init() {
	kernels.Register("cpu", func() (kernels.Backend, error) { return New(), nil })
}

// Backend is the CPU implementation of kernels.Backend. Its buffers are Go
// slices; every method checks its arguments and calls the slice-level
// function of the same name. A Backend is safe for concurrent use.
type Backend struct {
	// MemoryCounter counts the bytes allocated by Alloc and not yet freed
	// (LiveBytes, PeakLiveBytes).
	kernels.MemoryCounter

	// cache recycles freed slices, one sync.Pool per length, so that
	// training steps that allocate the same shapes again do not keep the
	// garbage collector busy. The collector may still empty it.
	cache sync.Map // int -> *sync.Pool of *[]float32
}

// New returns a new CPU backend. Most code should use kernels.Open("cpu"),
// which returns the one registered instance.
func New() *Backend { return &Backend{} }

// buffer is the CPU's kernels.Buffer: a slice and where it came from.
type buffer struct {
	data  []float32
	owned bool // allocated by Alloc: counted in LiveBytes and cached on Free
	freed bool
}

// Len returns the number of elements of the buffer.
func (b *buffer) Len() int { return len(b.data) }

// Wrap returns a Buffer of the CPU backend that shares s: writes through
// either are visible in the other. Such a buffer is not counted in
// LiveBytes, and freeing it only detaches it from s.
func Wrap(s []float32) kernels.Buffer { return &buffer{data: s} }

// Data returns the slice underneath a CPU buffer, without copying. It returns
// nil for a nil buffer and panics if b belongs to another backend. The slice
// must not be used after the buffer is freed.
func Data(b kernels.Buffer) []float32 { return unwrap("Data", b) }

// unwrap returns the slice of b, nil for nil, and panics naming method if b
// is not a CPU buffer or was freed.
func unwrap(method string, b kernels.Buffer) []float32 {
	if b == nil {
		return nil
	}
	cb, ok := b.(*buffer)
	if !ok {
		panic(fmt.Sprintf("cpu: %s: buffer from another backend (%T)", method, b))
	}
	if cb.freed {
		panic(fmt.Sprintf("cpu: %s: buffer used after Free", method))
	}
	return cb.data
}

// Name returns "cpu".
func (*Backend) Name() string { return "cpu" }

// Alloc returns a zero-filled buffer of n elements. It panics if n < 0.
func (be *Backend) Alloc(n int) kernels.Buffer {
	if n < 0 {
		panic(fmt.Sprintf("cpu: Alloc: negative length %d", n))
	}
	var data []float32
	if free, ok := be.cache.Load(n); ok {
		if s, ok := free.(*sync.Pool).Get().(*[]float32); ok {
			data = *s
			zero(data)
		}
	}
	if data == nil {
		data = make([]float32, n)
	}
	be.MemoryCounter.Alloc(int64(4 * n))
	return &buffer{data: data, owned: true}
}

// Free returns b to the cache; b must not be used afterwards. Freeing nil is a
// no-op; freeing a buffer twice, or one from another backend, panics.
func (be *Backend) Free(b kernels.Buffer) {
	if b == nil {
		return
	}
	cb, ok := b.(*buffer)
	if !ok {
		panic(fmt.Sprintf("cpu: Free: buffer from another backend (%T)", b))
	}
	if cb.freed {
		panic("cpu: Free: buffer freed twice")
	}
	data := cb.data
	cb.data, cb.freed = nil, true
	if !cb.owned {
		return
	}
	be.MemoryCounter.Free(int64(4 * len(data)))
	free, ok := be.cache.Load(len(data))
	if !ok {
		free, _ = be.cache.LoadOrStore(len(data), new(sync.Pool))
	}
	free.(*sync.Pool).Put(&data)
}

// Upload copies src into dst. It panics if the lengths differ.
func (*Backend) Upload(dst kernels.Buffer, src []float32) {
	d := unwrap("Upload", dst)
	if len(d) != len(src) {
		panic(fmt.Sprintf("cpu: Upload: buffer has %d elements, source %d", len(d), len(src)))
	}
	copy(d, src)
}

// Download copies src into dst. It panics if the lengths differ.
func (*Backend) Download(dst []float32, src kernels.Buffer) {
	s := unwrap("Download", src)
	if len(s) != len(dst) {
		panic(fmt.Sprintf("cpu: Download: buffer has %d elements, destination %d", len(s), len(dst)))
	}
	copy(dst, s)
}

// Copy copies src into dst. It panics if the lengths differ.
func (*Backend) Copy(dst, src kernels.Buffer) {
	d, s := unwrap("Copy", dst), unwrap("Copy", src)
	if len(d) != len(s) {
		panic(fmt.Sprintf("cpu: Copy: dst has %d elements, src %d", len(d), len(s)))
	}
	copy(d, s)
}

// Fill sets every element of dst to v.
func (*Backend) Fill(dst kernels.Buffer, v float32) {
	d := unwrap("Fill", dst)
	if v == 0 {
		zero(d)
		return
	}
	for i := range d {
		d[i] = v
	}
}

// zero clears d, over all cores when it is large: on one core, clearing
// the buffers of a network's activations left the other core idle.
func zero(d []float32) {
	parallelFor(len(d), 1<<18, func(lo, hi int) { clear(d[lo:hi]) })
}

// Synchronize returns nil: the CPU backend runs every call to completion.
func (*Backend) Synchronize() error { return nil }

// DefaultPrecision returns FP32: the CPU multiplies in float32 in every
// precision (the others only round the operands first), so the exact one
// is also the fastest.
func (*Backend) DefaultPrecision() kernels.Precision { return kernels.FP32 }

// Gemm calls Gemm on the buffers' slices.
func (*Backend) Gemm(p kernels.GemmParams, a, b, c kernels.Buffer) {
	Gemm(p, unwrap("Gemm", a), unwrap("Gemm", b), unwrap("Gemm", c))
}

// ConvForward calls ConvForward on the buffers' slices; bias may be nil.
func (*Backend) ConvForward(p kernels.ConvParams, x, w, bias, y kernels.Buffer) {
	const m = "ConvForward"
	ConvForward(p, unwrap(m, x), unwrap(m, w), unwrap(m, bias), unwrap(m, y))
}

// ConvBackwardData calls ConvBackwardData on the buffers' slices.
func (*Backend) ConvBackwardData(p kernels.ConvParams, dy, w, dx kernels.Buffer) {
	const m = "ConvBackwardData"
	ConvBackwardData(p, unwrap(m, dy), unwrap(m, w), unwrap(m, dx))
}

// ConvBackwardFilter calls ConvBackwardFilter on the buffers' slices.
func (*Backend) ConvBackwardFilter(p kernels.ConvParams, x, dy, dw, dbias kernels.Buffer) {
	const m = "ConvBackwardFilter"
	ConvBackwardFilter(p, unwrap(m, x), unwrap(m, dy), unwrap(m, dw), unwrap(m, dbias))
}

// Pad calls Pad on the buffers' slices.
func (*Backend) Pad(p kernels.PadParams, x, y kernels.Buffer) {
	Pad(p, unwrap("Pad", x), unwrap("Pad", y))
}

// PadBackward calls PadBackward on the buffers' slices.
func (*Backend) PadBackward(p kernels.PadParams, dy, dx kernels.Buffer) {
	PadBackward(p, unwrap("PadBackward", dy), unwrap("PadBackward", dx))
}

// InstanceNormForward calls InstanceNormForward on the buffers' slices.
func (*Backend) InstanceNormForward(p kernels.NormParams, x, gamma, beta, y, mean, rstd kernels.Buffer) {
	const m = "InstanceNormForward"
	InstanceNormForward(p, unwrap(m, x), unwrap(m, gamma), unwrap(m, beta), unwrap(m, y),
		unwrap(m, mean), unwrap(m, rstd))
}

// InstanceNormBackward calls InstanceNormBackward on the buffers' slices.
func (*Backend) InstanceNormBackward(p kernels.NormParams, x, gamma, mean, rstd, dy, dx, dgamma, dbeta kernels.Buffer) {
	const m = "InstanceNormBackward"
	InstanceNormBackward(p, unwrap(m, x), unwrap(m, gamma), unwrap(m, mean), unwrap(m, rstd),
		unwrap(m, dy), unwrap(m, dx), unwrap(m, dgamma), unwrap(m, dbeta))
}

// AttentionForward calls AttentionForward on the buffers' slices.
func (*Backend) AttentionForward(p kernels.AttentionParams, q, k, v, o, lse kernels.Buffer) {
	const m = "AttentionForward"
	AttentionForward(p, unwrap(m, q), unwrap(m, k), unwrap(m, v), unwrap(m, o), unwrap(m, lse))
}

// AttentionBackward calls AttentionBackward on the buffers' slices.
func (*Backend) AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv kernels.Buffer) {
	const m = "AttentionBackward"
	AttentionBackward(p, unwrap(m, q), unwrap(m, k), unwrap(m, v), unwrap(m, o), unwrap(m, lse),
		unwrap(m, do), unwrap(m, dq), unwrap(m, dk), unwrap(m, dv))
}

// SoftmaxForward calls SoftmaxForward on the buffers' slices.
func (*Backend) SoftmaxForward(p kernels.SoftmaxParams, x, y kernels.Buffer) {
	SoftmaxForward(p, unwrap("SoftmaxForward", x), unwrap("SoftmaxForward", y))
}

// SoftmaxBackward calls SoftmaxBackward on the buffers' slices.
func (*Backend) SoftmaxBackward(p kernels.SoftmaxParams, y, dy, dx kernels.Buffer) {
	const m = "SoftmaxBackward"
	SoftmaxBackward(p, unwrap(m, y), unwrap(m, dy), unwrap(m, dx))
}

// Unary calls Unary on the buffers' slices.
func (*Backend) Unary(op kernels.UnaryOp, alpha float32, x, y kernels.Buffer) {
	Unary(op, alpha, unwrap("Unary", x), unwrap("Unary", y))
}

// UnaryBackward calls UnaryBackward on the buffers' slices.
func (*Backend) UnaryBackward(op kernels.UnaryOp, alpha float32, x, y, dy, dx kernels.Buffer) {
	const m = "UnaryBackward"
	UnaryBackward(op, alpha, unwrap(m, x), unwrap(m, y), unwrap(m, dy), unwrap(m, dx))
}

// Binary calls Binary on the buffers' slices.
func (*Backend) Binary(op kernels.BinaryOp, p kernels.BroadcastParams, a, b, y kernels.Buffer) {
	Binary(op, p, unwrap("Binary", a), unwrap("Binary", b), unwrap("Binary", y))
}

// Axpby calls Axpby on the buffers' slices.
func (*Backend) Axpby(alpha float32, x kernels.Buffer, beta float32, y kernels.Buffer) {
	Axpby(alpha, unwrap("Axpby", x), beta, unwrap("Axpby", y))
}

// SumTo calls SumTo on the buffers' slices.
func (*Backend) SumTo(p kernels.BroadcastParams, x, y kernels.Buffer) {
	SumTo(p, unwrap("SumTo", x), unwrap("SumTo", y))
}

// Reduce calls Reduce on the buffers' slices.
func (*Backend) Reduce(op kernels.ReduceOp, a, b, out kernels.Buffer) {
	Reduce(op, unwrap("Reduce", a), unwrap("Reduce", b), unwrap("Reduce", out))
}

// ReduceBackward calls ReduceBackward on the buffers' slices.
func (*Backend) ReduceBackward(op kernels.ReduceOp, a, b, dout, da, db kernels.Buffer) {
	const m = "ReduceBackward"
	ReduceBackward(op, unwrap(m, a), unwrap(m, b), unwrap(m, dout), unwrap(m, da), unwrap(m, db))
}

// Adam calls Adam on the buffers' slices.
func (*Backend) Adam(p kernels.AdamParams, param, grad, m, v kernels.Buffer) {
	Adam(p, unwrap("Adam", param), unwrap("Adam", grad), unwrap("Adam", m), unwrap("Adam", v))
}

var _ kernels.Backend = (*Backend)(nil)

// ln returns the length of s as the checks of package kernels take it:
// kernels.Nil for a nil slice.
func ln(s []float32) int {
	if s == nil {
		return kernels.Nil
	}
	return len(s)
}

// must panics with err, prefixed by the package and fn, if err is not nil.
func must(fn string, err error) {
	if err != nil {
		panic("cpu: " + fn + ": " + err.Error())
	}
}
