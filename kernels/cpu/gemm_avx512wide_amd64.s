//go:build !noasm

#include "textflag.h"

// func microKernelAVX512Wide(k int, a, b, c *float32, ldc int, accumulate bool)
//
// The 12x32 micro-kernel (see microKernelWide) in AVX-512F: two adjacent A
// panels (rows 0-5 at a, rows 6-11 at a+6k) times two adjacent B panels
// (columns 0-15 at b, 16-31 at b+16k). The 24 accumulators Z0-Z23 hold the
// tile, row r in Z(2r) (columns 0-15) and Z(2r+1) (columns 16-31); Z24, Z25
// hold a row of each B panel and Z26-Z31 take turns at broadcasts of A. A
// step of p is 2 loads of B, 12 broadcasts and 24 multiply-adds, against 1,
// 6 and 6 in microKernelAVX512: twice the arithmetic per load.
TEXT ·microKernelAVX512Wide(SB), NOSPLIT, $0-41
	MOVQ         k+0(FP), CX                // CX = k, the loop counter
	MOVQ         a+8(FP), SI                // SI = current column of the first A panel (6 floats)
	MOVQ         b+16(FP), DI               // DI = current row of the first B panel (16 floats)
	MOVQ         c+24(FP), DX               // DX = current row of the C tile
	MOVQ         ldc+32(FP), R8             // R8 = ldc
	SHLQ         $2, R8                     // R8 = ldc in bytes
	LEAQ         (CX)(CX*2), R10            // R10 = 3k
	LEAQ         (SI)(R10*8), R10           // R10 = a + 6k floats: the second A panel
	MOVQ         CX, R11                    // R11 = k
	SHLQ         $6, R11                    // R11 = 16k floats in bytes
	ADDQ         DI, R11                    // R11 = b + 16k floats: the second B panel

	// Prefetch the twelve rows of the C tile (128 bytes each, over two or
	// three lines).
	MOVQ         DX, R9                     // R9 = row of C to prefetch
	PREFETCHT0   (R9)                       // row 0: first line
	PREFETCHT0   64(R9)                     // row 0: second line
	PREFETCHT0   127(R9)                    // row 0: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 1: first line
	PREFETCHT0   64(R9)                     // row 1: second line
	PREFETCHT0   127(R9)                    // row 1: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 2: first line
	PREFETCHT0   64(R9)                     // row 2: second line
	PREFETCHT0   127(R9)                    // row 2: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 3: first line
	PREFETCHT0   64(R9)                     // row 3: second line
	PREFETCHT0   127(R9)                    // row 3: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 4: first line
	PREFETCHT0   64(R9)                     // row 4: second line
	PREFETCHT0   127(R9)                    // row 4: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 5: first line
	PREFETCHT0   64(R9)                     // row 5: second line
	PREFETCHT0   127(R9)                    // row 5: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 6: first line
	PREFETCHT0   64(R9)                     // row 6: second line
	PREFETCHT0   127(R9)                    // row 6: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 7: first line
	PREFETCHT0   64(R9)                     // row 7: second line
	PREFETCHT0   127(R9)                    // row 7: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 8: first line
	PREFETCHT0   64(R9)                     // row 8: second line
	PREFETCHT0   127(R9)                    // row 8: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 9: first line
	PREFETCHT0   64(R9)                     // row 9: second line
	PREFETCHT0   127(R9)                    // row 9: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 10: first line
	PREFETCHT0   64(R9)                     // row 10: second line
	PREFETCHT0   127(R9)                    // row 10: third line, if the row spans one
	ADDQ         R8, R9                     // next row of C
	PREFETCHT0   (R9)                       // row 11: first line
	PREFETCHT0   64(R9)                     // row 11: second line
	PREFETCHT0   127(R9)                    // row 11: third line, if the row spans one

	VPXORD       Z0, Z0, Z0                 // row 0, columns 0-15 = 0
	VPXORD       Z1, Z1, Z1                 // row 0, columns 16-31 = 0
	VPXORD       Z2, Z2, Z2                 // row 1, columns 0-15 = 0
	VPXORD       Z3, Z3, Z3                 // row 1, columns 16-31 = 0
	VPXORD       Z4, Z4, Z4                 // row 2, columns 0-15 = 0
	VPXORD       Z5, Z5, Z5                 // row 2, columns 16-31 = 0
	VPXORD       Z6, Z6, Z6                 // row 3, columns 0-15 = 0
	VPXORD       Z7, Z7, Z7                 // row 3, columns 16-31 = 0
	VPXORD       Z8, Z8, Z8                 // row 4, columns 0-15 = 0
	VPXORD       Z9, Z9, Z9                 // row 4, columns 16-31 = 0
	VPXORD       Z10, Z10, Z10              // row 5, columns 0-15 = 0
	VPXORD       Z11, Z11, Z11              // row 5, columns 16-31 = 0
	VPXORD       Z12, Z12, Z12              // row 6, columns 0-15 = 0
	VPXORD       Z13, Z13, Z13              // row 6, columns 16-31 = 0
	VPXORD       Z14, Z14, Z14              // row 7, columns 0-15 = 0
	VPXORD       Z15, Z15, Z15              // row 7, columns 16-31 = 0
	VPXORD       Z16, Z16, Z16              // row 8, columns 0-15 = 0
	VPXORD       Z17, Z17, Z17              // row 8, columns 16-31 = 0
	VPXORD       Z18, Z18, Z18              // row 9, columns 0-15 = 0
	VPXORD       Z19, Z19, Z19              // row 9, columns 16-31 = 0
	VPXORD       Z20, Z20, Z20              // row 10, columns 0-15 = 0
	VPXORD       Z21, Z21, Z21              // row 10, columns 16-31 = 0
	VPXORD       Z22, Z22, Z22              // row 11, columns 0-15 = 0
	VPXORD       Z23, Z23, Z23              // row 11, columns 16-31 = 0

	// Two steps of p per pass; an odd k leaves one step for the end.
	MOVQ         CX, BX                     // BX = k
	SHRQ         $1, BX                     // BX = k/2 passes of two steps
	ANDQ         $1, CX                     // CX = k%2 single steps
	TESTQ        BX, BX                     // no pass of two steps?
	JZ           single                     // then only the single step, if any

