//go:build !noasm

package cpu

func init() {
	if useAVX2 {
		bt6Kernel = bt6AVX2
		at6Kernel = at6AVX2
		gt6Kernel = gt6AVX2
	}
}

// bt6AVX2 is bt6Rows in AVX2 assembly (winograd_amd64.s) for n a
// positive multiple of 8.
//
//go:noescape
func bt6AVX2(src, dst *[6]*float32, n int)

// at6AVX2 is at6Rows in AVX2 assembly for n a positive multiple of 8.
//
//go:noescape
func at6AVX2(src, dst *[6]*float32, n int)

// gt6AVX2 is gt6Rows in AVX2 assembly for n a positive multiple of 8.
//
//go:noescape
func gt6AVX2(src, dst *[6]*float32, n int)
