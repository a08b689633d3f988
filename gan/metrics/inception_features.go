package metrics

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
)

// ResizeBilinear returns img resized to h x w by bilinear interpolation
// with half-pixel centres, as PyTorch's F.interpolate(mode="bilinear",
// align_corners=False) without antialiasing, which pytorch-fid applies to
// every image: output pixel (i, j) samples the input at
// ((i+0.5)*H/h - 0.5, (j+0.5)*W/w - 0.5), clamped at 0 from below and
// to the last row or column from above. It panics on an invalid image or a
// non-positive size.
func ResizeBilinear(img Image, h, w int) Image {
	img.check("ResizeBilinear")
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("metrics: ResizeBilinear: size %dx%d", h, w))
	}
	out := Image{C: img.C, H: h, W: w, Pix: make([]float32, img.C*h*w)}
	resizeInto(out.Pix, img, h, w)
	return out
}

// taps are the two input positions and weights of one output position
// along an axis.
type taps struct {
	i0, i1 int
	w0, w1 float32
}

// linearTaps computes the taps of out positions sampling in positions as
// PyTorch's CPU kernel does, which the weights of test cases match bit for
// bit: the scale in float32, the source position in float64 from it, the
// weights rounded to float32.
func linearTaps(in, out int) []taps {
	t := make([]taps, out)
	scale := float64(float32(in) / float32(out))
	for o := range t {
		src := max(scale*(float64(o)+0.5)-0.5, 0)
		i0 := int(src)
		i1 := i0
		if i0 < in-1 {
			i1 = i0 + 1
		}
		l1 := float32(min(max(src-float64(i0), 0), 1))
		t[o] = taps{i0, i1, 1 - l1, l1}
	}
	return t
}

// resizeInto writes img resized to h x w into dst (img.C*h*w values).
func resizeInto(dst []float32, img Image, h, w int) {
	if h == img.H && w == img.W {
		copy(dst, img.Pix) // every tap has weight 1 at its own position
		return
	}
	rows, cols := linearTaps(img.H, h), linearTaps(img.W, w)
	for c := range img.C {
		src := img.Pix[c*img.H*img.W : (c+1)*img.H*img.W]
		out := dst[c*h*w : (c+1)*h*w]
		for i, r := range rows {
			r0, r1 := src[r.i0*img.W:(r.i0+1)*img.W], src[r.i1*img.W:(r.i1+1)*img.W]
			for j, cl := range cols {
				out[i*w+j] = r.w0*(cl.w0*r0[cl.i0]+cl.w1*r0[cl.i1]) + r.w1*(cl.w0*r1[cl.i0]+cl.w1*r1[cl.i1])
			}
		}
	}
}

// Features returns the Inception features of imgs, one slice of Dim values
// per image, computed batch images at a time (batch < 1 means 16) without
// recording a graph: each image is resized to InceptionSize x
// InceptionSize with ResizeBilinear, as pytorch-fid does, and fed with its
// values as they are (pytorch-fid maps [0, 1] to [-1, 1] first; Image
// values are already in [-1, 1]). A one-channel image is repeated over the
// three colour channels. Each batch norm is folded into the convolution
// before it for the duration of the call (which changes the features by
// float32 rounding only), and the intermediate tensors of each batch are
// freed before the next. Features is not safe for concurrent use on one
// network. It panics on an invalid image or one with a channel count other
// than 1 or 3.
func (m *Inception) Features(imgs []Image, batch int) [][]float32 {
	if batch < 1 {
		batch = 16
	}
	m.convs((*basicConv).fold)
	defer m.convs((*basicConv).unfold)
	dev := m.Parameters()[0].Var.Value.Device()
	const s = InceptionSize
	out := make([][]float32, 0, len(imgs))
	buf := make([]float32, min(batch, len(imgs))*3*s*s)
	for start := 0; start < len(imgs); start += batch {
		n := min(batch, len(imgs)-start)
		for i, img := range imgs[start : start+n] {
			img.check("Features")
			dst := buf[i*3*s*s : (i+1)*3*s*s]
			switch img.C {
			case 3:
				resizeInto(dst, img, s, s)
			case 1:
				resizeInto(dst[:s*s], img, s, s)
				copy(dst[s*s:], dst[:s*s])
				copy(dst[2*s*s:], dst[:s*s])
			default:
				panic(fmt.Sprintf("metrics: Features: image %d has %d channels, want 3 (or 1)", start+i, img.C))
			}
		}
		scope := tensor.OpenScope()
		x := tensor.FromSliceOn(dev, buf[:n*3*s*s], n, 3, s, s)
		var f []float32
		autograd.NoGrad(func() { f = m.Forward(autograd.Const(x)).Value.Data() })
		scope.Close()
		for i := range n {
			out = append(out, f[i*m.dim:(i+1)*m.dim:(i+1)*m.dim])
		}
	}
	return out
}

// featuresKey returns the SHA-256, in hex, of m's weights (names, shapes and
// values) and of imgs (sizes and values): what Features computes from.
func (m *Inception) featuresKey(imgs []Image) string {
	h := sha256.New()
	io.WriteString(h, "semgan fid features v1\n")
	var buf []byte
	write := func(dims []int, data []float32) {
		buf = buf[:0]
		for _, d := range dims {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d))
		}
		for _, v := range data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		h.Write(buf)
	}
	for _, p := range m.Parameters() {
		io.WriteString(h, p.Name+"\n")
		write(p.Var.Value.Shape(), p.Var.Value.Data())
	}
	for _, img := range imgs {
		write([]int{img.C, img.H, img.W}, img.Pix)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CachedFeatures is Features with a cache on disk: the features of imgs are
// stored in dir (created if needed) in a safetensors file named by the
// SHA-256 of m's weights and of the images' sizes and values, and read back
// by later calls with the same weights and images, such as the features of
// a real test set evaluated against every checkpoint. hit reports whether
// they came from the cache. An unreadable or mismatched cache file is
// computed anew and replaced; the error reports a failure to write one.
func (m *Inception) CachedFeatures(imgs []Image, batch int, dir string) (feats [][]float32, hit bool, err error) {
	path := filepath.Join(dir, m.featuresKey(imgs)+".safetensors")
	if f, err := safetensors.ReadFile(path); err == nil {
		if t, ok := f.Tensors["features"]; ok && slices.Equal(t.Shape, []int{len(imgs), m.dim}) {
			feats = make([][]float32, len(imgs))
			for i := range feats {
				feats[i] = t.Data[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
			}
			return feats, true, nil
		}
	}
	feats = m.Features(imgs, batch)
	data := make([]float32, 0, len(imgs)*m.dim)
	for _, f := range feats {
		data = append(data, f...)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return feats, false, err
	}
	file := &safetensors.File{
		Tensors:  map[string]safetensors.Tensor{"features": {Shape: []int{len(imgs), m.dim}, Data: data}},
		Metadata: map[string]string{"format": "semgan-fid-features", "version": "1", "images": fmt.Sprint(len(imgs))},
	}
	return feats, false, safetensors.WriteFile(path, file)
}
