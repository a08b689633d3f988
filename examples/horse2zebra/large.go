package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
)

// defaultMaxSide is translate's -max-side when the training size is not
// known: four times the 256 the paper trains at.
const defaultMaxSide = 1024

// plan is how translate runs one image: resized so that its longer side is
// at most maxSide, or in tiles of tile pixels overlapping by overlap.
type plan struct {
	maxSide       int // 0: no resizing
	tile, overlap int // tile 0: the whole image at once
}

// trainingSize returns the -size of the run whose checkpoint is weights
// (OUT/checkpoints/NAME.safetensors, with OUT/data_flags.json), or 0.
func trainingSize(weights string) int {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(weights)), dataFlagsFile))
	if err != nil {
		return 0
	}
	var f dataFlags
	if json.Unmarshal(b, &f) != nil {
		return 0
	}
	return f.Size
}

// translatePlan returns the plan of -max-side and -tile for weights: with
// -tile, tiles overlapping by a quarter of their side and no resizing;
// otherwise a longer side of at most -max-side, by default four times the
// training size (1024 when unknown).
func translatePlan(maxSide, tile int, weights string) plan {
	if tile > 0 {
		return plan{tile: tile, overlap: tile / 4 / 4 * 4}
	}
	if maxSide == 0 {
		maxSide = defaultMaxSide
		if s := trainingSize(weights); s > 0 {
			maxSide = 4 * s
		}
	}
	return plan{maxSide: maxSide}
}

// describe says how p runs an image of w x h pixels.
func (p plan) describe(w, h int) string {
	if p.tile > 0 {
		ny, nx := len(tileStarts(h, p.tile, p.overlap)), len(tileStarts(w, p.tile, p.overlap))
		return fmt.Sprintf("%dx%d in %d tiles of %dx%d overlapping by %d", w, h, nx*ny, p.tile, p.tile, p.overlap)
	}
	if rw, rh := p.resized(w, h); rw != w || rh != h {
		return fmt.Sprintf("%dx%d resized to %dx%d (-max-side %d; -tile keeps the full size)", w, h, rw, rh, p.maxSide)
	}
	return fmt.Sprintf("%dx%d as it is", w, h)
}

// resized returns w x h scaled down so that the longer side is at most
// maxSide, keeping the aspect ratio.
func (p plan) resized(w, h int) (int, int) {
	if p.maxSide <= 0 || max(w, h) <= p.maxSide {
		return w, h
	}
	s := float64(p.maxSide) / float64(max(w, h))
	return max(5, int(math.Round(float64(w)*s))), max(5, int(math.Round(float64(h)*s)))
}

// run translates img by p with g, telling progress about the tiles.
func (p plan) run(g *gan.Generator, img data.Image, progress io.Writer) data.Image {
	if p.tile == 0 {
		if w, h := p.resized(img.W, img.H); w != img.W || h != img.H {
			img = data.Resize(img, h, w)
		}
		return translateAnySize(g, img)
	}
	return translateTiled(g, img, p.tile, p.overlap, progress)
}

// tileStarts returns the first pixel of each tile of side t along a side
// of n pixels, consecutive tiles overlapping by at least overlap, the last
// one ending at n. A side shorter than t is one tile.
func tileStarts(n, t, overlap int) []int {
	if n <= t {
		return []int{0}
	}
	stride := t - overlap
	k := (n-t+stride-1)/stride + 1 // tiles needed
	starts := make([]int, k)
	for i := range starts {
		starts[i] = (n - t) * i / (k - 1) // spread evenly, the last at n-t
	}
	return starts
}

// translateTiled translates img tile by tile and blends the tiles where
// they overlap, each weighted by a ramp that falls towards its edges inside
// the image, so that the full resolution comes out without seams, in
// memory that grows with the tile, not with the image.
func translateTiled(g *gan.Generator, img data.Image, t, overlap int, progress io.Writer) data.Image {
	ys, xs := tileStarts(img.H, t, overlap), tileStarts(img.W, t, overlap)
	th, tw := min(t, img.H), min(t, img.W)
	out := data.NewImage(g.Config.OutC, img.H, img.W)
	wsum := make([]float32, img.H*img.W)
	n, done := len(ys)*len(xs), 0
	for _, y0 := range ys {
		for _, x0 := range xs {
			y := translateAnySize(g, data.Crop(img, y0, x0, th, tw))
			wy := ramp(th, overlap, y0 > 0, y0+th < img.H)
			wx := ramp(tw, overlap, x0 > 0, x0+tw < img.W)
			for c := range out.C {
				src, dst := y.Plane(c), out.Plane(c)
				for r := range th {
					for q := range tw {
						dst[(y0+r)*img.W+x0+q] += wy[r] * wx[q] * src[r*tw+q]
					}
				}
			}
			for r := range th {
				for q := range tw {
					wsum[(y0+r)*img.W+x0+q] += wy[r] * wx[q]
				}
			}
			done++
			if progress != nil && (done == n || done%max(1, n/10) == 0) {
				fmt.Fprintf(progress, "  tile %d of %d\n", done, n)
			}
		}
	}
	for c := range out.C {
		p := out.Plane(c)
		for i := range p {
			p[i] /= wsum[i]
		}
	}
	return out
}

// ramp returns the blending weights along a tile side of n pixels: rising
// from near 0 to 1 over the first overlap pixels where the tile has a
// neighbour before it (lo), falling likewise where it has one after it
// (hi), and 1 elsewhere. Every weight is positive.
func ramp(n, overlap int, lo, hi bool) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = 1
		if lo && i < overlap {
			w[i] = min(w[i], float32(i+1)/float32(overlap+1))
		}
		if hi && n-1-i < overlap {
			w[i] = min(w[i], float32(n-i)/float32(overlap+1))
		}
	}
	return w
}
