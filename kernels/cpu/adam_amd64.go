//go:build !noasm

package cpu

func init() {
	if useAVX2 {
		adamKernel = adamAVX2
	}
}

// adamAVX2 is the loop of Adam in AVX2 assembly (adam_amd64.s), giving the
// same bits as the Go loop, for n a positive multiple of 8.
//
//go:noescape
func adamAVX2(param, grad, m, v *float32, n int, c *adamConsts)
