//go:build !noasm

#include "textflag.h"

// func transpose8AVX2(src *float32, lds int, dst *float32, ldd int, n int)
//
// dst[p*ldd + r] = src[r*lds + p] for r < 8, p < n (a multiple of 8): eight
// rows of src become eight columns of dst, one 8x8 block at a time in
// registers (the usual unpack / shuffle / permute-lanes transpose).
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI   // SI = rows 0-3 of the current block
	MOVQ lds+8(FP), R8
	SHLQ $2, R8          // R8 = lds in bytes
	LEAQ (R8)(R8*2), R9  // R9 = 3*lds in bytes
	LEAQ (SI)(R8*4), R10 // R10 = rows 4-7 of the current block
	MOVQ dst+16(FP), DI  // DI = rows 0-3 of the current output block
	MOVQ ldd+24(FP), R11
	SHLQ $2, R11         // R11 = ldd in bytes
	LEAQ (R11)(R11*2), R12 // R12 = 3*ldd in bytes
	MOVQ n+32(FP), CX    // CX = columns of src left
	TESTQ CX, CX
	JZ    done

loop:
	LEAQ (DI)(R11*4), R13 // R13 = rows 4-7 of the current output block
	VMOVUPS (SI), Y0       // r0 = src row 0, columns p..p+7
	VMOVUPS (SI)(R8*1), Y1 // r1
	VMOVUPS (SI)(R8*2), Y2 // r2
	VMOVUPS (SI)(R9*1), Y3 // r3
	VMOVUPS (R10), Y4      // r4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7 // r7

	// Interleave pairs of rows: t = (r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] ...).
	VUNPCKLPS Y1, Y0, Y8  // t0 = lo(r0, r1)
	VUNPCKHPS Y1, Y0, Y9  // t1 = hi(r0, r1)
	VUNPCKLPS Y3, Y2, Y10 // t2 = lo(r2, r3)
	VUNPCKHPS Y3, Y2, Y11 // t3 = hi(r2, r3)
	VUNPCKLPS Y5, Y4, Y12 // t4 = lo(r4, r5)
	VUNPCKHPS Y5, Y4, Y13 // t5 = hi(r4, r5)
	VUNPCKLPS Y7, Y6, Y14 // t6 = lo(r6, r7)
	VUNPCKHPS Y7, Y6, Y15 // t7 = hi(r6, r7)

	// Gather groups of four rows: s0 = column 0 of rows 0-3 | column 4 of rows 0-3, ...
	VSHUFPS $0x44, Y10, Y8, Y0  // s0: columns 0 | 4, rows 0-3
	VSHUFPS $0xEE, Y10, Y8, Y1  // s1: columns 1 | 5
	VSHUFPS $0x44, Y11, Y9, Y2  // s2: columns 2 | 6
	VSHUFPS $0xEE, Y11, Y9, Y3  // s3: columns 3 | 7
	VSHUFPS $0x44, Y14, Y12, Y4 // s4: columns 0 | 4, rows 4-7
	VSHUFPS $0xEE, Y14, Y12, Y5 // s5
	VSHUFPS $0x44, Y15, Y13, Y6 // s6
	VSHUFPS $0xEE, Y15, Y13, Y7 // s7

	// Join the 128-bit halves: column c = rows 0-3 from s, rows 4-7 from s+4.
	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 5
	VPERM2F128 $0x31, Y6, Y2, Y14 // column 6
	VPERM2F128 $0x31, Y7, Y3, Y15 // column 7

	VMOVUPS Y8, (DI)         // column p+c of src is row p+c of dst
	VMOVUPS Y9, (DI)(R11*1)
	VMOVUPS Y10, (DI)(R11*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (R13)
	VMOVUPS Y13, (R13)(R11*1)
	VMOVUPS Y14, (R13)(R11*2)
	VMOVUPS Y15, (R13)(R12*1)

	ADDQ $32, SI          // next 8 columns of src
	ADDQ $32, R10
	LEAQ (R13)(R11*4), DI // next 8 rows of dst
	SUBQ $8, CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
//
// The largest of x[0:n], n a positive multiple of 8. NaNs are not
// propagated reliably (VMAXPS returns its second operand when either is
// NaN); callers treat NaN scores as garbage in, garbage out.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0      // running maxima of the eight lanes
	ADDQ    $32, SI
	SUBQ    $8, CX
	JZ      reduce

loop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JNZ    loop

reduce:
	VEXTRACTF128 $1, Y0, X1 // fold eight lanes to four, then two, then one
	VMAXPS       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VMAXPS       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VMAXPS       X1, X0, X0
	MOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// func dealRowAVX(src *float32, dst *float32, ldd int, panels int)
//
// Copies src[16q : 16q+16] to dst[q*ldd : q*ldd+16] for q < panels: one
// row of a block of B dealt out to its packed panels.
TEXT ·dealRowAVX(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ ldd+16(FP), R8
	SHLQ $2, R8          // R8 = ldd in bytes
	MOVQ panels+24(FP), CX
	TESTQ CX, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0     // 16 floats of the row
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)     // to the same row of panel q
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET


// func packA6AVX2(src *float32, lda int, dst *float32, k int, alpha float32)
//
// dst[p*6 + r] = alpha * src[r*lda + p] for r < 6, p < k (a multiple of 8):
// six rows of A interleaved into a micro-kernel panel. Each 8x8 block is
// transposed as in transpose8AVX2, with rows 6 and 7 taken as zero; the
// eight output columns are stored 8 floats wide, each overlapping the next
// one's first two, except the last, stored exactly (4 + 2 floats) so that
// nothing is written past dst[k*6].
TEXT ·packA6AVX2(SB), NOSPLIT, $0-36
	MOVQ         src+0(FP), SI
	MOVQ         lda+8(FP), R8
	SHLQ         $2, R8            // R8 = lda in bytes
	LEAQ         (R8)(R8*2), R9    // R9 = 3*lda in bytes
	LEAQ         (SI)(R8*4), R10   // R10 = row 4
	MOVQ         dst+16(FP), DI
	MOVQ         k+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y15 // Y15 = alpha
	TESTQ        CX, CX
	JZ           done

loop:
	VMULPS (SI), Y15, Y0        // rows 0-5, columns p..p+7, times alpha
	VMULPS (SI)(R8*1), Y15, Y1
	VMULPS (SI)(R8*2), Y15, Y2
	VMULPS (SI)(R9*1), Y15, Y3
	VMULPS (R10), Y15, Y4
	VMULPS (R10)(R8*1), Y15, Y5
	VXORPS Y6, Y6, Y6           // rows 6 and 7: zero
	VXORPS Y7, Y7, Y7

	VUNPCKLPS Y1, Y0, Y8  // the 8x8 transpose of transpose8AVX2
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y6  // t7 into Y6: Y15 still holds alpha
	VSHUFPS   $0x44, Y10, Y8, Y0
	VSHUFPS   $0xEE, Y10, Y8, Y1
	VSHUFPS   $0x44, Y11, Y9, Y2
	VSHUFPS   $0xEE, Y11, Y9, Y3
	VSHUFPS   $0x44, Y14, Y12, Y4
	VSHUFPS   $0xEE, Y14, Y12, Y5
	VSHUFPS   $0x44, Y6, Y13, Y7  // s6 into Y7
	VSHUFPS   $0xEE, Y6, Y13, Y14 // s7 into Y14
	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0 (rows 0-5 in lanes 0-5)
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y7, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y14, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 5
	VPERM2F128 $0x31, Y7, Y2, Y6  // column 6
	VPERM2F128 $0x31, Y14, Y3, Y7 // column 7

	VMOVUPS Y8, (DI)       // column p at dst[p*6], 8 wide: lanes 6-7 are
	VMOVUPS Y9, 24(DI)     // overwritten by the next column
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y6, 144(DI)
	VMOVUPS X7, 168(DI)    // column 7: exactly six floats
	VEXTRACTF128 $1, Y7, X7
	VMOVSD  X7, 184(DI)

	ADDQ $32, SI           // next 8 columns of the rows
	ADDQ $32, R10
	ADDQ $192, DI          // 8 columns of 6 floats
	SUBQ $8, CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func axpyAVX2(c *float32, a float32, b *float32, n int)
//
// c[i] += a * b[i] for i < n, a multiple of 8: 16 floats per iteration
// while there are, then 8.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         c+0(FP), DI
	VBROADCASTSS a+8(FP), Y0
	MOVQ         b+16(FP), SI
	MOVQ         n+24(FP), CX
	CMPQ         CX, $16
	JB           tail

loop16:
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VFMADD231PS (SI), Y0, Y1   // c += a*b
	VFMADD231PS 32(SI), Y0, Y2
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $64, DI
	ADDQ        $64, SI
	SUBQ        $16, CX
	CMPQ        CX, $16
	JAE         loop16

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVUPS     (DI), Y1       // the last 8
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)

