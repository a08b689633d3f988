package metrics

import "math"

// SSIM constants of Wang et al. 2004: Gaussian window of radius 5 (11×11 taps),
// standard deviation 1.5, stabilisers K1 and K2, dynamic range L of [0, 255] values.
const (
	ssimRadius = 5
	ssimSigma  = 1.5
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimL      = 255.0
)

// SSIM returns the mean structural similarity of a and b (Wang, Bovik, Sheikh and
// Simoncelli 2004), computed on each channel of the images mapped to [0, 255] by
// v = (x+1)·127.5 and averaged over channels. With g the 11×11 Gaussian window
// (σ = 1.5, taps exp(-(u²+v²)/(2σ²)) normalised to sum 1) and * the weighted sum over
// the window centred on a pixel:
//
//	μx = g*x            σx² = g*(x²) - μx²     (population, not sample, moments)
//	μy = g*y            σy² = g*(y²) - μy²     σxy = g*(x·y) - μx·μy
//	C1 = (0.01·255)²    C2 = (0.03·255)²
//	S  = (2μx·μy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
//
// and SSIM is the mean of S over the "valid" pixels, those whose window lies inside the
// image (a border of 5 pixels is left out). This is scikit-image's
//
//	structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
//	                      use_sample_covariance=False, data_range=255, channel_axis=-1)
//
// which filters the whole image and then crops the same border before averaging.
// The filtering is separable and done in float64; cost is O(C·H·W·22) multiply-adds
// per moment.
//
// Images with a side shorter than 11 pixels, which scikit-image rejects, are measured
// with a smaller window: radius r = (min(H, W)-1)/2, the same σ, taps truncated to
// |u|, |v| <= r and renormalised (r = 0, for a side of 1 or 2 pixels, compares the
// luminance of single pixels only).
// Identical images give exactly 1. It panics if the shapes differ or an image's Pix
// does not hold C*H*W values.
func SSIM(a, b Image) float64 {
	checkPair("SSIM", a, b)
	g := gaussianTaps(min(ssimRadius, (min(a.H, a.W)-1)/2), ssimSigma)
	hw := a.H * a.W
	var sum float64
	for c := 0; c < a.C; c++ {
		sum += ssimPlane(a.Pix[c*hw:(c+1)*hw], b.Pix[c*hw:(c+1)*hw], a.H, a.W, g)
	}
	return sum / float64(a.C)
}

// gaussianTaps returns the 2r+1 taps exp(-u²/(2σ²)), u = -r..r, normalised to sum 1,
// as scipy.ndimage's gaussian_filter1d builds them.
func gaussianTaps(r int, sigma float64) []float64 {
	g := make([]float64, 2*r+1)
	var s float64
	for u := -r; u <= r; u++ {
		g[u+r] = math.Exp(-0.5 * float64(u*u) / (sigma * sigma))
		s += g[u+r]
	}
	for i := range g {
		g[i] /= s
	}
	return g
}

// ssimPlane returns the mean SSIM map of one h×w plane over its valid region, for the
// separable window g (odd length n = 2r+1 <= min(h, w)). Each input row is filtered
// horizontally into a ring of the last n rows; once n rows are in, their vertical
// weighted sum gives one output row of the five moments.
func ssimPlane(x, y []float32, h, w int, g []float64) float64 {
	const c1 = (ssimK1 * ssimL) * (ssimK1 * ssimL)
	const c2 = (ssimK2 * ssimL) * (ssimK2 * ssimL)
	n := len(g)
	wv, hv := w-n+1, h-n+1 // valid width and height
	// One input row in [0, 255]: x, y, x², y², x·y, w values each.
	in := make([]float64, 5*w)
	rx, ry, rxx, ryy, rxy := in[:w], in[w:2*w], in[2*w:3*w], in[3*w:4*w], in[4*w:]
	// The ring of horizontally filtered rows: slot s holds, for input row i with
	// i%n == s, the moments of x, y, x², y², x·y, wv values each.
	ring := make([]float64, n*5*wv)
	// The vertically filtered moments μx, μy, g*(x²), g*(y²), g*(x·y) of one output row.
	acc := make([]float64, 5*wv)
	ux, uy, uxx, uyy, uxy := acc[:wv], acc[wv:2*wv], acc[2*wv:3*wv], acc[3*wv:4*wv], acc[4*wv:]
	var total float64
	for i := 0; i < h; i++ {
		for j := range w {
			xv := (float64(x[i*w+j]) + 1) * 127.5
			yv := (float64(y[i*w+j]) + 1) * 127.5
			rx[j], ry[j], rxx[j], ryy[j], rxy[j] = xv, yv, xv*xv, yv*yv, xv*yv
		}
		slot := ring[(i%n)*5*wv : (i%n+1)*5*wv]
		for m := range 5 {
			src, dst := in[m*w:(m+1)*w], slot[m*wv:(m+1)*wv]
			clear(dst)
			for k, gk := range g { // tap by tap, so that the columns pipeline
				s := src[k : k+wv]
				s = s[:len(dst)]
				for j, v := range s {
					dst[j] += gk * v
				}
			}
		}
		if i < n-1 {
			continue
		}
		// Output row i-n+1: input rows i-n+1 .. i, with weights g[0] .. g[n-1].
		clear(acc)
		for k, gk := range g {
			src := ring[((i-n+1+k)%n)*5*wv : ((i-n+1+k)%n+1)*5*wv]
			for m, v := range src {
				acc[m] += gk * v
			}
		}
		var row float64
		for j := range wv {
			// The float64 conversions round each product, so that no fused
			// multiply-add makes identical planes give anything but a1 == b1 and
			// a2 == b2, an S of exactly 1.
			xx, yy, xy := float64(ux[j]*ux[j]), float64(uy[j]*uy[j]), float64(ux[j]*uy[j])
			vx := uxx[j] - xx
			vy := uyy[j] - yy
			vxy := uxy[j] - xy
			a1 := 2*xy + c1
			a2 := 2*vxy + c2
			b1 := xx + yy + c1
			b2 := vx + vy + c2
			row += a1 * a2 / (b1 * b2)
		}
		total += row
	}
	return total / float64(hv*wv)
}
