package data

import (
	"fmt"
	"math"
)

// Resize returns img resampled to h x w with a separable bilinear (triangle)
// filter whose support widens by the reduction factor when shrinking, as
// PIL's antialiased bilinear does: upscaling interpolates between the four
// nearest pixels, downscaling averages every source pixel the output pixel
// covers, so it does not alias. Pixel centres are aligned (half-pixel
// convention) and weights are normalised, so a constant image stays constant.
// It panics if h or w is not positive or img is empty.
func Resize(img Image, h, w int) Image {
	img.check("Resize")
	if h <= 0 || w <= 0 || img.H == 0 || img.W == 0 {
		panic(fmt.Sprintf("data: Resize: %v to %dx%d", img, h, w))
	}
	if h == img.H && w == img.W {
		return img.Clone()
	}
	// Horizontal pass: C*H rows of W -> w, then vertical pass: H -> h.
	tmp := img
	if w != img.W {
		tmp = NewImage(img.C, img.H, w)
		ws := filterWeights(img.W, w)
		for r := 0; r < img.C*img.H; r++ {
			src := img.Pix[r*img.W : (r+1)*img.W]
			dst := tmp.Pix[r*w : (r+1)*w]
			for x, f := range ws {
				var s float32
				for k, wt := range f.w {
					s += wt * src[f.start+k]
				}
				dst[x] = s
			}
		}
	}
	if h == img.H { // then w != img.W, and tmp is a new image
		return tmp
	}
	out := NewImage(img.C, h, w)
	hs := filterWeights(img.H, h)
	for c := 0; c < img.C; c++ {
		src, dst := tmp.Plane(c), out.Plane(c)
		for y, f := range hs {
			row := dst[y*w : (y+1)*w]
			for k, wt := range f.w {
				srow := src[(f.start+k)*w : (f.start+k+1)*w]
				for x := range row {
					row[x] += wt * srow[x]
				}
			}
		}
	}
	return out
}

// filter holds the normalised weights of one output sample over source
// samples start, start+1, ...
type filter struct {
	start int
	w     []float32
}

// filterWeights returns, for each of the out output samples, the triangle
// filter weights over the in source samples.
func filterWeights(in, out int) []filter {
	scale := float64(in) / float64(out)
	support := math.Max(scale, 1) // triangle half-width in source pixels
	fs := make([]filter, out)
	for i := range fs {
		centre := (float64(i) + 0.5) * scale // in source coordinates
		lo := max(int(math.Floor(centre-support)), 0)
		hi := min(int(math.Ceil(centre+support)), in)
		wts := make([]float32, 0, hi-lo)
		var sum float64
		for j := lo; j < hi; j++ {
			d := math.Abs((float64(j) + 0.5 - centre) / support)
			wt := math.Max(0, 1-d)
			wts = append(wts, float32(wt))
			sum += wt
		}
		if sum == 0 { // cannot happen for in >= 1, but stay safe
			j := min(int(centre), in-1)
			fs[i] = filter{start: j, w: []float32{1}}
			continue
		}
		for k := range wts {
			wts[k] = float32(float64(wts[k]) / sum)
		}
		fs[i] = filter{start: lo, w: wts}
	}
	return fs
}
