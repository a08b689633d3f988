//go:build cuda || cudaemu

package cuda

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// Adam applies one Adam step to param using grad, updating the moments m
// and v in place (see kernels.AdamParams). It panics if the lengths differ,
// Step < 1 or a hyper-parameter is out of range.
func (be *Backend) Adam(p kernels.AdamParams, param, grad, m, v kernels.Buffer) {
	const fn = "Adam"
	pb, gb, mb, vb := be.unwrap(fn, param), be.unwrap(fn, grad), be.unwrap(fn, m), be.unwrap(fn, v)
	must(fn, p.Check(ln(pb), ln(gb), ln(mb), ln(vb)))
	n := pb.n
	checkInt32(fn, n)
	if n == 0 {
		return
	}
	// As the CPU backend: bias corrections in float64, 1-beta in float64
	// from the float32 hyper-parameter.
	bc1 := 1 - math.Pow(float64(p.Beta1), float64(p.Step))
	bc2 := 1 - math.Pow(float64(p.Beta2), float64(p.Step))
	step, sqrtBc2 := float32(float64(p.LR)/bc1), float32(math.Sqrt(bc2))
	c1, c2 := float32(1-float64(p.Beta1)), float32(1-float64(p.Beta2))
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchAdam(fn, blocksFor(n), block1(n), 0, ptr(pb), ptr(gb), ptr(mb), ptr(vb), step, sqrtBc2, p.Beta1,
		p.Beta2, c1, c2, p.Eps, n)
}
