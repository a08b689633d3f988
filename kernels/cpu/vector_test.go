package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/semgan/semgan/kernels/internal/kerneltest"
)

// TestTranspose8 checks transpose8 (assembly for whole blocks of 8 where
// the CPU has it) element by element for every n up to 40, with strides
// wider than the data and guard bands around the output.
func TestTranspose8(t *testing.T) {
	r := newRand(11)
	for n := range 41 {
		lds, ldd := n+3, 8+5
		src := randSlice(r, 7*lds+n+1)
		dst := guarded(max(0, (n-1)*ldd+8), nil)
		transpose8(src, lds, dst, ldd, n)
		for p := range n {
			for c := range 8 {
				require.Equal(t, src[c*lds+p], dst[p*ldd+c], "n=%d p=%d c=%d", n, p, c)
			}
			for c := 8; c < ldd && p*ldd+c < len(dst); c++ {
				require.Zero(t, dst[p*ldd+c], "n=%d: gap p=%d c=%d written", n, p, c)
			}
		}
		checkGuard(t, fmt.Sprintf("n=%d", n), dst)
	}
}

// TestMaxOf checks maxOf for every length up to 40 with the maximum at every
// position, and the empty slice.
func TestMaxOf(t *testing.T) {
	r := newRand(12)
	require.Equal(t, float32(math.Inf(-1)), maxOf(nil))
	for n := 1; n <= 40; n++ {
		for at := range n {
			x := randSlice(r, n)
			for i := range x {
				x[i] -= 2 // all below 0
			}
			x[at] = 0.5
			require.Equal(t, float32(0.5), maxOf(x), "n=%d at=%d", n, at)
		}
	}
}

// TestDealRow checks dealRow for 0 to 5 panels with a gap between panels
// that must stay untouched.
func TestDealRow(t *testing.T) {
	r := newRand(13)
	for panels := range 6 {
		const ldd = 16 + 7
		src := randSlice(r, 16*panels)
		dst := guarded(max(0, (panels-1)*ldd+16), nil)
		dealRow(src, dst, ldd, panels)
		for q := range panels {
			require.Equal(t, src[16*q:16*q+16], dst[q*ldd:q*ldd+16], "panels=%d q=%d", panels, q)
			for i := q*ldd + 16; i < min(len(dst), (q+1)*ldd); i++ {
				require.Zero(t, dst[i], "panels=%d: gap element %d written", panels, i)
			}
		}
		checkGuard(t, fmt.Sprintf("panels=%d", panels), dst)
	}
}

// TestAxpy checks axpy (assembly for whole blocks of 8 where the CPU has
// it) against the plain loop for every length up to 40, with guard bands.
func TestAxpy(t *testing.T) {
	r := newRand(15)
	for n := range 41 {
		b := randSlice(r, n)
		c := guarded(n+3, randSlice(r, n+3))
		want := f64(c)
		for i, v := range b {
			want[i] = float64(float32(want[i]) + float32(-1.5)*v)
		}
		axpy(c, -1.5, b)
		kerneltest.CloseTo(t, fmt.Sprintf("n=%d", n), c, want, 1e-6, 1e-6)
		checkGuard(t, fmt.Sprintf("n=%d", n), c)
	}
}