loop2:
	VMOVUPS      0(DI), Z24                 // first B panel, row p+0
	VMOVUPS      0(R11), Z25                // second B panel, row p+0
	VBROADCASTSS 0(SI), Z26                 // a[p+0] of row 0 in all lanes
	VFMADD231PS  Z24, Z26, Z0               // row 0, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z1               // row 0, columns 16-31 += a * B
	VBROADCASTSS 4(SI), Z27                 // a[p+0] of row 1 in all lanes
	VFMADD231PS  Z24, Z27, Z2               // row 1, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z3               // row 1, columns 16-31 += a * B
	VBROADCASTSS 8(SI), Z28                 // a[p+0] of row 2 in all lanes
	VFMADD231PS  Z24, Z28, Z4               // row 2, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z5               // row 2, columns 16-31 += a * B
	VBROADCASTSS 12(SI), Z29                // a[p+0] of row 3 in all lanes
	VFMADD231PS  Z24, Z29, Z6               // row 3, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z7               // row 3, columns 16-31 += a * B
	VBROADCASTSS 16(SI), Z30                // a[p+0] of row 4 in all lanes
	VFMADD231PS  Z24, Z30, Z8               // row 4, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z9               // row 4, columns 16-31 += a * B
	VBROADCASTSS 20(SI), Z31                // a[p+0] of row 5 in all lanes
	VFMADD231PS  Z24, Z31, Z10              // row 5, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z11              // row 5, columns 16-31 += a * B
	VBROADCASTSS 0(R10), Z26                // a[p+0] of row 6 in all lanes
	VFMADD231PS  Z24, Z26, Z12              // row 6, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z13              // row 6, columns 16-31 += a * B
	VBROADCASTSS 4(R10), Z27                // a[p+0] of row 7 in all lanes
	VFMADD231PS  Z24, Z27, Z14              // row 7, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z15              // row 7, columns 16-31 += a * B
	VBROADCASTSS 8(R10), Z28                // a[p+0] of row 8 in all lanes
	VFMADD231PS  Z24, Z28, Z16              // row 8, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z17              // row 8, columns 16-31 += a * B
	VBROADCASTSS 12(R10), Z29               // a[p+0] of row 9 in all lanes
	VFMADD231PS  Z24, Z29, Z18              // row 9, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z19              // row 9, columns 16-31 += a * B
	VBROADCASTSS 16(R10), Z30               // a[p+0] of row 10 in all lanes
	VFMADD231PS  Z24, Z30, Z20              // row 10, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z21              // row 10, columns 16-31 += a * B
	VBROADCASTSS 20(R10), Z31               // a[p+0] of row 11 in all lanes
	VFMADD231PS  Z24, Z31, Z22              // row 11, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z23              // row 11, columns 16-31 += a * B
	VMOVUPS      64(DI), Z24                // first B panel, row p+1
	VMOVUPS      64(R11), Z25               // second B panel, row p+1
	VBROADCASTSS 24(SI), Z26                // a[p+1] of row 0 in all lanes
	VFMADD231PS  Z24, Z26, Z0               // row 0, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z1               // row 0, columns 16-31 += a * B
	VBROADCASTSS 28(SI), Z27                // a[p+1] of row 1 in all lanes
	VFMADD231PS  Z24, Z27, Z2               // row 1, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z3               // row 1, columns 16-31 += a * B
	VBROADCASTSS 32(SI), Z28                // a[p+1] of row 2 in all lanes
	VFMADD231PS  Z24, Z28, Z4               // row 2, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z5               // row 2, columns 16-31 += a * B
	VBROADCASTSS 36(SI), Z29                // a[p+1] of row 3 in all lanes
	VFMADD231PS  Z24, Z29, Z6               // row 3, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z7               // row 3, columns 16-31 += a * B
	VBROADCASTSS 40(SI), Z30                // a[p+1] of row 4 in all lanes
	VFMADD231PS  Z24, Z30, Z8               // row 4, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z9               // row 4, columns 16-31 += a * B
	VBROADCASTSS 44(SI), Z31                // a[p+1] of row 5 in all lanes
	VFMADD231PS  Z24, Z31, Z10              // row 5, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z11              // row 5, columns 16-31 += a * B
	VBROADCASTSS 24(R10), Z26               // a[p+1] of row 6 in all lanes
	VFMADD231PS  Z24, Z26, Z12              // row 6, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z13              // row 6, columns 16-31 += a * B
	VBROADCASTSS 28(R10), Z27               // a[p+1] of row 7 in all lanes
	VFMADD231PS  Z24, Z27, Z14              // row 7, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z15              // row 7, columns 16-31 += a * B
	VBROADCASTSS 32(R10), Z28               // a[p+1] of row 8 in all lanes
	VFMADD231PS  Z24, Z28, Z16              // row 8, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z17              // row 8, columns 16-31 += a * B
	VBROADCASTSS 36(R10), Z29               // a[p+1] of row 9 in all lanes
	VFMADD231PS  Z24, Z29, Z18              // row 9, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z19              // row 9, columns 16-31 += a * B
	VBROADCASTSS 40(R10), Z30               // a[p+1] of row 10 in all lanes
	VFMADD231PS  Z24, Z30, Z20              // row 10, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z21              // row 10, columns 16-31 += a * B
	VBROADCASTSS 44(R10), Z31               // a[p+1] of row 11 in all lanes
	VFMADD231PS  Z24, Z31, Z22              // row 11, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z23              // row 11, columns 16-31 += a * B
	ADDQ         $48, SI                    // two columns of each A panel further: 12 floats
	ADDQ         $48, R10                   // (second A panel)
	ADDQ         $128, DI                   // two rows of each B panel further: 32 floats
	ADDQ         $128, R11                  // (second B panel)
	DECQ         BX                         // one pass fewer to go
	JNZ          loop2                      // until BX is 0

