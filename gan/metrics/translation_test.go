package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A synthetic horse2zebra scene: 40×60, a textured green background, and a
// foreground rectangle (rows 10-29, columns 15-44) that is plain brown in domain A and
// painted with vertical black/white stripes 3 pixels wide in domain B.
const sceneH, sceneW = 40, 60

func inRect(i, j int) bool { return i >= 10 && i < 30 && j >= 15 && j < 45 }

func sceneMask() []float32 {
	m := make([]float32, sceneH*sceneW)
	for i := 0; i < sceneH; i++ {
		for j := 0; j < sceneW; j++ {
			if inRect(i, j) {
				m[i*sceneW+j] = 1
			}
		}
	}
	return m
}

// scene paints rgb(i, j) (values in [0, 1]) inside the rectangle over the background.
func scene(fg func(i, j int) (r, g, b float64)) Image {
	return formulaImage(3, sceneH, sceneW, func(c, fi, fj float64) float64 {
		i, j := int(fi), int(fj)
		var rgb [3]float64
		if inRect(i, j) {
			rgb[0], rgb[1], rgb[2] = fg(i, j)
		} else {
			t := 0.1 * math.Sin(0.7*fi+1.3*fj)
			rgb = [3]float64{0.3 + t, 0.6 + t, 0.25 + t}
		}
		return 2*rgb[int(c)] - 1
	})
}

func brown(i, j int) (r, g, b float64) { return 0.6, 0.4, 0.2 }

func stripes(i, j int) (r, g, b float64) {
	if (j/3)%2 == 0 {
		return 0.1, 0.1, 0.1
	}
	return 0.9, 0.9, 0.9
}

// lerp returns (1-t)·a + t·b pixel by pixel.
func lerp(a, b Image, t float64) Image {
	out := Image{C: a.C, H: a.H, W: a.W, Pix: make([]float32, len(a.Pix))}
	for i := range a.Pix {
		out.Pix[i] = float32((1-t)*float64(a.Pix[i]) + t*float64(b.Pix[i]))
	}
	return out
}

func TestForegroundFeatures(t *testing.T) {
	mask := sceneMask()
	f := ForegroundFeatures(scene(brown), mask)
	assert.Equal(t, 600, f.N)
	assert.InDelta(t, 0, f.GradRMS, 1e-7)
	assert.InDelta(t, 0, f.LumaStd, 1e-7)
	assert.InDelta(t, 0.4, f.Chroma, 1e-7)
	assert.InDelta(t, 0.299*0.6+0.587*0.4+0.114*0.2, f.LumaMean, 1e-7)

	// Columns 15-44 are ten stripes, five dark and five light; each row has 9 dark/light
	// transitions out of 29 horizontal pairs; vertical pairs (19·30) never change.
	f = ForegroundFeatures(scene(stripes), mask)
	assert.InDelta(t, 0.5, f.LumaMean, 1e-7)
	assert.InDelta(t, 0.4, f.LumaStd, 1e-7)
	assert.InDelta(t, 0, f.Chroma, 1e-7)
	assert.InDelta(t, math.Sqrt(20*9*0.8*0.8/(20*29+19*30)), f.GradRMS, 1e-7)

	f = ForegroundFeatures(scene(brown), make([]float32, sceneH*sceneW))
	assert.Equal(t, 0, f.N)
	assert.True(t, math.IsNaN(f.LumaMean) && math.IsNaN(f.GradRMS))

	gray := Image{C: 1, H: 1, W: 3, Pix: []float32{-1, 0, 1}}
	f = ForegroundFeatures(gray, []float32{1, 1, 1})
	assert.InDelta(t, 0.5, f.LumaMean, 1e-12)
	assert.InDelta(t, 0.5, f.GradRMS, 1e-12)
	assert.Equal(t, 0.0, f.Chroma)

	require.PanicsWithValue(t, "metrics: ForegroundFeatures: 2 channels, want 1 or 3", func() {
		ForegroundFeatures(Image{C: 2, H: 1, W: 1, Pix: []float32{0, 0}}, []float32{1})
	})
}

func TestTranslationScoreEnds(t *testing.T) {
	in, truth, mask := scene(brown), scene(stripes), sceneMask()
	assert.Equal(t, 0.0, TranslationScore(in, in, truth, mask))
	assert.Equal(t, 1.0, TranslationScore(in, truth, truth, mask))
	// Exact also for a textured input and a noisy truth.
	rng := rand.New(rand.NewPCG(1, 2))
	in2, truth2 := addNoise(rng, in, 0.1), addNoise(rng, truth, 0.1)
	assert.Equal(t, 0.0, TranslationScore(in2, in2, truth2, mask))
	assert.Equal(t, 1.0, TranslationScore(in2, truth2, truth2, mask))
	// Copies, not the same slices.
	cp := Image{C: 3, H: sceneH, W: sceneW, Pix: append([]float32(nil), truth2.Pix...)}
	assert.Equal(t, 1.0, TranslationScore(in2, cp, truth2, mask))
}

