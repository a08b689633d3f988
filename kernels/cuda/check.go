//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// arg is a buffer argument of a primitive with the length it must have; an
// optional one may also be nil.
type arg struct {
	name     string
	b        *buffer
	want     int
	optional bool
}

// checkLens panics, naming fn and describing the shape, if a buffer has the
// wrong length. shape is only called to build the message.
func checkLens(fn string, shape func() string, args ...arg) {
	for _, a := range args {
		if a.optional && a.b == nil {
			continue
		}
		if a.b == nil {
			panic(fmt.Sprintf("cuda: %s: %s is nil", fn, a.name))
		}
		if a.b.n != a.want {
			panic(fmt.Sprintf("cuda: %s: %s has %d elements, want %d for %s", fn, a.name, a.b.n, a.want, shape()))
		}
	}
}

// text returns a shape description for checkLens that is a fixed string.
func text(s string) func() string { return func() string { return s } }

// checkInt32 panics, naming fn, if a size is too large for the kernels'
// int indexing.
func checkInt32(fn string, sizes ...int) {
	for _, n := range sizes {
		if n >= 1<<31-1<<24 { // headroom for the grid-stride step
			panic(fmt.Sprintf("cuda: %s: %d elements are too many for 32-bit indexing", fn, n))
		}
	}
}

// checkBroadcast panics, naming fn, if p has a negative size or stride, if
// a or b have the wrong length for it (b must hold exactly p.BLen()
// elements and every index p produces must lie in it), or if two elements of
// b's shape share an index.
func checkBroadcast(fn string, p kernels.BroadcastParams, aName string, a *buffer, bName string, b *buffer) {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("cuda: %s: %v", fn, err))
	}
	shape := func() string { return fmt.Sprintf("shape %v with b strides %v", p.Shape, p.BStride) }
	checkLens(fn, shape, arg{aName, a, p.Len(), false}, arg{bName, b, p.BLen(), false})
	if p.Len() > 0 && p.LastB() >= b.n {
		panic(fmt.Sprintf("cuda: %s: b strides reach index %d of %d for %s", fn, p.LastB(), b.n, shape()))
	}
	checkInt32(fn, p.Len())
}
