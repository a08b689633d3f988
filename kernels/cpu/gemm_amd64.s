//go:build !noasm

#include "textflag.h"

// func microKernelAVX2(k int, a, b, c *float32, ldc int, accumulate bool)
//
// c[r*ldc+j] (+)= sum_p a[p*6+r] * b[p*16+j] for r < 6, j < 16: added to
// c when accumulate is true, written over c (not read) otherwise.
// Accumulators: row r of the tile is Y(4+2r) (columns 0-7) and Y(5+2r)
// (columns 8-15). Y0, Y1 hold the current row of B; Y2, Y3 broadcasts of A.
TEXT ·microKernelAVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX   // CX = k, the loop counter
	MOVQ a+8(FP), SI   // SI = current column of the A panel (6 floats)
	MOVQ b+16(FP), DI  // DI = current row of the B panel (16 floats)
	MOVQ c+24(FP), DX  // DX = current row of the C tile
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8        // R8 = ldc in bytes

	// Prefetch the six rows of the C tile (64 bytes each, maybe over two
	// lines): C is read or written after the loop, and a tile of a large C
	// is far from the cache; the loads overlap the loop this way.
	MOVQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)

	VXORPS Y4, Y4, Y4  // zero the twelve accumulators
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	// The loop runs four steps of p per pass (fewer loop instructions per
	// multiply-add); the k%4 steps left run one at a time after it.
	MOVQ CX, BX
	SHRQ $2, BX        // BX = k/4 passes of four steps
	ANDQ $3, CX        // CX = k%4 single steps
	TESTQ BX, BX
	JZ    single

loop4:
	VMOVUPS      0(DI), Y0     // B row p+0, columns 0-7
	VMOVUPS      32(DI), Y1    // B row p+0, columns 8-15
	VBROADCASTSS 0(SI), Y2     // a[(p+0)*6+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4    // row 0 += a * B
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 4(SI), Y3     // a[(p+0)*6+1] in all lanes
	VFMADD231PS  Y0, Y3, Y6    // row 1 += a * B
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 8(SI), Y2     // a[(p+0)*6+2] in all lanes
	VFMADD231PS  Y0, Y2, Y8    // row 2 += a * B
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 12(SI), Y3    // a[(p+0)*6+3] in all lanes
	VFMADD231PS  Y0, Y3, Y10   // row 3 += a * B
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS 16(SI), Y2    // a[(p+0)*6+4] in all lanes
	VFMADD231PS  Y0, Y2, Y12   // row 4 += a * B
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS 20(SI), Y3    // a[(p+0)*6+5] in all lanes
	VFMADD231PS  Y0, Y3, Y14   // row 5 += a * B
	VFMADD231PS  Y1, Y3, Y15
	VMOVUPS      64(DI), Y0    // B row p+1, columns 0-7
	VMOVUPS      96(DI), Y1    // B row p+1, columns 8-15
	VBROADCASTSS 24(SI), Y2    // a[(p+1)*6+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4    // row 0 += a * B
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 28(SI), Y3    // a[(p+1)*6+1] in all lanes
	VFMADD231PS  Y0, Y3, Y6    // row 1 += a * B
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 32(SI), Y2    // a[(p+1)*6+2] in all lanes
	VFMADD231PS  Y0, Y2, Y8    // row 2 += a * B
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 36(SI), Y3    // a[(p+1)*6+3] in all lanes
	VFMADD231PS  Y0, Y3, Y10   // row 3 += a * B
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS 40(SI), Y2    // a[(p+1)*6+4] in all lanes
	VFMADD231PS  Y0, Y2, Y12   // row 4 += a * B
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS 44(SI), Y3    // a[(p+1)*6+5] in all lanes
	VFMADD231PS  Y0, Y3, Y14   // row 5 += a * B
	VFMADD231PS  Y1, Y3, Y15
	VMOVUPS      128(DI), Y0   // B row p+2, columns 0-7
	VMOVUPS      160(DI), Y1   // B row p+2, columns 8-15
	VBROADCASTSS 48(SI), Y2    // a[(p+2)*6+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4    // row 0 += a * B
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 52(SI), Y3    // a[(p+2)*6+1] in all lanes
	VFMADD231PS  Y0, Y3, Y6    // row 1 += a * B
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 56(SI), Y2    // a[(p+2)*6+2] in all lanes
	VFMADD231PS  Y0, Y2, Y8    // row 2 += a * B
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 60(SI), Y3    // a[(p+2)*6+3] in all lanes
	VFMADD231PS  Y0, Y3, Y10   // row 3 += a * B
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS 64(SI), Y2    // a[(p+2)*6+4] in all lanes
	VFMADD231PS  Y0, Y2, Y12   // row 4 += a * B
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS 68(SI), Y3    // a[(p+2)*6+5] in all lanes
	VFMADD231PS  Y0, Y3, Y14   // row 5 += a * B
	VFMADD231PS  Y1, Y3, Y15
	VMOVUPS      192(DI), Y0   // B row p+3, columns 0-7
	VMOVUPS      224(DI), Y1   // B row p+3, columns 8-15
	VBROADCASTSS 72(SI), Y2    // a[(p+3)*6+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4    // row 0 += a * B
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 76(SI), Y3    // a[(p+3)*6+1] in all lanes
	VFMADD231PS  Y0, Y3, Y6    // row 1 += a * B
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 80(SI), Y2    // a[(p+3)*6+2] in all lanes
	VFMADD231PS  Y0, Y2, Y8    // row 2 += a * B
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 84(SI), Y3    // a[(p+3)*6+3] in all lanes
	VFMADD231PS  Y0, Y3, Y10   // row 3 += a * B
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS 88(SI), Y2    // a[(p+3)*6+4] in all lanes
	VFMADD231PS  Y0, Y2, Y12   // row 4 += a * B
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS 92(SI), Y3    // a[(p+3)*6+5] in all lanes
	VFMADD231PS  Y0, Y3, Y14   // row 5 += a * B
	VFMADD231PS  Y1, Y3, Y15
	ADDQ         $96, SI        // four columns of A further: 24 floats
	ADDQ         $256, DI       // four rows of B further: 64 floats
	DECQ         BX
	JNZ          loop4

