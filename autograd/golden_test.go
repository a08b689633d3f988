package autograd_test

import (
	"strconv"
	"strings"
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// goldenRtol is the agreement asked of float32 results against PyTorch.
const goldenRtol = 1e-4

func param(t *testing.T, c *golden.Case, key string) *Var {
	x := c.Get(t, key)
	return Param(tensor.FromSlice(x.Data, x.Shape...))
}

func metaInt(t *testing.T, c *golden.Case, key string) int {
	n, err := strconv.Atoi(c.Meta(key))
	require.NoError(t, err, "%s: metadata %q", c.Name, key)
	return n
}

// runGolden applies f, back-propagates the case's dy and compares y and
// the gradient of every named input ("x" -> "dx").
func runGolden(t *testing.T, c *golden.Case, f func() *Var, inputs map[string]*Var) {
	t.Helper()
	y := f()
	c.Compare(t, "y", y.Shape(), y.Value.Data(), goldenRtol)
	dy := c.Get(t, "dy")
	BackwardWith(y, tensor.FromSlice(dy.Data, dy.Shape...))
	for name, v := range inputs {
		require.NotNil(t, v.Grad, "no gradient reached %s", name)
		c.Compare(t, "d"+name, v.Shape(), v.Grad.Data(), goldenRtol)
	}
}

func TestGoldenConv2d(t *testing.T) {
	for _, name := range []string{"conv2d_k3s1p1", "conv2d_k3s2p1", "conv2d_k7s1p0", "conv2d_k4s2p1", "conv2d_k1s1p0", "conv2d_k4s1p1_nobias"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			in := map[string]*Var{"x": param(t, c, "x"), "weight": param(t, c, "weight")}
			var b *Var
			if c.Has("bias") {
				b = param(t, c, "bias")
				in["bias"] = b
			}
			o := tensor.ConvOpts{Stride: metaInt(t, c, "stride"), Padding: metaInt(t, c, "padding")}
			runGolden(t, c, func() *Var { return Conv2d(in["x"], in["weight"], b, o) }, in)
		})
	}
}

func TestGoldenConvTranspose2d(t *testing.T) {
	for _, name := range []string{"conv_transpose2d_k3s2p1op1", "conv_transpose2d_k3s2p1op0", "conv_transpose2d_k4s2p1op0"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			in := map[string]*Var{"x": param(t, c, "x"), "weight": param(t, c, "weight"), "bias": param(t, c, "bias")}
			o := tensor.ConvOpts{Stride: metaInt(t, c, "stride"), Padding: metaInt(t, c, "padding"), OutputPadding: metaInt(t, c, "output_padding")}
			runGolden(t, c, func() *Var { return ConvTranspose2d(in["x"], in["weight"], in["bias"], o) }, in)
		})
	}
}

func TestGoldenInstanceNorm(t *testing.T) {
	for _, name := range []string{"instance_norm", "instance_norm_affine"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			in := map[string]*Var{"x": param(t, c, "x")}
			var g, b *Var
			if c.Has("weight") {
				g, b = param(t, c, "weight"), param(t, c, "bias")
				in["weight"], in["bias"] = g, b
			}
			runGolden(t, c, func() *Var { return InstanceNorm(in["x"], g, b, 1e-5) }, in)
		})
	}
}

func TestGoldenPad(t *testing.T) {
	for _, name := range []string{"reflection_pad_3333", "reflection_pad_1231", "zero_pad_1231"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			var p [4]int
			for i, s := range strings.Split(c.Meta("pad"), ",") {
				n, err := strconv.Atoi(s)
				require.NoError(t, err)
				p[i] = n
			}
			pd := tensor.Padding{Left: p[0], Right: p[1], Top: p[2], Bottom: p[3], Reflect: c.Meta("mode") == "reflect"}
			in := map[string]*Var{"x": param(t, c, "x")}
			runGolden(t, c, func() *Var { return Pad2d(in["x"], pd) }, in)
		})
	}
}

func TestGoldenActivations(t *testing.T) {
	for name, f := range map[string]func(*Var) *Var{
		"relu":       ReLU,
		"leaky_relu": func(x *Var) *Var { return LeakyReLU(x, 0.2) },
		"tanh":       Tanh,
		"sigmoid":    Sigmoid,
	} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			in := map[string]*Var{"x": param(t, c, "x")}
			runGolden(t, c, func() *Var { return f(in["x"]) }, in)
		})
	}
}

func TestGoldenLosses(t *testing.T) {
	for name, f := range map[string]func(a, b *Var) *Var{"l1_loss": L1Loss, "mse_loss": MSELoss} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			in := map[string]*Var{"x": param(t, c, "x"), "target": param(t, c, "target")}
			runGolden(t, c, func() *Var { return f(in["x"], in["target"]) }, in)
		})
	}
}

func TestGoldenBroadcastChain(t *testing.T) {
	c := golden.Load(t, "linear_chain")
	in := map[string]*Var{"a": param(t, c, "a"), "b": param(t, c, "b"), "c": param(t, c, "c")}
	a, b, cc := in["a"], in["b"], in["c"]
	// y = (a*b + c) - a/(b*b + 1)
	runGolden(t, c, func() *Var { return Sub(Add(Mul(a, b), cc), Div(a, AddScalar(Mul(b, b), 1))) }, in)
}
