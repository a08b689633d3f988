package metrics

import (
	"fmt"
	"math"
)

// Features are the "stripe statistics" of an image's foreground, the pixels where the
// mask is > 0.5. Values are taken in [0, 1] by v = (x+1)/2 (not clipped) and luma is
// Y = 0.299·R + 0.587·G + 0.114·B (BT.601) for 3 channels, Y = v for 1. Zebra stripes
// have a high GradRMS and LumaStd and a low Chroma; a plain brown horse has low
// GradRMS and LumaStd and a higher Chroma.
type Features struct {
	// GradRMS is the root mean square of the luma differences between 4-neighbours
	// that are both in the foreground, horizontal and vertical pairs pooled:
	// sqrt((Σ (Y[i][j+1]-Y[i][j])² + Σ (Y[i+1][j]-Y[i][j])²) / #pairs); 0 without pairs.
	// Edges between foreground and background do not count.
	GradRMS float64
	// LumaMean is the mean luma of the foreground.
	LumaMean float64
	// LumaStd is the population standard deviation of the foreground luma.
	LumaStd float64
	// Chroma is the mean over the foreground of max(R,G,B) - min(R,G,B) (HSV chroma);
	// 0 for a 1-channel image.
	Chroma float64
	// N is the number of foreground pixels; the other fields are NaN when it is 0.
	N int
}

// MinFeatureChange is the smallest |f(truth) - f(input)| for which TranslationScore
// counts a feature f: one gray level out of 255. A feature that moves less between the
// input and its true translation carries no direction to measure progress along.
const MinFeatureChange = 1.0 / 255

// translationWeights weigh GradRMS, LumaStd, Chroma and LumaMean in TranslationScore;
// stripe texture counts double.
var translationWeights = [4]float64{2, 1, 1, 1}

// ForegroundFeatures returns the Features of img over the pixels where mask > 0.5.
// mask holds H·W values, row-major, shared by all channels. It panics if img is not a
// valid 1- or 3-channel image or len(mask) is not H*W.
func ForegroundFeatures(img Image, mask []float32) Features {
	img.check("ForegroundFeatures")
	checkMask("ForegroundFeatures", img, mask)
	if img.C != 1 && img.C != 3 {
		panic(fmt.Sprintf("metrics: ForegroundFeatures: %d channels, want 1 or 3", img.C))
	}
	h, w, hw := img.H, img.W, img.H*img.W
	v := func(c, p int) float64 { return (float64(img.Pix[c*hw+p]) + 1) / 2 }
	luma := make([]float64, hw)
	var f Features
	var sumY, sumC float64
	for p, m := range mask {
		if !(m > 0.5) {
			continue
		}
		if img.C == 1 {
			luma[p] = v(0, p)
		} else {
			r, g, b := v(0, p), v(1, p), v(2, p)
			luma[p] = 0.299*r + 0.587*g + 0.114*b
			sumC += max(r, g, b) - min(r, g, b)
		}
		sumY += luma[p]
		f.N++
	}
	if f.N == 0 {
		nan := math.NaN()
		return Features{GradRMS: nan, LumaMean: nan, LumaStd: nan, Chroma: nan}
	}
	n := float64(f.N)
	f.LumaMean = sumY / n
	f.Chroma = sumC / n
	var sumD2, sumG2 float64
	pairs := 0
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			p := i*w + j
			if !(mask[p] > 0.5) {
				continue
			}
			d := luma[p] - f.LumaMean
			sumD2 += d * d
			if j+1 < w && mask[p+1] > 0.5 {
				d := luma[p+1] - luma[p]
				sumG2 += d * d
				pairs++
			}
			if i+1 < h && mask[p+w] > 0.5 {
				d := luma[p+w] - luma[p]
				sumG2 += d * d
				pairs++
			}
		}
	}
	f.LumaStd = math.Sqrt(sumD2 / n)
	if pairs > 0 {
		f.GradRMS = math.Sqrt(sumG2 / float64(pairs))
	}
	return f
}

// vector lists the features in the order of translationWeights.
func (f Features) vector() [4]float64 {
	return [4]float64{f.GradRMS, f.LumaStd, f.Chroma, f.LumaMean}
}

// TranslationScore measures how far output's foreground moved from input's toward
// truth's, its true translation, in the Features of the pixels where mask > 0.5 (the
// same mask for all three images; the background is not looked at, MaskedPSNR with
// inside = false measures it). For each feature k of GradRMS, LumaStd, Chroma and
// LumaMean, with f = ForegroundFeatures:
//
//	Δk = f_k(truth) - f_k(input)                 (target change)
//	zk = (f_k(output) - f_k(input)) / Δk         (progress: 0 at input, 1 at truth)
//	ck = max(-1, min(zk, 2 - zk))                (credit: peaks at 1, overshoot costs)
//
// and, over the features with |Δk| >= MinFeatureChange, with weights wk of 2 for
// GradRMS and 1 for the others,
//
//	score = Σ wk·ck / Σ wk.
//
// Equivalently, before the credit step, Σ wk·zk / Σ wk is the projection of
// f(output) - f(input) on f(truth) - f(input) after scaling each feature by 1/|Δk|.
//
// Properties: the score lies in [-1, 1]; it is exactly 0 for output = input and exactly
// 1 for output = truth, and 1 only when every counted feature of output equals truth's
// (up to rounding). If f(output) moves along the segment f(input) + t·(f(truth) -
// f(input)), the score is t for t in [0, 1] (increasing), 2 - t for t in [1, 3]
// (overshoot penalised as much as undershoot) and t for t in [-1, 0], with -1 beyond.
// Recolouring a plain foreground, which leaves GradRMS and LumaStd at 0, earns at most
// the Chroma and LumaMean shares, 2/5. The features are statistics, not a pattern
// match: noise with the stripes' gradient energy earns the GradRMS and LumaStd shares
// (about 0.5 on the synthetic scenes of the tests); PSNR and SSIM against the truth
// tell such noise from stripes.
//
// It returns NaN when the foreground is empty, or when no feature changes by
// MinFeatureChange from input to truth: the input already resembles its target in
// these statistics, so there is no translation to measure (Mean skips NaN). NaN pixels
// also give NaN. It panics if the shapes differ, the images do not have 1 or 3
// channels, or len(mask) is not H*W.
func TranslationScore(input, output, truth Image, mask []float32) float64 {
	checkPair("TranslationScore", input, output)
	checkPair("TranslationScore", input, truth)
	fi := ForegroundFeatures(input, mask).vector()
	fo := ForegroundFeatures(output, mask).vector()
	ft := ForegroundFeatures(truth, mask).vector()
	var num, den float64
	for k, wk := range translationWeights {
		dt := ft[k] - fi[k]
		if !(math.Abs(dt) >= MinFeatureChange) { // also skips NaN (empty foreground)
			continue
		}
		z := (fo[k] - fi[k]) / dt
		num += wk * math.Max(-1, math.Min(z, 2-z))
		den += wk
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}