single:
	TESTQ        CX, CX                     // a single step left?
	JZ           store                      // k even: no step left
	VMOVUPS      0(DI), Z24                 // first B panel, row p+0
	VMOVUPS      0(R11), Z25                // second B panel, row p+0
	VBROADCASTSS 0(SI), Z26                 // a[p+0] of row 0 in all lanes
	VFMADD231PS  Z24, Z26, Z0               // row 0, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z1               // row 0, columns 16-31 += a * B
	VBROADCASTSS 4(SI), Z27                 // a[p+0] of row 1 in all lanes
	VFMADD231PS  Z24, Z27, Z2               // row 1, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z3               // row 1, columns 16-31 += a * B
	VBROADCASTSS 8(SI), Z28                 // a[p+0] of row 2 in all lanes
	VFMADD231PS  Z24, Z28, Z4               // row 2, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z5               // row 2, columns 16-31 += a * B
	VBROADCASTSS 12(SI), Z29                // a[p+0] of row 3 in all lanes
	VFMADD231PS  Z24, Z29, Z6               // row 3, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z7               // row 3, columns 16-31 += a * B
	VBROADCASTSS 16(SI), Z30                // a[p+0] of row 4 in all lanes
	VFMADD231PS  Z24, Z30, Z8               // row 4, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z9               // row 4, columns 16-31 += a * B
	VBROADCASTSS 20(SI), Z31                // a[p+0] of row 5 in all lanes
	VFMADD231PS  Z24, Z31, Z10              // row 5, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z11              // row 5, columns 16-31 += a * B
	VBROADCASTSS 0(R10), Z26                // a[p+0] of row 6 in all lanes
	VFMADD231PS  Z24, Z26, Z12              // row 6, columns 0-15 += a * B
	VFMADD231PS  Z25, Z26, Z13              // row 6, columns 16-31 += a * B
	VBROADCASTSS 4(R10), Z27                // a[p+0] of row 7 in all lanes
	VFMADD231PS  Z24, Z27, Z14              // row 7, columns 0-15 += a * B
	VFMADD231PS  Z25, Z27, Z15              // row 7, columns 16-31 += a * B
	VBROADCASTSS 8(R10), Z28                // a[p+0] of row 8 in all lanes
	VFMADD231PS  Z24, Z28, Z16              // row 8, columns 0-15 += a * B
	VFMADD231PS  Z25, Z28, Z17              // row 8, columns 16-31 += a * B
	VBROADCASTSS 12(R10), Z29               // a[p+0] of row 9 in all lanes
	VFMADD231PS  Z24, Z29, Z18              // row 9, columns 0-15 += a * B
	VFMADD231PS  Z25, Z29, Z19              // row 9, columns 16-31 += a * B
	VBROADCASTSS 16(R10), Z30               // a[p+0] of row 10 in all lanes
	VFMADD231PS  Z24, Z30, Z20              // row 10, columns 0-15 += a * B
	VFMADD231PS  Z25, Z30, Z21              // row 10, columns 16-31 += a * B
	VBROADCASTSS 20(R10), Z31               // a[p+0] of row 11 in all lanes
	VFMADD231PS  Z24, Z31, Z22              // row 11, columns 0-15 += a * B
	VFMADD231PS  Z25, Z31, Z23              // row 11, columns 16-31 += a * B

