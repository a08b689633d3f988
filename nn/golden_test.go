package nn_test

import (
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

const goldenRtol = 1e-4

func tensorOf(t *testing.T, c *golden.Case, key string) *tensor.Tensor {
	x := c.Get(t, key)
	return tensor.FromSlice(x.Data, x.Shape...)
}

// RunModuleGolden loads the case's "param.*" tensors into m, runs it on
// "x", back-propagates "dy" and compares "y", "dx" and every "grad.*".
func runModuleGolden(t *testing.T, c *golden.Case, m nn.Module) {
	t.Helper()
	sd := map[string]*tensor.Tensor{}
	for _, k := range c.Keys() {
		sd[k] = tensorOf(t, c, "param."+k)
	}
	require.NoError(t, nn.LoadStateDict(m, sd))
	x := autograd.Param(tensorOf(t, c, "x"))
	y := m.Forward(x)
	c.Compare(t, "y", y.Shape(), y.Value.Data(), goldenRtol)
	autograd.BackwardWith(y, tensorOf(t, c, "dy"))
	c.Compare(t, "dx", x.Shape(), x.Grad.Data(), goldenRtol)
	for _, p := range m.Parameters() {
		require.NotNil(t, p.Var.Grad, p.Name)
		c.Compare(t, "grad."+p.Name, p.Var.Value.Shape(), p.Var.Grad.Data(), goldenRtol)
	}
}

func TestGoldenSelfAttention(t *testing.T) {
	for _, name := range []string{"self_attention", "self_attention_out"} {
		for _, unfused := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				c := golden.Load(t, name)
				a := nn.NewSelfAttention2d(tensor.NewRNG(1), 16, c.Has("param.v.weight"))
				a.Unfused = unfused
				runModuleGolden(t, c, a)
			})
		}
	}
}

func TestGoldenAdam(t *testing.T) {
	for _, name := range []string{"adam", "adam_lr1e3"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			p := autograd.Param(tensorOf(t, c, "param0"))
			var lr float32 = 2e-4
			if name == "adam_lr1e3" {
				lr = 1e-3
			}
			opt := nn.NewAdam([]nn.ParamGroup{{Params: []nn.Param{{Name: "p", Var: p}}, LR: lr}}, 0.5, 0.999)
			for step, g := range []string{"grad1", "grad2"} {
				p.Grad = tensorOf(t, c, g)
				opt.Step()
				c.Compare(t, []string{"param1", "param2"}[step], p.Shape(), p.Value.Data(), 1e-5)
			}
			sd := opt.StateDict()
			c.Compare(t, "exp_avg2", p.Shape(), sd["0.p.exp_avg"].Data(), 1e-5)
			c.Compare(t, "exp_avg_sq2", p.Shape(), sd["0.p.exp_avg_sq"].Data(), 1e-5)
		})
	}
}
