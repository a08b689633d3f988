package safetensors

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// FuzzRead feeds arbitrary bytes to Decode. It checks that Decode does not
// panic; that errors carry the package prefix; that the float32 data
// allocated is at most twice the input (the F16/BF16 expansion); that Read
// through a reader returning short reads agrees with Decode; and that a
// decoded File written and decoded again is unchanged, and written again
// gives the same bytes.
//
// The seed corpus is testdata/fuzz/FuzzRead: the files named seed-* come
// from seedCorpus (regenerate them with go test -run TestSeedCorpus
// -update-corpus); others are inputs the fuzzer once found interesting.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data)

		viaReader, rerr := Read(iotest.HalfReader(bytes.NewReader(data)), int64(len(data)))
		if (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
			t.Fatalf("Decode and Read disagree: %v vs %v", err, rerr)
		}

		if err != nil {
			if got != nil {
				t.Fatalf("Decode returned a File and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Fatalf("error lacks the package prefix: %v", err)
			}
			return
		}
		requireSameFile(t, got, viaReader)

		var elems int
		for _, tn := range got.Tensors {
			n, ok := numElements(tn.Shape)
			require.True(t, ok)
			require.Equal(t, n, len(tn.Data), "shape and data length agree")
			elems += len(tn.Data)
		}
		if 4*elems > 2*len(data) {
			t.Fatalf("decoded %d float32 elements (%d bytes) from %d bytes of input", elems, 4*elems, len(data))
		}

		var buf bytes.Buffer
		require.NoError(t, Write(&buf, got), "a decoded File must be writable")
		again, err := Decode(buf.Bytes())
		require.NoError(t, err, "a written File must be readable")
		requireSameFile(t, got, again)
		require.Equal(t, buf.Bytes(), encode(t, again), "write, read, write is stable")
	})
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed-* files of testdata/fuzz/FuzzRead")

// TestSeedCorpus checks that the seed-* files in testdata/fuzz/FuzzRead hold
// what seedCorpus makes, or with -update-corpus writes them.
func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	for name, data := range seedCorpus(t) {
		path := filepath.Join(dir, "seed-"+name)
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		if *updateCorpus {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
			continue
		}
		onDisk, err := os.ReadFile(path)
		require.NoError(t, err, "seed %s missing: run go test -run TestSeedCorpus -update-corpus", name)
		require.Equal(t, content, string(onDisk), "seed %s is stale: run go test -run TestSeedCorpus -update-corpus", name)
	}
}

// seedCorpus returns valid files, truncations of one, and hostile headers,
// by name.
func seedCorpus(t *testing.T) map[string][]byte {
	u64 := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	golden := raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `, f32Bytes(1, -2.5))
	small := &File{
		Tensors: map[string]Tensor{
			"w": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, float32(math.NaN())}},
			"b": {Shape: []int{2}, Data: []float32{-1, float32(math.Inf(1))}},
			"s": {Shape: []int{}, Data: []float32{0.5}},
			"z": {Shape: []int{0, 4}, Data: []float32{}},
		},
		Metadata: map[string]string{"format": "pt", "step": "100"},
	}
	var mixed []byte
	for _, h := range []uint16{0x3c00, 0x0001, 0x7c00, 0x7e00} {
		mixed = binary.LittleEndian.AppendUint16(mixed, h)
	}
	for _, h := range []uint16{0x3f80, 0xff80} {
		mixed = binary.LittleEndian.AppendUint16(mixed, h)
	}
	mixed = binary.LittleEndian.AppendUint64(mixed, math.Float64bits(0.1))
	seeds := map[string][]byte{
		"golden":        golden,
		"empty":         raw(`{}      `, nil),
		"metadata-only": raw(`{"__metadata__":{"framework":"pt"}}     `, nil),
		"small":         encode(t, small),
		"dtypes": raw(`{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},`+
			`"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},`+
			`"d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}`, mixed),
		"whitespace": raw(" \n{ \"a\" : { \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ] , \"dtype\" : \"F32\" } }\t ", f32Bytes(3)),

		"trunc-3":         golden[:3],
		"trunc-8":         golden[:8],
		"trunc-header":    golden[:30],
		"trunc-data":      golden[:len(golden)-1],
		"extra-data":      append(append([]byte{}, golden...), 0),
		"huge-header-len": u64(math.MaxUint64),
		"max-header-len":  u64(MaxHeaderSize),
		"header-past-end": append(u64(64), `{}`...),

		"dup-tensor":      raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)),
		"dup-field":       raw(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1)),
		"dup-metadata":    raw(`{"__metadata__":{"k":"a","k":"b"}}`, nil),
		"metadata-number": raw(`{"__metadata__":{"k":1}}`, nil),
		"overlap":         raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32Bytes(1, 2, 3)),
		"hole":            raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32Bytes(1, 2, 3)),
		"reversed":        raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, f32Bytes(1)),
		"negative-dim":    raw(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32Bytes(1)),
		"overflow-shape":  raw(`{"a":{"dtype":"F16","shape":[4294967296,4294967297],"data_offsets":[0,2]}}`, []byte{0, 0}),
		"huge-shape":      raw(`{"a":{"dtype":"F16","shape":[1073741824],"data_offsets":[0,2147483648]}}`, []byte{0, 0}),
		"unknown-dtype":   raw(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"deep-nesting":    raw(`{"a":{"dtype":"F32","shape":`+strings.Repeat("[", 1000)+`}}`, nil),
		"invalid-utf8":    raw("{\"\xc3\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", f32Bytes(1)),
		"lone-surrogate":  raw(`{"\ud800":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32Bytes(1)),
	}
	return seeds
}
