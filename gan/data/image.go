package data

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// Image is a planar float32 image: C planes of H rows of W values, plane by
// plane (CHW), so that pixel (c, y, x) is Pix[(c*H+y)*W+x]. Values are in the
// GAN's range [-1, 1]; images from FromImage have C = 3 (RGB).
type Image struct {
	C, H, W int
	Pix     []float32
}

// NewImage returns a zero (mid-grey) image of the given shape. It panics on a
// negative dimension.
func NewImage(c, h, w int) Image {
	if c < 0 || h < 0 || w < 0 {
		panic(fmt.Sprintf("data: NewImage: negative shape %dx%dx%d", c, h, w))
	}
	return Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
}

// Plane returns the H*W values of channel c, sharing img's storage.
func (img Image) Plane(c int) []float32 {
	n := img.H * img.W
	return img.Pix[c*n : (c+1)*n : (c+1)*n]
}

// Clone returns a deep copy of img.
func (img Image) Clone() Image {
	img.Pix = append([]float32(nil), img.Pix...)
	return img
}

// String returns the image's shape, for messages.
func (img Image) String() string { return fmt.Sprintf("Image[%dx%dx%d]", img.C, img.H, img.W) }

func (img Image) check(op string) {
	if img.C < 0 || img.H < 0 || img.W < 0 || len(img.Pix) != img.C*img.H*img.W {
		panic(fmt.Sprintf("data: %s: %d values for shape %dx%dx%d", op, len(img.Pix), img.C, img.H, img.W))
	}
}

// FromImage converts any image.Image to a 3-channel RGB Image in [-1, 1].
// Grey images give three equal channels; alpha is ignored (colours are taken
// un-premultiplied, as if the image were opaque).
func FromImage(src image.Image) Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewImage(3, h, w)
	r, g, bl := out.Plane(0), out.Plane(1), out.Plane(2)
	const s8 = 2.0 / 255
	const s16 = 2.0 / 65535
	switch m := src.(type) {
	case *image.RGBA:
		// Premultiplied, but for an opaque image (the usual case) that is the
		// colour itself; un-premultiply where alpha is partial.
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				i := y*w + x
				if a := p[3]; a == 255 || a == 0 {
					r[i] = float32(p[0])*s8 - 1
					g[i] = float32(p[1])*s8 - 1
					bl[i] = float32(p[2])*s8 - 1
				} else {
					f := 2 / float32(a)
					r[i] = min(float32(p[0])*f, 2) - 1
					g[i] = min(float32(p[1])*f, 2) - 1
					bl[i] = min(float32(p[2])*f, 2) - 1
				}
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				i := y*w + x
				r[i] = float32(p[0])*s8 - 1
				g[i] = float32(p[1])*s8 - 1
				bl[i] = float32(p[2])*s8 - 1
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				v := float32(row[x])*s8 - 1
				i := y*w + x
				r[i], g[i], bl[i] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				cr, cg, cb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				i := y*w + x
				r[i] = float32(cr)*s8 - 1
				g[i] = float32(cg)*s8 - 1
				bl[i] = float32(cb)*s8 - 1
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				i := y*w + x
				r[i] = float32(c.R)*s16 - 1
				g[i] = float32(c.G)*s16 - 1
				bl[i] = float32(c.B)*s16 - 1
			}
		}
	}
	return out
}

// to8 maps [-1, 1] to 0..255, clamping and rounding to the nearest level.
func to8(v float32) uint8 {
	f := (v + 1) * 127.5
	if !(f > 0) { // also catches NaN
		return 0
	}
	if f >= 255 {
		return 255
	}
	return uint8(f + 0.5)
}

// ToRGBA converts img to an opaque 8-bit image, clamping to [-1, 1] and
// rounding. A 1-channel image becomes grey; a 3-channel one is RGB. It panics
// for any other channel count.
func (img Image) ToRGBA() *image.RGBA {
	img.check("ToRGBA")
	if img.C != 1 && img.C != 3 {
		panic(fmt.Sprintf("data: ToRGBA: %v: need 1 or 3 channels", img))
	}
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	n := img.H * img.W
	for i := 0; i < n; i++ {
		p := out.Pix[4*i : 4*i+4 : 4*i+4]
		if img.C == 1 {
			v := to8(img.Pix[i])
			p[0], p[1], p[2] = v, v, v
		} else {
			p[0], p[1], p[2] = to8(img.Pix[i]), to8(img.Pix[n+i]), to8(img.Pix[2*n+i])
		}
		p[3] = 255
	}
	return out
}

