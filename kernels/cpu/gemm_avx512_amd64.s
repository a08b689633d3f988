//go:build !noasm

#include "textflag.h"

// func microKernelAVX512(k int, a, b, c *float32, ldc int, accumulate bool)
//
// The 6x16 micro-kernel of microKernelAVX2 in AVX-512F: one row of the tile
// (16 floats) fills one Z register, so a step of p is 6 multiply-adds
// instead of 12. Six accumulators cannot keep two FMA units busy (an FMA
// takes 4 cycles), so even steps of p go to Z4-Z9 and odd steps to Z10-Z15,
// and the two sets are added at the end. That pairing is the only change in
// rounding against the AVX2 kernel.
// Z0, Z1 hold rows of B (even, odd step); Z2, Z3 broadcasts of A.
TEXT ·microKernelAVX512(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX   // CX = k, the loop counter
	MOVQ a+8(FP), SI   // SI = current column of the A panel (6 floats)
	MOVQ b+16(FP), DI  // DI = current row of the B panel (16 floats)
	MOVQ c+24(FP), DX  // DX = current row of the C tile
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8        // R8 = ldc in bytes

	// Prefetch the six rows of the C tile (64 bytes each, maybe over two
	// lines), as in the AVX2 kernel.
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

	VPXORD Z4, Z4, Z4  // zero the twelve accumulators
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	// Four steps of p per pass, alternating between the two accumulator
	// sets; the k%4 steps left run one at a time into the even set.
	MOVQ  CX, BX
	SHRQ  $2, BX       // BX = k/4 passes of four steps
	ANDQ  $3, CX       // CX = k%4 single steps
	TESTQ BX, BX
	JZ    single

loop4:
	VMOVUPS      0(DI), Z0    // B row p+0
	VBROADCASTSS 0(SI), Z2    // a[(p+0)*6+0] in all lanes
	VFMADD231PS  Z0, Z2, Z4    // row 0 (even set) += a * B
	VBROADCASTSS 4(SI), Z3    // a[(p+0)*6+1] in all lanes
	VFMADD231PS  Z0, Z3, Z5    // row 1 (even set) += a * B
	VBROADCASTSS 8(SI), Z2    // a[(p+0)*6+2] in all lanes
	VFMADD231PS  Z0, Z2, Z6    // row 2 (even set) += a * B
	VBROADCASTSS 12(SI), Z3    // a[(p+0)*6+3] in all lanes
	VFMADD231PS  Z0, Z3, Z7    // row 3 (even set) += a * B
	VBROADCASTSS 16(SI), Z2    // a[(p+0)*6+4] in all lanes
	VFMADD231PS  Z0, Z2, Z8    // row 4 (even set) += a * B
	VBROADCASTSS 20(SI), Z3    // a[(p+0)*6+5] in all lanes
	VFMADD231PS  Z0, Z3, Z9    // row 5 (even set) += a * B
	VMOVUPS      64(DI), Z1    // B row p+1
	VBROADCASTSS 24(SI), Z2    // a[(p+1)*6+0] in all lanes
	VFMADD231PS  Z1, Z2, Z10    // row 0 (odd set) += a * B
	VBROADCASTSS 28(SI), Z3    // a[(p+1)*6+1] in all lanes
	VFMADD231PS  Z1, Z3, Z11    // row 1 (odd set) += a * B
	VBROADCASTSS 32(SI), Z2    // a[(p+1)*6+2] in all lanes
	VFMADD231PS  Z1, Z2, Z12    // row 2 (odd set) += a * B
	VBROADCASTSS 36(SI), Z3    // a[(p+1)*6+3] in all lanes
	VFMADD231PS  Z1, Z3, Z13    // row 3 (odd set) += a * B
	VBROADCASTSS 40(SI), Z2    // a[(p+1)*6+4] in all lanes
	VFMADD231PS  Z1, Z2, Z14    // row 4 (odd set) += a * B
	VBROADCASTSS 44(SI), Z3    // a[(p+1)*6+5] in all lanes
	VFMADD231PS  Z1, Z3, Z15    // row 5 (odd set) += a * B
	VMOVUPS      128(DI), Z0    // B row p+2
	VBROADCASTSS 48(SI), Z2    // a[(p+2)*6+0] in all lanes
	VFMADD231PS  Z0, Z2, Z4    // row 0 (even set) += a * B
	VBROADCASTSS 52(SI), Z3    // a[(p+2)*6+1] in all lanes
	VFMADD231PS  Z0, Z3, Z5    // row 1 (even set) += a * B
	VBROADCASTSS 56(SI), Z2    // a[(p+2)*6+2] in all lanes
	VFMADD231PS  Z0, Z2, Z6    // row 2 (even set) += a * B
	VBROADCASTSS 60(SI), Z3    // a[(p+2)*6+3] in all lanes
	VFMADD231PS  Z0, Z3, Z7    // row 3 (even set) += a * B
	VBROADCASTSS 64(SI), Z2    // a[(p+2)*6+4] in all lanes
	VFMADD231PS  Z0, Z2, Z8    // row 4 (even set) += a * B
	VBROADCASTSS 68(SI), Z3    // a[(p+2)*6+5] in all lanes
	VFMADD231PS  Z0, Z3, Z9    // row 5 (even set) += a * B
	VMOVUPS      192(DI), Z1    // B row p+3
	VBROADCASTSS 72(SI), Z2    // a[(p+3)*6+0] in all lanes
	VFMADD231PS  Z1, Z2, Z10    // row 0 (odd set) += a * B
	VBROADCASTSS 76(SI), Z3    // a[(p+3)*6+1] in all lanes
	VFMADD231PS  Z1, Z3, Z11    // row 1 (odd set) += a * B
	VBROADCASTSS 80(SI), Z2    // a[(p+3)*6+2] in all lanes
	VFMADD231PS  Z1, Z2, Z12    // row 2 (odd set) += a * B
	VBROADCASTSS 84(SI), Z3    // a[(p+3)*6+3] in all lanes
	VFMADD231PS  Z1, Z3, Z13    // row 3 (odd set) += a * B
	VBROADCASTSS 88(SI), Z2    // a[(p+3)*6+4] in all lanes
	VFMADD231PS  Z1, Z2, Z14    // row 4 (odd set) += a * B
	VBROADCASTSS 92(SI), Z3    // a[(p+3)*6+5] in all lanes
	VFMADD231PS  Z1, Z3, Z15    // row 5 (odd set) += a * B
	ADDQ         $96, SI        // four columns of A further: 24 floats
	ADDQ         $256, DI       // four rows of B further: 64 floats
	DECQ         BX
	JNZ          loop4

single:
	TESTQ CX, CX
	JZ    sum          // no single steps left

loop:
	VMOVUPS      0(DI), Z0      // B row p
	VBROADCASTSS 0(SI), Z2    // a[p*6+0] in all lanes
	VFMADD231PS  Z0, Z2, Z4    // row 0 += a * B
	VBROADCASTSS 4(SI), Z3    // a[p*6+1] in all lanes
	VFMADD231PS  Z0, Z3, Z5    // row 1 += a * B
	VBROADCASTSS 8(SI), Z2    // a[p*6+2] in all lanes
	VFMADD231PS  Z0, Z2, Z6    // row 2 += a * B
	VBROADCASTSS 12(SI), Z3    // a[p*6+3] in all lanes
	VFMADD231PS  Z0, Z3, Z7    // row 3 += a * B
	VBROADCASTSS 16(SI), Z2    // a[p*6+4] in all lanes
	VFMADD231PS  Z0, Z2, Z8    // row 4 += a * B
	VBROADCASTSS 20(SI), Z3    // a[p*6+5] in all lanes
	VFMADD231PS  Z0, Z3, Z9    // row 5 += a * B
	ADDQ         $24, SI        // next column of A: 6 floats
	ADDQ         $64, DI        // next row of B: 16 floats
	DECQ         CX
	JNZ          loop

sum:
	VADDPS Z10, Z4, Z4  // row 0: even set += odd set
	VADDPS Z11, Z5, Z5
	VADDPS Z12, Z6, Z6
	VADDPS Z13, Z7, Z7
	VADDPS Z14, Z8, Z8
	VADDPS Z15, Z9, Z9

	MOVBLZX accumulate+40(FP), R9
	TESTQ   R9, R9
	JZ      overwrite

	VADDPS  (DX), Z4, Z4        // row 0: c += accumulator
	VMOVUPS Z4, (DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Z5, Z5        // row 1: c += accumulator
	VMOVUPS Z5, (DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Z6, Z6        // row 2: c += accumulator
	VMOVUPS Z6, (DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Z7, Z7        // row 3: c += accumulator
	VMOVUPS Z7, (DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Z8, Z8        // row 4: c += accumulator
	VMOVUPS Z8, (DX)
	ADDQ    R8, DX              // next row of C
	VADDPS  (DX), Z9, Z9        // row 5: c += accumulator
	VMOVUPS Z9, (DX)
	VZEROUPPER                  // avoid AVX-SSE transition penalties in Go code
	RET

overwrite:
	VMOVUPS Z4, (DX)            // row 0: c = accumulator
	ADDQ    R8, DX              // next row of C
	VMOVUPS Z5, (DX)            // row 1: c = accumulator
	ADDQ    R8, DX              // next row of C
	VMOVUPS Z6, (DX)            // row 2: c = accumulator
	ADDQ    R8, DX              // next row of C
	VMOVUPS Z7, (DX)            // row 3: c = accumulator
	ADDQ    R8, DX              // next row of C
	VMOVUPS Z8, (DX)            // row 4: c = accumulator
	ADDQ    R8, DX              // next row of C
	VMOVUPS Z9, (DX)            // row 5: c = accumulator
	VZEROUPPER
	RET
