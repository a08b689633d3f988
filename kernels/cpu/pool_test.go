package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// poolCases cover the Inception network's pools (3x3 stride 1 pad 1, 3x3
// stride 2) on odd sizes, non-square windows and strides, a stride larger
// than the window and a window as large as the padded input.
var poolCases = []kernels.PoolParams{
	{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, C: 2, H: 9, W: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2},
	{N: 1, C: 3, H: 6, W: 11, KH: 2, KW: 5, StrideH: 1, StrideW: 3, PadH: 1, PadW: 2},
	{N: 3, C: 1, H: 8, W: 7, KH: 2, KW: 2, StrideH: 3, StrideW: 3},
	{N: 1, C: 2, H: 5, W: 4, KH: 7, KW: 4, StrideH: 1, StrideW: 1, PadH: 1, PadW: 2},
	{N: 1, C: 1, H: 1, W: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
}

// poolRef pools x in float64 the plain way: it walks every window position
// in the padded image, and returns the outputs and, for max pooling, the
// input index each output came from (the first maximum in row-major order).
func poolRef(p kernels.PoolParams, x []float32, isMax bool) ([]float64, []int) {
	oh, ow := p.OutH(), p.OutW()
	y, src := make([]float64, p.N*p.C*oh*ow), make([]int, p.N*p.C*oh*ow)
	for pl := range p.N * p.C {
		for i := range oh {
			for j := range ow {
				o := (pl*oh+i)*ow + j
				best, at := math.Inf(-1), -1
				sum, inside, padded := 0.0, 0, 0
				for ki := range p.KH {
					for kj := range p.KW {
						ih, iw := i*p.StrideH-p.PadH+ki, j*p.StrideW-p.PadW+kj
						if ih >= p.H+p.PadH || iw >= p.W+p.PadW {
							continue // past the padded image: not part of the window
						}
						padded++
						if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
							continue
						}
						inside++
						idx := (pl*p.H+ih)*p.W + iw
						v := float64(x[idx])
						sum += v
						if v > best {
							best, at = v, idx
						}
					}
				}
				if isMax {
					y[o], src[o] = best, at
					continue
				}
				div := inside
				if p.CountIncludePad {
					div = padded
				}
				y[o] = sum / float64(div)
			}
		}
	}
	return y, src
}

func TestMaxPool(t *testing.T) {
	for i, p := range poolCases {
		name := fmt.Sprintf("%+v", p)
		r := newRand(uint64(100 + i))
		x := randSlice(r, p.XLen())
		if i == 1 {
			// Ties: small integers, so that windows hold equal maxima and the
			// first one must be chosen.
			for k := range x {
				x[k] = float32(int(x[k] * 2))
			}
		}
		y := guarded(p.YLen(), randSlice(r, p.YLen()))
		want, src := poolRef(p, x, true)
		MaxPoolForward(p, x, y)
		kerneltest.CloseTo(t, name+": y", y, want, 0, 0)
		checkGuard(t, name+": y", y)

		dy := randSlice(r, p.YLen())
		dx0 := randSlice(r, p.XLen())
		dx := guarded(p.XLen(), dx0)
		ref := make([]float64, p.XLen())
		for o, s := range src {
			ref[s] += float64(dy[o])
		}
		for times := 1; times <= 2; times++ {
			MaxPoolBackward(p, x, dy, dx)
			kerneltest.CloseTo(t, fmt.Sprintf("%s: dx after %d calls", name, times), dx, addF64(dx0, ref, float64(times)), 1e-6, 1e-6)
		}
		checkGuard(t, name+": dx", dx)
	}
}

func TestAvgPool(t *testing.T) {
	for i, base := range poolCases {
		for _, countPad := range []bool{false, true} {
			p := base
			p.CountIncludePad = countPad
			name := fmt.Sprintf("%+v", p)
			r := newRand(uint64(200 + i))
			x := randSlice(r, p.XLen())
			y := guarded(p.YLen(), randSlice(r, p.YLen()))
			want, _ := poolRef(p, x, false)
			AvgPoolForward(p, x, y)
			kerneltest.CloseTo(t, name+": y", y, want, 1e-6, 1e-5)
			checkGuard(t, name+": y", y)

			// Backward: the adjoint of the forward, <Avg(x), dy> = <x, AvgBackward(dy)>,
			// and accumulation on repeated calls.
			dy := randSlice(r, p.YLen())
			g := make([]float32, p.XLen())
			AvgPoolBackward(p, dy, g)
			assert.InDelta(t, dot(y, dy), dot(x, g), 1e-4, name+": adjoint")
			dx0 := randSlice(r, p.XLen())
			dx := guarded(p.XLen(), dx0)
			for times := 1; times <= 2; times++ {
				AvgPoolBackward(p, dy, dx)
				kerneltest.CloseTo(t, fmt.Sprintf("%s: dx after %d calls", name, times), dx, addF64(dx0, f64(g), float64(times)), 1e-6, 1e-5)
			}
			checkGuard(t, name+": dx", dx)
		}
	}
}

