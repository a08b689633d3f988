package cpu

import "math"

// Small vector routines with AVX2 versions in vector_amd64.s: the
// transposes and copies that pack GEMM panels, the row maximum of the
// softmax, and axpy (in gemm.go).

// transpose8Kernel, maxKernel and dealRowKernel are the assembly versions
// of transpose8, maxOf and dealRow for lengths that are multiples of 8,
// where the CPU has them.
var (
	transpose8Kernel func(src *float32, lds int, dst *float32, ldd int, n int)
	maxKernel        func(x *float32, n int) float32
	dealRowKernel    func(src *float32, dst *float32, ldd int, panels int)
)

// kernelLen returns how many leading elements of an n-element pass go to
// an assembly kernel that takes blocks of 16 (instance norm, the
// activations, the attention's softmax backward): the whole blocks, none
// without the kernel; Go does the rest.
func kernelLen(has bool, n int) int {
	if !has {
		return 0
	}
	return n &^ 15
}

// dealRow copies src[16q : 16q+16] to dst[q*ldd : q*ldd+16] for
// q < panels.
func dealRow(src, dst []float32, ldd, panels int) {
	if panels == 0 {
		return
	}
	_ = src[16*panels-1] // bounds, checked once for the assembly
	_ = dst[(panels-1)*ldd+15]
	if dealRowKernel != nil {
		dealRowKernel(&src[0], &dst[0], ldd, panels)
		return
	}
	for q := range panels {
		copy(dst[q*ldd:q*ldd+16], src[16*q:16*q+16])
	}
}

// transpose8 writes dst[p*ldd + r] = src[r*lds + p] for r < 8, p < n:
// eight rows of src become eight columns of dst.
func transpose8(src []float32, lds int, dst []float32, ldd int, n int) {
	if n == 0 {
		return
	}
	_ = src[7*lds+n-1] // bounds, checked once for the assembly
	_ = dst[(n-1)*ldd+7]
	head := 0
	if transpose8Kernel != nil {
		head = n &^ 7
		if head > 0 {
			transpose8Kernel(&src[0], lds, &dst[0], ldd, head)
		}
	}
	var rows [8][]float32
	for r := range rows {
		rows[r] = src[r*lds : r*lds+n]
	}
	for p := head; p < n; p++ {
		d := dst[p*ldd : p*ldd+8]
		d[0], d[1], d[2], d[3] = rows[0][p], rows[1][p], rows[2][p], rows[3][p]
		d[4], d[5], d[6], d[7] = rows[4][p], rows[5][p], rows[6][p], rows[7][p]
	}
}

// maxOf returns the largest element of x, -Inf for an empty x.
func maxOf(x []float32) float32 {
	mx := float32(math.Inf(-1))
	head := 0
	if maxKernel != nil && len(x) >= 8 {
		head = len(x) &^ 7
		mx = maxKernel(&x[0], head)
	}
	for _, v := range x[head:] {
		mx = max(mx, v)
	}
	return mx
}
