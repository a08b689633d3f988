package data

import (
	"fmt"
	"image"
	"math/rand/v2"
)

// ToGrey returns img as a 1-channel image: a 1-channel image as it is (a
// copy), a 3-channel one by its luma (ITU-R BT.601: 0.299 R + 0.587 G +
// 0.114 B, which keeps a grey image's value). It panics for any other
// channel count.
func ToGrey(img Image) Image {
	img.check("ToGrey")
	switch img.C {
	case 1:
		return img.Clone()
	case 3:
	default:
		panic(fmt.Sprintf("data: ToGrey: %v: need 1 or 3 channels", img))
	}
	out := NewImage(1, img.H, img.W)
	r, g, b := img.Plane(0), img.Plane(1), img.Plane(2)
	for i := range out.Pix {
		out.Pix[i] = 0.299*r[i] + 0.587*g[i] + 0.114*b[i]
	}
	return out
}

// ToGray converts a 1-channel img to an 8-bit grey image, clamping to
// [-1, 1] and rounding as ToRGBA does. It panics for any other channel
// count.
func (img Image) ToGray() *image.Gray {
	img.check("ToGray")
	if img.C != 1 {
		panic(fmt.Sprintf("data: ToGray: %v: need 1 channel", img))
	}
	out := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		out.Pix[i] = to8(v)
	}
	return out
}

// GreySource returns src with every image (and every Target) converted to
// one channel by ToGrey. Sample draws exactly what src draws.
func GreySource(src Source) Source { return greySource{src} }

type greySource struct{ src Source }

func (s greySource) Len() int { return s.src.Len() }

func (s greySource) Sample(rng *rand.Rand) (Image, error) {
	img, err := s.src.Sample(rng)
	if err != nil {
		return img, err
	}
	return ToGrey(img), nil
}

func (s greySource) Item(i int) (Item, error) {
	it, err := s.src.Item(i)
	if err != nil {
		return it, err
	}
	it.Image = ToGrey(it.Image)
	if it.Target != nil {
		t := ToGrey(*it.Target)
		it.Target = &t
	}
	return it, nil
}

// Name returns the name of item i without decoding it, where the source
// underneath can tell; otherwise the item's own name.
func (s greySource) Name(i int) string {
	if n, ok := s.src.(interface{ Name(int) string }); ok {
		return n.Name(i)
	}
	it, err := s.src.Item(i)
	if err != nil {
		return fmt.Sprintf("item%d", i)
	}
	return it.Name
}
