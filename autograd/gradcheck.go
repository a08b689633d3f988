package autograd

import (
	"fmt"
	"math"
	"strings"

	"github.com/semgan/semgan/tensor"
)

// GradCheckOptions sets the finite-difference step and the tolerance of
// GradCheck. An analytic gradient g passes against the numeric estimate n
// when |g - n| <= Atol + Rtol*|n|.
type GradCheckOptions struct {
	Eps, Atol, Rtol float64
	// Seed chooses the random projection of the output.
	Seed uint64
}

// DefaultGradCheck suits float32 operations of moderate curvature.
var DefaultGradCheck = GradCheckOptions{Eps: 1e-2, Atol: 1e-3, Rtol: 1e-2, Seed: 1}

// GradCheck compares the analytic gradients of f with central differences.
//
// f maps the inputs to an output of any shape; the checked scalar is
// L = sum(f(inputs) * r) for a fixed random r, so every output element
// contributes with its own weight. For each element of each input that
// requires a gradient, the numeric estimate (L(x+eps) - L(x-eps)) / (2 eps)
// is computed in float64 from the float32 outputs. The returned error lists
// the worst mismatches; nil means every element passed. f must be
// deterministic.
func GradCheck(f func(in []*Var) *Var, inputs []*Var, opt GradCheckOptions) error {
	for _, in := range inputs {
		in.ZeroGrad()
	}
	out := f(inputs)
	r := tensor.Normal(tensor.NewRNG(opt.Seed), 0, 1, out.Shape()...)
	if !out.RequiresGrad() {
		return fmt.Errorf("autograd: GradCheck: the output does not depend on any input that requires a gradient")
	}
	BackwardWith(out, r)
	weights := r.Data()
	loss := func() float64 {
		var y []float32
		NoGrad(func() { y = f(inputs).Value.Data() })
		var s float64
		for i, v := range y {
			s += float64(v) * float64(weights[i])
		}
		return s
	}

	var bad []string
	worst := 0.0
	checked := 0
	for k, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		var analytic []float32
		if in.Grad != nil {
			analytic = in.Grad.Data()
		} else {
			analytic = make([]float32, in.Value.Len())
		}
		x := in.Value.Data()
		for i := range x {
			orig := x[i]
			x[i] = orig + float32(opt.Eps)
			in.Value.SetData(x)
			plus := loss()
			x[i] = orig - float32(opt.Eps)
			in.Value.SetData(x)
			minus := loss()
			x[i] = orig
			in.Value.SetData(x)
			// The step actually taken in float32 may differ from Eps.
			h := float64(orig+float32(opt.Eps)) - float64(orig-float32(opt.Eps))
			numeric := (plus - minus) / h
			diff := math.Abs(float64(analytic[i]) - numeric)
			excess := diff / (opt.Atol + opt.Rtol*math.Abs(numeric))
			worst = max(worst, excess)
			checked++
			if excess > 1 || math.IsNaN(diff) {
				if len(bad) < 8 {
					bad = append(bad, fmt.Sprintf("input %d element %d: analytic %.6g, numeric %.6g", k, i, analytic[i], numeric))
				}
			}
		}
	}
	if checked == 0 {
		return fmt.Errorf("autograd: GradCheck: no input requires a gradient")
	}
	if len(bad) > 0 {
		return fmt.Errorf("autograd: GradCheck: gradient mismatch (worst %.3g times the tolerance) at\n  %s", worst, strings.Join(bad, "\n  "))
	}
	return nil
}
