package autograd_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// distinct returns a tensor of the given shape whose values are a random
// permutation of a grid spaced 0.1 apart, so that no two values in a max
// pool window are within the finite-difference step of each other.
func distinct(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	x := tensor.Uniform(rng, 0, 1, shape...).Data()
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	// Rank the random values: element i gets 0.1 * (its rank) - offset.
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	out := make([]float32, len(x))
	for r, i := range order {
		out[i] = 0.1*float32(r) - 0.05*float32(len(x))
	}
	return tensor.FromSlice(out, shape...)
}

func TestGradPool(t *testing.T) {
	rng := tensor.NewRNG(12)
	for _, o := range []tensor.PoolOpts{
		{Kernel: 3, Stride: 1, Padding: 1},
		{Kernel: 3, Stride: 1, Padding: 1, CountIncludePad: true},
		{Kernel: 3, Stride: 2},
		{Kernel: 2, Stride: 1},
	} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			x := Param(distinct(rng, 2, 3, 6, 5))
			check(t, func(in []*Var) *Var { return MaxPool2d(in[0], o) }, DefaultGradCheck, x)
			check(t, func(in []*Var) *Var { return AvgPool2d(in[0], o) }, DefaultGradCheck, x)
		})
	}
}

func TestGradGlobalAvgPoolConcat(t *testing.T) {
	rng := tensor.NewRNG(13)
	x := Param(tensor.Normal(rng, 0, 1, 2, 3, 4, 5))
	check(t, func(in []*Var) *Var { return GlobalAvgPool2d(in[0]) }, DefaultGradCheck, x)

	a := Param(tensor.Normal(rng, 0, 1, 2, 3, 4, 5))
	b := Const(tensor.Normal(rng, 0, 1, 2, 1, 4, 5))
	c := Param(tensor.Normal(rng, 0, 1, 2, 2, 4, 5))
	// a is used twice, so its gradient must accumulate across both parts.
	check(t, func(in []*Var) *Var { return Tanh(Concat(1, in[0], in[1], in[2], in[0])) }, DefaultGradCheck, a, b, c)
	check(t, func(in []*Var) *Var { return Concat(3, in[0], in[0]) }, DefaultGradCheck, a)
}
