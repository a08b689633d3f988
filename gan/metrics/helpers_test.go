package metrics

import (
	"math/rand/v2"
)

// formulaImage returns a C×H×W image with values f(c, i, j), each computed in float64
// and rounded to float32 (testdata/ssim_reference.py builds the same images).
func formulaImage(c, h, w int, f func(c, i, j float64) float64) Image {
	img := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for ch := 0; ch < c; ch++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				img.Pix[(ch*h+i)*w+j] = float32(f(float64(ch), float64(i), float64(j)))
			}
		}
	}
	return img
}

// randomImage returns a C×H×W image of uniform values in [-1, 1).
func randomImage(rng *rand.Rand, c, h, w int) Image {
	img := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for i := range img.Pix {
		img.Pix[i] = 2*rng.Float32() - 1
	}
	return img
}

// addNoise returns img plus uniform noise in [-amp, amp), clipped to [-1, 1].
func addNoise(rng *rand.Rand, img Image, amp float32) Image {
	out := Image{C: img.C, H: img.H, W: img.W, Pix: make([]float32, len(img.Pix))}
	for i, x := range img.Pix {
		out.Pix[i] = min(1, max(-1, x+amp*(2*rng.Float32()-1)))
	}
	return out
}
