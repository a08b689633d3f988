package safetensors

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleFile returns a File with several shapes, odd sizes, special values
// and metadata.
func sampleFile() *File {
	rng := rand.New(rand.NewPCG(1, 2))
	randData := func(n int) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = rng.Float32()*2 - 1
		}
		return d
	}
	special := []float32{
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), // NaN with a payload
		math.Float32frombits(0xffa00000), // negative signalling NaN
		math.SmallestNonzeroFloat32, math.MaxFloat32,
	}
	return &File{
		Tensors: map[string]Tensor{
			"model.0.weight":   {Shape: []int{4, 3, 7, 7}, Data: randData(4 * 3 * 7 * 7)},
			"model.0.bias":     {Shape: []int{4}, Data: randData(4)},
			"model.1.running":  {Shape: []int{1, 1, 3}, Data: randData(3)},
			"scalar":           {Shape: []int{}, Data: []float32{42}},
			"empty":            {Shape: []int{3, 0, 5}, Data: []float32{}},
			"special":          {Shape: []int{2, 4}, Data: special},
			"ünïcode \"name\"": {Shape: []int{1}, Data: []float32{-1}},
		},
		Metadata: map[string]string{"format": "pt", "epoch": "17", "note": "line1\nline2\t\"q\""},
	}
}

func TestRoundTrip(t *testing.T) {
	cases := map[string]*File{
		"sample":           sampleFile(),
		"no tensors":       {Tensors: map[string]Tensor{}},
		"nil tensors":      {},
		"empty metadata":   {Tensors: map[string]Tensor{}, Metadata: map[string]string{}},
		"scalar":           {Tensors: map[string]Tensor{"s": {Shape: []int{}, Data: []float32{-3.25}}}},
		"zero-size only":   {Tensors: map[string]Tensor{"z": {Shape: []int{0}, Data: []float32{}}}},
		"two zero-size":    {Tensors: map[string]Tensor{"a": {Shape: []int{0, 2}, Data: []float32{}}, "b": {Shape: []int{2, 0}, Data: []float32{}}}},
		"metadata no data": {Tensors: map[string]Tensor{}, Metadata: map[string]string{"k": "v", "": ""}},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			b := encode(t, want)
			require.Zero(t, (len(b)-8)%4, "F32 data must stay aligned")
			got, err := Decode(b)
			require.NoError(t, err)
			if want.Tensors == nil {
				want = &File{Tensors: map[string]Tensor{}, Metadata: want.Metadata}
			}
			requireSameFile(t, want, got)
			// Writing what was read gives the same bytes.
			assert.Equal(t, b, encode(t, got))
		})
	}
}

// TestWriteDeterministic writes equal Files built in different insertion
// orders, and the same File many times: Go map order must not leak.
func TestWriteDeterministic(t *testing.T) {
	f := sampleFile()
	first := encode(t, f)
	for range 20 {
		require.Equal(t, first, encode(t, f))
	}
	g := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{}}
	names := f.Names()
	for i := len(names) - 1; i >= 0; i-- {
		g.Tensors[names[i]] = f.Tensors[names[i]]
	}
	for k, v := range f.Metadata {
		g.Metadata[k] = v
	}
	require.Equal(t, first, encode(t, g))
}

func TestWriteHeaderLayout(t *testing.T) {
	f := &File{
		Tensors: map[string]Tensor{
			"b": {Shape: []int{2}, Data: []float32{1, 2}},
			"a": {Shape: []int{}, Data: []float32{3}},
		},
		Metadata: map[string]string{"z": "1", "y": "2"},
	}
	b := encode(t, f)
	want := `{"__metadata__":{"y":"2","z":"1"},` +
		`"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	want += strings.Repeat(" ", (8-len(want)%8)%8)
	assert.Equal(t, raw(want, f32Bytes(3, 1, 2)), b)
}

// TestWriteEscaping checks that names and metadata are escaped as serde_json
// escapes them: only quote, backslash and control characters.
func TestWriteEscaping(t *testing.T) {
	name := "a\"b\\c\nd\x01\x1f\x7fé<>&/\u2028"
	f := &File{Tensors: map[string]Tensor{name: {Shape: []int{}, Data: []float32{1}}}, Metadata: map[string]string{"\t": "\b\f\r"}}
	b := encode(t, f)
	header := `{"__metadata__":{"\t":"\b\f\r"},"a\"b\\c\nd\u0001\u001f` + "\x7fé<>&/\u2028" + `":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`
	assert.Equal(t, header, strings.TrimRight(string(b[8:len(b)-4]), " "))
	got, err := Decode(b)
	require.NoError(t, err)
	requireSameFile(t, f, got)
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name string
		f    *File
		want string
	}{
		{"nil file", nil, "safetensors: Write: nil File"},
		{"short data", &File{Tensors: map[string]Tensor{"w": {Shape: []int{2, 3}, Data: make([]float32, 5)}}},
			`safetensors: tensor "w": shape [2 3] needs 6 elements, Data has 5`},
		{"scalar without data", &File{Tensors: map[string]Tensor{"s": {}}}, `tensor "s": shape [] needs 1 elements, Data has 0`},
		{"negative dim", &File{Tensors: map[string]Tensor{"n": {Shape: []int{-1, -2}, Data: make([]float32, 2)}}},
			`tensor "n": shape [-1 -2] has a negative dimension or too many elements`},
		{"overflow", &File{Tensors: map[string]Tensor{"o": {Shape: []int{math.MaxInt, 2}}}}, `tensor "o": shape`},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": {Shape: []int{}, Data: []float32{1}}}},
			`a tensor may not be named "__metadata__"`},
		{"bad UTF-8 name", &File{Tensors: map[string]Tensor{"\xff": {Shape: []int{}, Data: []float32{1}}}}, `name is not valid UTF-8`},
		{"bad UTF-8 metadata", &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{"k": "\xc3"}}, `metadata key "k": key or value is not valid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Zero(t, buf.Len(), "nothing may be written before the File is checked")
		})
	}
}

