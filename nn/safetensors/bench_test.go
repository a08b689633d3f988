package safetensors

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"testing"
)

// BenchmarkDecode reports the read throughput, in bytes of file per second,
// for each readable dtype on a 4 MiB data section.
func BenchmarkDecode(b *testing.B) {
	const size = 4 << 20
	for _, dtype := range []string{"F32", "F16", "BF16", "F64"} {
		n := size / int(dtypeSize[dtype])
		data := make([]byte, size)
		for i := 0; i < size; i += 2 {
			binary.LittleEndian.PutUint16(data[i:], uint16(i*31)&0x3fff) // finite values in every dtype
		}
		file := raw(`{"w":{"dtype":"`+dtype+`","shape":[`+strconv.Itoa(n)+`],"data_offsets":[0,`+strconv.Itoa(size)+`]}}`, data)
		b.Run(dtype, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				if _, err := Decode(file); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrite reports the write throughput of a 4 MiB F32 tensor.
func BenchmarkWrite(b *testing.B) {
	f := &File{Tensors: map[string]Tensor{"w": {Shape: []int{1 << 20}, Data: make([]float32, 1<<20)}}}
	var buf bytes.Buffer
	b.SetBytes(4 << 20)
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, f); err != nil {
			b.Fatal(err)
		}
	}
}
