package autograd_test

import (
	"fmt"
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// awayFromZero returns normal values shifted away from 0 by at least gap, so
// that the kinks of ReLU and |x| lie outside the finite-difference step.
func awayFromZero(rng *tensor.RNG, gap float32, shape ...int) *tensor.Tensor {
	d := tensor.Normal(rng, 0, 1, shape...).Data()
	for i, v := range d {
		if v >= 0 {
			d[i] = v + gap
		} else {
			d[i] = v - gap
		}
	}
	return tensor.FromSlice(d, shape...)
}

func check(t *testing.T, f func(in []*Var) *Var, opt GradCheckOptions, inputs ...*Var) {
	t.Helper()
	require.NoError(t, GradCheck(f, inputs, opt))
}

func TestGradUnary(t *testing.T) {
	rng := tensor.NewRNG(1)
	for _, tc := range []struct {
		name string
		f    func(*Var) *Var
	}{
		{"relu", ReLU},
		{"leaky_relu", func(x *Var) *Var { return LeakyReLU(x, 0.2) }},
		{"tanh", Tanh},
		{"sigmoid", Sigmoid},
		{"scale", func(x *Var) *Var { return Scale(x, -1.7) }},
		{"add_scalar", func(x *Var) *Var { return AddScalar(x, 0.3) }},
		{"reshape", func(x *Var) *Var { return Tanh(Reshape(x, 5, -1)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := Param(awayFromZero(rng, 0.05, 2, 3, 5))
			check(t, func(in []*Var) *Var { return tc.f(in[0]) }, DefaultGradCheck, x)
		})
	}
}

func TestGradBinaryBroadcast(t *testing.T) {
	rng := tensor.NewRNG(2)
	for _, tc := range []struct {
		name string
		op   func(a, b *Var) *Var
	}{{"add", Add}, {"sub", Sub}, {"mul", Mul}, {"div", Div}} {
		name, op := tc.name, tc.op
		for _, bShape := range [][]int{{2, 3, 5, 7}, {1, 3, 1, 1}, {3, 1, 1}, {7}, {1}, {2, 1, 5, 1}} {
			t.Run(fmt.Sprintf("%s_%v", name, bShape), func(t *testing.T) {
				a := Param(tensor.Normal(rng, 0, 1, 2, 3, 5, 7))
				b := Param(awayFromZero(rng, 0.5, bShape...)) // keep 1/b tame for div
				check(t, func(in []*Var) *Var { return op(in[0], in[1]) }, DefaultGradCheck, a, b)
			})
		}
	}
}

func TestGradConv2d(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, tc := range []struct {
		k    int
		opts tensor.ConvOpts
		bias bool
	}{
		{3, tensor.ConvOpts{Stride: 1, Padding: 1}, true},
		{3, tensor.ConvOpts{Stride: 2, Padding: 1}, true},
		{4, tensor.ConvOpts{Stride: 2, Padding: 1}, false},
		{1, tensor.ConvOpts{}, true},
		{5, tensor.ConvOpts{Stride: 1, Padding: 0}, true},
	} {
		t.Run(fmt.Sprintf("k%d_%+v_bias%v", tc.k, tc.opts, tc.bias), func(t *testing.T) {
			x := Param(tensor.Normal(rng, 0, 1, 2, 3, 7, 6))
			w := Param(tensor.Normal(rng, 0, 0.5, 5, 3, tc.k, tc.k))
			inputs := []*Var{x, w, nil}
			if tc.bias {
				inputs[2] = Param(tensor.Normal(rng, 0, 1, 5))
			}
			f := func(in []*Var) *Var { return Conv2d(in[0], in[1], in[2], tc.opts) }
			if !tc.bias {
				inputs = inputs[:2]
				f = func(in []*Var) *Var { return Conv2d(in[0], in[1], nil, tc.opts) }
			}
			check(t, f, DefaultGradCheck, inputs...)
		})
	}
}

func TestGradConvTranspose2d(t *testing.T) {
	rng := tensor.NewRNG(4)
	for _, tc := range []struct {
		k    int
		opts tensor.ConvOpts
	}{
		{3, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}},
		{3, tensor.ConvOpts{Stride: 2, Padding: 1}},
		{4, tensor.ConvOpts{Stride: 2, Padding: 1}},
		{3, tensor.ConvOpts{Stride: 1, Padding: 1}},
	} {
		t.Run(fmt.Sprintf("k%d_%+v", tc.k, tc.opts), func(t *testing.T) {
			x := Param(tensor.Normal(rng, 0, 1, 2, 5, 4, 3))
			w := Param(tensor.Normal(rng, 0, 0.5, 5, 3, tc.k, tc.k))
			b := Param(tensor.Normal(rng, 0, 1, 3))
			check(t, func(in []*Var) *Var { return ConvTranspose2d(in[0], in[1], in[2], tc.opts) }, DefaultGradCheck, x, w, b)
		})
	}
}

func TestGradPad2d(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, pd := range []tensor.Padding{
		{Left: 1, Right: 2, Top: 3, Bottom: 1, Reflect: true},
		{Left: 3, Right: 3, Top: 3, Bottom: 3, Reflect: true},
		{Left: 1, Right: 2, Top: 0, Bottom: 2},
	} {
		t.Run(fmt.Sprintf("%+v", pd), func(t *testing.T) {
			x := Param(tensor.Normal(rng, 0, 1, 2, 3, 5, 4))
			check(t, func(in []*Var) *Var { return Pad2d(in[0], pd) }, DefaultGradCheck, x)
		})
	}
}

func TestGradInstanceNorm(t *testing.T) {
	rng := tensor.NewRNG(6)
	// Normalisation divides by a standard deviation estimated from few
	// elements; a smaller step keeps the central difference accurate.
	opt := GradCheckOptions{Eps: 3e-3, Atol: 2e-3, Rtol: 2e-2, Seed: 1}
	x := Param(tensor.Normal(rng, 0.5, 2, 2, 3, 5, 7))
	check(t, func(in []*Var) *Var { return InstanceNorm(in[0], nil, nil, 1e-5) }, opt, x)
	g := Param(tensor.Normal(rng, 1, 0.5, 3))
	b := Param(tensor.Normal(rng, 0, 1, 3))
	check(t, func(in []*Var) *Var { return InstanceNorm(in[0], in[1], in[2], 1e-5) }, opt, x, g, b)
}

func TestGradAttention(t *testing.T) {
	rng := tensor.NewRNG(7)
	for _, scale := range []float32{1, 0.35} {
		q := Param(tensor.Normal(rng, 0, 1, 2, 3, 7))
		k := Param(tensor.Normal(rng, 0, 1, 2, 3, 9))
		v := Param(tensor.Normal(rng, 0, 1, 2, 5, 9))
		check(t, func(in []*Var) *Var { return Attention(in[0], in[1], in[2], scale) }, DefaultGradCheck, q, k, v)
	}
	// Gradients still reach q when k and v are constants.
	q := Param(tensor.Normal(rng, 0, 1, 1, 2, 5))
	k := Const(tensor.Normal(rng, 0, 1, 1, 2, 6))
	v := Const(tensor.Normal(rng, 0, 1, 1, 3, 6))
	check(t, func(in []*Var) *Var { return Attention(in[0], in[1], in[2], 1) }, DefaultGradCheck, q, k, v)
}

func TestAttentionMatchesUnfused(t *testing.T) {
	rng := tensor.NewRNG(8)
	q := Param(tensor.Normal(rng, 0, 2, 2, 4, 11))
	k := Param(tensor.Normal(rng, 0, 2, 2, 4, 13))
	v := Param(tensor.Normal(rng, 0, 1, 2, 6, 13))
	fused := Attention(q, k, v, 0.5)
	plain := MatMul(v, Softmax(Scale(MatMul(q, k, true, false), 0.5)), false, true)
	require.InDeltaSlice(t, plain.Value.Data(), fused.Value.Data(), 1e-5)
}

func TestGradMatMulSoftmax(t *testing.T) {
	rng := tensor.NewRNG(9)
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			t.Run(fmt.Sprintf("ta%v_tb%v", ta, tb), func(t *testing.T) {
				ash, bsh := []int{2, 3, 5}, []int{2, 5, 4}
				if ta {
					ash = []int{2, 5, 3}
				}
				if tb {
					bsh = []int{2, 4, 5}
				}
				a := Param(tensor.Normal(rng, 0, 1, ash...))
				b := Param(tensor.Normal(rng, 0, 1, bsh...))
				check(t, func(in []*Var) *Var { return Softmax(MatMul(in[0], in[1], ta, tb)) }, DefaultGradCheck, a, b)
			})
		}
	}
	a := Param(tensor.Normal(rng, 0, 1, 3, 5))
	b := Param(tensor.Normal(rng, 0, 1, 5, 2))
	check(t, func(in []*Var) *Var { return MatMul(in[0], in[1], false, false) }, DefaultGradCheck, a, b)
}

