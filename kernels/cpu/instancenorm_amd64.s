//go:build !noasm

#include "textflag.h"

// HSUM adds the four doubles of y into the low lane of x (y's lower
// half), using t (another X register) as scratch.
#define HSUM(y, x, t) VEXTRACTF128 $1, y, t; VADDPD t, x, x; VUNPCKHPD x, x, t; VADDSD t, x, x

// The instance norm's plane passes in float64, four doubles per Y register
// converted from four floats. Each kernel takes n, a positive multiple of
// 16, and keeps four partial sums (or four independent rows) in flight, so
// that no addition waits for the one before it.

// func sum64AVX2(x *float32, n int) float64
//
// Returns the sum of x[0:n] in float64.
TEXT ·sum64AVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

sumLoop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX
	JNZ       sumLoop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	MOVSD        X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDev64AVX2(x *float32, n int, mu float64) float64
//
// Returns the sum of (x[i] - mu)^2 over i < n in float64.
TEXT ·sumSqDev64AVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mu+16(FP), Y8
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3

sqLoop:
	VCVTPS2PD   (SI), Y4
	VCVTPS2PD   16(SI), Y5
	VCVTPS2PD   32(SI), Y6
	VCVTPS2PD   48(SI), Y7
	VSUBPD      Y8, Y4, Y4     // x - mu
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VFMADD231PD Y4, Y4, Y0     // += (x - mu)^2
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $64, SI
	SUBQ        $16, CX
	JNZ         sqLoop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	MOVSD        X0, ret+24(FP)
	VZEROUPPER
	RET

// func affine64AVX2(x, y *float32, n int, s, t float64)
//
// y[i] = float32(x[i]*s + t) for i < n, the product and sum in float64.
TEXT ·affine64AVX2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD s+24(FP), Y8
	VBROADCASTSD t+32(FP), Y9

affLoop:
	VCVTPS2PD   (SI), Y0
	VCVTPS2PD   16(SI), Y1
	VCVTPS2PD   32(SI), Y2
	VCVTPS2PD   48(SI), Y3
	VFMADD213PD Y9, Y8, Y0     // x*s + t
	VFMADD213PD Y9, Y8, Y1
	VFMADD213PD Y9, Y8, Y2
	VFMADD213PD Y9, Y8, Y3
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VCVTPD2PSY  Y2, X2
	VCVTPD2PSY  Y3, X3
	VMOVUPS     X0, (DI)
	VMOVUPS     X1, 16(DI)
	VMOVUPS     X2, 32(DI)
	VMOVUPS     X3, 48(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         affLoop
	VZEROUPPER
	RET

// func sumDyDyDev64AVX2(x, dy *float32, n int, mu float64) (sd, sdx float64)
//
// Returns the sums of dy[i] and of dy[i]*(x[i] - mu) over i < n in float64.
TEXT ·sumDyDyDev64AVX2(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mu+24(FP), Y12
	VXORPD       Y0, Y0, Y0     // Y0, Y1: sums of dy
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2     // Y2, Y3: sums of dy*(x - mu)
	VXORPD       Y3, Y3, Y3

dyLoop:
	VCVTPS2PD   (DI), Y4
	VCVTPS2PD   16(DI), Y5
	VCVTPS2PD   32(DI), Y6
	VCVTPS2PD   48(DI), Y7
	VCVTPS2PD   (SI), Y8
	VCVTPS2PD   16(SI), Y9
	VCVTPS2PD   32(SI), Y10
	VCVTPS2PD   48(SI), Y11
	VADDPD      Y4, Y0, Y0
	VADDPD      Y5, Y1, Y1
	VSUBPD      Y12, Y8, Y8
	VSUBPD      Y12, Y9, Y9
	VSUBPD      Y12, Y10, Y10
	VSUBPD      Y12, Y11, Y11
	VADDPD      Y6, Y0, Y0
	VADDPD      Y7, Y1, Y1
	VFMADD231PD Y8, Y4, Y2
	VFMADD231PD Y9, Y5, Y3
	VFMADD231PD Y10, Y6, Y2
	VFMADD231PD Y11, Y7, Y3
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         dyLoop

	VADDPD       Y1, Y0, Y0
	HSUM(Y0, X0, X1)
	MOVSD        X0, sd+32(FP)
	VADDPD       Y3, Y2, Y2
	HSUM(Y2, X2, X3)
	MOVSD        X2, sdx+40(FP)
	VZEROUPPER
	RET

// func affine2Acc64AVX2(dy, x, dx *float32, n int, a, b, c float64)
//
// dx[i] += float32(a*dy[i] + b*x[i] + c) for i < n, the right-hand side in
// float64.
TEXT ·affine2Acc64AVX2(SB), NOSPLIT, $0-56
	MOVQ         dy+0(FP), SI
	MOVQ         x+8(FP), R8
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSD a+32(FP), Y12
	VBROADCASTSD b+40(FP), Y13
	VBROADCASTSD c+48(FP), Y14

accLoop:
	VCVTPS2PD   (R8), Y0
	VCVTPS2PD   16(R8), Y1
	VCVTPS2PD   32(R8), Y2
	VCVTPS2PD   48(R8), Y3
	VCVTPS2PD   (SI), Y4
	VCVTPS2PD   16(SI), Y5
	VCVTPS2PD   32(SI), Y6
	VCVTPS2PD   48(SI), Y7
	VFMADD213PD Y14, Y13, Y0   // b*x + c
	VFMADD213PD Y14, Y13, Y1
	VFMADD213PD Y14, Y13, Y2
	VFMADD213PD Y14, Y13, Y3
	VFMADD231PD Y4, Y12, Y0    // + a*dy
	VFMADD231PD Y5, Y12, Y1
	VFMADD231PD Y6, Y12, Y2
	VFMADD231PD Y7, Y12, Y3
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VCVTPD2PSY  Y2, X2
	VCVTPD2PSY  Y3, X3
	VADDPS      (DI), X0, X0
	VADDPS      16(DI), X1, X1
	VADDPS      32(DI), X2, X2
	VADDPS      48(DI), X3, X3
	VMOVUPS     X0, (DI)
	VMOVUPS     X1, 16(DI)
	VMOVUPS     X2, 32(DI)
	VMOVUPS     X3, 48(DI)
	ADDQ        $64, SI
	ADDQ        $64, R8
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         accLoop
	VZEROUPPER
	RET