store:
	MOVBLZX      accumulate+40(FP), R9      // R9 = accumulate
	TESTQ        R9, R9                     // accumulate false?
	JZ           overwrite                  // then write C without reading it
	VADDPS       (DX), Z0, Z0               // row 0: c[0:16] += accumulator
	VADDPS       64(DX), Z1, Z1             // row 0: c[16:32] += accumulator
	VMOVUPS      Z0, (DX)                   // store row 0, columns 0-15
	VMOVUPS      Z1, 64(DX)                 // store row 0, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z2, Z2               // row 1: c[0:16] += accumulator
	VADDPS       64(DX), Z3, Z3             // row 1: c[16:32] += accumulator
	VMOVUPS      Z2, (DX)                   // store row 1, columns 0-15
	VMOVUPS      Z3, 64(DX)                 // store row 1, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z4, Z4               // row 2: c[0:16] += accumulator
	VADDPS       64(DX), Z5, Z5             // row 2: c[16:32] += accumulator
	VMOVUPS      Z4, (DX)                   // store row 2, columns 0-15
	VMOVUPS      Z5, 64(DX)                 // store row 2, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z6, Z6               // row 3: c[0:16] += accumulator
	VADDPS       64(DX), Z7, Z7             // row 3: c[16:32] += accumulator
	VMOVUPS      Z6, (DX)                   // store row 3, columns 0-15
	VMOVUPS      Z7, 64(DX)                 // store row 3, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z8, Z8               // row 4: c[0:16] += accumulator
	VADDPS       64(DX), Z9, Z9             // row 4: c[16:32] += accumulator
	VMOVUPS      Z8, (DX)                   // store row 4, columns 0-15
	VMOVUPS      Z9, 64(DX)                 // store row 4, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z10, Z10             // row 5: c[0:16] += accumulator
	VADDPS       64(DX), Z11, Z11           // row 5: c[16:32] += accumulator
	VMOVUPS      Z10, (DX)                  // store row 5, columns 0-15
	VMOVUPS      Z11, 64(DX)                // store row 5, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z12, Z12             // row 6: c[0:16] += accumulator
	VADDPS       64(DX), Z13, Z13           // row 6: c[16:32] += accumulator
	VMOVUPS      Z12, (DX)                  // store row 6, columns 0-15
	VMOVUPS      Z13, 64(DX)                // store row 6, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z14, Z14             // row 7: c[0:16] += accumulator
	VADDPS       64(DX), Z15, Z15           // row 7: c[16:32] += accumulator
	VMOVUPS      Z14, (DX)                  // store row 7, columns 0-15
	VMOVUPS      Z15, 64(DX)                // store row 7, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z16, Z16             // row 8: c[0:16] += accumulator
	VADDPS       64(DX), Z17, Z17           // row 8: c[16:32] += accumulator
	VMOVUPS      Z16, (DX)                  // store row 8, columns 0-15
	VMOVUPS      Z17, 64(DX)                // store row 8, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z18, Z18             // row 9: c[0:16] += accumulator
	VADDPS       64(DX), Z19, Z19           // row 9: c[16:32] += accumulator
	VMOVUPS      Z18, (DX)                  // store row 9, columns 0-15
	VMOVUPS      Z19, 64(DX)                // store row 9, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z20, Z20             // row 10: c[0:16] += accumulator
	VADDPS       64(DX), Z21, Z21           // row 10: c[16:32] += accumulator
	VMOVUPS      Z20, (DX)                  // store row 10, columns 0-15
	VMOVUPS      Z21, 64(DX)                // store row 10, columns 16-31
	ADDQ         R8, DX                     // next row of C
	VADDPS       (DX), Z22, Z22             // row 11: c[0:16] += accumulator
	VADDPS       64(DX), Z23, Z23           // row 11: c[16:32] += accumulator
	VMOVUPS      Z22, (DX)                  // store row 11, columns 0-15
	VMOVUPS      Z23, 64(DX)                // store row 11, columns 16-31
	VZEROUPPER                              // avoid AVX-SSE transition penalties in Go code
	RET