func TestGradReductions(t *testing.T) {
	rng := tensor.NewRNG(10)
	a := Param(tensor.Normal(rng, 0, 1, 2, 3, 5))
	check(t, func(in []*Var) *Var { return Sum(in[0]) }, DefaultGradCheck, a)
	check(t, func(in []*Var) *Var { return Mean(in[0]) }, DefaultGradCheck, a)
	b := Param(tensor.Normal(rng, 0, 1, 2, 3, 5))
	d := Param(tensor.Add(b.Value, awayFromZero(rng, 0.05, 2, 3, 5))) // |d - b| >= 0.05
	check(t, func(in []*Var) *Var { return L1Loss(in[0], in[1]) }, DefaultGradCheck, d, b)
	check(t, func(in []*Var) *Var { return MSELoss(in[0], in[1]) }, DefaultGradCheck, a, b)
}

// TestGradComposite checks a chain in which one input is used several
// times, so every backward must accumulate rather than overwrite.
func TestGradComposite(t *testing.T) {
	rng := tensor.NewRNG(11)
	x := Param(tensor.Normal(rng, 0, 1, 2, 3, 4, 5))
	w := Param(tensor.Normal(rng, 0, 0.5, 3, 3, 3, 3))
	f := func(in []*Var) *Var {
		pad := tensor.Padding{Left: 1, Right: 1, Top: 1, Bottom: 1, Reflect: true}
		h := Conv2d(Pad2d(in[0], pad), in[1], nil, tensor.ConvOpts{})
		h = InstanceNorm(h, nil, nil, 1e-5)
		h = Add(in[0], Mul(Tanh(h), in[0]))
		return MSELoss(h, Sigmoid(in[0]))
	}
	check(t, f, GradCheckOptions{Eps: 3e-3, Atol: 1e-3, Rtol: 2e-2, Seed: 3}, x, w)
}

func TestGradAddMul(t *testing.T) {
	rng := tensor.NewRNG(11)
	a := Param(tensor.Normal(rng, 0, 1, 2, 3, 2, 2))
	b := Param(tensor.Normal(rng, 0, 1, 2, 3, 2, 2))
	for _, shape := range [][]int{{1}, {3, 1, 1}, {2, 3, 2, 2}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			c := Param(tensor.Normal(rng, 0, 1, shape...))
			check(t, func(in []*Var) *Var { return AddMul(in[0], in[1], in[2]) }, DefaultGradCheck, a, b, c)
			// The same values as the two ops it fuses.
			require.Equal(t, Add(a, Mul(b, c)).Value.Data(), AddMul(a, b, c).Value.Data())
		})
	}
}
