package safetensors

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// MaxHeaderSize is the largest header, in bytes, that Read accepts and Write
// produces. It is the limit of the reference implementation.
const MaxHeaderSize = 100_000_000

// metadataKey is the header key that holds the file's metadata instead of a
// tensor.
const metadataKey = "__metadata__"

// Tensor is one named array of a File: its dimensions and its elements in C
// (row-major) order. A scalar has an empty (or nil) Shape and one element; a
// tensor with a zero dimension has no elements. Read gives scalars a non-nil
// empty Shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// File is the content of a safetensors file: tensors by name, and the
// optional string metadata stored under "__metadata__". A nil Metadata means
// the file has no "__metadata__" entry; an empty non-nil one means it has an
// empty one.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// Names returns the names of f's tensors in increasing byte order, the
// order Write stores them in. A nil File has no names.
func (f *File) Names() []string {
	if f == nil {
		return nil
	}
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// dtypeSize is the element size in bytes of each dtype this package reads.
var dtypeSize = map[string]uint64{
	"F16":  2,
	"BF16": 2,
	"F32":  4,
	"F64":  8,
}

// numElements returns the product of shape's dimensions, and false if a
// dimension is negative or the product (or any partial product, as in the
// reference implementation) overflows int.
func numElements(shape []int) (int, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		n = lo
	}
	return int(n), true
}

// shapeString formats a shape the way error messages show it: [2 3].
func shapeString(shape []int) string {
	return fmt.Sprint(shape)
}
