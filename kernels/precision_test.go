package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// roundMantissa rounds x to bits mantissa bits by float64 arithmetic:
// ties away from zero, or to even. It is the slow definition the bit
// tricks of RoundTF32 and RoundBF16 are checked against.
func roundMantissa(x float32, bits int, tiesEven bool) float32 {
	f := float64(x)
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return x
	}
	_, e := math.Frexp(f)
	if e < -125 { // float32 subnormals keep the exponent of the smallest normal
		e = -125
	}
	ulp := math.Ldexp(1, e-1-bits)
	q := f / ulp
	r := math.Floor(math.Abs(q))
	frac := math.Abs(q) - r
	if frac > 0.5 || frac == 0.5 && (!tiesEven || math.Mod(r, 2) == 1) {
		r++
	}
	return float32(math.Copysign(r*ulp, f))
}

func TestRoundTies(t *testing.T) {
	for _, c := range []struct {
		p       Precision
		x, want float64
	}{
		{TF32, 1 + 0x1p-11, 1 + 0x1p-10},            // a tie goes away from zero
		{TF32, -(1 + 0x1p-11), -(1 + 0x1p-10)},      // on both sides
		{TF32, 1 + 0x1p-11 - 0x1p-23, 1},            // just under a tie
		{BF16, 1 + 0x1p-8, 1},                       // a tie goes to even
		{BF16, 1 + 3*0x1p-8, 1 + 0x1p-6},            // to even, upwards
		{BF16, 1 + 0x1p-8 + 0x1p-23, 1 + 0x1p-7},    // just over a tie
		{FP32, 1 + 0x1p-23, 1 + 0x1p-23},            // exact
		{BF16, math.MaxFloat32, math.Inf(1)},        // overflows, as on the GPU
		{TF32, float64(math.Float32frombits(1)), 0}, // the smallest subnormal
		{BF16, float64(math.Float32frombits(0x10000)), float64(math.Float32frombits(0x10000))}, // a bf16 subnormal
	} {
		if got := c.p.Round(float32(c.x)); got != float32(c.want) {
			t.Errorf("%v.Round(%g) = %g, want %g", c.p, c.x, got, c.want)
		}
	}
	for _, p := range Precisions {
		if got := p.Round(float32(math.NaN())); !math.IsNaN(float64(got)) {
			t.Errorf("%v.Round(NaN) = %g", p, got)
		}
		if got := p.Round(float32(math.Inf(-1))); !math.IsInf(float64(got), -1) {
			t.Errorf("%v.Round(-Inf) = %g", p, got)
		}
	}
	// A signalling NaN's payload in the low half must not vanish into
	// infinity when bfloat16 drops it.
	if got := RoundBF16(math.Float32frombits(0x7f800001)); !math.IsNaN(float64(got)) {
		t.Errorf("RoundBF16(sNaN) = %g", got)
	}
}

func TestRoundMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		x := math.Float32frombits(r.Uint32())
		if i%2 == 0 { // half of them near ties
			x = math.Float32frombits(r.Uint32()&^0xffff | 0x8000 | uint32(r.IntN(3)) - 1)
		}
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			continue
		}
		if got, want := RoundTF32(x), roundMantissa(x, 10, false); got != want {
			t.Fatalf("RoundTF32(%#08x) = %#08x, want %#08x", math.Float32bits(x), math.Float32bits(got), math.Float32bits(want))
		}
		if got, want := RoundBF16(x), roundMantissa(x, 7, true); got != want {
			t.Fatalf("RoundBF16(%#08x) = %#08x, want %#08x", math.Float32bits(x), math.Float32bits(got), math.Float32bits(want))
		}
	}
}

func TestParsePrecision(t *testing.T) {
	for _, p := range Precisions {
		q, err := ParsePrecision(p.String())
		if err != nil || q != p {
			t.Errorf("ParsePrecision(%q) = %v, %v", p.String(), q, err)
		}
	}
	if _, err := ParsePrecision("fp16"); err == nil {
		t.Error("ParsePrecision(fp16) gave no error")
	}
	if err := Precision(7).Validate(); err == nil {
		t.Error("Precision(7).Validate() gave no error")
	}
	if err := (GemmParams{M: 1, N: 1, K: 1, Batch: 1, Precision: 9}).Validate(); err == nil {
		t.Error("a GEMM with precision 9 validated")
	}
}

func TestPrecisionText(t *testing.T) {
	for _, p := range Precisions {
		b, err := p.MarshalText()
		if err != nil || string(b) != p.String() {
			t.Errorf("%v.MarshalText() = %q, %v", p, b, err)
		}
		var q Precision
		if err := q.UnmarshalText(b); err != nil || q != p {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, q, err)
		}
	}
	if _, err := Precision(5).MarshalText(); err == nil {
		t.Error("Precision(5).MarshalText() gave no error")
	}
	var q Precision
	if err := q.UnmarshalText([]byte("fp8")); err == nil {
		t.Error(`UnmarshalText("fp8") gave no error`)
	}
}
