//go:build cuda || cudaemu

package cuda

import "github.com/semgan/semgan/kernels"

// tile is the side of the square tile of C that one block of the matrix
// product kernels computes (TILE_M = TILE_N in tile.cuh).
const tile = 64

// tileBlock is the block of the tile engine.
var tileBlock = dim3{256, 1, 1}

// The tile of C that one block of the tensor-core kernels computes
// (MMA_TILE_M x MMA_TILE_N in mma_tile.cuh), its reduction step
// (MMA_TILE_K), and their block.
const (
	mmaTileM = 128
	mmaTileN = 64
	mmaTileK = 32
)

var mmaBlock = dim3{256, 1, 1}

// ceilDiv returns ceil(a/b) for a >= 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// maxGridYZ is the device's limit on the second and third grid dimensions.
const maxGridYZ = 65535

// Gemm computes C = Alpha*op(A)*op(B) + Beta*C for each of p.Batch entries
// of row-major matrices (see kernels.GemmParams), multiplying operands
// rounded as p.Precision says and summing in float32: on the tensor cores
// for TF32 and BF16 where the device has them, else on the scalar kernel. C is not read when
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
	tc := be.tensorCoreKernels(p.Precision)
	for b0 := 0; b0 < p.Batch; b0 += maxGridYZ {
		nb := min(p.Batch-b0, maxGridYZ)
		a, b, c := offset(ab, b0*p.StrideA), offset(bb, b0*p.StrideB), offset(cb, b0*p.StrideC)
		if tc {
			be.launchGemmTc(fn, dim3{ceilDiv(p.N, mmaTileN), ceilDiv(p.M, mmaTileM), nb}, mmaBlock, 0,
				int(p.Precision), flag(p.TransA), flag(p.TransB), p.M, p.N, p.K, p.Alpha,
				a, int64(p.StrideA), b, int64(p.StrideB), p.Beta, c, int64(p.StrideC))
			continue
		}
		be.launchGemm(fn, dim3{ceilDiv(p.N, tile), ceilDiv(p.M, tile), nb}, tileBlock, 0,
			int(p.Precision), flag(p.TransA), flag(p.TransB), p.M, p.N, p.K, p.Alpha,
			a, int64(p.StrideA), b, int64(p.StrideB), p.Beta, c, int64(p.StrideC))
	}
}

// offset returns the address of element i of b.
func offset(b *buffer, i int) devPtr { return b.ptr + devPtr(4*i) }
