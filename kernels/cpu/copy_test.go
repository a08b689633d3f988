package cpu

import (
	"fmt"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

func TestCopyBlocks(t *testing.T) {
	for i, p := range []kernels.BlockCopyParams{
		{Count: 3, Len: 5, SrcOffset: 0, SrcStride: 5, DstOffset: 2, DstStride: 12},
		{Count: 4, Len: 1, SrcOffset: 3, SrcStride: 2, DstOffset: 0, DstStride: 1},
		{Count: 1, Len: 17, SrcOffset: 1, SrcStride: 0, DstOffset: 4, DstStride: 0},
		{Count: 2, Len: 3, SrcOffset: 0, SrcStride: 0, DstOffset: 1, DstStride: 3}, // one source block twice
		{Count: 0, Len: 3},
	} {
		for _, acc := range []bool{false, true} {
			p.Accumulate = acc
			name := fmt.Sprintf("%+v", p)
			r := newRand(uint64(300 + i))
			srcLen := max(p.SrcOffset+max(p.Count-1, 0)*p.SrcStride+p.Len, 1) + 2
			dstLen := max(p.DstOffset+max(p.Count-1, 0)*p.DstStride+p.Len, 1) + 3
			src := randSlice(r, srcLen)
			dst0 := randSlice(r, dstLen)
			dst := guarded(dstLen, dst0)
			want := f64(dst0)
			for b := range p.Count {
				for j := range p.Len {
					v := float64(src[p.SrcOffset+b*p.SrcStride+j])
					if acc {
						want[p.DstOffset+b*p.DstStride+j] += v
					} else {
						want[p.DstOffset+b*p.DstStride+j] = v
					}
				}
			}
			CopyBlocks(p, src, dst)
			kerneltest.CloseTo(t, name, dst, want, 1e-7, 1e-7)
			checkGuard(t, name, dst)
		}
	}
}

func TestCopyBlocksPanics(t *testing.T) {
	p := kernels.BlockCopyParams{Count: 2, Len: 4, SrcStride: 4, DstOffset: 1, DstStride: 5}
	CopyBlocks(p, make([]float32, 8), make([]float32, 10))
	require.PanicsWithValue(t,
		"cpu: CopyBlocks: copy blocks: 2 blocks of 4 at offset 1 stride 5 need 10 destination elements, have 9",
		func() { CopyBlocks(p, make([]float32, 8), make([]float32, 9)) })
	require.Panics(t, func() { CopyBlocks(p, make([]float32, 7), make([]float32, 10)) })
	p.DstStride = 3
	require.Panics(t, func() { CopyBlocks(p, make([]float32, 8), make([]float32, 10)) }, "overlapping destination blocks")
	p.DstStride, p.SrcOffset = 5, -1
	require.Panics(t, func() { CopyBlocks(p, make([]float32, 8), make([]float32, 10)) })
	be := New()
	b := be.Alloc(8)
	require.Panics(t, func() { be.CopyBlocks(kernels.BlockCopyParams{Count: 1, Len: 2, DstOffset: 4}, b, b) })
}
