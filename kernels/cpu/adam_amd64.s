//go:build !noasm

#include "textflag.h"

// func adamAVX2(param, grad, m, v *float32, n int, c *adamConsts)
//
// The loop of Adam for i < n (a positive multiple of 8), eight elements
// at a time, each operation rounded as the Go loop rounds it (no fused
// multiply-adds; VSQRTPS rounds as float32(math.Sqrt(float64(v))) does),
// so that both give the same bits:
//
//	m = m*b1 + g*c1
//	v = v*b2 + (c2*g)*g
//	param -= step * (m / (sqrt(v)/sqrtBc2 + eps))
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ         param+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), AX
	VBROADCASTSS 0(AX), Y9    // b1
	VBROADCASTSS 4(AX), Y10   // c1
	VBROADCASTSS 8(AX), Y11   // b2
	VBROADCASTSS 12(AX), Y12  // c2
	VBROADCASTSS 16(AX), Y13  // sqrtBc2
	VBROADCASTSS 20(AX), Y14  // eps
	VBROADCASTSS 24(AX), Y15  // step

adamLoop:
	VMOVUPS (SI), Y0          // g
	VMULPS  (R8), Y9, Y1      // m*b1
	VMULPS  Y10, Y0, Y2       // g*c1
	VADDPS  Y2, Y1, Y1        // m
	VMULPS  (R9), Y11, Y3     // v*b2
	VMULPS  Y12, Y0, Y4       // c2*g
	VMULPS  Y0, Y4, Y4        // (c2*g)*g
	VADDPS  Y4, Y3, Y3        // v
	VMOVUPS Y1, (R8)
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y3
	VDIVPS  Y13, Y3, Y3       // sqrt(v)/sqrtBc2
	VADDPS  Y14, Y3, Y3       // + eps
	VDIVPS  Y3, Y1, Y1        // m / denom
	VMULPS  Y15, Y1, Y1       // step * ...
	VMOVUPS (DI), Y5
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JNZ     adamLoop
	VZEROUPPER
	RET
