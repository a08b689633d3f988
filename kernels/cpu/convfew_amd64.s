//go:build !noasm

#include "textflag.h"

// func convTaps4AVX2(y *[4]*float32, x *float32, offs *int, w *float32, taps int)
//
// For r < 4 and j < 16: y[r][j] += sum over t < taps of
// w[t*4+r] * x[offs[t]+j]. The 16 columns of the four rows stay in
// registers across all taps: Y4-Y11 hold rows 0-3, columns 0-7 and 8-15.
// Y0, Y1 hold the 16 inputs of the current tap; Y2, Y3 broadcasts of w.
TEXT ·convTaps4AVX2(SB), NOSPLIT, $0-40
	MOVQ    y+0(FP), AX
	MOVQ    0(AX), R8          // R8..R11 = the four rows of y
	MOVQ    8(AX), R9
	MOVQ    16(AX), R10
	MOVQ    24(AX), R11
	MOVQ    x+8(FP), SI        // SI = x
	MOVQ    offs+16(FP), DX    // DX = current offset, in floats
	MOVQ    w+24(FP), BX       // BX = current four weights
	MOVQ    taps+32(FP), CX    // CX = taps left
	VMOVUPS (R8), Y4           // the accumulators start from y
	VMOVUPS 32(R8), Y5
	VMOVUPS (R9), Y6
	VMOVUPS 32(R9), Y7
	VMOVUPS (R10), Y8
	VMOVUPS 32(R10), Y9
	VMOVUPS (R11), Y10
	VMOVUPS 32(R11), Y11
	TESTQ   CX, CX
	JZ      store

loop:
	MOVQ         (DX), R12          // R12 = offs[t]
	VMOVUPS      (SI)(R12*4), Y0    // x[offs[t] : offs[t]+8]
	VMOVUPS      32(SI)(R12*4), Y1  // x[offs[t]+8 : offs[t]+16]
	VBROADCASTSS 0(BX), Y2          // w[t*4+0] in all lanes
	VFMADD231PS  Y0, Y2, Y4         // row 0 += w * x
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS 4(BX), Y3          // w[t*4+1]
	VFMADD231PS  Y0, Y3, Y6         // row 1
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS 8(BX), Y2          // w[t*4+2]
	VFMADD231PS  Y0, Y2, Y8         // row 2
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS 12(BX), Y3         // w[t*4+3]
	VFMADD231PS  Y0, Y3, Y10        // row 3
	VFMADD231PS  Y1, Y3, Y11
	ADDQ         $8, DX             // next offset
	ADDQ         $16, BX            // next four weights
	DECQ         CX
	JNZ          loop

store:
	VMOVUPS Y4, (R8)           // y = accumulators
	VMOVUPS Y5, 32(R8)
	VMOVUPS Y6, (R9)
	VMOVUPS Y7, 32(R9)
	VMOVUPS Y8, (R10)
	VMOVUPS Y9, 32(R10)
	VMOVUPS Y10, (R11)
	VMOVUPS Y11, 32(R11)
	VZEROUPPER                 // avoid AVX-SSE transition penalties in Go code
	RET
