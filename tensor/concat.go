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
// channels. Each input is one strided block copy on the tensors' device.
// It panics on no tensors, shapes that do not fit, or tensors on different
// devices.
func Concat(dim int, ts ...*Tensor) *Tensor {
	shape, outer, lens := concatLayout("Concat", dim, ts)
	y := New(ts[0].dev, shape...)
	total := y.Len() / max(outer, 1)
	off := 0
	for i, t := range ts {
		if n := lens[i]; n > 0 && outer > 0 {
			y.dev.CopyBlocks(kernels.BlockCopyParams{Count: outer, Len: n, SrcStride: n, DstOffset: off, DstStride: total}, t.buf, y.buf)
		}
		off += lens[i]
	}
	return y
}

// ConcatBackwardAcc accumulates into dxs[i] (nil to skip) the part of dy, the
// gradient of Concat(dim, ts...), that belongs to ts[i]. ts only supply
// the shapes.
func ConcatBackwardAcc(dim int, ts []*Tensor, dy *Tensor, dxs []*Tensor) {
	shape, outer, lens := concatLayout("ConcatBackwardAcc", dim, ts)
	mustShape("ConcatBackwardAcc", "dy", dy, shape...)
	if len(dxs) != len(ts) {
		panic(fmt.Sprintf("tensor: ConcatBackwardAcc: %d gradients for %d inputs", len(dxs), len(ts)))
	}
	total := dy.Len() / max(outer, 1)
	off := 0
	for i, dx := range dxs {
		n := lens[i]
		if dx != nil && n > 0 && outer > 0 {
			mustSameDevice("ConcatBackwardAcc", dy, dx)
			mustShape("ConcatBackwardAcc", "gradient", dx, ts[i].shape...)
			dy.dev.CopyBlocks(kernels.BlockCopyParams{Count: outer, Len: n, SrcOffset: off, SrcStride: total, DstStride: n, Accumulate: true}, dy.buf, dx.buf)
		}
		off += n
	}
}
