package torchfile_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/semgan/semgan/nn/torchfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pk builds pickle bytes opcode by opcode (protocol 2, as torch.save
// writes).
type pk struct{ bytes.Buffer }

func (p *pk) op(s string) *pk { p.WriteString(s); return p }

func (p *pk) str(s string) *pk {
	p.WriteByte('X')
	_ = binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}

func (p *pk) int(n int32) *pk {
	p.WriteByte('J')
	_ = binary.Write(&p.Buffer, binary.LittleEndian, n)
	return p
}

func (p *pk) global(module, name string) *pk { return p.op("c" + module + "\n" + name + "\n") }

func (p *pk) ints(ns ...int32) *pk {
	p.op("(")
	for _, n := range ns {
		p.int(n)
	}
	return p.op("t")
}

// tensor appends _rebuild_tensor_v2 of a storage of numel elements of
// class (torch.<class>) under key, viewed at offset with shape and stride.
func (p *pk) tensor(class, key string, numel, offset int32, shape, stride []int32) *pk {
	p.global("torch._utils", "_rebuild_tensor_v2").op("(")
	p.op("(").str("storage").global("torch", class).str(key).str("cpu").int(numel).op("tQ")
	return p.int(offset).ints(shape...).ints(stride...).op("\x89}tR")
}

// stateDict pickles {name: tensor} with one float32 storage per tensor,
// keyed by its index.
func stateDict(names []string, build func(p *pk, i int)) []byte {
	p := &pk{}
	p.op("\x80\x02}(")
	for i, n := range names {
		p.str(n)
		build(p, i)
	}
	return p.op("u.").Bytes()
}

// zipFile writes records (name, data) in order as torch.save does: stored,
// under the archive directory "archive/".
func zipFile(t *testing.T, records ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < len(records); i += 2 {
		f, err := w.CreateHeader(&zip.FileHeader{Name: "archive/" + records[i], Method: zip.Store})
		require.NoError(t, err)
		_, err = f.Write([]byte(records[i+1]))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func f32bytes(vs ...float32) string {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return string(b)
}

func read(b []byte) error {
	_, err := torchfile.Read(bytes.NewReader(b), int64(len(b)))
	return err
}

func TestReadHandBuiltZip(t *testing.T) {
	// The builder itself: a transposed 2x3 view of six elements.
	pkl := stateDict([]string{"w"}, func(p *pk, i int) {
		p.tensor("FloatStorage", "0", 6, 0, []int32{3, 2}, []int32{1, 3})
	})
	b := zipFile(t, "data.pkl", string(pkl), "data/0", f32bytes(1, 2, 3, 4, 5, 6), "version", "3\n")
	sd, err := torchfile.Read(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 2}, sd["w"].Shape())
	assert.Equal(t, []float32{1, 4, 2, 5, 3, 6}, sd["w"].Data())
}

func TestReadRejectsHostileInput(t *testing.T) {
	six := f32bytes(1, 2, 3, 4, 5, 6)
	one := func(class string, numel, offset int32, shape, stride []int32) []byte {
		return stateDict([]string{"w"}, func(p *pk, i int) { p.tensor(class, "0", numel, offset, shape, stride) })
	}
	hugeString := (&pk{}).op("\x80\x02X\xff\xff\xff\x7f").Bytes()
	hugeFrame := (&pk{}).op("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x40").Bytes()
	cases := map[string]struct {
		zip  []byte
		want string
	}{
		"storage larger than its record": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 7, 0, []int32{6}, []int32{1})), "data/0", six),
			`tensor "w": record archive/data/0 holds 24 bytes; a storage of 7 float32 elements needs 28`},
		"view past the storage": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 4, []int32{2, 2}, []int32{1, 1})), "data/0", six),
			`tensor "w": view (offset 4, size [2 2], stride [1 1]) runs past its storage of 6 elements`},
		"huge stride": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 0, []int32{2, 2}, []int32{math.MaxInt32, 1})), "data/0", six),
			`tensor "w": view`},
		"expanded to billions": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 0, []int32{1 << 20, 1 << 20}, []int32{0, 0})), "data/0", six),
			`tensor "w": 1099511627776 elements from`},
		"size overflow": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 0, []int32{math.MaxInt32, math.MaxInt32, math.MaxInt32}, []int32{0, 0, 0})), "data/0", six),
			`tensor "w": size [2147483647 2147483647 2147483647] overflows`},
		"unsupported dtype": {
			zipFile(t, "data.pkl", string(one("ComplexFloatStorage", 3, 0, []int32{3}, []int32{1})), "data/0", six),
			`tensor "w": storage type torch.ComplexFloatStorage is not supported`},
		"missing record": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 0, []int32{6}, []int32{1}))),
			`tensor "w": no record archive/data/0`},
		"negative size": {
			zipFile(t, "data.pkl", string(one("FloatStorage", 6, 0, []int32{-1}, []int32{1})), "data/0", six),
			"size: element 0 is -1"},
		"string longer than the pickle": {
			zipFile(t, "data.pkl", string(hugeString)), "needs 2147483647 bytes"},
		"frame longer than the pickle": {
			zipFile(t, "data.pkl", string(hugeFrame)), "needs 4611686018427387904 bytes"},
		"unknown opcode": {
			zipFile(t, "data.pkl", "\x80\x02\xff."), "unknown opcode 0xff"},
		"no STOP": {
			zipFile(t, "data.pkl", "\x80\x02}"), "no STOP opcode"},
		"stack underflow": {
			zipFile(t, "data.pkl", "\x80\x02u."), "pickle"},
		"unhashable key": {
			zipFile(t, "data.pkl", "\x80\x03\x8f(C\x01a\x90."), "pickle: malformed (runtime error: hash of unhashable type"},
		"a list": {
			zipFile(t, "data.pkl", "\x80\x02]."), "holds a list, not a state dict"},
		"a whole module": {
			zipFile(t, "data.pkl", string((&pk{}).op("\x80\x02").global("__main__", "Net").op(")\x81}b.").Bytes())),
			"holds a pickled __main__.Net object, not a state dict (save model.state_dict() instead)"},
		"dicts of dicts": {
			zipFile(t, "data.pkl", string((&pk{}).op("\x80\x02}(").str("G_A").op("}").str("G_B").op("}u.").Bytes())),
			`holds a dict without tensors or a "state_dict" entry: "G_A" (dict), "G_B" (dict)`},
		"quantized tensor": {
			zipFile(t, "data.pkl", string((&pk{}).op("\x80\x02}(").str("q").global("torch._utils", "_rebuild_qtensor").op(")Ru.").Bytes())),
			`tensor "q": torch._utils._rebuild_qtensor is not supported`},
		"TorchScript": {
			zipFile(t, "data.pkl", "\x80\x02}.", "constants.pkl", "\x80\x02)."), "TorchScript"},
		"no data.pkl": {
			zipFile(t, "version", "3\n"), "without ARCHIVE/data.pkl"},
		"big-endian": {
			zipFile(t, "data.pkl", "\x80\x02}.", "byteorder", "big"), `byte order "big"`},
		"bad persistent ID": {
			zipFile(t, "data.pkl", string((&pk{}).op("\x80\x02(").str("module").op("tQ.").Bytes())), `persistent ID ("module", ...) of 1 elements is not a storage`},
		"legacy without magic": {
			[]byte("\x80\x02K\x01."), "without PyTorch's magic number"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := read(c.zip)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "torchfile: "), err.Error())
		})
	}
}

