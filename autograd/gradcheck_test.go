package autograd

import (
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// wrongTanh is tanh with a deliberately wrong derivative (y instead of
// 1-y^2), to show that GradCheck fails on a wrong backward.
func wrongTanh(x *Var) *Var {
	y := tensor.Apply(kernels.Tanh, 0, x.Value)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.AddScaledAcc(1, tensor.Mul(dy, y), x.grad())
	})
}

// overwritingAdd is a + b whose backward overwrites a's gradient instead of
// accumulating into it: wrong whenever a is used twice.
func overwritingAdd(a, b *Var) *Var {
	y := tensor.Add(a.Value, b.Value)
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		a.grad().CopyFrom(dy)
		tensor.AddScaledAcc(1, dy, b.grad())
	})
}

func TestGradCheckCatchesWrongBackward(t *testing.T) {
	rng := tensor.NewRNG(7)
	x := Param(tensor.Normal(rng, 0, 1, 2, 3, 5))
	require.NoError(t, GradCheck(func(in []*Var) *Var { return Tanh(in[0]) }, []*Var{x}, DefaultGradCheck))
	err := GradCheck(func(in []*Var) *Var { return wrongTanh(in[0]) }, []*Var{x}, DefaultGradCheck)
	require.Error(t, err)
	require.Contains(t, err.Error(), "gradient mismatch")

	// y reaches the output along two paths; the Scale path is walked first,
	// so a backward that overwrites instead of accumulating loses it.
	c := Const(tensor.Normal(rng, 0, 1, 3, 4))
	twice := func(add func(a, b *Var) *Var) func(in []*Var) *Var {
		return func(in []*Var) *Var { return Add(add(in[0], c), Scale(in[0], 3)) }
	}
	y := Param(tensor.Normal(rng, 0, 1, 3, 4))
	require.NoError(t, GradCheck(twice(Add), []*Var{y}, DefaultGradCheck))
	require.Error(t, GradCheck(twice(overwritingAdd), []*Var{y}, DefaultGradCheck))
}

func TestGradCheckNeedsAGradient(t *testing.T) {
	x := Const(tensor.Full(1, 3))
	require.Error(t, GradCheck(func(in []*Var) *Var { return Tanh(in[0]) }, []*Var{x}, DefaultGradCheck))
}

// avgPoolCountingPadding is AvgPool2d excluding the padding from the
// average whose backward divides by the whole window instead, the mistake
// of confusing count_include_pad=False with the default: wrong at the
// border only.
func avgPoolCountingPadding(x *Var, o tensor.PoolOpts) *Var {
	y := tensor.AvgPool2d(x.Value, o)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		wrong := o
		wrong.CountIncludePad = true
		tensor.AvgPool2dBackwardAcc(x.Value, wrong, dy, x.grad())
	})
}

func TestGradCheckCatchesWrongPoolBackward(t *testing.T) {
	o := tensor.PoolOpts{Kernel: 3, Stride: 1, Padding: 1}
	x := Param(tensor.Normal(tensor.NewRNG(8), 0, 1, 2, 3, 5, 4))
	require.NoError(t, GradCheck(func(in []*Var) *Var { return AvgPool2d(in[0], o) }, []*Var{x}, DefaultGradCheck))
	err := GradCheck(func(in []*Var) *Var { return avgPoolCountingPadding(in[0], o) }, []*Var{x}, DefaultGradCheck)
	require.Error(t, err)
	require.Contains(t, err.Error(), "gradient mismatch")
}