func TestAvgPoolDivisorAtTheBorder(t *testing.T) {
	// A 3x3 window with padding 1 over an all-ones 3x3 image: excluding the
	// padding every average is 1; including it the corner sees 4 of 9.
	p := kernels.PoolParams{N: 1, C: 1, H: 3, W: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, 9)
	AvgPoolForward(p, x, y)
	require.Equal(t, x, y)
	p.CountIncludePad = true
	AvgPoolForward(p, x, y)
	require.Equal(t, []float32{4. / 9, 6. / 9, 4. / 9, 6. / 9, 1, 6. / 9, 4. / 9, 6. / 9, 4. / 9}, y)
}

func TestMaxPoolNaN(t *testing.T) {
	p := kernels.PoolParams{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 1, StrideW: 1}
	nan := float32(math.NaN())
	y := make([]float32, 1)
	MaxPoolForward(p, []float32{1, nan, 3, 2}, y)
	require.True(t, math.IsNaN(float64(y[0])), "a NaN in the window makes the maximum NaN")
	dx := make([]float32, 4)
	MaxPoolBackward(p, []float32{1, nan, 3, 2}, []float32{5}, dx)
	require.Equal(t, []float32{0, 5, 0, 0}, dx)
}

func TestPoolPanics(t *testing.T) {
	p := kernels.PoolParams{N: 1, C: 1, H: 5, W: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 2}
	require.PanicsWithValue(t, "cpu: MaxPoolForward: pool: padding 2x0 must be between 0 and half the window 3x3",
		func() { MaxPoolForward(p, make([]float32, 25), make([]float32, 6)) })
	p.PadH = 0
	require.PanicsWithValue(t,
		"cpu: AvgPoolForward: y has 5 elements, want 4 for [N=1 C=1 5x5] pooled 3x3 stride 2x2 pad 0x0 to 2x2",
		func() { AvgPoolForward(p, make([]float32, 25), make([]float32, 5)) })
	require.Panics(t, func() { MaxPoolBackward(p, make([]float32, 25), make([]float32, 4), make([]float32, 24)) })
	require.Panics(t, func() { AvgPoolBackward(p, make([]float32, 4), make([]float32, 26)) })
	for _, bad := range []kernels.PoolParams{
		{N: 0, C: 1, H: 5, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1},
		{N: 1, C: 1, H: 5, W: 5, KH: 3, KW: 3, StrideH: 0, StrideW: 1},
		{N: 1, C: 1, H: 2, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1},
		{N: 1, C: 1, H: 5, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadW: -1},
	} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}
}

func TestBackendPooling(t *testing.T) {
	// The Backend methods reach the slice functions.
	var be kernels.Backend = New()
	p := kernels.PoolParams{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	x, y := be.Alloc(4), be.Alloc(1)
	be.Upload(x, []float32{1, 4, 2, 3})
	be.MaxPoolForward(p, x, y)
	out := make([]float32, 1)
	be.Download(out, y)
	require.Equal(t, float32(4), out[0])
	be.AvgPoolForward(p, x, y)
	be.Download(out, y)
	require.Equal(t, float32(2.5), out[0])
	dx := be.Alloc(4)
	be.MaxPoolBackward(p, x, y, dx)
	be.AvgPoolBackward(p, y, dx)
	got := make([]float32, 4)
	be.Download(got, dx)
	require.Equal(t, []float32{0.625, 3.125, 0.625, 0.625}, got)
}

func BenchmarkPool(b *testing.B) {
	// The FID Inception network's most frequent pool: 3x3, stride 1, pad 1
	// over 288 channels at 35x35, excluding the padding from the average.
	p := kernels.PoolParams{N: 1, C: 288, H: 35, W: 35, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x := randSlice(newRand(1), p.XLen())
	y := make([]float32, p.YLen())
	bytes := 4 * float64(len(x)+len(y))
	b.Run("avg", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AvgPoolForward(p, x, y)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("max", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MaxPoolForward(p, x, y)
		}
		b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}
