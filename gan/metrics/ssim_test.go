package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test images shared with testdata/ssim_reference.py (same formulas, same order).
func ssimF1(c, i, j float64) float64 { return math.Sin(0.3*i+0.7*c) * math.Cos(0.2*j-0.5*c) }
func ssimF2(c, i, j float64) float64 { return 0.7*ssimF1(c, i, j) + 0.3*math.Sin(0.9*i+0.4*j+c) }
func ssimF3(c, i, j float64) float64 { return 0.9 * math.Cos(0.11*i*j+0.3*c) }
func ssimF4(c, i, j float64) float64 { return 0.8 * math.Sin(0.5*j) }
func ssimF5(c, i, j float64) float64 { return 0.8*math.Sin(0.5*j+0.6) + 0.1*math.Cos(0.7*i) }

// TestSSIMMatchesScikitImage compares SSIM with scikit-image 0.19.3 (Debian bookworm's
// python3-skimage, numpy 1.24.2) on images built from formulas. The reference values
// come from
//
//	/usr/bin/python3 gan/metrics/testdata/ssim_reference.py
//
// which prints the want column; rerun it and paste its lines to refresh them. Both
// sides compute in float64 from the same float32 pixels, so they agree to ~1e-12; the
// tolerance allows for libm differences of an ulp in the formulas.
func TestSSIMMatchesScikitImage(t *testing.T) {
	cases := []struct {
		name    string
		c, h, w int
		fa, fb  func(c, i, j float64) float64
		want    float64
	}{
		{"smooth_vs_mixed", 3, 32, 40, ssimF1, ssimF2, 0.587974208394716},
		{"smooth_vs_cos", 3, 24, 17, ssimF1, ssimF3, -0.030949190994142},
		{"gray_stripes_shifted", 1, 64, 48, ssimF4, ssimF5, 0.732777545658185},
	}
	for _, tc := range cases {
		a := formulaImage(tc.c, tc.h, tc.w, tc.fa)
		b := formulaImage(tc.c, tc.h, tc.w, tc.fb)
		got := SSIM(a, b)
		t.Logf("%s: got %.15f want %.15f (diff %.2e)", tc.name, got, tc.want, got-tc.want)
		assert.InDelta(t, tc.want, got, 1e-7, tc.name)
	}
}

// naiveSSIM is the reference formula with a full 2-D window, in float64: for every
// pixel whose (2r+1)² window fits, weighted moments with weights g[u]·g[v].
func naiveSSIM(a, b Image) float64 {
	r := min(ssimRadius, (min(a.H, a.W)-1)/2)
	g := make([]float64, 2*r+1)
	var gs float64
	for u := -r; u <= r; u++ {
		g[u+r] = math.Exp(-float64(u*u) / (2 * ssimSigma * ssimSigma))
		gs += g[u+r]
	}
	c1 := math.Pow(ssimK1*ssimL, 2)
	c2 := math.Pow(ssimK2*ssimL, 2)
	var total float64
	for c := 0; c < a.C; c++ {
		at := func(img Image, i, j int) float64 {
			return (float64(img.Pix[(c*img.H+i)*img.W+j]) + 1) * 127.5
		}
		var sum float64
		n := 0
		for i := r; i < a.H-r; i++ {
			for j := r; j < a.W-r; j++ {
				var mx, my, mxx, myy, mxy float64
				for u := -r; u <= r; u++ {
					for v := -r; v <= r; v++ {
						wt := g[u+r] * g[v+r] / (gs * gs)
						x, y := at(a, i+u, j+v), at(b, i+u, j+v)
						mx += wt * x
						my += wt * y
						mxx += wt * x * x
						myy += wt * y * y
						mxy += wt * x * y
					}
				}
				vx, vy, vxy := mxx-mx*mx, myy-my*my, mxy-mx*my
				sum += (2*mx*my + c1) * (2*vxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				n++
			}
		}
		total += sum / float64(n)
	}
	return total / float64(a.C)
}

func TestSSIMMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Includes sides below 11, where the window shrinks, down to 1×1.
	for _, sz := range [][3]int{{3, 11, 11}, {3, 12, 30}, {1, 29, 13}, {3, 5, 9}, {1, 10, 40}, {2, 3, 3}, {1, 1, 1}, {3, 2, 7}} {
		c, h, w := sz[0], sz[1], sz[2]
		a := randomImage(rng, c, h, w)
		b := addNoise(rng, a, 0.5)
		got, want := SSIM(a, b), naiveSSIM(a, b)
		assert.InDelta(t, want, got, 1e-10, "shape %v", sz)
	}
}

func TestSSIMIdenticalIsOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{3, 32, 32}, {1, 11, 20}, {3, 4, 4}, {1, 1, 1}} {
		a := randomImage(rng, sz[0], sz[1], sz[2])
		assert.Equal(t, 1.0, SSIM(a, a), "shape %v", sz)
	}
	flat := Image{C: 3, H: 16, W: 16, Pix: make([]float32, 3*16*16)}
	assert.Equal(t, 1.0, SSIM(flat, flat), "constant image")
}

func TestSSIMSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := randomImage(rng, 3, 40, 33)
	b := addNoise(rng, a, 0.3)
	assert.InDelta(t, SSIM(a, b), SSIM(b, a), 1e-12)
}

func TestSSIMDecreasesWithNoise(t *testing.T) {
	a := formulaImage(3, 48, 48, ssimF1)
	prev := 1.0
	for _, amp := range []float32{0.02, 0.05, 0.1, 0.2, 0.4, 0.8} {
		s := SSIM(a, addNoise(rand.New(rand.NewPCG(7, 8)), a, amp))
		assert.Less(t, s, prev, "noise %g", amp)
		prev = s
	}
	assert.Less(t, prev, 0.5)
}

func TestSSIMPanicsOnShapeMismatch(t *testing.T) {
	a := Image{C: 3, H: 8, W: 8, Pix: make([]float32, 3*8*8)}
	b := Image{C: 3, H: 8, W: 9, Pix: make([]float32, 3*8*9)}
	require.PanicsWithValue(t, "metrics: SSIM: shapes [3 8 8] vs [3 8 9]", func() { SSIM(a, b) })
	short := Image{C: 3, H: 8, W: 8, Pix: make([]float32, 10)}
	require.Panics(t, func() { SSIM(a, short) })
}

func BenchmarkSSIM(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{64, 128, 256} {
		x := randomImage(rng, 3, n, n)
		y := addNoise(rng, x, 0.2)
		b.Run(fmt.Sprintf("3x%dx%d", n, n), func(b *testing.B) {
			for b.Loop() {
				SSIM(x, y)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(3*n*n), "ns/value")
		})
	}
	x := randomImage(rng, 3, 64, 64)
	y := addNoise(rng, x, 0.2)
	b.Run("naive/3x64x64", func(b *testing.B) {
		for b.Loop() {
			naiveSSIM(x, y)
		}
	})
}
