//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// CopyBlocks copies (or, with p.Accumulate, adds) the p.Count blocks of
// p.Len elements that p describes from src into dst:
//
//	dst[p.DstOffset + i*p.DstStride + j] (+)= src[p.SrcOffset + i*p.SrcStride + j]
//
// It panics if p does not fit the buffers (see kernels.BlockCopyParams) or
// src and dst are the same buffer.
func (be *Backend) CopyBlocks(p kernels.BlockCopyParams, src, dst kernels.Buffer) {
	const fn = "CopyBlocks"
	sb, db := be.unwrap(fn, src), be.unwrap(fn, dst)
	must(fn, p.Check(ln(sb), ln(db)))
	if sb == db {
		panic(fmt.Sprintf("cuda: %s: source and destination are the same buffer (%d elements)", fn, sb.n))
	}
	checkInt32(fn, sb.n, db.n, p.Count*p.Len)
	n := p.Count * p.Len
	if n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchCopyBlocks(fn, blocksFor(n), block1(n), 0, ptr(sb), ptr(db), p.Count, p.Len,
		p.SrcOffset, p.SrcStride, p.DstOffset, p.DstStride, flag(p.Accumulate))
}
