package data

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// to1 maps an 8-bit level to [-1, 1] as FromImage does.
func to1(v uint8) float32 { return float32(v)*2/255 - 1 }

// at returns pixel (c, y, x) of img.
func at(img Image, c, y, x int) float32 { return img.Pix[(c*img.H+y)*img.W+x] }

func TestFromImageColourModels(t *testing.T) {
	const w, h = 5, 3
	want := func(x, y int) (r, g, b uint8) { return uint8(40 * x), uint8(80 * y), uint8(200 - 10*x - y) }

	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for y := range h {
		for x := range w {
			r, g, b := want(x, y)
			rgba.Set(x, y, color.RGBA{r, g, b, 255})
			// Alpha is ignored: the colour is taken as if opaque.
			nrgba.SetNRGBA(x, y, color.NRGBA{r, g, b, 77})
			rgba64.Set(x, y, color.RGBA{r, g, b, 255})
			pal.Palette = append(pal.Palette, color.RGBA{r, g, b, 255})
			pal.SetColorIndex(x, y, uint8(len(pal.Palette)-1))
		}
	}
	for name, m := range map[string]image.Image{"RGBA": rgba, "NRGBA": nrgba, "RGBA64": rgba64, "Paletted": pal} {
		img := FromImage(m)
		require.Equal(t, [3]int{3, h, w}, [3]int{img.C, img.H, img.W}, name)
		for y := range h {
			for x := range w {
				r, g, b := want(x, y)
				assert.InDelta(t, to1(r), at(img, 0, y, x), 1e-6, "%s R (%d,%d)", name, x, y)
				assert.InDelta(t, to1(g), at(img, 1, y, x), 1e-6, "%s G (%d,%d)", name, x, y)
				assert.InDelta(t, to1(b), at(img, 2, y, x), 1e-6, "%s B (%d,%d)", name, x, y)
			}
		}
	}
}

func TestFromImageGreyAndYCbCr(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(30 * i)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 4, 2))
	for i := range 8 {
		g16.SetGray16(i%4, i/4, color.Gray16{Y: uint16(30*i) * 257})
	}
	for name, m := range map[string]image.Image{"Gray": g, "Gray16": g16} {
		img := FromImage(m)
		require.Equal(t, 3, img.C, name)
		for i := range 8 {
			v := to1(uint8(30 * i))
			for c := range 3 {
				assert.InDelta(t, v, img.Plane(c)[i], 1e-6, "%s channel %d pixel %d", name, c, i)
			}
		}
	}

	// YCbCr (what JPEG decodes to) agrees with the generic conversion.
	yc := image.NewYCbCr(image.Rect(0, 0, 6, 4), image.YCbCrSubsampleRatio420)
	for i := range yc.Y {
		yc.Y[i] = uint8(17 * i)
	}
	for i := range yc.Cb {
		yc.Cb[i], yc.Cr[i] = uint8(60+40*i), uint8(200-30*i)
	}
	img := FromImage(yc)
	for y := range 4 {
		for x := range 6 {
			r, g, b, _ := yc.At(x, y).RGBA()
			assert.InDelta(t, to1(uint8(r>>8)), at(img, 0, y, x), 1e-6)
			assert.InDelta(t, to1(uint8(g>>8)), at(img, 1, y, x), 1e-6)
			assert.InDelta(t, to1(uint8(b>>8)), at(img, 2, y, x), 1e-6)
		}
	}
}

func TestFromImageSubImage(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	m.Set(5, 6, color.RGBA{255, 0, 0, 255})
	sub := m.SubImage(image.Rect(4, 4, 8, 8))
	img := FromImage(sub)
	require.Equal(t, 4, img.W)
	assert.Equal(t, float32(1), at(img, 0, 2, 1))
	assert.Equal(t, float32(-1), at(img, 0, 0, 0))
}

func TestToRGBAClampsAndRounds(t *testing.T) {
	img := Image{C: 3, H: 1, W: 4, Pix: []float32{
		-2, -1, 0, 2, // R: clamped, black, middle, clamped
		0.5, 1, -0.999, float32(to1(100)), // G
		0, 0, 0, 0, // B
	}}
	rgba := img.ToRGBA()
	assert.Equal(t, []uint8{0, 191, 128, 255}, []uint8{rgba.Pix[0], rgba.Pix[1], rgba.Pix[2], rgba.Pix[3]})
	assert.Equal(t, uint8(0), rgba.Pix[4*0])
	assert.Equal(t, uint8(255), rgba.Pix[4*1+1])
	assert.Equal(t, uint8(128), rgba.Pix[4*2])
	assert.Equal(t, uint8(0), rgba.Pix[4*2+1]) // -0.999 rounds to level 0
	assert.Equal(t, uint8(255), rgba.Pix[4*3])
	assert.Equal(t, uint8(100), rgba.Pix[4*3+1])

	grey := Image{C: 1, H: 1, W: 1, Pix: []float32{1}}
	assert.Equal(t, []uint8{255, 255, 255, 255}, grey.ToRGBA().Pix)
	assert.Panics(t, func() { NewImage(2, 1, 1).ToRGBA() })
}

