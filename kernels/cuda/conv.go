//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// checkConv panics, naming fn, if err (from p's contract) is not nil or p
// is beyond the device's limits.
func checkConv(fn string, p kernels.ConvParams, err error) {
	must(fn, err)
	if p.N > maxGridYZ {
		panic(fmt.Sprintf("cuda: %s: batch %d larger than %d", fn, p.N, maxGridYZ))
	}
	checkInt32(fn, p.XLen(), p.YLen(), p.WLen(), p.N*p.OutH()*p.OutW())
}

// convDims returns the CONV_ARGS of conv.cu for p.
func convDims(p kernels.ConvParams) convArgs {
	return convArgs{N: p.N, InC: p.InC, InH: p.InH, InW: p.InW, OutC: p.OutC, KH: p.KH, KW: p.KW,
		SH: p.StrideH, SW: p.StrideW, PH: p.PadH, PW: p.PadW, OutH: p.OutH(), OutW: p.OutW()}
}

// tiles returns the number of tiles covering n.
func tiles(n int) int { return (n + tile - 1) / tile }

// convGrid returns the grid of a convolution product with rows x cols
// outputs and z in the third dimension: of the tensor-core kernels if tc,
// of the scalar ones otherwise.
func convGrid(tc bool, rows, cols, z int) dim3 {
	if tc {
		return dim3{ceilDiv(cols, mmaTileN), ceilDiv(rows, mmaTileM), z}
	}
	return dim3{tiles(cols), tiles(rows), z}
}

// ConvForward computes y = conv(x, w) + bias, overwriting y; bias may be
// nil. The products of all three passes multiply operands rounded as
// p.Precision says and sum in float32 (on the tensor cores for TF32 and
// BF16 where the device has them); the bias gradient is exact. It panics if
// p is invalid or a buffer has the wrong length.
func (be *Backend) ConvForward(p kernels.ConvParams, x, w, bias, y kernels.Buffer) {
	const fn = "ConvForward"
	xb, wb, bb, yb := be.unwrap(fn, x), be.unwrap(fn, w), be.unwrap(fn, bias), be.unwrap(fn, y)
	checkConv(fn, p, p.CheckForward(ln(xb), ln(wb), ln(bb), ln(yb)))
	be.mu.Lock()
	defer be.mu.Unlock()
	tc := be.tensorCoreKernels(p.Precision)
	grid := convGrid(tc, p.OutC, p.OutH()*p.OutW(), p.N)
	if tc {
		be.launchConvForwardTc(fn, grid, mmaBlock, 0, int(p.Precision), ptr(xb), ptr(wb), ptr(bb), ptr(yb), convDims(p))
		return
	}
	be.launchConvForward(fn, grid, tileBlock, 0, int(p.Precision), ptr(xb), ptr(wb), ptr(bb), ptr(yb), convDims(p))
}

// ConvBackwardData accumulates dx += conv^T(dy, w), the forward pass of a
// transposed convolution. It panics if p is invalid or a buffer has the
// wrong length.
func (be *Backend) ConvBackwardData(p kernels.ConvParams, dy, w, dx kernels.Buffer) {
	const fn = "ConvBackwardData"
	dyb, wb, dxb := be.unwrap(fn, dy), be.unwrap(fn, w), be.unwrap(fn, dx)
	checkConv(fn, p, p.CheckBackwardData(ln(dyb), ln(wb), ln(dxb)))
	be.mu.Lock()
	defer be.mu.Unlock()
	tc := be.tensorCoreKernels(p.Precision)
	grid := convGrid(tc, p.InC, p.InH*p.InW, p.N)
	if tc {
		be.launchConvBackwardDataTc(fn, grid, mmaBlock, 0, int(p.Precision), ptr(dyb), ptr(wb), ptr(dxb), convDims(p))
		return
	}
	be.launchConvBackwardData(fn, grid, tileBlock, 0, int(p.Precision), ptr(dyb), ptr(wb), ptr(dxb), convDims(p))
}

// filterSplits returns how many parts the N*S reduction of the filter
// gradient is split into, and the length of each, a multiple of step (the
// engine's reduction step): enough parts for about two blocks per
// multiprocessor of a large GPU, each at least 512 long.
func filterSplits(outTiles, reduction, step int) (splits, chunk int) {
	const wantBlocks, minChunk = 264, 512
	splits = max(1, min((wantBlocks+outTiles-1)/outTiles, reduction/minChunk, maxGridYZ))
	chunk = ceilDiv(ceilDiv(reduction, splits), step) * step
	return ceilDiv(reduction, chunk), chunk
}

// ConvBackwardFilter accumulates dw += dL/dw and dbias += dL/dbias; either
// may be nil. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) ConvBackwardFilter(p kernels.ConvParams, x, dy, dw, dbias kernels.Buffer) {
	const fn = "ConvBackwardFilter"
	xb, dyb, dwb, dbb := be.unwrap(fn, x), be.unwrap(fn, dy), be.unwrap(fn, dw), be.unwrap(fn, dbias)
	checkConv(fn, p, p.CheckBackwardFilter(ln(xb), ln(dyb), ln(dwb), ln(dbb)))
	s := p.OutH() * p.OutW()
	be.mu.Lock()
	defer be.mu.Unlock()
	if dbb != nil {
		be.launchConvBiasGrad(fn, dim3{min(p.OutC, maxBlocks), 1, 1}, block1(p.N*s), 0,
			ptr(dyb), ptr(dbb), p.N, p.OutC, s)
	}
	if dwb == nil {
		return
	}
	k := p.InC * p.KH * p.KW
	tc := be.tensorCoreKernels(p.Precision)
	grid := convGrid(tc, p.OutC, k, 1)
	var chunk int
	if tc {
		grid.z, chunk = filterSplits(grid.x*grid.y, p.N*s, mmaTileK)
		be.launchConvBackwardFilterTc(fn, grid, mmaBlock, 0,
			int(p.Precision), ptr(xb), ptr(dyb), ptr(dwb), chunk, convDims(p))
		return
	}
	const tileK = 16 // TILE_K of tile.cuh
	grid.z, chunk = filterSplits(grid.x*grid.y, p.N*s, tileK)
	be.launchConvBackwardFilter(fn, grid, tileBlock, 0,
		int(p.Precision), ptr(xb), ptr(dyb), ptr(dwb), chunk, convDims(p))
}
