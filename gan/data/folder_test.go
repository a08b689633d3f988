package data

import (
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeJPEG(t *testing.T, path string, m image.Image) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, jpeg.Encode(f, m, &jpeg.Options{Quality: 95}))
	require.NoError(t, f.Close())
}

// gradientRGBA is a w x h image whose left half is redder than its right, so
// that flips are visible.
func gradientRGBA(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(255 * (w - 1 - x) / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), 90, 255})
		}
	}
	return m
}

// makeFolder writes one image of every kind the loader must handle into dir.
func makeFolder(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, writePNG(filepath.Join(dir, "a_rgb.png"), gradientRGBA(40, 30)))
	writeJPEG(t, filepath.Join(dir, "b_rgb.JPG"), gradientRGBA(53, 37)) // odd size, upper-case extension

	grey := image.NewGray(image.Rect(0, 0, 37, 53))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7)
	}
	writeJPEG(t, filepath.Join(dir, "c_grey.jpeg"), grey)
	require.NoError(t, writePNG(filepath.Join(dir, "d_grey.Png"), grey))

	pal := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 2)
	}
	require.NoError(t, writePNG(filepath.Join(dir, "e_palette.png"), pal))

	nrgba := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	for i := 0; i < len(nrgba.Pix); i += 4 {
		nrgba.Pix[i], nrgba.Pix[i+1], nrgba.Pix[i+2], nrgba.Pix[i+3] = 10, 200, 30, 128
	}
	require.NoError(t, writePNG(filepath.Join(dir, "f_nrgba.png"), nrgba))

	// Not images: ignored.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.png"), 0o755))
}

func TestFolderListsAndLoads(t *testing.T) {
	dir := t.TempDir()
	makeFolder(t, dir)
	f, err := OpenFolder(dir, FolderOptions{})
	require.NoError(t, err)
	require.Equal(t, 6, f.Len())
	assert.Equal(t, "a_rgb.png", f.Name(0))
	assert.Equal(t, "b_rgb.JPG", f.Name(1))
	assert.Equal(t, filepath.Join(dir, "f_nrgba.png"), f.Path(5))
	assert.Equal(t, 256, f.Options().Crop)
	assert.Equal(t, 286, f.Options().LoadSize)

	shapes := [][2]int{{30, 40}, {37, 53}, {53, 37}, {53, 37}, {16, 16}, {10, 20}}
	for i, hw := range shapes {
		img, err := f.Load(i)
		require.NoError(t, err, f.Name(i))
		require.Equal(t, [3]int{3, hw[0], hw[1]}, [3]int{img.C, img.H, img.W}, f.Name(i))
		for _, v := range img.Pix {
			require.True(t, v >= -1 && v <= 1, "%s: value %v", f.Name(i), v)
		}
	}

	// Grey files (JPEG and PNG) become three equal channels.
	for _, i := range []int{2, 3} {
		img, err := f.Load(i)
		require.NoError(t, err)
		assert.Equal(t, img.Plane(0), img.Plane(1), f.Name(i))
		assert.Equal(t, img.Plane(0), img.Plane(2), f.Name(i))
	}
	// PNG greys are exact.
	img, _ := f.Load(3)
	assert.InDelta(t, to1(7*5), img.Pix[5], 1e-6)

	// Palette: red and blue alternate.
	img, _ = f.Load(4)
	assert.Equal(t, []float32{1, -1, -1}, []float32{at(img, 0, 0, 0), at(img, 1, 0, 0), at(img, 2, 0, 0)})
	assert.Equal(t, []float32{-1, -1, 1}, []float32{at(img, 0, 0, 1), at(img, 1, 0, 1), at(img, 2, 0, 1)})

	// NRGBA with half alpha: the colour, alpha ignored.
	img, _ = f.Load(5)
	assert.InDelta(t, to1(200), at(img, 1, 4, 4), 1e-6)
}

func TestFolderSampleAndItemShapes(t *testing.T) {
	dir := t.TempDir()
	makeFolder(t, dir)
	f, err := OpenFolder(dir, FolderOptions{Crop: 24})
	require.NoError(t, err)
	assert.Equal(t, 27, f.Options().LoadSize, "24*286/256 = 26.8 rounds to 27")

	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		img, err := f.Sample(rng)
		require.NoError(t, err)
		require.Equal(t, [3]int{3, 24, 24}, [3]int{img.C, img.H, img.W})
	}
	for i := range f.Len() {
		it, err := f.Item(i)
		require.NoError(t, err)
		assert.Equal(t, f.Name(i), it.Name)
		assert.Equal(t, [3]int{3, 24, 24}, [3]int{it.Image.C, it.Image.H, it.Image.W})
		assert.Nil(t, it.Target)
		assert.Nil(t, it.Mask)
	}

	// The same seed gives the same samples.
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 5 {
		x, _ := f.Sample(a)
		y, _ := f.Sample(b)
		require.Equal(t, x.Pix, y.Pix)
	}
}

