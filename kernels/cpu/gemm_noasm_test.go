//go:build noasm || !amd64

package cpu

// asmMicroKernels is empty: this build has no assembly.
func asmMicroKernels() map[string]func(k int, a, b, c *float32, ldc int, accumulate bool) {
	return nil
}

// asmWideKernels is empty: this build has no assembly.
func asmWideKernels() map[string]func(k int, a, b, c *float32, ldc int, accumulate bool) {
	return nil
}

// asmBF16Kernels is empty: this build has no assembly.
func asmBF16Kernels() map[string]func(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool) {
	return nil
}

// asmExpShiftKernels is empty: this build has no assembly.
func asmExpShiftKernels() map[string]func(x *float32, n int, shift float32) float64 {
	return nil
}
