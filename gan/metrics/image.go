package metrics

import "fmt"

// Image is a planar float32 image: Pix holds C planes of H rows of W values, so the
// value of channel c at row i, column j is Pix[(c*H+i)*W+j]. Values are expected in
// [-1, 1]. It has the same fields as the data package's Image, so callers convert by
// field.
type Image struct {
	C, H, W int
	Pix     []float32
}

// check panics unless img has positive dimensions and len(Pix) == C*H*W.
func (img Image) check(op string) {
	if img.C <= 0 || img.H <= 0 || img.W <= 0 || len(img.Pix) != img.C*img.H*img.W {
		panic(fmt.Sprintf("metrics: %s: image [%d %d %d] with %d values", op, img.C, img.H, img.W, len(img.Pix)))
	}
}

// checkPair panics unless a and b are valid images of the same shape.
func checkPair(op string, a, b Image) {
	a.check(op)
	b.check(op)
	if a.C != b.C || a.H != b.H || a.W != b.W {
		panic(fmt.Sprintf("metrics: %s: shapes [%d %d %d] vs [%d %d %d]", op, a.C, a.H, a.W, b.C, b.H, b.W))
	}
}

// checkMask panics unless mask has one value per pixel of img.
func checkMask(op string, img Image, mask []float32) {
	if len(mask) != img.H*img.W {
		panic(fmt.Sprintf("metrics: %s: mask of %d values for image [%d %d %d]", op, len(mask), img.C, img.H, img.W))
	}
}