func TestSavePNGRoundTrip(t *testing.T) {
	dir := t.TempDir()
	img := NewImage(3, 7, 9)
	for i := range img.Pix {
		img.Pix[i] = float32(i%37)/18 - 1
	}
	path := filepath.Join(dir, "x.png")
	require.NoError(t, img.SavePNG(path))
	back, err := LoadFile(path)
	require.NoError(t, err)
	require.Equal(t, [3]int{3, 7, 9}, [3]int{back.C, back.H, back.W})
	for i := range img.Pix {
		assert.InDelta(t, img.Pix[i], back.Pix[i], 1.0/255+1e-6, "value %d", i)
	}
	// Nothing but the file itself is left in the directory.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// Overwriting works; a missing directory is an error.
	require.NoError(t, img.SavePNG(path))
	require.Error(t, img.SavePNG(filepath.Join(dir, "no", "such", "dir.png")))
}

func TestCropAndFlip(t *testing.T) {
	img := NewImage(2, 4, 5)
	for i := range img.Pix {
		img.Pix[i] = float32(i)
	}
	c := Crop(img, 1, 2, 2, 3)
	require.Equal(t, [3]int{2, 2, 3}, [3]int{c.C, c.H, c.W})
	assert.Equal(t, []float32{7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34}, c.Pix)
	assert.Panics(t, func() { Crop(img, 3, 0, 2, 1) })
	assert.Panics(t, func() { Crop(img, 0, -1, 1, 1) })

	f := FlipH(img)
	assert.Equal(t, []float32{4, 3, 2, 1, 0}, f.Pix[:5])
	assert.Equal(t, []float32{24, 23, 22, 21, 20}, f.Pix[20:25])
	assert.Equal(t, img.Pix, FlipH(f).Pix)
	assert.Equal(t, float32(0), img.Pix[0], "FlipH must not modify its input")
}

func TestGrid(t *testing.T) {
	a := NewImage(3, 4, 6)
	b := NewImage(3, 2, 2)
	m := NewImage(1, 4, 6)
	for i := range m.Pix {
		m.Pix[i] = -1
	}
	g := Grid([][]Image{{a, b, m}, {b}}, 2)
	// 3 columns of 6 and 2 rows of 4, with 2 pixels around and between.
	require.Equal(t, [3]int{3, 2*4 + 3*2, 3*6 + 4*2}, [3]int{g.C, g.H, g.W})
	assert.Equal(t, float32(1), at(g, 0, 0, 0), "padding is white")
	assert.Equal(t, float32(0), at(g, 1, 2, 2), "first image starts after the pad")
	// The grey mask is repeated over the three channels.
	for c := range 3 {
		assert.Equal(t, float32(-1), at(g, c, 2, 2+2*(6+2)))
	}
	// The small image is centred in its cell.
	assert.Equal(t, float32(1), at(g, 0, 2, 2+6+2))
	assert.Equal(t, float32(0), at(g, 0, 3, 2+6+2+2))
	// An empty cell stays white.
	assert.Equal(t, float32(1), at(g, 0, 2+4+2+1, 2+6+2+3))

	assert.Equal(t, 0, len(Grid(nil, 3).Pix))
	g0 := Grid([][]Image{{a}}, 0)
	assert.Equal(t, a.Pix, g0.Pix)
	assert.Panics(t, func() { Grid([][]Image{{a, NewImage(2, 1, 1)}}, 1) })
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadFile(filepath.Join(dir, "missing.png"))
	require.ErrorContains(t, err, "missing.png")

	bad := filepath.Join(dir, "bad.png")
	require.NoError(t, os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644))
	_, err = LoadFile(bad)
	require.ErrorContains(t, err, bad)

	// A PNG cut short is an error too.
	full := filepath.Join(dir, "full.png")
	require.NoError(t, writePNG(full, solidRGBA(20, 20, color.RGBA{1, 2, 3, 255})))
	data, err := os.ReadFile(full)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, data[:len(data)/2], 0o644))
	_, err = LoadFile(bad)
	require.ErrorContains(t, err, bad)
}

func solidRGBA(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func writePNG(path string, m image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
