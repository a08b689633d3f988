package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTileStartsCoverWithOverlap(t *testing.T) {
	for _, c := range []struct{ n, t, overlap int }{{100, 32, 8}, {33, 32, 8}, {32, 32, 8}, {20, 32, 8}, {4000, 256, 64}, {3000, 256, 64}} {
		s := tileStarts(c.n, c.t, c.overlap)
		assert.Equal(t, 0, s[0], "%+v", c)
		assert.Equal(t, max(0, c.n-c.t), s[len(s)-1], "%+v: the last tile ends at the edge", c)
		for i := 1; i < len(s); i++ {
			assert.GreaterOrEqual(t, s[i-1]+c.t-s[i], c.overlap, "%+v: tiles %d and %d overlap enough", c, i-1, i)
		}
	}
	w := ramp(10, 4, true, true)
	for i, v := range w {
		assert.Positive(t, v, "weight %d", i)
	}
	assert.Equal(t, float32(1), w[4])
	assert.Equal(t, []float32{1, 1, 1}, ramp(3, 4, false, false))
}

// translate bounds large images: -max-side resizes them, -tile translates
// them tile by tile at full size; it says how before it starts and reports
// its progress over the tiles.
func TestTranslateLargeImages(t *testing.T) {
	ckpt := filepath.Join(trained(t), "checkpoints", "latest.safetensors")
	in := filepath.Join(t.TempDir(), "big.png")
	writeImage(t, in, rgb(150, 70))
	_, errOut := capture(t)

	out := t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out, "-tile", "32"}))
	w, h := imageSize(t, filepath.Join(out, "big.png"))
	assert.Equal(t, [2]int{150, 70}, [2]int{w, h}, "tiles keep the full size")
	assert.Contains(t, errOut.String(), "[1/1] "+in+": 150x70 in 18 tiles of 32x32 overlapping by 8")
	assert.Contains(t, errOut.String(), "tile 18 of 18")

	out = t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out, "-max-side", "60"}))
	w, h = imageSize(t, filepath.Join(out, "big.png"))
	assert.Equal(t, [2]int{60, 28}, [2]int{w, h})
	assert.Contains(t, errOut.String(), "150x70 resized to 60x28 (-max-side 60")

	// The default: four times the training size of the checkpoint's run (24).
	out = t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out}))
	w, _ = imageSize(t, filepath.Join(out, "big.png"))
	assert.Equal(t, 96, w)

	err := run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out, "-tile", "8"})
	require.ErrorContains(t, err, "-tile 8: must be from 16 to 8192")
}
