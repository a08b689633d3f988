//go:build !noasm

#include "textflag.h"

// Eight copies of each constant of exp32 (see exp.go), for 256-bit operands.
DATA expLo<>+0(SB)/4, $0xc2ae0000
DATA expLo<>+4(SB)/4, $0xc2ae0000
DATA expLo<>+8(SB)/4, $0xc2ae0000
DATA expLo<>+12(SB)/4, $0xc2ae0000
DATA expLo<>+16(SB)/4, $0xc2ae0000
DATA expLo<>+20(SB)/4, $0xc2ae0000
DATA expLo<>+24(SB)/4, $0xc2ae0000
DATA expLo<>+28(SB)/4, $0xc2ae0000
GLOBL expLo<>(SB), RODATA|NOPTR, $32
DATA expHi<>+0(SB)/4, $0x42b00000
DATA expHi<>+4(SB)/4, $0x42b00000
DATA expHi<>+8(SB)/4, $0x42b00000
DATA expHi<>+12(SB)/4, $0x42b00000
DATA expHi<>+16(SB)/4, $0x42b00000
DATA expHi<>+20(SB)/4, $0x42b00000
DATA expHi<>+24(SB)/4, $0x42b00000
DATA expHi<>+28(SB)/4, $0x42b00000
GLOBL expHi<>(SB), RODATA|NOPTR, $32
DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+4(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+8(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+12(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+16(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+20(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+24(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+28(SB)/4, $0x3fb8aa3b
GLOBL expLog2e<>(SB), RODATA|NOPTR, $32
DATA expHalf<>+0(SB)/4, $0x3f000000
DATA expHalf<>+4(SB)/4, $0x3f000000
DATA expHalf<>+8(SB)/4, $0x3f000000
DATA expHalf<>+12(SB)/4, $0x3f000000
DATA expHalf<>+16(SB)/4, $0x3f000000
DATA expHalf<>+20(SB)/4, $0x3f000000
DATA expHalf<>+24(SB)/4, $0x3f000000
DATA expHalf<>+28(SB)/4, $0x3f000000
GLOBL expHalf<>(SB), RODATA|NOPTR, $32
DATA expC1<>+0(SB)/4, $0x3f318000
DATA expC1<>+4(SB)/4, $0x3f318000
DATA expC1<>+8(SB)/4, $0x3f318000
DATA expC1<>+12(SB)/4, $0x3f318000
DATA expC1<>+16(SB)/4, $0x3f318000
DATA expC1<>+20(SB)/4, $0x3f318000
DATA expC1<>+24(SB)/4, $0x3f318000
DATA expC1<>+28(SB)/4, $0x3f318000
GLOBL expC1<>(SB), RODATA|NOPTR, $32
DATA expC2<>+0(SB)/4, $0xb95e8083
DATA expC2<>+4(SB)/4, $0xb95e8083
DATA expC2<>+8(SB)/4, $0xb95e8083
DATA expC2<>+12(SB)/4, $0xb95e8083
DATA expC2<>+16(SB)/4, $0xb95e8083
DATA expC2<>+20(SB)/4, $0xb95e8083
DATA expC2<>+24(SB)/4, $0xb95e8083
DATA expC2<>+28(SB)/4, $0xb95e8083
GLOBL expC2<>(SB), RODATA|NOPTR, $32
DATA expP0<>+0(SB)/4, $0x39506967
DATA expP0<>+4(SB)/4, $0x39506967
DATA expP0<>+8(SB)/4, $0x39506967
DATA expP0<>+12(SB)/4, $0x39506967
DATA expP0<>+16(SB)/4, $0x39506967
DATA expP0<>+20(SB)/4, $0x39506967
DATA expP0<>+24(SB)/4, $0x39506967
DATA expP0<>+28(SB)/4, $0x39506967
GLOBL expP0<>(SB), RODATA|NOPTR, $32
DATA expP1<>+0(SB)/4, $0x3ab743ce
DATA expP1<>+4(SB)/4, $0x3ab743ce
DATA expP1<>+8(SB)/4, $0x3ab743ce
DATA expP1<>+12(SB)/4, $0x3ab743ce
DATA expP1<>+16(SB)/4, $0x3ab743ce
DATA expP1<>+20(SB)/4, $0x3ab743ce
DATA expP1<>+24(SB)/4, $0x3ab743ce
DATA expP1<>+28(SB)/4, $0x3ab743ce
GLOBL expP1<>(SB), RODATA|NOPTR, $32
DATA expP2<>+0(SB)/4, $0x3c088908
DATA expP2<>+4(SB)/4, $0x3c088908
DATA expP2<>+8(SB)/4, $0x3c088908
DATA expP2<>+12(SB)/4, $0x3c088908
DATA expP2<>+16(SB)/4, $0x3c088908
DATA expP2<>+20(SB)/4, $0x3c088908
DATA expP2<>+24(SB)/4, $0x3c088908
DATA expP2<>+28(SB)/4, $0x3c088908
GLOBL expP2<>(SB), RODATA|NOPTR, $32
DATA expP3<>+0(SB)/4, $0x3d2aa9c1
DATA expP3<>+4(SB)/4, $0x3d2aa9c1
DATA expP3<>+8(SB)/4, $0x3d2aa9c1
DATA expP3<>+12(SB)/4, $0x3d2aa9c1
DATA expP3<>+16(SB)/4, $0x3d2aa9c1
DATA expP3<>+20(SB)/4, $0x3d2aa9c1
DATA expP3<>+24(SB)/4, $0x3d2aa9c1
DATA expP3<>+28(SB)/4, $0x3d2aa9c1
GLOBL expP3<>(SB), RODATA|NOPTR, $32
DATA expP4<>+0(SB)/4, $0x3e2aaaaa
DATA expP4<>+4(SB)/4, $0x3e2aaaaa
DATA expP4<>+8(SB)/4, $0x3e2aaaaa
DATA expP4<>+12(SB)/4, $0x3e2aaaaa
DATA expP4<>+16(SB)/4, $0x3e2aaaaa
DATA expP4<>+20(SB)/4, $0x3e2aaaaa
DATA expP4<>+24(SB)/4, $0x3e2aaaaa
DATA expP4<>+28(SB)/4, $0x3e2aaaaa
GLOBL expP4<>(SB), RODATA|NOPTR, $32
DATA expP5<>+0(SB)/4, $0x3f000000
DATA expP5<>+4(SB)/4, $0x3f000000
DATA expP5<>+8(SB)/4, $0x3f000000
DATA expP5<>+12(SB)/4, $0x3f000000
DATA expP5<>+16(SB)/4, $0x3f000000
DATA expP5<>+20(SB)/4, $0x3f000000
DATA expP5<>+24(SB)/4, $0x3f000000
DATA expP5<>+28(SB)/4, $0x3f000000
GLOBL expP5<>(SB), RODATA|NOPTR, $32
DATA expOne<>+0(SB)/4, $0x3f800000
DATA expOne<>+4(SB)/4, $0x3f800000
DATA expOne<>+8(SB)/4, $0x3f800000
DATA expOne<>+12(SB)/4, $0x3f800000
DATA expOne<>+16(SB)/4, $0x3f800000
DATA expOne<>+20(SB)/4, $0x3f800000
DATA expOne<>+24(SB)/4, $0x3f800000
DATA expOne<>+28(SB)/4, $0x3f800000
GLOBL expOne<>(SB), RODATA|NOPTR, $32
DATA expBias<>+0(SB)/4, $0x7f
DATA expBias<>+4(SB)/4, $0x7f
DATA expBias<>+8(SB)/4, $0x7f
DATA expBias<>+12(SB)/4, $0x7f
DATA expBias<>+16(SB)/4, $0x7f
DATA expBias<>+20(SB)/4, $0x7f
DATA expBias<>+24(SB)/4, $0x7f
DATA expBias<>+28(SB)/4, $0x7f
GLOBL expBias<>(SB), RODATA|NOPTR, $32

// func expShiftAVX2(x *float32, n int, shift float32) float64
//
// x[i] = exp(x[i] - shift), 0 where x[i] - shift < -87, for i < n (a
// multiple of 8); returns the sum of the new x[i] in float64. The steps are
// those of exp32: clamp, n = floor(t*log2(e) + 0.5), r = t - n*ln 2 in two
// parts, a polynomial for exp(r), and 2^n built in the exponent bits.
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI      // SI = next 8 floats of x
	MOVQ         n+8(FP), CX      // CX = floats left
	VBROADCASTSS shift+16(FP), Y15 // Y15 = shift in all lanes
	VXORPD       Y8, Y8, Y8       // Y8, Y9: float64 sums of lanes 0-3, 4-7
	VXORPD       Y9, Y9, Y9
	TESTQ        CX, CX
	JZ           done

loop:
	VMOVUPS      (SI), Y0
	VSUBPS       Y15, Y0, Y0                 // t = x - shift
	VCMPPS       $1, expLo<>(SB), Y0, Y1     // Y1 = all ones where t < -87 (flushed)
	VMAXPS       expLo<>(SB), Y0, Y0         // clamp t to [-87, 88]
	VMINPS       expHi<>(SB), Y0, Y0
	VMOVUPS      expLog2e<>(SB), Y2
	VFMADD213PS  expHalf<>(SB), Y0, Y2       // Y2 = t*log2(e) + 0.5
	VROUNDPS     $1, Y2, Y2                  // n = floor(Y2)
	VCVTPS2DQ    Y2, Y3                      // n as int32 (exact: n is integral)
	VFNMADD231PS expC1<>(SB), Y2, Y0         // r = t - n*C1
	VFNMADD231PS expC2<>(SB), Y2, Y0         // r -= n*C2
	VMOVUPS      expP0<>(SB), Y4             // Horner: p = ((((P0 r + P1) r + P2) r + P3) r + P4) r + P5
	VFMADD213PS  expP1<>(SB), Y0, Y4
	VFMADD213PS  expP2<>(SB), Y0, Y4
	VFMADD213PS  expP3<>(SB), Y0, Y4
	VFMADD213PS  expP4<>(SB), Y0, Y4
	VFMADD213PS  expP5<>(SB), Y0, Y4
	VMULPS       Y0, Y0, Y5                  // Y5 = r*r
	VFMADD213PS  Y0, Y5, Y4                  // p = p*r*r + r
	VADDPS       expOne<>(SB), Y4, Y4        // p += 1: exp(r)
	VPADDD       expBias<>(SB), Y3, Y3       // n + 127: the biased exponent
	VPSLLD       $23, Y3, Y3                 // 2^n as float bits
	VMULPS       Y3, Y4, Y4                  // exp(t) = exp(r) * 2^n
	VANDNPS      Y4, Y1, Y4                  // 0 where flushed
	VMOVUPS      Y4, (SI)
	VCVTPS2PD    X4, Y6                      // lanes 0-3 to float64
	VADDPD       Y6, Y8, Y8
	VEXTRACTF128 $1, Y4, X7                  // lanes 4-7
	VCVTPS2PD    X7, Y7
	VADDPD       Y7, Y9, Y9
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          loop

done:
	VADDPD       Y9, Y8, Y8        // add the eight partial sums
	VEXTRACTF128 $1, Y8, X9
	VADDPD       X9, X8, X8
	VHADDPD      X8, X8, X8
	MOVSD        X8, ret+24(FP)
	VZEROUPPER
	RET

// func expShiftAVX512(x *float32, n int, shift float32) float64
//
// expShiftAVX2 sixteen floats at a time, with the constants kept in Z16-Z27
// (broadcast once from the tables above) and n a multiple of 8: a last
// block of 8 is loaded, stored and summed under the mask K3 = 0x00ff.
// Flushed lanes are zeroed by a mask too (K2: t >= -87, and in the block).
TEXT ·expShiftAVX512(SB), NOSPLIT, $0-32
	MOVQ           x+0(FP), SI
	MOVQ           n+8(FP), CX
	VBROADCASTSS   shift+16(FP), Z15
	VBROADCASTSS   expLo<>(SB), Z16
	VBROADCASTSS   expHi<>(SB), Z17
	VBROADCASTSS   expLog2e<>(SB), Z18
	VBROADCASTSS   expHalf<>(SB), Z19
	VBROADCASTSS   expC1<>(SB), Z20
	VBROADCASTSS   expC2<>(SB), Z21
	VBROADCASTSS   expP0<>(SB), Z22
	VBROADCASTSS   expP1<>(SB), Z23
	VBROADCASTSS   expP2<>(SB), Z24
	VBROADCASTSS   expP3<>(SB), Z25
	VBROADCASTSS   expP4<>(SB), Z26
	VBROADCASTSS   expP5<>(SB), Z27
	VBROADCASTSS   expOne<>(SB), Z28
	VPBROADCASTD   expBias<>(SB), Z29
	VXORPD         Z8, Z8, Z8      // Z8, Z9: float64 sums of lanes 0-7, 8-15
	VXORPD         Z9, Z9, Z9
	MOVL           $0xffff, AX
	KMOVW          AX, K3          // K3: the lanes of this block
	TESTQ          CX, CX
	JZ             done512

loop512:
	CMPQ           CX, $16
	JGE            full
	MOVL           $0xff, AX       // the last 8
	KMOVW          AX, K3

full:
	VMOVUPS.Z      (SI), K3, Z0
	VSUBPS         Z15, Z0, Z0     // t = x - shift
	VCMPPS         $13, Z16, Z0, K3, K2 // K2 = t >= -87 in the block (13: greater or equal)
	VMAXPS         Z16, Z0, Z0     // clamp t to [-87, 88]
	VMINPS         Z17, Z0, Z0
	VMOVAPS        Z18, Z2
	VFMADD213PS    Z19, Z0, Z2     // t*log2(e) + 0.5
	VRNDSCALEPS    $1, Z2, Z2      // n = floor (imm 1: round down, no scaling)
	VCVTPS2DQ      Z2, Z3
	VFNMADD231PS   Z20, Z2, Z0     // r = t - n*C1
	VFNMADD231PS   Z21, Z2, Z0     // r -= n*C2
	VMOVAPS        Z22, Z4         // the polynomial, as in expShiftAVX2
	VFMADD213PS    Z23, Z0, Z4
	VFMADD213PS    Z24, Z0, Z4
	VFMADD213PS    Z25, Z0, Z4
	VFMADD213PS    Z26, Z0, Z4
	VFMADD213PS    Z27, Z0, Z4
	VMULPS         Z0, Z0, Z5
	VFMADD213PS    Z0, Z5, Z4      // p*r*r + r
	VADDPS         Z28, Z4, Z4     // exp(r)
	VPADDD         Z29, Z3, Z3
	VPSLLD         $23, Z3, Z3     // 2^n
	VMULPS.Z       Z3, Z4, K2, Z4  // exp(t), 0 where flushed or past the block
	VMOVUPS        Z4, K3, (SI)
	VCVTPS2PD      Y4, Z6          // lanes 0-7 to float64
	VADDPD         Z6, Z8, Z8
	VEXTRACTF64X4  $1, Z4, Y7      // lanes 8-15
	VCVTPS2PD      Y7, Z7
	VADDPD         Z7, Z9, Z9
	ADDQ           $64, SI
	SUBQ           $16, CX
	JG             loop512

done512:
	VADDPD         Z9, Z8, Z8      // add the sixteen partial sums
	VEXTRACTF64X4  $1, Z8, Y9
	VADDPD         Y9, Y8, Y8
	VEXTRACTF128   $1, Y8, X9
	VADDPD         X9, X8, X8
	VHADDPD        X8, X8, X8
	MOVSD          X8, ret+24(FP)
	VZEROUPPER
	RET
