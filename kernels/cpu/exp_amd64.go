//go:build !noasm

package cpu

func init() {
	switch {
	case useAVX512:
		expShiftKernel = expShiftAVX512
	case useAVX2FMA:
		expShiftKernel = expShiftAVX2
	}
}

// expShiftAVX2 is expShift in AVX2 and FMA assembly, eight floats at a
// time, in exp_amd64.s; n is a multiple of 8.
//
//go:noescape
func expShiftAVX2(x *float32, n int, shift float32) float64

// expShiftAVX512 is expShift in AVX-512 assembly, sixteen floats at a time,
// in exp_amd64.s; n is a multiple of 8.
//
//go:noescape
func expShiftAVX512(x *float32, n int, shift float32) float64
