//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// ln returns the length of b as the checks of package kernels take it:
// kernels.Nil for nil.
func ln(b *buffer) int {
	if b == nil {
		return kernels.Nil
	}
	return b.n
}

// must panics with err, prefixed by the package and fn, if err is not nil.
func must(fn string, err error) {
	if err != nil {
		panic("cuda: " + fn + ": " + err.Error())
	}
}

// checkInt32 panics, naming fn, if a size is too large for the kernels'
// int indexing.
func checkInt32(fn string, sizes ...int) {
	for _, n := range sizes {
		if n >= 1<<31-1<<24 { // headroom for the grid-stride step
			panic(fmt.Sprintf("cuda: %s: %d elements are too many for 32-bit indexing", fn, n))
		}
	}
}
