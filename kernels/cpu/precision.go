package cpu

import "github.com/semgan/semgan/kernels"

// Operands are rounded to the precision of a product (kernels.Precision)
// where the GEMM packs them into its A and B panels (on a CPU with
// AVX512_BF16, BF16 panels are rounded as they become bfloat16 pair panels:
// gemm_bf16.go); its paths that read an operand in place (few rows, pure
// Go) multiply rounded copies. The
// convolutions round copies of their inputs once (roundedScratch), which
// costs less than rounding patch panels that hold each input KH*KW times.

// roundedScratch returns xs itself for FP32, and otherwise a copy of xs
// from the scratch cache rounded with p.Round; release gives it back.
func roundedScratch(p kernels.Precision, xs []float32) (r []float32, release func()) {
	if p == kernels.FP32 || xs == nil {
		return xs, func() {}
	}
	buf := getScratch(len(xs))
	r = (*buf)[:len(xs)]
	copy(r, xs)
	p.RoundSlice(r)
	return r, func() { putScratch(buf) }
}
