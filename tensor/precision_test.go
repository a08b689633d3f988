package tensor_test

import (
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// precisionRecorder is the CPU backend, with a default precision when def
// is set, that records the precision of every product it is asked for.
type precisionRecorder struct {
	kernels.Backend
	def  *kernels.Precision
	seen map[string][]kernels.Precision
}

func newRecorder(t *testing.T, def *kernels.Precision) *precisionRecorder {
	cpu, err := kernels.Open("cpu")
	require.NoError(t, err)
	return &precisionRecorder{Backend: cpu, def: def, seen: map[string][]kernels.Precision{}}
}

func (r *precisionRecorder) record(op string, p kernels.Precision) {
	r.seen[op] = append(r.seen[op], p)
}

func (r *precisionRecorder) Gemm(p kernels.GemmParams, a, b, c kernels.Buffer) {
	r.record("Gemm", p.Precision)
	r.Backend.Gemm(p, a, b, c)
}

func (r *precisionRecorder) ConvForward(p kernels.ConvParams, x, w, bias, y kernels.Buffer) {
	r.record("ConvForward", p.Precision)
	r.Backend.ConvForward(p, x, w, bias, y)
}

func (r *precisionRecorder) ConvBackwardData(p kernels.ConvParams, dy, w, dx kernels.Buffer) {
	r.record("ConvBackwardData", p.Precision)
	r.Backend.ConvBackwardData(p, dy, w, dx)
}

func (r *precisionRecorder) ConvBackwardFilter(p kernels.ConvParams, x, dy, dw, dbias kernels.Buffer) {
	r.record("ConvBackwardFilter", p.Precision)
	r.Backend.ConvBackwardFilter(p, x, dy, dw, dbias)
}

func (r *precisionRecorder) AttentionForward(p kernels.AttentionParams, q, k, v, o, lse kernels.Buffer) {
	r.record("AttentionForward", p.Precision)
	r.Backend.AttentionForward(p, q, k, v, o, lse)
}

func (r *precisionRecorder) AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv kernels.Buffer) {
	r.record("AttentionBackward", p.Precision)
	r.Backend.AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
}

// withDefault is a recorder whose backend has a default precision.
type withDefault struct{ *precisionRecorder }

func (w withDefault) DefaultPrecision() kernels.Precision { return *w.def }

// runProducts runs every op with products, forward and backward, on dev.
func runProducts(dev kernels.Backend) {
	rng := tensor.NewRNG(1)
	on := func(shape ...int) *tensor.Tensor { return tensor.Normal(rng, 0, 1, shape...).To(dev) }
	x, w := on(1, 3, 6, 6), on(4, 3, 3, 3)
	y := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: 1})
	tensor.Conv2dBackwardAcc(x, w, tensor.ConvOpts{Padding: 1}, y, tensor.ZerosLike(x), tensor.ZerosLike(w), nil)
	wt := on(3, 2, 3, 3)
	yt := tensor.ConvTranspose2d(x, wt, nil, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1})
	tensor.ConvTranspose2dBackwardAcc(x, wt, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}, yt,
		tensor.ZerosLike(x), tensor.ZerosLike(wt), nil)
	q, k, v := on(1, 2, 5), on(1, 2, 4), on(1, 3, 4)
	o, lse := tensor.Attention(q, k, v, 0.5)
	tensor.AttentionBackwardAcc(q, k, v, 0.5, o, lse, o, tensor.ZerosLike(q), tensor.ZerosLike(k), tensor.ZerosLike(v))
	a, b := on(3, 4), on(4, 5)
	tensor.MatMulAcc(a, b, false, false, tensor.MatMul(a, b, false, false))
}

// TestPrecisionReachesEveryProduct checks that every op with products
// passes PrecisionOn(its device) to the kernels: the device's default
// (none: FP32), or what SetPrecision set.
func TestPrecisionReachesEveryProduct(t *testing.T) {
	t.Cleanup(tensor.ResetPrecision)
	tf32 := kernels.TF32
	ops := []string{"Gemm", "ConvForward", "ConvBackwardData", "ConvBackwardFilter", "AttentionForward", "AttentionBackward"}
	for _, c := range []struct {
		name string
		set  *kernels.Precision // SetPrecision's argument, nil for none
		def  *kernels.Precision // the backend's default, nil for none
		want kernels.Precision
	}{
		{"no setting, no default", nil, nil, kernels.FP32},
		{"no setting, default tf32", nil, &tf32, kernels.TF32},
		{"bf16 set, default tf32", ptr(kernels.BF16), &tf32, kernels.BF16},
		{"fp32 set, default tf32", ptr(kernels.FP32), &tf32, kernels.FP32},
		{"tf32 set, no default", &tf32, nil, kernels.TF32},
	} {
		t.Run(c.name, func(t *testing.T) {
			tensor.ResetPrecision()
			if c.set != nil {
				tensor.SetPrecision(*c.set)
			}
			rec := newRecorder(t, c.def)
			var dev kernels.Backend = rec
			if c.def != nil {
				dev = withDefault{rec}
			}
			assert.Equal(t, c.want, tensor.PrecisionOn(dev))
			runProducts(dev)
			for _, op := range ops {
				require.NotEmpty(t, rec.seen[op], "%s never called", op)
				for _, p := range rec.seen[op] {
					assert.Equal(t, c.want, p, op)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSetPrecisionRejectsUnknown(t *testing.T) {
	t.Cleanup(tensor.ResetPrecision)
	assert.PanicsWithValue(t, "tensor: SetPrecision: unknown precision 7", func() { tensor.SetPrecision(7) })
}

// TestConvInTF32RoundsOperands checks that a convolution through the
// tensor package under SetPrecision(TF32) equals the FP32 convolution of
// the operands rounded to TF32, and that the operands are ones where
// rounding matters.
func TestConvInTF32RoundsOperands(t *testing.T) {
	t.Cleanup(tensor.ResetPrecision)
	rng := tensor.NewRNG(3)
	x, w := tensor.Normal(rng, 0, 1, 2, 5, 9, 9), tensor.Normal(rng, 0, 0.3, 8, 5, 3, 3)
	round := func(t *tensor.Tensor) *tensor.Tensor {
		d := t.Clone().Data()
		kernels.TF32.RoundSlice(d)
		return tensor.FromSlice(d, t.Shape()...)
	}
	tensor.SetPrecision(kernels.FP32)
	want := tensor.Conv2d(round(x), round(w), nil, tensor.ConvOpts{Padding: 1}).Data()
	exact := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: 1}).Data()
	tensor.SetPrecision(kernels.TF32)
	got := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: 1}).Data()
	far := 0.0
	for i := range want {
		assert.InDelta(t, want[i], got[i], 1e-5, "element %d", i)
		far = max(far, math.Abs(float64(exact[i]-want[i])))
	}
	assert.Greater(t, far, 1e-4, "rounding to TF32 should move some output by more than 1e-4")
}