func TestFolderFlips(t *testing.T) {
	dir := t.TempDir()
	// One image, red on the left; with LoadSize == Crop the crop is the
	// whole image, so a sample is either it or its mirror.
	require.NoError(t, writePNG(filepath.Join(dir, "x.png"), gradientRGBA(16, 16)))
	count := func(opts FolderOptions) (flipped int) {
		f, err := OpenFolder(dir, opts)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(3, 4))
		for range 40 {
			img, err := f.Sample(rng)
			require.NoError(t, err)
			if at(img, 0, 0, 0) < at(img, 0, 0, 15) {
				flipped++
			}
		}
		return flipped
	}
	n := count(FolderOptions{Crop: 16, LoadSize: 16})
	assert.Greater(t, n, 5)
	assert.Less(t, n, 35)
	assert.Zero(t, count(FolderOptions{Crop: 16, LoadSize: 16, NoFlip: true}))
}

func TestFolderCorruptFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, writePNG(filepath.Join(dir, "good.png"), gradientRGBA(8, 8)))
	bad := filepath.Join(dir, "bad.jpg")
	require.NoError(t, os.WriteFile(bad, []byte("this is not a jpeg"), 0o644))

	var warnings []string
	f, err := OpenFolder(dir, FolderOptions{Crop: 8, Warn: func(s string) { warnings = append(warnings, s) }})
	require.NoError(t, err)
	require.Equal(t, 2, f.Len())

	_, err = f.Load(0) // bad.jpg sorts first
	require.ErrorContains(t, err, bad)
	_, err = f.Item(0)
	require.ErrorContains(t, err, bad)

	rng := rand.New(rand.NewPCG(1, 1))
	for range 30 {
		img, err := f.Sample(rng)
		require.NoError(t, err)
		require.Equal(t, 8, img.H)
	}
	require.Len(t, warnings, 1, "one warning per bad file")
	assert.Contains(t, warnings[0], bad)

	// Strict: the bad file is fatal as soon as it is drawn.
	strict, err := OpenFolder(dir, FolderOptions{Crop: 8, Strict: true, Warn: func(s string) { t.Errorf("warned in strict mode: %s", s) }})
	require.NoError(t, err)
	var serr error
	for range 50 {
		if _, serr = strict.Sample(rng); serr != nil {
			break
		}
	}
	require.ErrorContains(t, serr, bad)
}

func TestFolderAllCorrupt(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", "b.jpg", "c.jpeg"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("junk"), 0o644))
	}
	var warnings int
	f, err := OpenFolder(dir, FolderOptions{Warn: func(string) { warnings++ }})
	require.NoError(t, err)
	_, err = f.Sample(rand.New(rand.NewPCG(1, 1)))
	require.ErrorContains(t, err, dir)
	require.ErrorContains(t, err, "none of its 3 image files")
	assert.Equal(t, 3, warnings)
	// And it stays an error, without further warnings.
	_, err = f.Sample(rand.New(rand.NewPCG(2, 2)))
	require.Error(t, err)
	assert.Equal(t, 3, warnings)
}

func TestFolderMissingOrEmpty(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "nope")
	_, err := OpenFolder(missing, FolderOptions{})
	require.ErrorContains(t, err, missing)
	require.ErrorContains(t, err, "does not exist")

	empty := filepath.Join(root, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "readme.md"), nil, 0o644))
	_, err = OpenFolder(empty, FolderOptions{})
	require.ErrorContains(t, err, empty)
	require.ErrorContains(t, err, "no .jpg, .jpeg or .png files")

	file := filepath.Join(root, "file.png")
	require.NoError(t, writePNG(file, gradientRGBA(2, 2)))
	_, err = OpenFolder(file, FolderOptions{})
	require.ErrorContains(t, err, file)
}

func TestOpenFolders(t *testing.T) {
	root := t.TempDir()
	makeFolder(t, filepath.Join(root, "trainA"))
	require.NoError(t, os.Mkdir(filepath.Join(root, "trainB"), 0o755))
	require.NoError(t, writePNG(filepath.Join(root, "trainB", "z.png"), gradientRGBA(9, 9)))

	a, b, err := OpenFolders(root, "train", FolderOptions{Crop: 8})
	require.NoError(t, err)
	assert.Equal(t, 6, a.Len())
	assert.Equal(t, 1, b.Len())
	assert.Equal(t, filepath.Join(root, "trainB"), b.Dir())
	var _ Source = a // a Folder is a Source

	// testA is missing: the error names it.
	_, _, err = OpenFolders(root, "test", FolderOptions{})
	require.ErrorContains(t, err, filepath.Join(root, "testA"))

	_, _, err = OpenFolders(root, "val", FolderOptions{})
	require.ErrorContains(t, err, `"val"`)

	_, _, err = OpenFolders(filepath.Join(root, "missing"), "train", FolderOptions{})
	require.ErrorContains(t, err, "missing")
	require.ErrorContains(t, err, "trainA")
}

func TestFolderConcurrentSample(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", "b.png"} {
		require.NoError(t, writePNG(filepath.Join(dir, n), gradientRGBA(12, 12)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.png"), []byte("junk"), 0o644))
	var mu sync.Mutex
	warnings := 0
	f, err := OpenFolder(dir, FolderOptions{Crop: 8, Warn: func(string) { mu.Lock(); warnings++; mu.Unlock() }})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 0))
			for range 25 {
				if _, err := f.Sample(rng); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, warnings, "the bad file is reported once")
}