func TestTranslationScoreAlongInterpolation(t *testing.T) {
	in, truth, mask := scene(brown), scene(stripes), sceneMask()
	// Plain input: every feature is linear in t, so the score is t.
	prev := math.Inf(-1)
	for k := 0; k <= 20; k++ {
		tt := float64(k) / 20
		s := TranslationScore(in, lerp(in, truth, tt), truth, mask)
		assert.InDelta(t, tt, s, 1e-6, "t=%g", tt)
		assert.Greater(t, s, prev, "t=%g", tt)
		prev = s
	}
	// Overshoot is penalised: twice the change scores 0 again, and the score stays in
	// [-1, 1] far beyond.
	// (Pixel-wise extrapolation to t < 0 is not linear in the features: LumaStd and
	// GradRMS of a plain input grow as |t|.)
	assert.InDelta(t, 0.5, TranslationScore(in, lerp(in, truth, 1.5), truth, mask), 1e-6)
	assert.InDelta(t, 0, TranslationScore(in, lerp(in, truth, 2), truth, mask), 1e-6)
	assert.Equal(t, -1.0, TranslationScore(in, lerp(in, truth, 5), truth, mask))

	// Textured input: not linear any more, but still increasing up to the truth.
	rng := rand.New(rand.NewPCG(3, 4))
	in2 := addNoise(rng, in, 0.05)
	prev = math.Inf(-1)
	for k := 0; k <= 10; k++ {
		s := TranslationScore(in2, lerp(in2, truth, float64(k)/10), truth, mask)
		assert.Greater(t, s, prev, "k=%d", k)
		prev = s
	}
	assert.Equal(t, 1.0, prev)
}

func TestTranslationScoreNoiseIsNotStripes(t *testing.T) {
	in, truth, mask := scene(brown), scene(stripes), sceneMask()
	rng := rand.New(rand.NewPCG(5, 6))
	// GradRMS and LumaStd cannot tell noise from stripes, so noise of the stripes'
	// gradient energy (amp 0.4, gray) earns their share, about one half; the other
	// features and the penalty on overshoot keep every noise below three quarters of
	// the way to the stripes.
	threeQuarters := TranslationScore(in, lerp(in, truth, 0.75), truth, mask)
	for _, amp := range []float64{0.2, 0.4, 0.7, 1.0} {
		for _, gray := range []bool{true, false} {
			// Noise of amplitude amp (in [0, 1] units) on the foreground only: gray
			// (the same on all channels) or independent per channel.
			out := Image{C: 3, H: sceneH, W: sceneW, Pix: append([]float32(nil), in.Pix...)}
			for p, m := range mask {
				if m <= 0.5 {
					continue
				}
				n := amp * (2*rng.Float64() - 1)
				for c := 0; c < 3; c++ {
					if !gray {
						n = amp * (2*rng.Float64() - 1)
					}
					out.Pix[c*sceneH*sceneW+p] += float32(2 * n)
				}
			}
			s := TranslationScore(in, out, truth, mask)
			t.Logf("noise %.1f gray=%v: score %.3f (3/4 of the way to the stripes %.3f)", amp, gray, s, threeQuarters)
			assert.Less(t, s, threeQuarters, "noise %g gray=%v", amp, gray)
			assert.GreaterOrEqual(t, s, -1.0)
		}
	}
}

func TestTranslationScoreIgnoresBackground(t *testing.T) {
	in, truth, mask := scene(brown), scene(stripes), sceneMask()
	out := lerp(in, truth, 0.7)
	want := TranslationScore(in, out, truth, mask)
	rng := rand.New(rand.NewPCG(7, 8))
	for c := 0; c < 3; c++ {
		for p, m := range mask {
			if m <= 0.5 {
				out.Pix[c*sceneH*sceneW+p] = 2*rng.Float32() - 1
			}
		}
	}
	assert.Equal(t, want, TranslationScore(in, out, truth, mask))
}

func TestTranslationScoreUndefined(t *testing.T) {
	in, truth, mask := scene(brown), scene(stripes), sceneMask()
	// The input already looks like its target: no feature moves by a gray level.
	assert.True(t, math.IsNaN(TranslationScore(truth, in, truth, mask)))
	almost := lerp(truth, in, 0.001)
	assert.True(t, math.IsNaN(TranslationScore(almost, in, truth, mask)))
	// Empty foreground.
	assert.True(t, math.IsNaN(TranslationScore(in, truth, truth, make([]float32, sceneH*sceneW))))
	// Only luma moves: a darker plain brown scores its LumaMean share when matched.
	dark := scene(func(i, j int) (r, g, b float64) { return 0.3, 0.2, 0.1 })
	s := TranslationScore(in, dark, truth, mask)
	assert.False(t, math.IsNaN(s))
	assert.GreaterOrEqual(t, s, -1.0)
	assert.Less(t, s, 0.5)

	require.Panics(t, func() { TranslationScore(in, truth, truth, mask[:10]) })
	require.Panics(t, func() {
		TranslationScore(in, Image{C: 3, H: 1, W: 1, Pix: []float32{0, 0, 0}}, truth, mask)
	})
}
