package tensor

import (
	"fmt"
	"slices"

	"github.com/semgan/semgan/kernels"
)

// concatLayout checks that ts can be joined along dim and returns the
// output shape, the number of outer blocks (the product of the dimensions
// before dim) and each input's block length (its size from dim on).
func concatLayout(op string, dim int, ts []*Tensor) (shape []int, outer int, lens []int) {
	if len(ts) == 0 {
		panic(fmt.Sprintf("tensor: %s: no tensors", op))
	}
	first := ts[0]
	if dim < 0 || dim >= first.Rank() {
		panic(fmt.Sprintf("tensor: %s: dimension %d of a tensor of shape %v", op, dim, first.shape))
	}
	shape = slices.Clone(first.shape)
	shape[dim] = 0
	lens = make([]int, len(ts))
	for i, t := range ts {
		mustSameDevice(op, first, t)
		if t.Rank() != first.Rank() || !slices.Equal(t.shape[:dim], first.shape[:dim]) || !slices.Equal(t.shape[dim+1:], first.shape[dim+1:]) {
			panic(fmt.Sprintf("tensor: %s: along dimension %d: shape %v vs %v", op, dim, t.shape, first.shape))
		}
		shape[dim] += t.shape[dim]
		lens[i] = numel(op, t.shape[dim:])
	}
	return shape, numel(op, first.shape[:dim]), lens
}

// Concat returns ts joined along dimension dim, as torch.cat: every other
// dimension must agree. Concatenating NCHW tensors along dim 1 stacks their
// channels. It uses the backend's kernels.BlockCopier when it has one, and
// zero padding otherwise (one padded copy of the output per input, added
// up), so it runs on the tensors' device either way. It panics on no
// tensors, shapes that do not fit, or tensors on different devices.
func Concat(dim int, ts ...*Tensor) *Tensor {
	shape, outer, lens := concatLayout("Concat", dim, ts)
	y := New(ts[0].dev, shape...)
	total := y.Len() / max(outer, 1)
	bc, fast := y.dev.(kernels.BlockCopier)
	off := 0
	for i, t := range ts {
		n := lens[i]
		switch {
		case n == 0 || outer == 0:
		case fast:
			bc.CopyBlocks(kernels.BlockCopyParams{Count: outer, Len: n, SrcStride: n, DstOffset: off, DstStride: total}, t.buf, y.buf)
		default:
			// t as [outer, 1, n, 1], zero-padded above and below to
			// [outer, 1, total, 1]: y's layout with t at its place.
			p := kernels.PadParams{N: outer, C: 1, H: n, W: 1, Top: off, Bottom: total - off - n, Mode: kernels.PadZero}
			tmp := New(y.dev, y.shape...)
			y.dev.Pad(p, t.buf, tmp.buf)
			y.dev.Axpby(1, tmp.buf, 1, y.buf)
			tmp.Free()
		}
		off += n
	}
	return y
}

// ConcatBackward accumulates into dxs[i] (nil to skip) the part of dy, the
// gradient of Concat(dim, ts...), that belongs to ts[i]. ts only supply
// the shapes.
func ConcatBackward(dim int, ts []*Tensor, dy *Tensor, dxs []*Tensor) {
	shape, outer, lens := concatLayout("ConcatBackward", dim, ts)
	mustShape("ConcatBackward", "dy", dy, shape...)
	if len(dxs) != len(ts) {
		panic(fmt.Sprintf("tensor: ConcatBackward: %d gradients for %d inputs", len(dxs), len(ts)))
	}
	total := dy.Len() / max(outer, 1)
	bc, fast := dy.dev.(kernels.BlockCopier)
	off := 0
	for i, dx := range dxs {
		n := lens[i]
		if dx != nil && n > 0 && outer > 0 {
			mustSameDevice("ConcatBackward", dy, dx)
			mustShape("ConcatBackward", "gradient", dx, ts[i].shape...)
			if fast {
				bc.CopyBlocks(kernels.BlockCopyParams{Count: outer, Len: n, SrcOffset: off, SrcStride: total, DstStride: n, Accumulate: true}, dy.buf, dx.buf)
			} else {
				// The gradient of zero padding accumulates the interior.
				p := kernels.PadParams{N: outer, C: 1, H: n, W: 1, Top: off, Bottom: total - off - n, Mode: kernels.PadZero}
				dy.dev.PadBackward(p, dy.buf, dx.buf)
			}
		}
		off += n
	}
}