// SavePNG writes img as an 8-bit PNG: grey for a 1-channel image (see
// ToGray), RGB for a 3-channel one (see ToRGBA). It writes a temporary file
// in the same directory and renames it into place, so that path never holds a
// partial image. It returns any file-system or encoding error.
func (img Image) SavePNG(path string) (err error) {
	var m image.Image
	if img.C == 1 {
		m = img.ToGray()
	} else {
		m = img.ToRGBA()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("data: SavePNG: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("data: SavePNG %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	if err = png.Encode(bw, m); err != nil {
		return fmt.Errorf("data: SavePNG %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("data: SavePNG %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("data: SavePNG %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("data: SavePNG %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("data: SavePNG: %w", err)
	}
	return nil
}

// LoadFile decodes a JPEG or PNG file into an RGB Image (see FromImage). The
// error names the path.
func LoadFile(path string) (Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return Image{}, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	m, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return Image{}, fmt.Errorf("data: decoding %s: %w", path, err)
	}
	if b := m.Bounds(); b.Empty() {
		return Image{}, fmt.Errorf("data: decoding %s: empty image", path)
	}
	return FromImage(m), nil
}

// Crop returns the h x w window of img whose top-left corner is (y, x), as a
// new image. It panics if the window does not lie inside img.
func Crop(img Image, y, x, h, w int) Image {
	img.check("Crop")
	if y < 0 || x < 0 || h < 0 || w < 0 || y+h > img.H || x+w > img.W {
		panic(fmt.Sprintf("data: Crop: window %dx%d at (%d,%d) outside %v", h, w, y, x, img))
	}
	out := NewImage(img.C, h, w)
	for c := 0; c < img.C; c++ {
		src, dst := img.Plane(c), out.Plane(c)
		for r := 0; r < h; r++ {
			copy(dst[r*w:(r+1)*w], src[(y+r)*img.W+x:])
		}
	}
	return out
}

// FlipH returns img mirrored left to right, as a new image.
func FlipH(img Image) Image {
	img.check("FlipH")
	out := NewImage(img.C, img.H, img.W)
	w := img.W
	for r := 0; r < img.C*img.H; r++ {
		src, dst := img.Pix[r*w:(r+1)*w], out.Pix[r*w:(r+1)*w]
		for x := range w {
			dst[x] = src[w-1-x]
		}
	}
	return out
}

// Grid tiles images into one sample sheet: rows[i][j] goes to row i, column
// j. Every cell is as large as the largest image; smaller images are centred.
// Cells are separated by, and the sheet is framed with, pad pixels of white
// (value 1); empty cells are white too. The sheet has as many channels as the
// widest image, and 1-channel images are repeated across channels. It panics
// if pad is negative or a channel count is neither 1 nor the sheet's.
func Grid(rows [][]Image, pad int) Image {
	if pad < 0 {
		panic(fmt.Sprintf("data: Grid: negative pad %d", pad))
	}
	c, ch, cw, cols := 1, 0, 0, 0
	for _, row := range rows {
		cols = max(cols, len(row))
		for _, im := range row {
			im.check("Grid")
			c, ch, cw = max(c, im.C), max(ch, im.H), max(cw, im.W)
		}
	}
	H := len(rows)*(ch+pad) + pad
	W := cols*(cw+pad) + pad
	if len(rows) == 0 || cols == 0 {
		H, W = 0, 0
	}
	out := NewImage(c, H, W)
	for i := range out.Pix {
		out.Pix[i] = 1
	}
	for i, row := range rows {
		for j, im := range row {
			if im.C != 1 && im.C != c {
				panic(fmt.Sprintf("data: Grid: %v among %d-channel images", im, c))
			}
			y0 := pad + i*(ch+pad) + (ch-im.H)/2
			x0 := pad + j*(cw+pad) + (cw-im.W)/2
			for k := 0; k < c; k++ {
				src := im.Plane(min(k, im.C-1))
				dst := out.Plane(k)
				for r := 0; r < im.H; r++ {
					copy(dst[(y0+r)*W+x0:(y0+r)*W+x0+im.W], src[r*im.W:(r+1)*im.W])
				}
			}
		}
	}
	return out
}
