package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// dtype is an element type of a storage: its name, size in bytes and
// conversion of one little-endian element to float32.
type dtype struct {
	name   string
	size   int
	decode func(b []byte) float32
}

var le = binary.LittleEndian

// dtypes are the storage types read, by the name of their torch class.
var dtypes = map[string]*dtype{
	"FloatStorage":    {"float32", 4, func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) }},
	"HalfStorage":     {"float16", 2, func(b []byte) float32 { return f16ToF32(le.Uint16(b)) }},
	"BFloat16Storage": {"bfloat16", 2, func(b []byte) float32 { return math.Float32frombits(uint32(le.Uint16(b)) << 16) }},
	"DoubleStorage":   {"float64", 8, func(b []byte) float32 { return float32(math.Float64frombits(le.Uint64(b))) }},
	"LongStorage":     {"int64", 8, func(b []byte) float32 { return float32(int64(le.Uint64(b))) }},
	"IntStorage":      {"int32", 4, func(b []byte) float32 { return float32(int32(le.Uint32(b))) }},
	"ShortStorage":    {"int16", 2, func(b []byte) float32 { return float32(int16(le.Uint16(b))) }},
	"CharStorage":     {"int8", 1, func(b []byte) float32 { return float32(int8(b[0])) }},
	"ByteStorage":     {"uint8", 1, func(b []byte) float32 { return float32(b[0]) }},
	"BoolStorage": {"bool", 1, func(b []byte) float32 {
		if b[0] != 0 {
			return 1
		}
		return 0
	}},
}

// f16ToF32 converts an IEEE 754 binary16 value to float32, exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: widen the mantissa
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0: // zero or subnormal: mant * 2^-24
		return math.Float32frombits(sign | math.Float32bits(float32(mant)*(1.0/(1<<24))))
	default: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// numel returns the product of shape, and false if it overflows int.
func numel(shape []int) (int, bool) {
	n := uint64(1)
	for _, d := range shape {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		n = lo
	}
	return int(n), true
}

// checkView checks that every element of t lies inside its storage of
// numel elements and returns the number of elements of t.
func (t *rawTensor) checkView() (int, error) {
	n, ok := numel(t.shape)
	if !ok {
		return 0, fmt.Errorf("size %v overflows", t.shape)
	}
	if n == 0 {
		return 0, nil
	}
	// The last element sits at offset + sum((size-1)*stride); each term is
	// checked against the storage so that the sum cannot overflow.
	last := uint64(t.offset)
	limit := uint64(t.st.numel)
	for i, d := range t.shape {
		hi, lo := bits.Mul64(uint64(d-1), uint64(t.stride[i]))
		if hi != 0 || lo >= limit {
			last = limit
			break
		}
		if last += lo; last >= limit {
			break
		}
	}
	if last >= limit {
		return 0, fmt.Errorf("view (offset %d, size %v, stride %v) runs past its storage of %d elements", t.offset, t.shape, t.stride, t.st.numel)
	}
	return n, nil
}

// float32s copies the n elements of t, a checked view of a read storage,
// into a new slice in C order.
func (t *rawTensor) float32s(n int) []float32 {
	out := make([]float32, n)
	if n == 0 {
		return out
	}
	dt := t.st.class.dtype
	at := func(i int) []byte { return t.st.data[i*dt.size:] }
	if t.contiguous() {
		for i := range out {
			out[i] = dt.decode(at(t.offset + i))
		}
		return out
	}
	// Walk the index like an odometer, the last dimension fastest.
	idx := make([]int, len(t.shape))
	pos := t.offset
	for i := range out {
		out[i] = dt.decode(at(pos))
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			pos -= idx[d] * t.stride[d]
			idx[d] = 0
		}
	}
	return out
}

// contiguous reports whether t's strides are those of C order (ignoring
// dimensions of size 1, whose stride does not matter).
func (t *rawTensor) contiguous() bool {
	want := 1
	for d := len(t.shape) - 1; d >= 0; d-- {
		if t.shape[d] != 1 && t.stride[d] != want {
			return false
		}
		want *= t.shape[d]
	}
	return true
}
