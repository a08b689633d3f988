package metrics

import "math"

// Mean returns the arithmetic mean of the values of xs that are not NaN, and NaN if
// there are none. Infinite values are kept (and make the mean infinite); average PSNRs
// with MeanPSNR.
func Mean(xs []float64) float64 {
	var s float64
	n := 0
	for _, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		s += x
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// MeanPSNR returns the mean of PSNR values in dB, each first capped at PSNRCap (so +Inf
// from identical images counts as PSNRCap), skipping NaN (an empty MaskedPSNR
// selection). It returns NaN if every value is NaN or xs is empty.
func MeanPSNR(xs []float64) float64 {
	var s float64
	n := 0
	for _, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		s += math.Min(x, PSNRCap)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
