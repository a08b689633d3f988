package data

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestToGreyKeepsGreyAndWeighsColour(t *testing.T) {
	img := NewImage(3, 1, 2)
	copy(img.Pix, []float32{0.5, 1, 0.5, -1, 0.5, -1}) // pixel 0 grey 0.5; pixel 1 pure red
	g := ToGrey(img)
	require.Equal(t, 1, g.C)
	assert.InDelta(t, 0.5, g.Pix[0], 1e-6, "a grey pixel keeps its value")
	assert.InDelta(t, 0.299-0.587-0.114, g.Pix[1], 1e-6, "luma of red")
	assert.Panics(t, func() { ToGrey(NewImage(2, 1, 1)) })
}

func TestSavePNGWritesGreyForOneChannel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.png")
	img := NewImage(1, 2, 3)
	img.Pix[4] = 1
	require.NoError(t, img.SavePNG(path))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, _, err := image.Decode(f)
	require.NoError(t, err)
	g, ok := m.(*image.Gray)
	require.True(t, ok, "decoded as %T", m)
	assert.Equal(t, color.Gray{255}, g.GrayAt(1, 1))
	assert.Equal(t, color.Gray{128}, g.GrayAt(0, 0))
}

func TestGreySourceDrawsWhatItsSourceDraws(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", "b.png", "c.png"} {
		require.NoError(t, writePNG(filepath.Join(dir, n), gradientRGBA(12, 12)))
	}
	f, err := OpenFolder(dir, FolderOptions{Crop: 8})
	require.NoError(t, err)
	g := GreySource(f)
	x, err := f.Sample(rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	y, err := g.Sample(rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	assert.Equal(t, ToGrey(x), y)
	it, err := g.Item(1)
	require.NoError(t, err)
	assert.Equal(t, 1, it.Image.C)
	assert.Equal(t, "b.png", it.Name)
}
