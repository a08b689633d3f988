package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offsetPair returns a 3×h×w image of multiples of 1/64 and the same image plus delta,
// both exact in float32 for delta = k/64.
func offsetPair(h, w int, delta float32) (Image, Image) {
	a := formulaImage(3, h, w, func(c, i, j float64) float64 {
		return float64(int(c*7+i*3+j)%97-48) / 64
	})
	b := Image{C: 3, H: h, W: w, Pix: make([]float32, len(a.Pix))}
	for i, x := range a.Pix {
		b.Pix[i] = x + delta
	}
	return a, b
}

func TestPSNRConstantOffset(t *testing.T) {
	// An offset of δ in [-1, 1] is 127.5·δ gray levels, so
	// PSNR = 10·log10(255²/(127.5·δ)²) = 20·log10(2/δ).
	for _, k := range []float32{1, 2, 4, 16, 64} {
		delta := k / 64
		a, b := offsetPair(9, 13, delta)
		want := 20 * math.Log10(2/float64(delta))
		assert.InDelta(t, want, PSNR(a, b), 1e-9, "delta %g", delta)
		assert.InDelta(t, want, PSNR(b, a), 1e-9, "delta %g", delta)
	}
	// Black against white: MSE 255², PSNR 0 dB.
	black := Image{C: 1, H: 2, W: 2, Pix: []float32{-1, -1, -1, -1}}
	white := Image{C: 1, H: 2, W: 2, Pix: []float32{1, 1, 1, 1}}
	assert.Equal(t, 0.0, PSNR(black, white))
}

func TestPSNRIdenticalIsInf(t *testing.T) {
	a := randomImage(rand.New(rand.NewPCG(1, 1)), 3, 8, 8)
	assert.True(t, math.IsInf(PSNR(a, a), 1))
	assert.Equal(t, PSNRCap, MeanPSNR([]float64{PSNR(a, a)}))
}

func TestMaskedPSNR(t *testing.T) {
	const h, w = 6, 10
	a := formulaImage(3, h, w, func(c, i, j float64) float64 { return (c - i + j) / 32 })
	b := Image{C: 3, H: h, W: w, Pix: append([]float32(nil), a.Pix...)}
	mask := make([]float32, h*w)
	for i := 1; i < 4; i++ {
		for j := 2; j < 7; j++ {
			mask[i*w+j] = 1
		}
	}
	// Foreground shifted by 1/4, background by 1/16.
	for c := 0; c < 3; c++ {
		for p, m := range mask {
			if m > 0.5 {
				b.Pix[c*h*w+p] += 0.25
			} else {
				b.Pix[c*h*w+p] += 0.0625
			}
		}
	}
	assert.InDelta(t, 20*math.Log10(2/0.25), MaskedPSNR(a, b, mask, true), 1e-9)
	assert.InDelta(t, 20*math.Log10(2/0.0625), MaskedPSNR(a, b, mask, false), 1e-9)
	// The whole-image MSE is the pixel-weighted mix of the two.
	nIn := 15.0
	mse := (nIn*0.25*0.25 + (h*w-nIn)*0.0625*0.0625) / (h * w)
	assert.InDelta(t, 10*math.Log10(4/mse), PSNR(a, b), 1e-9)

	// Only the selected pixels count: equal background gives +Inf outside.
	c := Image{C: 3, H: h, W: w, Pix: append([]float32(nil), a.Pix...)}
	for ch := 0; ch < 3; ch++ {
		c.Pix[ch*h*w+1*w+2] = 1
	}
	assert.True(t, math.IsInf(MaskedPSNR(a, c, mask, false), 1))
	assert.False(t, math.IsInf(MaskedPSNR(a, c, mask, true), 0))

	// No pixel selected: NaN.
	empty := make([]float32, h*w)
	assert.True(t, math.IsNaN(MaskedPSNR(a, b, empty, true)))
	full := make([]float32, h*w)
	for i := range full {
		full[i] = 1
	}
	assert.True(t, math.IsNaN(MaskedPSNR(a, b, full, false)))
	assert.Equal(t, PSNR(a, b), MaskedPSNR(a, b, full, true))

	require.PanicsWithValue(t, "metrics: MaskedPSNR: mask of 59 values for image [3 6 10]",
		func() { MaskedPSNR(a, b, mask[:59], true) })
}

func TestPSNRPanicsOnShapeMismatch(t *testing.T) {
	a := Image{C: 3, H: 4, W: 4, Pix: make([]float32, 48)}
	b := Image{C: 1, H: 4, W: 4, Pix: make([]float32, 16)}
	require.PanicsWithValue(t, "metrics: PSNR: shapes [3 4 4] vs [1 4 4]", func() { PSNR(a, b) })
}

func TestMeanAndMeanPSNR(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	assert.Equal(t, 2.0, Mean([]float64{1, nan, 3}))
	assert.True(t, math.IsNaN(Mean(nil)))
	assert.True(t, math.IsNaN(Mean([]float64{nan, nan})))
	assert.True(t, math.IsInf(Mean([]float64{1, inf}), 1))
	assert.Equal(t, (30+PSNRCap)/2, MeanPSNR([]float64{30, inf, nan}))
	assert.Equal(t, (30+PSNRCap)/2, MeanPSNR([]float64{30, 120}))
	assert.True(t, math.IsNaN(MeanPSNR([]float64{nan})))
}