// failingWriter passes n bytes through to w and then fails.
type failingWriter struct {
	w io.Writer
	n int
}

var errInjected = errors.New("injected write failure")

func (fw *failingWriter) Write(p []byte) (int, error) {
	if len(p) > fw.n {
		k, _ := fw.w.Write(p[:fw.n])
		fw.n = 0
		return k, errInjected
	}
	fw.n -= len(p)
	return fw.w.Write(p)
}

func TestWriteWriterError(t *testing.T) {
	f := sampleFile()
	full := encode(t, f)
	for _, n := range []int{0, 7, 8, 100, len(full) - 1} {
		var buf bytes.Buffer
		err := Write(&failingWriter{w: &buf, n: n}, f)
		require.ErrorIs(t, err, errInjected, "fail after %d bytes", n)
		assert.Equal(t, string(full[:n]), buf.String())
	}
}

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	f := sampleFile()
	require.NoError(t, WriteFile(path, f))
	got, err := ReadFile(path)
	require.NoError(t, err)
	requireSameFile(t, f, got)
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, encode(t, f), onDisk)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "new file permissions")
	assert.Equal(t, []string{"model.safetensors"}, dirNames(t, dir))

	// Replacing keeps the old file's permissions.
	require.NoError(t, os.Chmod(path, 0o600))
	g := &File{Tensors: map[string]Tensor{"x": {Shape: []int{1}, Data: []float32{5}}}}
	require.NoError(t, WriteFile(path, g))
	got, err = ReadFile(path)
	require.NoError(t, err)
	requireSameFile(t, g, got)
	st, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "replaced file permissions")
	assert.Equal(t, []string{"model.safetensors"}, dirNames(t, dir))
}

// TestWriteFileAtomic makes WriteFile fail in each way it can and checks
// that the old file is intact and no temporary file is left.
func TestWriteFileAtomic(t *testing.T) {
	old := &File{Tensors: map[string]Tensor{"old": {Shape: []int{2}, Data: []float32{1, 2}}}}
	setup := func(t *testing.T) (dir, path string, oldBytes []byte) {
		dir = t.TempDir()
		path = filepath.Join(dir, "ckpt.safetensors")
		require.NoError(t, WriteFile(path, old))
		oldBytes, err := os.ReadFile(path)
		require.NoError(t, err)
		return dir, path, oldBytes
	}
	check := func(t *testing.T, dir, path string, oldBytes []byte) {
		now, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, oldBytes, now, "target must be unchanged")
		assert.Equal(t, []string{"ckpt.safetensors"}, dirNames(t, dir), "no temporary file may be left")
	}

	t.Run("write fails part way", func(t *testing.T) {
		dir, path, oldBytes := setup(t)
		testHookWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, n: 50} }
		defer func() { testHookWriter = nil }()
		err := WriteFile(path, sampleFile())
		require.ErrorIs(t, err, errInjected)
		check(t, dir, path, oldBytes)
	})
	t.Run("invalid file", func(t *testing.T) {
		dir, path, oldBytes := setup(t)
		bad := &File{Tensors: map[string]Tensor{"w": {Shape: []int{3}, Data: []float32{1}}}}
		err := WriteFile(path, bad)
		require.ErrorContains(t, err, `tensor "w": shape [3] needs 3 elements, Data has 1`)
		check(t, dir, path, oldBytes)
	})
	t.Run("nil file", func(t *testing.T) {
		dir, path, oldBytes := setup(t)
		require.ErrorContains(t, WriteFile(path, nil), "nil File")
		check(t, dir, path, oldBytes)
	})
	t.Run("rename fails", func(t *testing.T) {
		dir, path, oldBytes := setup(t)
		// A non-empty directory cannot be renamed over.
		target := filepath.Join(dir, "sub")
		require.NoError(t, os.Mkdir(target, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), nil, 0o644))
		err := WriteFile(target, old)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "safetensors: "))
		now, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, oldBytes, now)
		assert.Equal(t, []string{"ckpt.safetensors", "sub"}, dirNames(t, dir), "no temporary file may be left")
		assert.Equal(t, []string{"keep"}, dirNames(t, target))
	})
	t.Run("no directory", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteFile(filepath.Join(dir, "missing", "x.safetensors"), old)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "safetensors: "))
		assert.Empty(t, dirNames(t, dir))
	})
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "nope"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.True(t, strings.HasPrefix(err.Error(), "safetensors: "))

	_, err = ReadFile(dir)
	require.ErrorContains(t, err, "not a regular file")

	path := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(path, raw(`{"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}`, make([]byte, 8)), 0o644))
	_, err = ReadFile(path)
	require.ErrorContains(t, err, "safetensors: "+path+`: tensor "a": dtype "I64" is not supported`)
}

func TestNames(t *testing.T) {
	f := &File{Tensors: map[string]Tensor{"b": {}, "a.2": {}, "a.10": {}, "B": {}}}
	assert.Equal(t, []string{"B", "a.10", "a.2", "b"}, f.Names())
	assert.Empty(t, (&File{}).Names())
	assert.Empty(t, (*File)(nil).Names())
}