single:
	TESTQ CX, CX
	JZ    store        // no single steps left

loop:
	VMOVUPS      (DI), Y0       // B row p, columns 0-7
	VMOVUPS      32(DI), Y1     // B row p, columns 8-15
	VBROADCASTSS (SI), Y2       // a[p*6+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4     // row 0 += a0 * B
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 4(SI), Y3      // a[p*6+1]
	VFMADD231PS  Y0, Y3, Y6     // row 1
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 8(SI), Y2      // a[p*6+2]
	VFMADD231PS  Y0, Y2, Y8     // row 2
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 12(SI), Y3     // a[p*6+3]
	VFMADD231PS  Y0, Y3, Y10    // row 3
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS 16(SI), Y2     // a[p*6+4]
	VFMADD231PS  Y0, Y2, Y12    // row 4
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS 20(SI), Y3     // a[p*6+5]
	VFMADD231PS  Y0, Y3, Y14    // row 5
	VFMADD231PS  Y1, Y3, Y15
	ADDQ         $24, SI        // next column of A: 6 floats
	ADDQ         $64, DI        // next row of B: 16 floats
	DECQ         CX
	JNZ          loop

store:
	MOVBLZX accumulate+40(FP), R9
	TESTQ   R9, R9
	JZ      overwrite

	VADDPS  (DX), Y4, Y4        // row 0: c += accumulator
	VMOVUPS Y4, (DX)
	VADDPS  32(DX), Y5, Y5
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Y6, Y6        // row 1
	VMOVUPS Y6, (DX)
	VADDPS  32(DX), Y7, Y7
	VMOVUPS Y7, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y8, Y8        // row 2
	VMOVUPS Y8, (DX)
	VADDPS  32(DX), Y9, Y9
	VMOVUPS Y9, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y10, Y10      // row 3
	VMOVUPS Y10, (DX)
	VADDPS  32(DX), Y11, Y11
	VMOVUPS Y11, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y12, Y12      // row 4
	VMOVUPS Y12, (DX)
	VADDPS  32(DX), Y13, Y13
	VMOVUPS Y13, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y14, Y14      // row 5
	VMOVUPS Y14, (DX)
	VADDPS  32(DX), Y15, Y15
	VMOVUPS Y15, 32(DX)
	VZEROUPPER                  // avoid AVX-SSE transition penalties in Go code
	RET

overwrite:
	VMOVUPS Y4, (DX)            // row 0: c = accumulator
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y6, (DX)            // row 1
	VMOVUPS Y7, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y8, (DX)            // row 2
	VMOVUPS Y9, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y10, (DX)           // row 3
	VMOVUPS Y11, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y12, (DX)           // row 4
	VMOVUPS Y13, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y14, (DX)           // row 5
	VMOVUPS Y15, 32(DX)
	VZEROUPPER
	RET