done:
	VZEROUPPER
	RET

// func axpy4AVX2(c *[4]*float32, a *[4]float32, b *float32, n int)
//
// c[r][j] += a[r] * b[j] for r < 4, j < n (a multiple of 8): four rows of C
// updated from one row of B, which is read once.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-32
	MOVQ         c+0(FP), AX
	MOVQ         0(AX), R8          // R8..R11 = the four rows of C
	MOVQ         8(AX), R9
	MOVQ         16(AX), R10
	MOVQ         24(AX), R11
	MOVQ         a+8(FP), AX
	VBROADCASTSS 0(AX), Y0          // Y0..Y3 = the four coefficients
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	MOVQ         b+16(FP), SI
	MOVQ         n+24(FP), CX
	XORQ         DX, DX             // DX = byte offset of column j
	TESTQ        CX, CX
	JZ           done

loop:
	VMOVUPS     (SI)(DX*1), Y4      // b[j:j+8]
	VMOVUPS     (R8)(DX*1), Y5
	VFMADD231PS Y4, Y0, Y5          // row 0 += a0*b
	VMOVUPS     Y5, (R8)(DX*1)
	VMOVUPS     (R9)(DX*1), Y6
	VFMADD231PS Y4, Y1, Y6          // row 1
	VMOVUPS     Y6, (R9)(DX*1)
	VMOVUPS     (R10)(DX*1), Y7
	VFMADD231PS Y4, Y2, Y7          // row 2
	VMOVUPS     Y7, (R10)(DX*1)
	VMOVUPS     (R11)(DX*1), Y8
	VFMADD231PS Y4, Y3, Y8          // row 3
	VMOVUPS     Y8, (R11)(DX*1)
	ADDQ        $32, DX
	SUBQ        $8, CX
	JNZ         loop

