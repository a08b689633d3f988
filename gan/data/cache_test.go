package data

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cache changes nothing Sample returns, and stays within its budget.
func TestFolderCacheKeepsSamplesAndBudget(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		require.NoError(t, writePNG(filepath.Join(dir, fmt.Sprintf("%d.png", i)), gradientRGBA(20+i, 14)))
	}
	plain, err := OpenFolder(dir, FolderOptions{Crop: 8, LoadSize: 10})
	require.NoError(t, err)
	const each = 4 * 3 * 10 * 10 // one image at LoadSize
	cached, err := OpenFolder(dir, FolderOptions{Crop: 8, LoadSize: 10, CacheBytes: 3*each + 1})
	require.NoError(t, err)
	for seed := range uint64(60) {
		x, err := plain.Sample(rand.New(rand.NewPCG(seed, 0)))
		require.NoError(t, err)
		y, err := cached.Sample(rand.New(rand.NewPCG(seed, 0)))
		require.NoError(t, err)
		require.Equal(t, x, y, "seed %d", seed)
	}
	assert.Len(t, cached.cache, 3, "three images fit the budget")
	assert.Equal(t, int64(3*each), cached.cached)
}

// BenchmarkFolderSample measures Sample (decode, resize to 286, crop 256,
// flip) on folders of 256x256 JPEGs and of 3000x2000 photos, without and
// with the cache, in images per second on one goroutine.
func BenchmarkFolderSample(b *testing.B) {
	for _, size := range [][2]int{{256, 256}, {3000, 2000}} {
		dir := b.TempDir()
		const files = 4
		for i := range files {
			writeJPEGb(b, filepath.Join(dir, fmt.Sprintf("%d.jpg", i)), photo(size[0], size[1], i))
		}
		for _, cache := range []int64{0, 1 << 30} {
			name := fmt.Sprintf("%dx%d/cache=%dMiB", size[0], size[1], cache>>20)
			b.Run(name, func(b *testing.B) {
				f, err := OpenFolder(dir, FolderOptions{Crop: 256, CacheBytes: cache})
				require.NoError(b, err)
				rng := rand.New(rand.NewPCG(1, 2))
				for b.Loop() {
					if _, err := f.Sample(rng); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// photo is a w x h image with detail everywhere, so that JPEG decoding
// does the work a photograph takes.
func photo(w, h, seed int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(40))
			m.SetRGBA(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x+y)%256)/2 + n, 255})
		}
	}
	return m
}

// writeJPEGb writes m as a JPEG of quality 90 for a benchmark.
func writeJPEGb(b *testing.B, path string, m image.Image) {
	b.Helper()
	f, err := os.Create(path)
	require.NoError(b, err)
	require.NoError(b, jpeg.Encode(f, m, &jpeg.Options{Quality: 90}))
	require.NoError(b, f.Close())
}