overwrite:
	VMOVUPS      Z0, (DX)                   // row 0: c[0:16] = accumulator
	VMOVUPS      Z1, 64(DX)                 // row 0: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z2, (DX)                   // row 1: c[0:16] = accumulator
	VMOVUPS      Z3, 64(DX)                 // row 1: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z4, (DX)                   // row 2: c[0:16] = accumulator
	VMOVUPS      Z5, 64(DX)                 // row 2: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z6, (DX)                   // row 3: c[0:16] = accumulator
	VMOVUPS      Z7, 64(DX)                 // row 3: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z8, (DX)                   // row 4: c[0:16] = accumulator
	VMOVUPS      Z9, 64(DX)                 // row 4: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z10, (DX)                  // row 5: c[0:16] = accumulator
	VMOVUPS      Z11, 64(DX)                // row 5: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z12, (DX)                  // row 6: c[0:16] = accumulator
	VMOVUPS      Z13, 64(DX)                // row 6: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z14, (DX)                  // row 7: c[0:16] = accumulator
	VMOVUPS      Z15, 64(DX)                // row 7: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z16, (DX)                  // row 8: c[0:16] = accumulator
	VMOVUPS      Z17, 64(DX)                // row 8: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z18, (DX)                  // row 9: c[0:16] = accumulator
	VMOVUPS      Z19, 64(DX)                // row 9: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z20, (DX)                  // row 10: c[0:16] = accumulator
	VMOVUPS      Z21, 64(DX)                // row 10: c[16:32] = accumulator
	ADDQ         R8, DX                     // next row of C
	VMOVUPS      Z22, (DX)                  // row 11: c[0:16] = accumulator
	VMOVUPS      Z23, 64(DX)                // row 11: c[16:32] = accumulator
	VZEROUPPER                              // avoid AVX-SSE transition penalties in Go code
	RET
