//go:build !noasm

package cpu

import "golang.org/x/sys/cpu"

// asmMicroKernels lists every assembly micro-kernel this CPU runs, by
// instruction set, so that tests and benchmarks try each one and not only
// the one init chose.
func asmMicroKernels() map[string]func(k int, a, b, c *float32, ldc int, accumulate bool) {
	kernels := map[string]func(k int, a, b, c *float32, ldc int, accumulate bool){}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels["avx2"] = microKernelAVX2
	}
	if cpu.X86.HasAVX512F {
		kernels["avx512"] = microKernelAVX512
	}
	return kernels
}

// asmWideKernels lists every assembly 12x32 micro-kernel (microKernelWide)
// this CPU runs, by instruction set.
func asmWideKernels() map[string]func(k int, a, b, c *float32, ldc int, accumulate bool) {
	kernels := map[string]func(k int, a, b, c *float32, ldc int, accumulate bool){}
	if cpu.X86.HasAVX512F {
		kernels["avx512"] = microKernelAVX512Wide
	}
	return kernels
}
