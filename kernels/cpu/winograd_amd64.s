//go:build !noasm

#include "textflag.h"

// SOURCES6 loads the six pointers of the table at AX into R8-R13.
#define SOURCES6 MOVQ 0(AX), R8; MOVQ 8(AX), R9; MOVQ 16(AX), R10; MOVQ 24(AX), R11; MOVQ 32(AX), R12; MOVQ 40(AX), R13

// LOAD6 loads eight floats at byte offset SI of each of R8-R13 into Y0-Y5.
#define LOAD6 VMOVUPS (R8)(SI*1), Y0; VMOVUPS (R9)(SI*1), Y1; VMOVUPS (R10)(SI*1), Y2; VMOVUPS (R11)(SI*1), Y3; VMOVUPS (R12)(SI*1), Y4; VMOVUPS (R13)(SI*1), Y5

// BROADCAST sets every lane of y (whose low lane is x) to the float32
// with the given bits, through DX.
#define BROADCAST(bits, x, y) MOVL bits, DX; VMOVD DX, x; VBROADCASTSS x, y

// The Winograd transforms' one-dimensional steps (bt6 and at6 in
// winograd.go) over arrays, eight elements at a time, each operation
// rounded as the Go functions round it (no fused multiply-adds), so that
// both give the same bits. n is a positive multiple of 8; the source and
// destination arrays are given by tables of pointers, and SI runs over
// the byte offset that all of them share.

// func bt6AVX2(src, dst *[6]*float32, n int)
//
// (dst[0][i], ..., dst[5][i]) = B^T (src[0][i], ..., src[5][i]) for i < n:
//
//	t0 = (4d0 - 5d2) + d4        t3 = e + f,  t4 = e - f,
//	t1 = (d3 + d4) - 4(d1 + d2)  with e = d4 - d2, f = 2(d3 - d1)
//	t2 = (d4 - d3) + 4(d1 - d2)  t5 = (4d1 - 5d3) + d5
TEXT ·bt6AVX2(SB), NOSPLIT, $0-24
	MOVQ         src+0(FP), AX
	MOVQ         dst+8(FP), BX
	MOVQ         n+16(FP), CX
	SOURCES6
	BROADCAST($0x40800000, X13, Y13) // 4.0
	BROADCAST($0x40a00000, X14, Y14) // 5.0
	BROADCAST($0x40000000, X15, Y15) // 2.0
	XORQ         SI, SI

