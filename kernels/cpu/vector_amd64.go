//go:build !noasm

package cpu

func init() {
	if useAVX2FMA {
		axpyKernel = axpyAVX2
		axpy4Kernel = axpy4AVX2
		dot4Kernel = dot4AVX2
		convTaps4Kernel = convTaps4AVX2
	}
	if useAVX2 {
		transpose8Kernel = transpose8AVX2
		maxKernel = maxAVX2
		dealRowKernel = dealRowAVX
		packA6Kernel = packA6AVX2
	}
}

// transpose8AVX2 is transpose8 in AVX2 assembly, in vector_amd64.s; n
// is a multiple of 8.
//
//go:noescape
func transpose8AVX2(src *float32, lds int, dst *float32, ldd int, n int)

// maxAVX2 is the largest of x[0:n] in AVX2 assembly; n is a positive
// multiple of 8.
//
//go:noescape
func maxAVX2(x *float32, n int) float32

// dealRowAVX is dealRow in AVX assembly, in vector_amd64.s.
//
//go:noescape
func dealRowAVX(src *float32, dst *float32, ldd int, panels int)

// packA6AVX2 interleaves six rows of A into a micro-kernel panel, scaled
// by alpha, in AVX2 assembly (vector_amd64.s); k is a multiple of 8.
//
//go:noescape
func packA6AVX2(src *float32, lda int, dst *float32, k int, alpha float32)

// axpyAVX2 is c[i] += a*b[i] for n floats (a multiple of 8) in AVX2 and
// FMA assembly (vector_amd64.s).
//
//go:noescape
func axpyAVX2(c *float32, a float32, b *float32, n int)

// axpy4AVX2 updates four rows of C from one row of B (see gemm_small.go)
// in AVX2 and FMA assembly; n is a multiple of 8.
//
//go:noescape
func axpy4AVX2(c *[4]*float32, a *[4]float32, b *float32, n int)

// dot4AVX2 computes four dot products against one row of B (see
// gemm_small.go) in AVX2 and FMA assembly; n is a multiple of 8.
//
//go:noescape
func dot4AVX2(a *[4]*float32, b *float32, n int, out *[4]float32)

// convTaps4AVX2 is convTaps4 (see conv.go) in AVX2 and FMA assembly, in
// convfew_amd64.s.
//
//go:noescape
func convTaps4AVX2(y *[4]*float32, x *float32, offs *int, w *float32, taps int)
