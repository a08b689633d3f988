package cpu

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// Adam applies one step of Adam, as torch.optim.Adam without weight decay
// or amsgrad, to param using grad, updating the moments m and v in place:
//
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g^2
//	param -= LR/bc1 * m / (sqrt(v)/sqrt(bc2) + Eps)
//
// with the bias corrections bc1 = 1-Beta1^Step and bc2 = 1-Beta2^Step
// computed in float64, and the per-element arithmetic in float32 in
// PyTorch's order. Adam panics if the lengths differ, Step < 1 or a
// hyper-parameter is out of range.
func Adam(p kernels.AdamParams, param, grad, m, v []float32) {
	const fn = "Adam"
	must(fn, p.Check(ln(param), ln(grad), ln(m), ln(v)))
	n := len(param)
	bc1 := 1 - math.Pow(float64(p.Beta1), float64(p.Step))
	bc2 := 1 - math.Pow(float64(p.Beta2), float64(p.Step))
	step := float32(float64(p.LR) / bc1)
	sqrtBc2 := float32(math.Sqrt(bc2))
	b1, b2 := p.Beta1, p.Beta2
	// 1-Beta as PyTorch computes it: in float64 from the float hyper-parameter.
	c1, c2 := float32(1-float64(b1)), float32(1-float64(b2))
	eps := p.Eps
	consts := adamConsts{b1, c1, b2, c2, sqrtBc2, eps, step}
	parallelFor(n, elemMinChunk, func(lo, hi int) {
		ps, gs, ms, vs := param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi]
		gs, ms, vs = gs[:len(ps)], ms[:len(ps)], vs[:len(ps)]
		if k := len(ps) &^ 7; adamKernel != nil && k > 0 {
			adamKernel(&ps[0], &gs[0], &ms[0], &vs[0], k, &consts)
			ps, gs, ms, vs = ps[k:], gs[k:], ms[k:], vs[k:]
		}
		for i, g := range gs {
			mi := ms[i]*b1 + g*c1
			vi := vs[i]*b2 + c2*g*g
			ms[i], vs[i] = mi, vi
			denom := float32(math.Sqrt(float64(vi)))/sqrtBc2 + eps
			ps[i] -= step * (mi / denom)
		}
	})
}

// adamConsts are the per-step constants of Adam's loop, in the order
// adamKernel reads them: b1, c1 = 1-b1, b2, c2 = 1-b2, sqrt(bc2), eps and
// step = LR/bc1.
type adamConsts [7]float32

// adamKernel is Adam's loop in assembly where the CPU has it
// (adam_amd64.go), nil otherwise; it takes the leading multiple of 8
// elements and gives the bits the Go loop gives.
var adamKernel func(param, grad, m, v *float32, n int, c *adamConsts)
