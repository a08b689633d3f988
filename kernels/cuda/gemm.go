//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// tile is the side of the square tile of C that one block of the matrix
// product kernels computes (TILE_M = TILE_N in tile.cuh).
const tile = 64

// tileBlock is the block of the tile engine.
var tileBlock = dim3{256, 1, 1}

// maxGridYZ is the device's limit on the second and third grid dimensions.
const maxGridYZ = 65535

// Gemm computes C = Alpha*op(A)*op(B) + Beta*C for each of p.Batch entries
// of row-major matrices (see kernels.GemmParams), multiplying operands
// rounded as p.Precision says and summing in float32. C is not read when
// Beta is 0; A and B are not read when Alpha or K is 0. It panics if p is
// invalid, a buffer is too short, a stride is negative, or batch entries of
// C overlap.
func (be *Backend) Gemm(p kernels.GemmParams, a, b, c kernels.Buffer) {
	const fn = "Gemm"
	ab, bb, cb := be.unwrap(fn, a), be.unwrap(fn, b), be.unwrap(fn, c)
	must(fn, p.Check(ln(ab), ln(bb), ln(cb)))
	checkInt32(fn, p.M*p.K, p.K*p.N, p.M*p.N)
	if p.M == 0 || p.N == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	for b0 := 0; b0 < p.Batch; b0 += maxGridYZ {
		nb := min(p.Batch-b0, maxGridYZ)
		be.launchGemm(fn, dim3{(p.N + tile - 1) / tile, (p.M + tile - 1) / tile, nb}, tileBlock, 0,
			int(p.Precision), flag(p.TransA), flag(p.TransB), p.M, p.N, p.K, p.Alpha,
			offset(ab, b0*p.StrideA), int64(p.StrideA), offset(bb, b0*p.StrideB), int64(p.StrideB),
			p.Beta, offset(cb, b0*p.StrideC), int64(p.StrideC))
	}
}

// offset returns the address of element i of b.
func offset(b *buffer, i int) devPtr { return b.ptr + devPtr(4*i) }
