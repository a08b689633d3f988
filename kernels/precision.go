package kernels

import (
	"fmt"
	"math"
)

// Precision says how the products of GEMM, convolution and attention are
// computed. Storage is float32 in every precision; what changes is the
// operands each multiplication sees, and so the speed a device reaches:
//
//   - FP32 multiplies the float32 operands exactly, with float32
//     accumulation. It is the zero value: the reference every backend
//     computes and every other precision is tested against.
//   - TF32 rounds each operand to TF32 (8-bit exponent, 10-bit mantissa,
//     round to nearest with ties away from zero, as the GPU's
//     cvt.rna.tf32.f32) and accumulates in float32: NVIDIA's tensor cores
//     on sm_80 and newer, and PyTorch's default for CUDA convolutions.
//   - BF16 rounds each operand to bfloat16 (8-bit exponent, 7-bit
//     mantissa, round to nearest even) and accumulates in float32; master
//     weights, gradients and optimiser state stay float32. It is mixed
//     precision as PyTorch's bf16 autocast runs it.
//
// A backend computes every precision: one without the hardware for it rounds
// the operands as described and multiplies in float32, which gives the same
// result up to the order of the sums.
type Precision uint8

const (
	// FP32 is exact single precision, the reference.
	FP32 Precision = iota
	// TF32 rounds operands to TF32 and accumulates in float32.
	TF32
	// BF16 rounds operands to bfloat16 and accumulates in float32.
	BF16
)

// Precisions lists every precision, reference first.
var Precisions = []Precision{FP32, TF32, BF16}

// String returns the precision's name as the command line spells it:
// "fp32", "tf32" or "bf16".
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case TF32:
		return "tf32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision returns the precision named s ("fp32", "tf32", "bf16").
func ParsePrecision(s string) (Precision, error) {
	for _, p := range Precisions {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown precision %q (want fp32, tf32 or bf16)", s)
}

// Validate reports a precision that is not one of Precisions.
func (p Precision) Validate() error {
	if p > BF16 {
		return fmt.Errorf("unknown precision %d", uint8(p))
	}
	return nil
}

// Round returns x as the multiplier of precision p sees it: x itself for
// FP32, x rounded to TF32 or to bfloat16 otherwise. Infinities and NaNs
// pass through (a NaN stays a NaN). Every backend rounds exactly this way,
// so two backends differ only in the order of their sums.
func (p Precision) Round(x float32) float32 {
	switch p {
	case TF32:
		return RoundTF32(x)
	case BF16:
		return RoundBF16(x)
	}
	return x
}

// RoundSlice rounds every element of xs in place with p.Round. It has a
// loop per precision, so that the rounding is inlined: backends call it on
// their packed operands.
func (p Precision) RoundSlice(xs []float32) {
	switch p {
	case TF32:
		for i, x := range xs {
			xs[i] = RoundTF32(x)
		}
	case BF16:
		for i, x := range xs {
			xs[i] = RoundBF16(x)
		}
	}
}

// RoundTF32 rounds x to the nearest TF32 value, ties away from zero: the
// 13 low mantissa bits are dropped after adding half of their weight to
// the magnitude (the carry may reach the exponent, and past the largest
// finite value gives infinity, as on the GPU).
func RoundTF32(x float32) float32 {
	b := math.Float32bits(x)
	if b&0x7f800000 == 0x7f800000 { // infinity or NaN
		return x
	}
	return math.Float32frombits((b + 0x1000) &^ 0x1fff)
}

// RoundBF16 rounds x to the nearest bfloat16 value, ties to even, and
// returns it as a float32 (bfloat16 is the upper half of a float32).
func RoundBF16(x float32) float32 {
	b := math.Float32bits(x)
	if b&0x7f800000 == 0x7f800000 {
		if b&0x007fffff != 0 {
			return math.Float32frombits((b | 0x00400000) &^ 0xffff) // a quiet NaN
		}
		return x
	}
	return math.Float32frombits((b + 0x7fff + (b>>16)&1) &^ 0xffff)
}

// MarshalText returns the precision's name, so that a precision reads as
// "tf32" in JSON. It fails for a precision that is not one of Precisions.
func (p Precision) MarshalText() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return []byte(p.String()), nil
}

// UnmarshalText sets p to the precision named text, as ParsePrecision.
func (p *Precision) UnmarshalText(text []byte) error {
	q, err := ParsePrecision(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
