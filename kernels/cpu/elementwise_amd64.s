//go:build !noasm

#include "textflag.h"

// func reluBackwardAVX2(x, dy, dx *float32, n int)
//
// dx[i] += dy[i] where x[i] > 0, for i < n (a positive multiple of 16):
// dy is masked, not multiplied, so a NaN in dy where x <= 0 stays out of
// dx, as in the Go loop.
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   dy+8(FP), DX
	MOVQ   dx+16(FP), DI
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15

reluLoop:
	VCMPPS  $0x11, (SI), Y15, Y0   // 0 < x (ordered: false for NaN)
	VCMPPS  $0x11, 32(SI), Y15, Y1
	VANDPS  (DX), Y0, Y0
	VANDPS  32(DX), Y1, Y1
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     reluLoop
	VZEROUPPER
	RET

// func leakyReLUBackwardAVX2(x, dy, dx *float32, n int, alpha float32)
//
// dx[i] += dy[i] where x[i] > 0 and alpha*dy[i] elsewhere (NaN included),
// for i < n (a positive multiple of 16).
TEXT ·leakyReLUBackwardAVX2(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y14
	VXORPS       Y15, Y15, Y15

leakyLoop:
	VMOVUPS   (DX), Y2
	VMOVUPS   32(DX), Y3
	VCMPPS    $0x11, (SI), Y15, Y0   // 0 < x
	VCMPPS    $0x11, 32(SI), Y15, Y1
	VMULPS    Y14, Y2, Y4            // alpha*dy
	VMULPS    Y14, Y3, Y5
	VBLENDVPS Y0, Y2, Y4, Y4         // x > 0 ? dy : alpha*dy
	VBLENDVPS Y1, Y3, Y5, Y5
	VADDPS    (DI), Y4, Y4
	VADDPS    32(DI), Y5, Y5
	VMOVUPS   Y4, (DI)
	VMOVUPS   Y5, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       leakyLoop
	VZEROUPPER
	RET

// func leakyReLUAVX2(x, y *float32, n int, alpha float32)
//
// y[i] = x[i] where x[i] > 0 and alpha*x[i] elsewhere (NaN included), for
// i < n (a positive multiple of 16); y may be x.
TEXT ·leakyReLUAVX2(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y14
	VXORPS       Y15, Y15, Y15

leakyFwdLoop:
	VMOVUPS   (SI), Y2
	VMOVUPS   32(SI), Y3
	VCMPPS    $0x11, Y2, Y15, Y0   // 0 < x
	VCMPPS    $0x11, Y3, Y15, Y1
	VMULPS    Y14, Y2, Y4          // alpha*x
	VMULPS    Y14, Y3, Y5
	VBLENDVPS Y0, Y2, Y4, Y4       // x > 0 ? x : alpha*x
	VBLENDVPS Y1, Y3, Y5, Y5
	VMOVUPS   Y4, (DI)
	VMOVUPS   Y5, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       leakyFwdLoop
	VZEROUPPER
	RET

// func scoreGradAVX2(p, dp *float32, n int, d float32)
//
// dp[i] = p[i] * (dp[i] - d) for i < n (a positive multiple of 16): the
// softmax backward of the attention's scores, rounded as the Go loop
// rounds it.
TEXT ·scoreGradAVX2(SB), NOSPLIT, $0-28
	MOVQ         p+0(FP), SI
	MOVQ         dp+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS d+24(FP), Y15

scoreLoop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VSUBPS  Y15, Y0, Y0
	VSUBPS  Y15, Y1, Y1
	VMULPS  (SI), Y0, Y0
	VMULPS  32(SI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     scoreLoop
	VZEROUPPER
	RET

// func reluAVX2(x, y *float32, n int)
//
// y[i] = max(x[i], 0) with Go's rules for i < n (a positive multiple of
// 16): a NaN stays NaN and -0 becomes +0. y may be x.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y15, Y15, Y15

reluFwdLoop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VMAXPS    Y15, Y0, Y2          // x > 0 ? x : +0 (NaN gives +0)
	VMAXPS    Y15, Y1, Y3
	VCMPPS    $3, Y0, Y0, Y4       // x is NaN
	VCMPPS    $3, Y1, Y1, Y5
	VBLENDVPS Y4, Y0, Y2, Y2       // NaN ? x : max
	VBLENDVPS Y5, Y1, Y3, Y3
	VMOVUPS   Y2, (DI)
	VMOVUPS   Y3, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       reluFwdLoop
	VZEROUPPER
	RET
