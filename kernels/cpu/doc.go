// Package cpu is the reference backend of semgan: every primitive of
// kernels.Backend written in plain Go over []float32, split across cores
// with goroutines. Every other backend is tested against it. A parallel
// section runs its first chunk on the calling goroutine and the others on
// helper goroutines that spin for a while between sections before they
// park (spin.go): a small layer's section lasts about as long as waking a
// parked thread would take.
//
// Each primitive is an exported slice-level function (Gemm, ConvForward,
// Pad, ...) that checks its arguments and then computes; the Backend methods
// only unwrap buffers and call them. Images are NCHW:
//
//	N  batch          C  channels
//	H  height         W  width
//	S  spatial size H*W, used where only the product matters
//	K  reduction length of a matrix product (for a convolution C*KH*KW)
//
// As everywhere behind kernels.Backend, forward functions overwrite their
// outputs, backward functions accumulate (dx += ...) and skip nil gradient
// slices, and argument mistakes panic with a message that starts with
// "cpu: <Function>:".
//
// Convolutions are computed as im2col on tiles of output pixels followed by
// the package's blocked GEMM, so no full-image column matrix is ever held;
// attention works on blocks of queries and never holds the Nq x Nk matrix.
// Convolutions to fewer than six channels, whose patch matrix would serve
// each element only a few multiply-adds, work on the input's rows or on a
// channels-last copy of it instead (convfew.go, convfew_hwc.go).
//
// 3x3 stride-1 convolutions in kernels.FP32 with at least 64 input and
// output channels and 64x64 output pixels over the batch (the residual
// blocks of the generator) use Winograd F(4x4, 3x3) instead, forward and data
// gradient (winograd.go): 4x fewer multiplications, at the price of a
// larger rounding error, about 1e-5 of the largest |y| for 256 channels at
// 64x64 against 3.5e-7 for the direct sum (both against float64;
// TestWinogradAccuracy). TF32 and BF16 keep the direct path, whose products
// are those of rounded operands. The environment variable
// SEMGAN_CPU_WINOGRAD, read once when the package starts, switches it:
//
//	on    Winograd where it applies; so does an empty value
//	off   the direct path everywhere
//
// Any other value stops the program with a message naming the variable.
//
// On amd64 the hot loops have assembly versions, chosen at start for the
// CPU (golang.org/x/sys/cpu): AVX2 with FMA, AVX-512F, and for products
// in kernels.BF16 a micro-kernel with AVX512_BF16 (VDPBF16PS, two
// multiply-adds of bfloat16 pairs per lane; gemm_bf16.go). The
// environment variable SEMGAN_CPU_KERNELS, read once when the package
// starts, caps what is used, for tests and debugging:
//
//	generic     pure Go only, on any host (as the noasm build tag)
//	avx2        AVX2 and FMA kernels at most
//	avx512      AVX-512F kernels at most: BF16 products multiply rounded
//	            operands in float32, as on a CPU without AVX512_BF16
//	avx512bf16  everything the CPU has; so do "all" and an empty value
//
// Any other value stops the program with a message naming the variable.
// Every level computes the same results up to the order of float32 sums
// (and, in BF16, denormals, which VDPBF16PS flushes to zero).
package cpu
