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

// asmBF16Kernels lists every assembly BF16 micro-kernel
// (microKernelBF16Wide) this CPU runs, by instruction set.
func asmBF16Kernels() map[string]func(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool) {
	kernels := map[string]func(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool){}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16 {
		kernels["avx512bf16"] = microKernelBF16WideAVX512
	}
	return kernels
}

// asmExpShiftKernels lists every assembly expShift kernel this CPU runs, by
// instruction set.
func asmExpShiftKernels() map[string]func(x *float32, n int, shift float32) float64 {
	kernels := map[string]func(x *float32, n int, shift float32) float64{}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels["avx2"] = expShiftAVX2
	}
	if cpu.X86.HasAVX512F {
		kernels["avx512"] = expShiftAVX512
	}
	return kernels
}
