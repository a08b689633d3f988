//go:build !noasm

package cpu

import "golang.org/x/sys/cpu"

func init() {
	microKernel = bestMicroKernel()
	if cpu.X86.HasAVX512F {
		microKernelWide = microKernelAVX512Wide
	}
}

// bestMicroKernel is the fastest assembly micro-kernel this CPU runs, or
// nil where it has neither AVX-512 nor AVX2 with FMA.
func bestMicroKernel() func(k int, a, b, c *float32, ldc int, accumulate bool) {
	switch {
	case cpu.X86.HasAVX512F: // also says the OS saves the Z registers
		return microKernelAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return microKernelAVX2
	}
	return nil
}

// microKernelAVX2 is the 6x16 micro-kernel (see microKernel) in AVX2 and
// FMA assembly, in gemm_amd64.s.
//
//go:noescape
func microKernelAVX2(k int, a, b, c *float32, ldc int, accumulate bool)

// microKernelAVX512 is the 6x16 micro-kernel in AVX-512F assembly, in
// gemm_avx512_amd64.s.
//
//go:noescape
func microKernelAVX512(k int, a, b, c *float32, ldc int, accumulate bool)

// microKernelAVX512Wide is the 12x32 micro-kernel (see microKernelWide) in
// AVX-512F assembly, in gemm_avx512wide_amd64.s.
//
//go:noescape
func microKernelAVX512Wide(k int, a, b, c *float32, ldc int, accumulate bool)
