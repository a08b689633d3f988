package cpu

import (
	"fmt"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var padCases = []kernels.PadParams{
	{N: 2, C: 3, H: 5, W: 7, Top: 1, Bottom: 1, Left: 1, Right: 1},
	{N: 1, C: 2, H: 9, W: 6, Top: 3, Bottom: 3, Left: 3, Right: 3},
	{N: 3, C: 1, H: 4, W: 5, Top: 0, Bottom: 2, Left: 3, Right: 1},
	{N: 2, C: 2, H: 2, W: 3, Top: 1, Bottom: 0, Left: 2, Right: 2},
	{N: 1, C: 1, H: 6, W: 4, Top: 0, Bottom: 0, Left: 0, Right: 0},
}

// reflectRef maps a padded coordinate to the input's the plain way.
func reflectRef(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*n - 2 - i
	}
	return i
}

// padRef pads in float64 and returns, for each output element, the input
// index it copies (-1 for a zero) as well.
func padRef(p kernels.PadParams, x []float32) ([]float64, []int) {
	oh, ow := p.OutH(), p.OutW()
	y, src := make([]float64, p.N*p.C*oh*ow), make([]int, p.N*p.C*oh*ow)
	for n := range p.N {
		for c := range p.C {
			for i := range oh {
				for j := range ow {
					o := ((n*p.C+c)*oh+i)*ow + j
					ih, iw := i-p.Top, j-p.Left
					if p.Mode == kernels.PadReflect {
						ih, iw = reflectRef(ih, p.H), reflectRef(iw, p.W)
					}
					src[o] = -1
					if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
						src[o] = ((n*p.C+c)*p.H+ih)*p.W + iw
						y[o] = float64(x[src[o]])
					}
				}
			}
		}
	}
	return y, src
}

func TestPad(t *testing.T) {
	for i, base := range padCases {
		for _, mode := range []kernels.PadMode{kernels.PadZero, kernels.PadReflect} {
			p := base
			p.Mode = mode
			name := fmt.Sprintf("%+v", p)
			r := newRand(uint64(i))
			xLen, yLen := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
			x := randSlice(r, xLen)
			y := guarded(yLen, randSlice(r, yLen)) // garbage to overwrite
			want, src := padRef(p, x)
			Pad(p, x, y)
			kerneltest.CloseTo(t, name+": y", y, want, 0, 0)
			checkGuard(t, name+": y", y)

			// Backward: each dy element goes to its source; twice doubles.
			dy := randSlice(r, yLen)
			dx0 := randSlice(r, xLen)
			dx := guarded(xLen, dx0)
			ref := make([]float64, xLen)
			for o, s := range src {
				if s >= 0 {
					ref[s] += float64(dy[o])
				}
			}
			for times := 1; times <= 2; times++ {
				PadBackward(p, dy, dx)
				kerneltest.CloseTo(t, fmt.Sprintf("%s: dx after %d calls", name, times), dx, addF64(dx0, ref, float64(times)), 1e-6, 1e-6)
			}
			checkGuard(t, name+": dx", dx)

			// Adjoint: <Pad(x), dy> = <x, PadBackward(dy)>.
			g := make([]float32, xLen)
			PadBackward(p, dy, g)
			assert.InDelta(t, dot(y, dy), dot(x, g), 1e-4, name+": adjoint")
		}
	}
}

func TestPadReflectEdges(t *testing.T) {
	// One row 0..4 padded by 2 each side: PyTorch gives 2 1 0 1 2 3 4 3 2.
	p := kernels.PadParams{N: 1, C: 1, H: 1, W: 5, Left: 2, Right: 2, Mode: kernels.PadReflect}
	y := make([]float32, 9)
	Pad(p, []float32{0, 1, 2, 3, 4}, y)
	require.Equal(t, []float32{2, 1, 0, 1, 2, 3, 4, 3, 2}, y)
	dx := make([]float32, 5)
	PadBackward(p, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, dx)
	require.Equal(t, []float32{1, 2, 3, 2, 1}, dx) // 2 appears three times above
}

func TestPadPanics(t *testing.T) {
	p := kernels.PadParams{N: 1, C: 1, H: 3, W: 3, Top: 3, Mode: kernels.PadReflect}
	require.Panics(t, func() { Pad(p, make([]float32, 9), make([]float32, 18)) }, "reflection pad as large as H")
	p.Mode = kernels.PadZero
	Pad(p, make([]float32, 9), make([]float32, 18))
	require.PanicsWithValue(t,
		"cpu: Pad: y has 17 elements, want 18 for [N=1 C=1 3x3] padded (top 3, bottom 0, left 0, right 0) to 6x3",
		func() { Pad(p, make([]float32, 9), make([]float32, 17)) })
	require.Panics(t, func() { PadBackward(p, make([]float32, 18), make([]float32, 8)) })
	p.Mode = 7
	require.Panics(t, func() { Pad(p, make([]float32, 9), make([]float32, 18)) })
}

func BenchmarkPad(b *testing.B) {
	p := kernels.PadParams{N: 1, C: 64, H: 64, W: 64, Top: 3, Bottom: 3, Left: 3, Right: 3, Mode: kernels.PadReflect}
	x := randSlice(newRand(1), p.N*p.C*p.H*p.W)
	y := make([]float32, p.N*p.C*p.OutH()*p.OutW())
	bytes := 4 * float64(len(x)+len(y))
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Pad(p, x, y)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			PadBackward(p, y, x)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}