done:
	VZEROUPPER
	RET

// func dot4AVX2(a *[4]*float32, b *float32, n int, out *[4]float32)
//
// out[r] = sum_j a[r][j] * b[j] for r < 4, over n floats (a multiple of 8):
// four dot products against one vector, which is read once.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-32
	MOVQ   a+0(FP), AX
	MOVQ   0(AX), R8                // R8..R11 = the four rows
	MOVQ   8(AX), R9
	MOVQ   16(AX), R10
	MOVQ   24(AX), R11
	MOVQ   b+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0               // Y0..Y3: eight partial sums per row
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   DX, DX
	TESTQ  CX, CX
	JZ     reduce

loop:
	VMOVUPS     (SI)(DX*1), Y4
	VFMADD231PS (R8)(DX*1), Y4, Y0
	VFMADD231PS (R9)(DX*1), Y4, Y1
	VFMADD231PS (R10)(DX*1), Y4, Y2
	VFMADD231PS (R11)(DX*1), Y4, Y3
	ADDQ        $32, DX
	SUBQ        $8, CX
	JNZ         loop

reduce:
	// Sum the eight lanes of each row: [Y0 Y1 Y2 Y3] -> four floats.
	VHADDPS      Y1, Y0, Y0         // pairs of rows 0,1
	VHADDPS      Y3, Y2, Y2         // pairs of rows 2,3
	VHADDPS      Y2, Y0, Y0         // per 128-bit lane: r0 r1 r2 r3 partial
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0         // r0 r1 r2 r3
	MOVQ         out+24(FP), AX
	VMOVUPS      X0, (AX)
	VZEROUPPER
	RET
