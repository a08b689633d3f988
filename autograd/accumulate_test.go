package autograd_test

import (
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// TestGradAccumulatesIntoSharedInput checks every op whose input also
// reaches the loss along a second path that the backward pass walks first:
// an op that overwrote its input's gradient instead of adding to it would
// lose that path's contribution and fail the check.
func TestGradAccumulatesIntoSharedInput(t *testing.T) {
	rng := tensor.NewRNG(12)
	w := Const(tensor.Normal(rng, 0, 0.5, 4, 3, 3, 3))
	wt := Const(tensor.Normal(rng, 0, 0.5, 3, 2, 3, 3))
	k := Const(tensor.Normal(rng, 0, 1, 2, 3, 6))
	v := Const(tensor.Normal(rng, 0, 1, 2, 4, 6))
	m := Const(tensor.Normal(rng, 0, 1, 2, 5, 3))
	// The L1 target is zero so that awayFromZero keeps |x - target|'s kink
	// outside the finite-difference step.
	zero := Const(tensor.Zeros(2, 3, 5))
	target := Const(tensor.Normal(rng, 0, 1, 2, 3, 5))
	ops := []struct {
		name  string
		shape []int
		f     func(x *Var) *Var
	}{
		{"conv2d", []int{2, 3, 5, 4}, func(x *Var) *Var { return Conv2d(x, w, nil, tensor.ConvOpts{Padding: 1}) }},
		{"conv_transpose2d", []int{2, 3, 3, 4}, func(x *Var) *Var {
			return ConvTranspose2d(x, wt, nil, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1})
		}},
		{"pad", []int{2, 3, 5, 4}, func(x *Var) *Var { return Pad2d(x, tensor.Padding{Left: 1, Top: 2, Reflect: true}) }},
		{"instance_norm", []int{2, 3, 5, 4}, func(x *Var) *Var { return InstanceNorm(x, nil, nil, 1e-5) }},
		{"attention", []int{2, 3, 5}, func(x *Var) *Var { return Attention(x, k, v, 1) }},
		{"matmul", []int{2, 3, 5}, func(x *Var) *Var { return MatMul(x, m, false, false) }},
		{"softmax", []int{2, 3, 5}, func(x *Var) *Var { return Softmax(x) }},
		{"tanh", []int{2, 3, 5}, Tanh},
		{"l1", []int{2, 3, 5}, func(x *Var) *Var { return L1Loss(x, zero) }},
		{"mse", []int{2, 3, 5}, func(x *Var) *Var { return MSELoss(x, target) }},
		{"mean", []int{2, 3, 5}, Mean},
		{"reshape", []int{2, 3, 5}, func(x *Var) *Var { return Reshape(x, 6, 5) }},
	}
	for i, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			// Each case draws from its own generator so its input does not
			// depend on which cases ran before it.
			x := Param(awayFromZero(tensor.NewRNG(uint64(100+i)), 0.05, op.shape...))
			f := func(in []*Var) *Var {
				// Add's first input is walked last in reverse order.
				return Add(Sum(Tanh(op.f(in[0]))), Sum(Scale(in[0], 0.5)))
			}
			check(t, f, GradCheckOptions{Eps: 3e-3, Atol: 2e-3, Rtol: 2e-2, Seed: 5}, x)
		})
	}
}
