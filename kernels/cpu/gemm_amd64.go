//go:build !noasm

package cpu

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		microKernel = microKernelAVX2
	}
}

// microKernelAVX2 is the 6x16 micro-kernel (see microKernel) in AVX2 and
// FMA assembly, in gemm_amd64.s.
//
//go:noescape
func microKernelAVX2(k int, a, b, c *float32, ldc int, accumulate bool)
