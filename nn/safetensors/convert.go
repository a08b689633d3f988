package safetensors

import (
	"encoding/binary"
	"math"
)

// decodeElems converts the little-endian elements of dtype in src to float32
// in dst. len(src) must be len(dst) times the dtype's size.
func decodeElems(dst []float32, src []byte, dtype string) {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case "F16":
		for i := range dst {
			dst[i] = f16ToF32(le.Uint16(src[2*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = bf16ToF32(le.Uint16(src[2*i:]))
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(src[8*i:])))
		}
	default:
		panic("safetensors: decodeElems: unchecked dtype " + dtype)
	}
}

// encodeF32 writes src to dst as little-endian F32; len(dst) must be
// 4*len(src).
func encodeF32(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// f16ToF32 converts an IEEE 754 binary16 value to float32. Every binary16
// value, subnormals included, is exactly representable; a NaN keeps its sign
// and payload.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		// Inf or NaN: widen the mantissa.
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		// Zero or subnormal: mant * 2^-24, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(f))
	default:
		// Normal: rebias the exponent from 15 to 127.
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// bf16ToF32 converts a bfloat16 value, the top half of a float32, to float32.
func bf16ToF32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}
