//go:build !noasm

package cpu

func init() {
	if useAVX2 {
		reluBackwardKernel = reluBackwardAVX2
		leakyReLUBackwardKernel = leakyReLUBackwardAVX2
		leakyReLUKernel = leakyReLUAVX2
		reluKernel = reluAVX2
		scoreGradKernel = scoreGradAVX2
	}
}

// reluBackwardAVX2 is the ReLU case of UnaryBackward in AVX2 assembly
// (elementwise_amd64.s) for n a positive multiple of 16.
//
//go:noescape
func reluBackwardAVX2(x, dy, dx *float32, n int)

// leakyReLUBackwardAVX2 is the LeakyReLU case of UnaryBackward in AVX2
// assembly for n a positive multiple of 16.
//
//go:noescape
func leakyReLUBackwardAVX2(x, dy, dx *float32, n int, alpha float32)

// leakyReLUAVX2 is the LeakyReLU case of Unary in AVX2 assembly for n a
// positive multiple of 16.
//
//go:noescape
func leakyReLUAVX2(x, y *float32, n int, alpha float32)

// scoreGradAVX2 is scoreGrad in AVX2 assembly for n a positive multiple
// of 16.
//
//go:noescape
func scoreGradAVX2(p, dp *float32, n int, d float32)

// reluAVX2 is the ReLU case of Unary in AVX2 assembly for n a positive
// multiple of 16.
//
//go:noescape
func reluAVX2(x, y *float32, n int)