bt6Loop:
	LOAD6

	VMULPS  Y13, Y0, Y6 // 4d0
	VMULPS  Y14, Y2, Y7 // 5d2
	VSUBPS  Y7, Y6, Y6
	VADDPS  Y4, Y6, Y6  // t0
	MOVQ    0(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VADDPS  Y4, Y3, Y6  // d3 + d4
	VADDPS  Y2, Y1, Y7  // d1 + d2
	VMULPS  Y13, Y7, Y7
	VSUBPS  Y7, Y6, Y6  // t1
	MOVQ    8(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VSUBPS  Y3, Y4, Y6  // d4 - d3
	VSUBPS  Y2, Y1, Y7  // d1 - d2
	VMULPS  Y13, Y7, Y7
	VADDPS  Y7, Y6, Y6  // t2
	MOVQ    16(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VSUBPS  Y2, Y4, Y8  // e = d4 - d2
	VSUBPS  Y1, Y3, Y9  // d3 - d1
	VMULPS  Y15, Y9, Y9 // f
	VADDPS  Y9, Y8, Y6  // t3
	MOVQ    24(BX), DX
	VMOVUPS Y6, (DX)(SI*1)
	VSUBPS  Y9, Y8, Y6  // t4
	MOVQ    32(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VMULPS  Y13, Y1, Y6 // 4d1
	VMULPS  Y14, Y3, Y7 // 5d3
	VSUBPS  Y7, Y6, Y6
	VADDPS  Y5, Y6, Y6  // t5
	MOVQ    40(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  bt6Loop
	VZEROUPPER
	RET

// func at6AVX2(src, dst *[6]*float32, n int)
//
// (dst[0][i], ..., dst[3][i]) = A^T (src[0][i], ..., src[5][i]) for i < n:
//
//	y0 = (m0 + a) + c   y2 = a + 4c         with a = m1 + m2, b = m1 - m2,
//	y1 = b + 2d         y3 = (b + 8d) + m5       c = m3 + m4, d = m3 - m4
TEXT ·at6AVX2(SB), NOSPLIT, $0-24
	MOVQ         src+0(FP), AX
	MOVQ         dst+8(FP), BX
	MOVQ         n+16(FP), CX
	SOURCES6
	BROADCAST($0x40000000, X13, Y13) // 2.0
	BROADCAST($0x40800000, X14, Y14) // 4.0
	BROADCAST($0x41000000, X15, Y15) // 8.0
	XORQ         SI, SI

at6Loop:
	LOAD6

	VADDPS Y2, Y1, Y6 // a
	VSUBPS Y2, Y1, Y7 // b
	VADDPS Y4, Y3, Y8 // c
	VSUBPS Y4, Y3, Y9 // d

	VADDPS  Y6, Y0, Y10  // m0 + a
	VADDPS  Y8, Y10, Y10 // y0
	MOVQ    0(BX), DX
	VMOVUPS Y10, (DX)(SI*1)

	VMULPS  Y13, Y9, Y10 // 2d
	VADDPS  Y10, Y7, Y10 // y1
	MOVQ    8(BX), DX
	VMOVUPS Y10, (DX)(SI*1)

	VMULPS  Y14, Y8, Y10 // 4c
	VADDPS  Y10, Y6, Y10 // y2
	MOVQ    16(BX), DX
	VMOVUPS Y10, (DX)(SI*1)

	VMULPS  Y15, Y9, Y10 // 8d
	VADDPS  Y10, Y7, Y10 // b + 8d
	VADDPS  Y5, Y10, Y10 // y3
	MOVQ    24(BX), DX
	VMOVUPS Y10, (DX)(SI*1)

	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  at6Loop
	VZEROUPPER
	RET

// func gt6AVX2(src, dst *[6]*float32, n int)
//
// (dst[0][i], ..., dst[5][i]) = G (src[0][i], src[1][i], src[2][i]) for
// i < n, with the float32 constants of gt6:
//
//	u0 = g0/4            u3 = q + r,  u4 = q - r,  with s = g0 + g2,
//	u1 = (s + g1)(-1/6)  q = g0/24 + g2/6, r = g1/12
//	u2 = (s - g1)(-1/6)  u5 = g2
TEXT ·gt6AVX2(SB), NOSPLIT, $0-24
	MOVQ         src+0(FP), AX
	MOVQ         dst+8(FP), BX
	MOVQ         n+16(FP), CX
	MOVQ         0(AX), R8
	MOVQ         8(AX), R9
	MOVQ         16(AX), R10
	BROADCAST($0x3e800000, X11, Y11) // 1/4
	BROADCAST($0xbe2aaaab, X12, Y12) // -1/6
	BROADCAST($0x3d2aaaab, X13, Y13) // 1/24
	BROADCAST($0x3e2aaaab, X14, Y14) // 1/6
	BROADCAST($0x3daaaaab, X15, Y15) // 1/12
	XORQ         SI, SI

gt6Loop:
	VMOVUPS (R8)(SI*1), Y0
	VMOVUPS (R9)(SI*1), Y1
	VMOVUPS (R10)(SI*1), Y2

	VMULPS  Y11, Y0, Y6 // u0
	MOVQ    0(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VADDPS  Y2, Y0, Y3  // s
	VADDPS  Y1, Y3, Y6
	VMULPS  Y12, Y6, Y6 // u1
	MOVQ    8(BX), DX
	VMOVUPS Y6, (DX)(SI*1)
	VSUBPS  Y1, Y3, Y6
	VMULPS  Y12, Y6, Y6 // u2
	MOVQ    16(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	VMULPS  Y13, Y0, Y4 // g0/24
	VMULPS  Y14, Y2, Y5
	VADDPS  Y5, Y4, Y4  // q
	VMULPS  Y15, Y1, Y5 // r
	VADDPS  Y5, Y4, Y6  // u3
	MOVQ    24(BX), DX
	VMOVUPS Y6, (DX)(SI*1)
	VSUBPS  Y5, Y4, Y6  // u4
	MOVQ    32(BX), DX
	VMOVUPS Y6, (DX)(SI*1)

	MOVQ    40(BX), DX  // u5 = g2
	VMOVUPS Y2, (DX)(SI*1)

	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  gt6Loop
	VZEROUPPER
	RET
