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

func TestFolderCheckLeavesOutBadFiles(t *testing.T) {
	dir := t.TempDir()
	makeFolder(t, dir) // six readable images
	require.NoError(t, os.WriteFile(filepath.Join(dir, "150x.jpg"), []byte("not a jpeg"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.png"), nil, 0o644))
	f, err := OpenFolder(dir, FolderOptions{Crop: 8, Warn: func(s string) { t.Errorf("warned: %s", s) }})
	require.NoError(t, err)
	require.Equal(t, 8, f.Len())

	bad, err := f.Check()
	require.NoError(t, err)
	require.Len(t, bad, 2)
	assert.Equal(t, filepath.Join(dir, "150x.jpg"), bad[0].Path)
	assert.Equal(t, filepath.Join(dir, "empty.png"), bad[1].Path)
	assert.Error(t, bad[0].Err)
	require.Equal(t, 6, f.Len(), "the bad files are left out")
	for i := range f.Len() {
		_, err := f.Item(i)
		require.NoError(t, err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		_, err := f.Sample(rng) // never meets a bad file: Warn is never called
		require.NoError(t, err)
	}
	assert.False(t, f.Grey(), "a mix of colour and grey")
}

func TestFolderCheckNoUsableImage(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.png"), []byte("junk"), 0o644))
	f, err := OpenFolder(dir, FolderOptions{})
	require.NoError(t, err)
	bad, err := f.Check()
	require.ErrorContains(t, err, dir)
	require.ErrorContains(t, err, "none of its 1 image files can be read")
	assert.Len(t, bad, 1)
}

func TestFolderGrey(t *testing.T) {
	dir := t.TempDir()
	g := image.NewGray(image.Rect(0, 0, 9, 9))
	writeJPEG(t, filepath.Join(dir, "a.jpg"), g)
	require.NoError(t, writePNG(filepath.Join(dir, "b.png"), g))
	require.NoError(t, writePNG(filepath.Join(dir, "c.png"), image.NewGray16(image.Rect(0, 0, 9, 9))))
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Gray{0}, color.Gray{200}})
	require.NoError(t, writePNG(filepath.Join(dir, "d.png"), pal))
	f, err := OpenFolder(dir, FolderOptions{})
	require.NoError(t, err)
	assert.False(t, f.Grey(), "unknown before Check")
	_, err = f.Check()
	require.NoError(t, err)
	assert.True(t, f.Grey())

	require.NoError(t, writePNG(filepath.Join(dir, "e.png"), gradientRGBA(4, 4)))
	f, err = OpenFolder(dir, FolderOptions{})
	require.NoError(t, err)
	_, err = f.Check()
	require.NoError(t, err)
	assert.False(t, f.Grey(), "one colour image")
}

// What Sample draws depends on its rng alone, not on which unreadable
// files earlier draws found: a resumed run, or a run with images decoded
// ahead, draws what an uninterrupted one does.
func TestFolderSampleDependsOnRNGOnly(t *testing.T) {
	dir := t.TempDir()
	for i, n := range []string{"a.png", "b.png", "c.png", "d.png"} {
		require.NoError(t, writePNG(filepath.Join(dir, n), gradientRGBA(10+i, 12)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.png"), []byte("junk"), 0o644))
	open := func() *Folder {
		f, err := OpenFolder(dir, FolderOptions{Crop: 8, Warn: func(string) {}})
		require.NoError(t, err)
		return f
	}
	fresh, used := open(), open()
	warm := rand.New(rand.NewPCG(9, 9))
	for range 40 { // used has met bad.png
		_, err := used.Sample(warm)
		require.NoError(t, err)
	}
	for seed := range uint64(20) {
		x, err := fresh.Sample(rand.New(rand.NewPCG(seed, 1)))
		require.NoError(t, err)
		y, err := used.Sample(rand.New(rand.NewPCG(seed, 1)))
		require.NoError(t, err)
		require.Equal(t, x, y, "seed %d", seed)
	}
}