// FuzzRead feeds arbitrary bytes to Read. It checks that Read does not
// panic, that errors carry the package prefix, and that what it returns
// stays within its bound of input bytes + 2^20 elements. The seeds are the
// .pth golden files and a hand-built file.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"pth_views.pth", "pth_views_legacy.pth", "pth_checkpoint.pth"} {
		b, err := os.ReadFile("../../testdata/golden/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pkl := stateDict([]string{"w", "v"}, func(p *pk, i int) {
		p.tensor("FloatStorage", "0", 6, int32(i), []int32{2, 2}, []int32{1, 2})
	})
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, r := range [][2]string{{"a/data.pkl", string(pkl)}, {"a/data/0", f32bytes(1, 2, 3, 4, 5, 6)}} {
		fw, _ := w.CreateHeader(&zip.FileHeader{Name: r[0], Method: zip.Store})
		_, _ = fw.Write([]byte(r[1]))
	}
	_ = w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := torchfile.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if sd != nil {
				t.Fatalf("a state dict and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "torchfile: ") {
				t.Fatalf("error lacks the package prefix: %v", err)
			}
			return
		}
		elems := 0
		for _, v := range sd {
			elems += v.Len()
		}
		if elems > len(data)+1<<20 {
			t.Fatalf("%d elements from %d bytes", elems, len(data))
		}
	})
}
