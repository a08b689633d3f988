package cpu

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// CopyBlocks copies p.Count blocks of p.Len elements from src into dst
// (adds them with p.Accumulate):
//
//	dst[p.DstOffset + i*p.DstStride + j] (+)= src[p.SrcOffset + i*p.SrcStride + j]
//
// for i < p.Count and j < p.Len. Large copies are spread over goroutines.
// It panics if p does not fit the slices (see kernels.BlockCopyParams).
func CopyBlocks(p kernels.BlockCopyParams, src, dst []float32) {
	must("CopyBlocks", p.Check(ln(src), ln(dst)))
	if p.Count == 0 || p.Len == 0 {
		return
	}
	parallelFor(p.Count, max(1, (1<<16)/p.Len), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := src[p.SrcOffset+i*p.SrcStride:][:p.Len]
			d := dst[p.DstOffset+i*p.DstStride:][:p.Len]
			if p.Accumulate {
				for j, v := range s {
					d[j] += v
				}
			} else {
				copy(d, s)
			}
		}
	})
}

// CopyBlocks calls CopyBlocks on the buffers' slices. It panics if src and
// dst are the same buffer.
func (*Backend) CopyBlocks(p kernels.BlockCopyParams, src, dst kernels.Buffer) {
	if src == dst {
		panic(fmt.Sprintf("cpu: CopyBlocks: source and destination are the same buffer (%d elements)", src.Len()))
	}
	CopyBlocks(p, unwrap("CopyBlocks", src), unwrap("CopyBlocks", dst))
}
