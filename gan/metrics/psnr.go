package metrics

import "math"

// PSNRCap is the value, in dB, at which MeanPSNR caps each PSNR before averaging, so
// that a pair of identical images (PSNR +Inf) counts as 100 dB instead of making the
// mean infinite. 100 dB is an RMS error of about 2.6e-3 gray levels out of 255.
const PSNRCap = 100.0

// PSNR returns the peak signal-to-noise ratio of b against a, in dB, over all channels
// and pixels of the images mapped to [0, 255] by v = (x+1)·127.5:
//
//	MSE  = (1/(C·H·W)) Σ (v_a - v_b)²
//	PSNR = 10·log10(255² / MSE)
//
// It is +Inf when the images are identical (MSE = 0); use MeanPSNR, which caps at
// PSNRCap, to average PSNRs. The sum is accumulated in float64. It panics if the
// shapes differ or an image's Pix does not hold C*H*W values.
func PSNR(a, b Image) float64 {
	checkPair("PSNR", a, b)
	var sse float64
	for i, x := range a.Pix {
		d := float64(x) - float64(b.Pix[i])
		sse += d * d
	}
	return psnr(sse, len(a.Pix))
}

// MaskedPSNR is PSNR restricted to the pixels selected by mask, which holds one value
// per pixel (H·W values, row-major) shared by all channels: with inside set, the
// pixels where mask > 0.5 (the foreground); otherwise the others, mask <= 0.5 (the
// background; a NaN mask value counts as background). The MSE averages over all C
// channels of the selected pixels. It returns NaN if no pixel is selected and +Inf if
// the images agree on every selected pixel. It panics if the shapes differ or len(mask)
// is not H*W.
func MaskedPSNR(a, b Image, mask []float32, inside bool) float64 {
	checkPair("MaskedPSNR", a, b)
	checkMask("MaskedPSNR", a, mask)
	hw := a.H * a.W
	var sse float64
	n := 0
	for p, m := range mask {
		if (m > 0.5) != inside {
			continue
		}
		for c := 0; c < a.C; c++ {
			d := float64(a.Pix[c*hw+p]) - float64(b.Pix[c*hw+p])
			sse += d * d
		}
		n += a.C
	}
	if n == 0 {
		return math.NaN()
	}
	return psnr(sse, n)
}

// psnr converts a sum of n squared differences of [-1, 1] values to dB. The scale from
// [-1, 1] to [0, 255] is 127.5, so PSNR = 10·log10(255² / (127.5²·sse/n)).
func psnr(sse float64, n int) float64 {
	mse := sse / float64(n) * (127.5 * 127.5)
	return 10 * math.Log10(255*255/mse)
}
