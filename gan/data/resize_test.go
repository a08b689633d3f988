package data

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResizeConstantStaysConstant(t *testing.T) {
	for _, sz := range [][4]int{{37, 53, 286, 286}, {286, 286, 256, 256}, {64, 64, 13, 7}, {5, 3, 5, 40}, {1, 1, 9, 9}, {9, 9, 1, 1}} {
		img := NewImage(3, sz[0], sz[1])
		for c := range 3 {
			p := img.Plane(c)
			for i := range p {
				p[i] = []float32{-0.7, 0.25, 0.9}[c]
			}
		}
		out := Resize(img, sz[2], sz[3])
		require.Equal(t, [3]int{3, sz[2], sz[3]}, [3]int{out.C, out.H, out.W})
		for c := range 3 {
			for _, v := range out.Plane(c) {
				require.InDelta(t, []float32{-0.7, 0.25, 0.9}[c], v, 1e-5, "%v -> %dx%d", sz, sz[2], sz[3])
			}
		}
	}
}

func TestResizeDownscaleAverages(t *testing.T) {
	// A one-pixel checkerboard shrunk 4x must come out flat grey (area
	// averaging), not aliased into stripes or blotches.
	img := NewImage(1, 64, 64)
	for y := range 64 {
		for x := range 64 {
			if (x+y)%2 == 0 {
				img.Pix[y*64+x] = 1
			} else {
				img.Pix[y*64+x] = -1
			}
		}
	}
	out := Resize(img, 16, 16)
	for i, v := range out.Pix {
		require.InDelta(t, 0, v, 0.05, "pixel %d", i)
	}
}

func TestResizeRampAndIdentity(t *testing.T) {
	img := NewImage(1, 1, 10)
	for x := range 10 {
		img.Pix[x] = float32(x)/4.5 - 1
	}
	up := Resize(img, 1, 37)
	for x := 1; x < 37; x++ {
		assert.GreaterOrEqual(t, up.Pix[x], up.Pix[x-1]-1e-6, "monotone at %d", x)
	}
	// Upscaling a linear ramp 2x interpolates it exactly away from the ends.
	up2 := Resize(img, 1, 20)
	for x := 2; x < 18; x++ {
		src := (float64(x)+0.5)/2 - 0.5
		assert.InDelta(t, src/4.5-1, up2.Pix[x], 1e-5, "pixel %d", x)
	}
	// Down and up keep the mean.
	var m0, m1 float64
	for _, v := range img.Pix {
		m0 += float64(v) / 10
	}
	down := Resize(img, 1, 5)
	for _, v := range down.Pix {
		m1 += float64(v) / 5
	}
	assert.InDelta(t, m0, m1, 1e-5)

	same := Resize(img, 1, 10)
	assert.Equal(t, img.Pix, same.Pix)
	same.Pix[0] = 42
	assert.NotEqual(t, float32(42), img.Pix[0], "Resize returns a copy")

	assert.Panics(t, func() { Resize(img, 0, 3) })
	assert.Panics(t, func() { Resize(Image{C: 1, H: 2, W: 2}, 3, 3) })
}

func TestFilterWeightsNormalised(t *testing.T) {
	for _, io := range [][2]int{{1, 7}, {7, 1}, {286, 256}, {53, 286}, {100, 33}} {
		for i, f := range filterWeights(io[0], io[1]) {
			var s float64
			for _, w := range f.w {
				s += float64(w)
				require.GreaterOrEqual(t, w, float32(0))
			}
			require.InDelta(t, 1, s, 1e-5, "%v output %d", io, i)
			require.GreaterOrEqual(t, f.start, 0)
			require.LessOrEqual(t, f.start+len(f.w), io[0])
			require.False(t, math.IsNaN(s))
		}
	}
}
