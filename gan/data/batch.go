package data

import (
	"fmt"

	"github.com/semgan/semgan/tensor"
)

// This is the package's only dependency on the tensor library.

// Batch stacks images of one shape into a tensor of shape [N, C, H, W] on
// the default device. It panics if imgs is empty or the shapes differ.
func Batch(imgs []Image) *tensor.Tensor {
	if len(imgs) == 0 {
		panic("data: Batch: no images")
	}
	c, h, w := imgs[0].C, imgs[0].H, imgs[0].W
	n := c * h * w
	buf := make([]float32, 0, len(imgs)*n)
	for i, im := range imgs {
		im.check("Batch")
		if im.C != c || im.H != h || im.W != w {
			panic(fmt.Sprintf("data: Batch: image %d is %v, image 0 is %v", i, im, imgs[0]))
		}
		buf = append(buf, im.Pix...)
	}
	return tensor.FromSlice(buf, len(imgs), c, h, w)
}

// Unbatch splits a tensor of shape [N, C, H, W] into N images (copied to
// host memory). It panics if t is not of rank 4.
func Unbatch(t *tensor.Tensor) []Image {
	s := t.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("data: Unbatch: tensor of shape %v, want [N C H W]", s))
	}
	data := t.Data()
	n := s[1] * s[2] * s[3]
	out := make([]Image, s[0])
	for i := range out {
		out[i] = Image{C: s[1], H: s[2], W: s[3], Pix: data[i*n : (i+1)*n : (i+1)*n]}
	}
	return out
}
