package cpu

import "github.com/semgan/semgan/kernels"

// Operands are rounded to the precision of a product (kernels.Precision)
// where they are packed: the GEMM's A and B panels, the convolutions'
// patch panels. The paths that read an operand in place (few rows or
// output channels, the pure-Go GEMM) multiply rounded copies instead.

// roundSlice rounds xs in place with p.Round: a loop per precision, so
// that the rounding is inlined (p.Round is a call per element).
func roundSlice(p kernels.Precision, xs []float32) {
	switch p {
	case kernels.TF32:
		for i, x := range xs {
			xs[i] = kernels.RoundTF32(x)
		}
	case kernels.BF16:
		for i, x := range xs {
			xs[i] = kernels.RoundBF16(x)
		}
	}
}

// roundedScratch returns xs itself for FP32, and otherwise a copy of xs
// from the scratch cache rounded with p.Round; release gives it back.
func roundedScratch(p kernels.Precision, xs []float32) (r []float32, release func()) {
	if p == kernels.FP32 || xs == nil {
		return xs, func() {}
	}
	buf := getScratch(len(xs))
	r = (*buf)[:len(xs)]
	copy(r, xs)
	roundSlice(p, r)
	return r, func() { putScratch(buf) }
}
