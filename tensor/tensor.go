package tensor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semgan/semgan/kernels"
)

// Tensor is a dense float32 array with a shape, stored contiguously in C
// order on one backend. Tensors are not safe for concurrent mutation.
type Tensor struct {
	shape []int
	buf   kernels.Buffer
	dev   kernels.Backend
	view  bool // made by Reshape: shares another tensor's storage
}

// New returns a zero-filled tensor of the given shape on dev. It panics on a
// negative dimension.
func New(dev kernels.Backend, shape ...int) *Tensor {
	n := numel("New", shape)
	t := &Tensor{shape: slices.Clone(shape), buf: dev.Alloc(n), dev: dev}
	track(t)
	return t
}

// Zeros returns a zero-filled tensor on the default device.
func Zeros(shape ...int) *Tensor { return New(Default(), shape...) }

// ZerosLike returns a zero-filled tensor with t's shape and device.
func ZerosLike(t *Tensor) *Tensor { return New(t.dev, t.shape...) }

// Full returns a tensor on the default device with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	t.dev.Fill(t.buf, v)
	return t
}

// FromSlice returns a tensor on the default device holding a copy of data.
// It panics if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	return FromSliceOn(Default(), data, shape...)
}

// FromSliceOn is FromSlice on device dev.
func FromSliceOn(dev kernels.Backend, data []float32, shape ...int) *Tensor {
	n := numel("FromSlice", shape)
	if len(data) != n {
		panic(fmt.Sprintf("tensor: FromSlice: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	t := New(dev, shape...)
	dev.Upload(t.buf, data)
	return t
}

// Scalar returns a tensor of shape [] (one element) holding v.
func Scalar(v float32) *Tensor { return FromSlice([]float32{v}) }

func numel(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in shape %v", op, shape))
		}
		n *= d
	}
	return n
}

// Shape returns the tensor's shape. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements.
func (t *Tensor) Len() int { return t.buf.Len() }

// Device returns the backend that holds the tensor.
func (t *Tensor) Device() kernels.Backend { return t.dev }

// Buffer returns the tensor's storage, for calling kernels directly.
func (t *Tensor) Buffer() kernels.Buffer { return t.buf }

// Data returns a copy of the elements in C order.
func (t *Tensor) Data() []float32 {
	out := make([]float32, t.Len())
	t.dev.Download(out, t.buf)
	return out
}

// Item returns the only element of a one-element tensor. It panics otherwise.
func (t *Tensor) Item() float32 {
	if t.Len() != 1 {
		panic(fmt.Sprintf("tensor: Item: tensor of shape %v has %d elements", t.shape, t.Len()))
	}
	return t.Data()[0]
}

// CopyFrom overwrites t with src's elements. The shapes must have the same
// number of elements and the tensors the same device.
func (t *Tensor) CopyFrom(src *Tensor) {
	mustSameDevice("CopyFrom", t, src)
	if t.Len() != src.Len() {
		panic(fmt.Sprintf("tensor: CopyFrom: %v from %v", t.shape, src.shape))
	}
	t.dev.Copy(t.buf, src.buf)
}

// SetData overwrites t with data, which must have t.Len() elements.
func (t *Tensor) SetData(data []float32) {
	if len(data) != t.Len() {
		panic(fmt.Sprintf("tensor: SetData: %d values for shape %v", len(data), t.shape))
	}
	t.dev.Upload(t.buf, data)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) { t.dev.Fill(t.buf, v) }

// Reshape returns a tensor sharing t's storage with a new shape of the same
// element count. One dimension may be -1 and is then inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	shape = slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape: %v to %v", t.shape, shape))
		default:
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		shape[infer] = t.Len() / known
	}
	if numel("Reshape", shape) != t.Len() {
		panic(fmt.Sprintf("tensor: Reshape: %v (%d elements) to %v", t.shape, t.Len(), shape))
	}
	return &Tensor{shape: shape, buf: t.buf, dev: t.dev, view: true}
}

// Clone returns a copy of t on the same device.
func (t *Tensor) Clone() *Tensor {
	c := New(t.dev, t.shape...)
	t.dev.Copy(c.buf, t.buf)
	return c
}

// To returns t on device dev: t itself if it is already there, else a copy.
func (t *Tensor) To(dev kernels.Backend) *Tensor {
	if dev == t.dev {
		return t
	}
	return FromSliceOn(dev, t.Data(), t.shape...)
}

// Free releases the storage to the device's allocation cache. t, and every tensor
// sharing its storage through Reshape, must not be used afterwards. On the
// CPU, storage that is never freed is reclaimed by the garbage collector.
func (t *Tensor) Free() {
	if t == nil || t.buf == nil {
		return
	}
	t.dev.Free(t.buf)
	t.buf = nil
}

// SharesStorage reports whether t and u are views of the same storage.
func (t *Tensor) SharesStorage(u *Tensor) bool { return t.buf != nil && t.buf == u.buf }

// IsView reports whether t was made by Reshape and so shares the storage
// of the tensor it was made from; freeing it would free that one's too.
func (t *Tensor) IsView() bool { return t.view }

// SameShape reports whether t and u have equal shapes.
func (t *Tensor) SameShape(u *Tensor) bool { return slices.Equal(t.shape, u.shape) }

// String formats the shape and up to 8 leading elements.
func (t *Tensor) String() string {
	data := t.Data()
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.shape)
	for i, v := range data[:min(len(data), 8)] {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.4g", v)
	}
	if len(data) > 8 {
		b.WriteString(" ...")
	}
	b.WriteByte(']')
	return b.String()
}

func mustSameDevice(op string, ts ...*Tensor) {
	for _, u := range ts[1:] {
		if u != nil && u.dev != ts[0].dev {
			panic(fmt.Sprintf("tensor: %s: operands on devices %s and %s", op, ts[0].dev.Name(), u.dev.Name()))
		}
	}
}

func mustShape(op, what string, t *Tensor, shape ...int) {
	if !slices.Equal(t.shape, shape) {
		panic(fmt.Sprintf("tensor: %s: %s has shape %v, want %v", op, what, t.shape, shape))
	}
}

func mustRank(op, what string, t *Tensor, rank int) {
	if len(t.shape) != rank {
		panic(fmt.Sprintf("tensor: %s: %s has shape %v, want %d dimensions", op, what, t.shape, rank))
	}
}

// bufOf returns t's buffer, or nil for a nil tensor (an unwanted gradient).
func bufOf(t *Tensor) kernels.Buffer {
	if t == nil {
		return nil
	}
	return t.buf
}
