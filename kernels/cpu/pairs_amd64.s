//go:build !noasm

#include "textflag.h"

// Conversion of float32 panels into bfloat16 pair panels (pairPanels) with
// AVX512_BF16 and AVX512BW. VCVTNE2PS2BF16 rounds 2x16 (or 2x8) floats to
// bfloat16, to nearest even as kernels.RoundBF16 does, except that it
// reads denormal inputs as zero (VDPBF16PS would anyway). Its result holds
// the first source's values in the low half and the second's in the high
// half; VPERMW then interleaves them into pairs. The Go assembler does not
// know VCVTNE2PS2BF16: it is written as its bytes, as GNU as encodes the
// AT&T instruction beside them (TestBF16Encodings checks).

// pairIndex16 interleaves words i and 16+i: word 2i of the result is word
// i, word 2i+1 is word 16+i.
DATA pairIndex16<>+0(SB)/8, $0x0011000100100000
DATA pairIndex16<>+8(SB)/8, $0x0013000300120002
DATA pairIndex16<>+16(SB)/8, $0x0015000500140004
DATA pairIndex16<>+24(SB)/8, $0x0017000700160006
DATA pairIndex16<>+32(SB)/8, $0x0019000900180008
DATA pairIndex16<>+40(SB)/8, $0x001b000b001a000a
DATA pairIndex16<>+48(SB)/8, $0x001d000d001c000c
DATA pairIndex16<>+56(SB)/8, $0x001f000f001e000e
GLOBL pairIndex16<>(SB), RODATA|NOPTR, $64

// pairIndex8 interleaves words i and 8+i of a Y register.
DATA pairIndex8<>+0(SB)/8, $0x0009000100080000
DATA pairIndex8<>+8(SB)/8, $0x000b0003000a0002
DATA pairIndex8<>+16(SB)/8, $0x000d0005000c0004
DATA pairIndex8<>+24(SB)/8, $0x000f0007000e0006
GLOBL pairIndex8<>(SB), RODATA|NOPTR, $32

// func pairs16AVX512(src *float32, dst *uint32, n int)
//
// For c < n: dst[16c+i] = bf16(src[32c+i]) | bf16(src[32c+16+i])<<16,
// i < 16: n pair rows of a B panel.
TEXT ·pairs16AVX512(SB), NOSPLIT, $0-24
	MOVQ    src+0(FP), SI              // SI = current pair of rows: 32 floats
	MOVQ    dst+8(FP), DI              // DI = current pair row: 16 words
	MOVQ    n+16(FP), CX               // CX = pair rows left
	VMOVDQU64 pairIndex16<>(SB), Z3    // Z3 = the interleaving of words i and 16+i
	TESTQ   CX, CX                     // no pair row?
	JZ      done16                     // then nothing to do

loop16:
	VMOVUPS (SI), Z0                   // Z0 = row 2q (the even k)
	VMOVUPS 64(SI), Z1                 // Z1 = row 2q+1 (the odd k)
	BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0 // vcvtne2ps2bf16 %zmm0, %zmm1, %zmm2: Z2 = bf16(row 2q) in words 0-15, bf16(row 2q+1) in 16-31
	VPERMW  Z2, Z3, Z4                 // Z4 = words (i, 16+i) side by side: the pairs
	VMOVDQU32 Z4, (DI)                 // store the pair row
	ADDQ    $128, SI                   // next pair of rows
	ADDQ    $64, DI                    // next pair row
	DECQ    CX                         // one fewer to go
	JNZ     loop16                     // until CX is 0

done16:
	VZEROUPPER                         // avoid AVX-SSE transition penalties in Go code
	RET

// func pairs6AVX512(src *float32, dst *uint32, n int)
//
// For c < n: dst[6c+i] = bf16(src[12c+i]) | bf16(src[12c+6+i])<<16,
// i < 6: n pair columns of an A panel. It reads src[:12n+2] and writes
// dst[:6n+2] (8 bytes past the last pair column, which the caller
// overwrites or leaves unused).
TEXT ·pairs6AVX512(SB), NOSPLIT, $0-24
	MOVQ    src+0(FP), SI              // SI = current pair of columns: 12 floats
	MOVQ    dst+8(FP), DI              // DI = current pair column: 6 words
	MOVQ    n+16(FP), CX               // CX = pair columns left
	VMOVDQU64 pairIndex8<>(SB), Y3     // Y3 = the interleaving of words i and 8+i
	TESTQ   CX, CX                     // no pair column?
	JZ      done6                      // then nothing to do

loop6:
	VMOVUPS (SI), Y0                   // Y0 = column 2q (the even k), and 2 floats more
	VMOVUPS 24(SI), Y1                 // Y1 = column 2q+1 (the odd k), and 2 floats more
	BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x28; BYTE $0x72; BYTE $0xd0 // vcvtne2ps2bf16 %ymm0, %ymm1, %ymm2: Y2 = bf16(Y0) in words 0-7, bf16(Y1) in 8-15
	VPERMW  Y2, Y3, Y4                 // Y4 = words (i, 8+i) side by side: 6 pairs and 2 more
	VMOVDQU32 Y4, (DI)                 // store 8 words; the last 2 are the next column's or unused
	ADDQ    $48, SI                    // next pair of columns
	ADDQ    $24, DI                    // next pair column
	DECQ    CX                         // one fewer to go
	JNZ     loop6                      // until CX is 0

done6:
	VZEROUPPER                         // avoid AVX-SSE transition penalties in Go code
	RET
