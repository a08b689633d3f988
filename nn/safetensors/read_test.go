package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGolden checks Decode and Write against the exact bytes the reference
// implementation (the Rust crate behind Python's safetensors) writes. The
// header lengths 8, 40, 64 and 72 are those of the reference crate's own
// serialization tests; they pin the space padding to a multiple of 8.
func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		header string // as written, padding included
		data   []byte
		want   *File
	}{
		{
			name:   "one tensor",
			header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `,
			data:   f32Bytes(1, -2.5),
			want:   &File{Tensors: map[string]Tensor{"a": {Shape: []int{2}, Data: []float32{1, -2.5}}}},
		},
		{
			name:   "empty",
			header: `{}      `,
			want:   &File{Tensors: map[string]Tensor{}},
		},
		{
			name:   "metadata only",
			header: `{"__metadata__":{"framework":"pt"}}     `,
			want:   &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{"framework": "pt"}},
		},
		{
			name:   "no padding needed",
			header: `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`,
			data:   f32Bytes(0, 1, 2, 3, 4, 5),
			want: &File{Tensors: map[string]Tensor{
				"attn.0": {Shape: []int{1, 2, 3}, Data: []float32{0, 1, 2, 3, 4, 5}},
			}},
		},
		{
			name:   "seven spaces",
			header: `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `,
			data:   f32Bytes(0, 1, 2, 3, 4, 5),
			want: &File{Tensors: map[string]Tensor{
				"attn0": {Shape: []int{1, 1, 2, 3}, Data: []float32{0, 1, 2, 3, 4, 5}},
			}},
		},
		{
			name: "metadata and two tensors",
			header: `{"__metadata__":{"epoch":"3","format":"pt"},` +
				`"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]},` +
				`"w":{"dtype":"F32","shape":[2,0],"data_offsets":[4,4]}} `,
			data: f32Bytes(7),
			want: &File{
				Tensors: map[string]Tensor{
					"b": {Shape: []int{}, Data: []float32{7}},
					"w": {Shape: []int{2, 0}, Data: []float32{}},
				},
				Metadata: map[string]string{"format": "pt", "epoch": "3"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Zero(t, len(c.header)%8, "test header must be padded")
			file := raw(c.header, c.data)
			got, err := Decode(file)
			require.NoError(t, err)
			requireSameFile(t, c.want, got)
			assert.Equal(t, file, encode(t, c.want), "Write must reproduce the reference bytes")
		})
	}
}

// TestGoldenBytes spells one file out byte by byte, so that the length
// prefix's endianness and the data's are checked without helpers.
func TestGoldenBytes(t *testing.T) {
	file := []byte{
		56, 0, 0, 0, 0, 0, 0, 0, // header length, little-endian uint64
	}
	file = append(file, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`...)
	file = append(file, ' ', ' ') // 54 bytes padded to 56
	file = append(file,
		0x00, 0x00, 0x80, 0x3f, // 1.0
		0x00, 0x00, 0x20, 0xc0, // -2.5
	)
	f, err := Decode(file)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, f.Names())
	assert.Equal(t, []int{2}, f.Tensors["a"].Shape)
	assert.Equal(t, []float32{1, -2.5}, f.Tensors["a"].Data)
	assert.Nil(t, f.Metadata)
	assert.Equal(t, file, encode(t, f))
}

func TestDecodeLenient(t *testing.T) {
	// Things the reference reader accepts and so must we: any key order,
	// whitespace in and around the JSON, tensors stored out of name order.
	header := "\n { \"data_offsets\" : [0,4], \"b\":{\"shape\":[1],\"data_offsets\":[4,8],\"dtype\":\"F32\"}, " +
		"\"a\":{\"data_offsets\":[0,4],\"dtype\":\"F32\",\"shape\":[1]}}\t\r\n  "
	// A tensor may be named like a field.
	header = strings.Replace(header, `"data_offsets" : [0,4], `, `"data_offsets" : {"dtype":"F32","shape":[0],"data_offsets":[8,8]}, `, 1)
	f, err := Decode(raw(header, f32Bytes(1, 2)))
	require.NoError(t, err)
	requireSameFile(t, &File{Tensors: map[string]Tensor{
		"a":            {Shape: []int{1}, Data: []float32{1}},
		"b":            {Shape: []int{1}, Data: []float32{2}},
		"data_offsets": {Shape: []int{0}, Data: []float32{}},
	}}, f)
}

func TestDecodeEscapedNames(t *testing.T) {
	name := "a\"b\\c\nd\x01é<>&/"
	header := `{"a\"b\\c\nd\u0001\u00e9<>&\/":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`
	f, err := Decode(raw(header, f32Bytes(3)))
	require.NoError(t, err)
	require.Equal(t, []string{name}, f.Names())
}

func TestMalformed(t *testing.T) {
	u64 := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	tensor := func(name, body string) string { return `{"` + name + `":{` + body + `}}` }
	f32x1 := f32Bytes(1)
	cases := []struct {
		name  string
		input []byte
		want  string // a substring of the error
	}{
		{"empty input", nil, "0 bytes, too short"},
		{"short input", []byte{1, 0, 0}, "3 bytes, too short"},
		{"huge header length", u64(1 << 62), "header length 4611686018427387904 exceeds the limit of 100000000"},
		{"max uint64 header length", u64(math.MaxUint64), "exceeds the limit"},
		{"header past end", append(u64(100), `{}`...), "header length 100 exceeds the 2 bytes that follow it"},
		{"header length just past end", append(u64(3), `{}`...), "header length 3 exceeds the 2 bytes"},
		{"empty header", u64(0), "header is empty"},
		{"invalid UTF-8", raw("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"array header", raw(`[]`, nil), `header: want "{", found "["`},
		{"string header", raw(`"x"`, nil), `header: want "{", found string "x"`},
		{"syntax error", raw(`{"a":}`, nil), "invalid JSON at header byte"},
		{"non-string key", raw(`{1:2}`, nil), "invalid JSON at header byte"},
		{"truncated JSON", raw(`{"a":{"dtype"`, nil), "ends early"},
		{"only spaces", raw(`   `, nil), "ends early"},
		{"data after object", raw(`{} x`, nil), "data after its JSON object, at byte 3"},
		{"second object", raw(`{}{}`, nil), "data after its JSON object"},
		{"NUL padding", raw("{}\x00\x00", nil), "data after its JSON object"},
		{"tensor not object", raw(`{"a":3}`, nil), `tensor "a": want an object with dtype, shape and data_offsets, found number 3`},
		{"tensor null", raw(`{"a":null}`, nil), `tensor "a": want an object`},
		{"unknown dtype", raw(tensor("x.w", `"dtype":"I64","shape":[1],"data_offsets":[0,8]`), make([]byte, 8)),
			`tensor "x.w": dtype "I64" is not supported`},
		{"lower-case dtype", raw(tensor("a", `"dtype":"f32","shape":[1],"data_offsets":[0,4]`), f32x1), `dtype "f32" is not supported`},
		{"dtype not string", raw(tensor("a", `"dtype":4,"shape":[1],"data_offsets":[0,4]`), f32x1), `tensor "a": dtype must be a string, found number 4`},
		{"missing dtype", raw(tensor("a", `"shape":[1],"data_offsets":[0,4]`), f32x1), `tensor "a": missing field "dtype"`},
		{"missing shape", raw(tensor("a", `"dtype":"F32","data_offsets":[0,4]`), f32x1), `tensor "a": missing field "shape"`},
		{"missing offsets", raw(tensor("a", `"dtype":"F32","shape":[1]`), f32x1), `tensor "a": missing field "data_offsets"`},
		{"extra field", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[0,4],"offsets":[0,4]`), f32x1),
			`tensor "a": unknown field "offsets"`},
		{"duplicate dtype", raw(tensor("a", `"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]`), f32x1),
			`tensor "a": field "dtype" appears twice`},
		{"duplicate shape", raw(tensor("a", `"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]`), f32x1),
			`tensor "a": field "shape" appears twice`},
		{"duplicate offsets", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[0,4],"data_offsets":[0,4]`), f32x1),
			`tensor "a": field "data_offsets" appears twice`},
		{"duplicate tensor", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)),
			`tensor "a" appears twice in the header`},
		{"duplicate metadata", raw(`{"__metadata__":{},"__metadata__":{}}`, nil), `two "__metadata__" entries`},
		{"metadata not object", raw(`{"__metadata__":["a"]}`, nil), `"__metadata__" must be an object of strings, found "["`},
		{"metadata null", raw(`{"__metadata__":null}`, nil), `"__metadata__" must be an object of strings, found null`},
		{"metadata number value", raw(`{"__metadata__":{"epoch":3}}`, nil), `"__metadata__": value of key "epoch" must be a string, found number 3`},
		{"metadata nested value", raw(`{"__metadata__":{"k":{"x":"y"}}}`, nil), `value of key "k" must be a string, found "{"`},
		{"metadata duplicate key", raw(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `"__metadata__": key "k" appears twice`},
		{"shape not array", raw(tensor("a", `"dtype":"F32","shape":3,"data_offsets":[0,4]`), f32x1),
			`tensor "a": shape must be an array of non-negative integers, found number 3`},
		{"shape nested", raw(tensor("a", `"dtype":"F32","shape":[[1]],"data_offsets":[0,4]`), f32x1),
			`shape must be an array of non-negative integers, found "["`},
		{"shape string dim", raw(tensor("a", `"dtype":"F32","shape":["1"],"data_offsets":[0,4]`), f32x1), `found string "1"`},
		{"negative dim", raw(tensor("a", `"dtype":"F32","shape":[-1],"data_offsets":[0,4]`), f32x1), `tensor "a": shape has negative value -1`},
		{"fractional dim", raw(tensor("a", `"dtype":"F32","shape":[1.5],"data_offsets":[0,4]`), f32x1), `shape has non-integer value 1.5`},
		{"exponent dim", raw(tensor("a", `"dtype":"F32","shape":[1e0],"data_offsets":[0,4]`), f32x1), `shape has non-integer value 1e0`},
		{"dim over 64 bits", raw(tensor("a", `"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]`), f32x1),
			`shape value 18446744073709551616 does not fit in 64 bits`},
		{"dim over int", raw(tensor("a", `"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]`), f32x1),
			`shape dimension 9223372036854775808 is too large`},
		{"shape product overflows", raw(tensor("a", `"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]`), f32x1),
			`tensor "a": shape [4294967296 4294967296] has too many elements`},
		{"overflow before a zero dim", raw(tensor("a", `"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]`), nil),
			`has too many elements`},
		{"bytes overflow", raw(tensor("a", `"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]`), make([]byte, 8)),
			`F64 shape [4611686018427387904] needs 4611686018427387904*8 bytes, data_offsets give 8`},
		{"size mismatch", raw(tensor("model.1.weight", `"dtype":"F32","shape":[3,4],"data_offsets":[0,40]`), make([]byte, 40)),
			`safetensors: tensor "model.1.weight": F32 shape [3 4] needs 48 bytes, data_offsets give 40`},
		{"F16 size mismatch", raw(tensor("h", `"dtype":"F16","shape":[3],"data_offsets":[0,8]`), make([]byte, 8)),
			`tensor "h": F16 shape [3] needs 6 bytes, data_offsets give 8`},
		{"scalar size mismatch", raw(tensor("s", `"dtype":"F32","shape":[],"data_offsets":[0,0]`), nil),
			`tensor "s": F32 shape [] needs 4 bytes, data_offsets give 0`},
		{"offsets not array", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":4`), f32x1), `data_offsets must be an array`},
		{"one offset", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[4]`), f32x1), `tensor "a": data_offsets has 1 values, want 2`},
		{"three offsets", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[0,4,8]`), f32x1), `data_offsets has 3 values, want 2`},
		{"negative offset", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[-4,0]`), f32x1), `data_offsets has negative value -4`},
		{"reversed offsets", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[4,0]`), f32x1), `tensor "a": data_offsets [4 0] are reversed`},
		{"offsets past end", raw(tensor("a", `"dtype":"F32","shape":[2],"data_offsets":[0,8]`), f32x1),
			`tensor "a": data_offsets [0 8] run past the end of the 4-byte data section`},
		{"offsets far past end", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]`), f32x1),
			`needs 4 bytes, data_offsets give 3`},
		{"hole at start", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[4,8]`), f32Bytes(1, 2)),
			`data section has a hole: bytes [0 4) before tensor "a" belong to no tensor`},
		{"hole between", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32Bytes(1, 2, 3)),
			`data section has a hole: bytes [4 8) before tensor "b"`},
		{"trailing bytes", raw(tensor("a", `"dtype":"F32","shape":[1],"data_offsets":[0,4]`), f32Bytes(1, 2)),
			`data section has 4 trailing bytes [4 8) that belong to no tensor`},
		{"data without tensors", raw(`{}`, []byte{0}), `data section has 1 trailing bytes [0 1)`},
		{"overlap", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32Bytes(1, 2, 3)),
			`tensor "b": data_offsets [4 12] overlap tensor "a" at [0 8]`},
		{"same offsets", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1)),
			`tensor "b": data_offsets [0 4] overlap tensor "a" at [0 4]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.input)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "safetensors: "), "error %q lacks the package prefix", err)
			assert.NotContains(t, err.Error(), "safetensors: safetensors:")
		})
	}
}

// TestReadShortReader checks that Read reports a reader that ends before the
// size it was promised, naming the tensor it was reading.
func TestReadShortReader(t *testing.T) {
	file := encode(t, &File{Tensors: map[string]Tensor{"w": {Shape: []int{3}, Data: []float32{1, 2, 3}}}})
	for _, cut := range []int{4, 8, 12, len(file) - 4} {
		_, err := Read(bytes.NewReader(file[:cut]), int64(len(file)))
		require.Error(t, err, "cut at %d", cut)
		assert.Contains(t, err.Error(), "unexpected EOF", "cut at %d", cut)
	}
	_, err := Read(bytes.NewReader(file[:len(file)-4]), int64(len(file)))
	assert.Contains(t, err.Error(), `tensor "w": reading data`)
}

// TestReadLarge reads a file bigger than one chunk, with a tensor that
// straddles chunk boundaries.
func TestReadLarge(t *testing.T) {
	n := chunkSize/2 + 3 // F16 elements: 1 chunk of bytes and a bit
	data := make([]byte, 2*n)
	want := make([]float32, n)
	for i := range n {
		h := uint16(i * 7919) // spread over all bit patterns, NaNs included
		binary.LittleEndian.PutUint16(data[2*i:], h)
		want[i] = f16ToF32(h)
	}
	big := f32Bytes(make([]float32, chunkSize/4+1)...)
	header := `{"a":{"dtype":"F32","shape":[` + strconv.Itoa(chunkSize/4+1) + `],"data_offsets":[0,` + strconv.Itoa(len(big)) + `]},` +
		`"h":{"dtype":"F16","shape":[` + strconv.Itoa(n) + `],"data_offsets":[` + strconv.Itoa(len(big)) + `,` + strconv.Itoa(len(big)+len(data)) + `]}}`
	f, err := Decode(raw(header, append(big, data...)))
	require.NoError(t, err)
	requireSameFile(t, &File{Tensors: map[string]Tensor{
		"a": {Shape: []int{chunkSize/4 + 1}, Data: make([]float32, chunkSize/4+1)},
		"h": {Shape: []int{n}, Data: want},
	}}, f)
}

// TestHostileAllocation checks that a small file that claims a huge header
// or huge tensors is rejected before anything of that size is allocated.
func TestHostileAllocation(t *testing.T) {
	inputs := [][]byte{
		binary.LittleEndian.AppendUint64(nil, MaxHeaderSize), // claims a 100 MB header
		raw(`{"a":{"dtype":"F32","shape":[268435456],"data_offsets":[0,1073741824]}}`, f32Bytes(1)),
		raw(`{"a":{"dtype":"F16","shape":[1073741824],"data_offsets":[0,2147483648]}}`, nil),
	}
	for i, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(in)
		runtime.ReadMemStats(&after)
		require.Error(t, err, "input %d", i)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "input %d: bytes allocated", i)
	}
}

// TestF16 checks f16ToF32 on all 65536 inputs against a float64 evaluation
// of the binary16 definition, and on named values.
func TestF16(t *testing.T) {
	for h := range 1 << 16 {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, mant := (h>>10)&0x1f, h&0x3ff
		got := f16ToF32(uint16(h))
		switch {
		case exp == 0x1f && mant != 0:
			if !math.IsNaN(float64(got)) {
				t.Errorf("f16 %#04x: want NaN, got %v", h, got)
			}
			continue
		case exp == 0x1f:
			if !math.IsInf(float64(got), int(sign)) {
				t.Errorf("f16 %#04x: want %vInf, got %v", h, sign, got)
			}
			continue
		}
		var want float64
		if exp == 0 {
			want = sign * float64(mant) * math.Pow(2, -24)
		} else {
			want = sign * (1 + float64(mant)/1024) * math.Pow(2, float64(exp-15))
		}
		if float64(got) != want || math.Signbit(float64(got)) != (sign < 0) {
			t.Errorf("f16 %#04x: want %v, got %v", h, want, got)
		}
	}

	named := []struct {
		bits uint16
		want float32
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},              // largest finite
		{0x0400, 1.0 / 16384},        // smallest normal, 2^-14
		{0x0001, 1.0 / (1 << 24)},    // smallest subnormal, 2^-24
		{0x03ff, 1023.0 / (1 << 24)}, // largest subnormal
		{0x8001, -1.0 / (1 << 24)},   // negative subnormal
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range named {
		assert.Equal(t, c.want, f16ToF32(c.bits), "f16 %#04x", c.bits)
	}
	assert.True(t, math.Signbit(float64(f16ToF32(0x8000))), "f16 0x8000 is -0")
	nan := f16ToF32(0x7e00)
	assert.True(t, math.IsNaN(float64(nan)))
	assert.Equal(t, uint32(0x7fc00000), math.Float32bits(nan), "quiet NaN keeps its payload bit")
	assert.True(t, math.IsNaN(float64(f16ToF32(0x7c01))), "signalling NaN stays NaN")
}

// TestDtypes decodes a file with one tensor of each readable dtype, built
// byte by byte, into the expected float32 values.
func TestDtypes(t *testing.T) {
	le := binary.LittleEndian
	var f16, bf16, f64 []byte
	for _, h := range []uint16{0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000} {
		f16 = le.AppendUint16(f16, h)
	}
	for _, b := range []uint16{0x3f80, 0xc040, 0x0001, 0x7f80, 0x7fc0, 0x3eab} {
		bf16 = le.AppendUint16(bf16, b)
	}
	for _, x := range []float64{1, -2.5, 0.1, 1e300, -1e300, 1e-50, math.NaN(), math.MaxFloat32} {
		f64 = le.AppendUint64(f64, math.Float64bits(x))
	}
	f32 := f32Bytes(1.5, float32(math.Inf(-1)))
	header := `{"bf16":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},` +
		`"f16":{"dtype":"F16","shape":[7],"data_offsets":[12,26]},` +
		`"f32":{"dtype":"F32","shape":[2],"data_offsets":[26,34]},` +
		`"f64":{"dtype":"F64","shape":[8],"data_offsets":[34,98]}}`
	data := append(append(append(append([]byte{}, bf16...), f16...), f32...), f64...)
	f, err := Decode(raw(header, data))
	require.NoError(t, err)

	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	want := &File{Tensors: map[string]Tensor{
		"f16":  {Shape: []int{7}, Data: []float32{1, -2, 1.0 / (1 << 24), inf, -inf, math.Float32frombits(0x7fc00000), float32(math.Copysign(0, -1))}},
		"bf16": {Shape: []int{2, 3}, Data: []float32{1, -3, math.Float32frombits(0x00010000), inf, math.Float32frombits(0x7fc00000), 0.333984375}},
		"f32":  {Shape: []int{2}, Data: []float32{1.5, -inf}},
		"f64":  {Shape: []int{8}, Data: []float32{1, -2.5, 0.1, inf, -inf, 0, nan, math.MaxFloat32}},
	}}
	// float32(NaN) has no fixed payload; compare the NaN by class.
	got64 := f.Tensors["f64"].Data
	require.True(t, math.IsNaN(float64(got64[6])))
	got64[6] = nan
	requireSameFile(t, want, f)
}
