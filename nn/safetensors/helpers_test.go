package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// raw builds a file from a header given verbatim (no padding added) and a
// data section.
func raw(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// f32Bytes returns vs as little-endian F32.
func f32Bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	encodeF32(b, vs)
	return b
}

// encode is Write into a buffer, failing the test on error.
func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, f))
	return buf.Bytes()
}

// requireSameFile checks that got holds the same tensors (bit for bit, so
// NaNs compare equal to themselves) and metadata as want.
func requireSameFile(t testing.TB, want, got *File) {
	t.Helper()
	require.Equal(t, want.Names(), got.Names(), "tensor names")
	for _, name := range want.Names() {
		w, g := want.Tensors[name], got.Tensors[name]
		require.Equal(t, len(w.Shape), len(g.Shape), "tensor %q: rank", name)
		for i := range w.Shape {
			require.Equal(t, w.Shape[i], g.Shape[i], "tensor %q: shape", name)
		}
		require.Equal(t, len(w.Data), len(g.Data), "tensor %q: length", name)
		for i := range w.Data {
			if math.Float32bits(w.Data[i]) != math.Float32bits(g.Data[i]) {
				require.Failf(t, "data differs", "tensor %q: element %d: want %v (%#08x), got %v (%#08x)",
					name, i, w.Data[i], math.Float32bits(w.Data[i]), g.Data[i], math.Float32bits(g.Data[i]))
			}
		}
	}
	require.Equal(t, want.Metadata == nil, got.Metadata == nil, "metadata presence")
	require.Equal(t, len(want.Metadata), len(got.Metadata), "metadata size")
	for k, v := range want.Metadata {
		gv, ok := got.Metadata[k]
		require.True(t, ok, "metadata key %q missing", k)
		require.Equal(t, v, gv, "metadata key %q", k)
	}
}
