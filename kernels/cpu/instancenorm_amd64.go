//go:build !noasm

package cpu

func init() {
	if useAVX2FMA {
		sum64Kernel = sum64AVX2
		sumSqDev64Kernel = sumSqDev64AVX2
		affine64Kernel = affine64AVX2
		sumDyDyDev64Kernel = sumDyDyDev64AVX2
		affine2Acc64Kernel = affine2Acc64AVX2
	}
}

// The instance norm's plane passes in AVX2 assembly (instancenorm_amd64.s),
// each the Go function of the same name without "AVX2" for n a positive
// multiple of 16.

//go:noescape
func sum64AVX2(x *float32, n int) float64

//go:noescape
func sumSqDev64AVX2(x *float32, n int, mu float64) float64

//go:noescape
func affine64AVX2(x, y *float32, n int, s, t float64)

//go:noescape
func sumDyDyDev64AVX2(x, dy *float32, n int, mu float64) (sd, sdx float64)

//go:noescape
func affine2Acc64AVX2(dy, x, dx *float32, n int, a, b, c float64)
