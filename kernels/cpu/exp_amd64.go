//go:build !noasm

package cpu

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		expShiftKernel = expShiftAVX2
	}
}

// expShiftAVX2 is expShift in AVX2 and FMA assembly, eight floats at a
// time, in exp_amd64.s; n is a multiple of 8.
//
//go:noescape
func expShiftAVX2(x *float32, n int, shift float32) float64
