package nn_test

import (
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

const goldenRtol = 1e-4

func TestGoldenSelfAttention(t *testing.T) {
	for _, name := range []string{"self_attention", "self_attention_out"} {
		for _, unfused := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				c := golden.Load(t, name)
				a := nn.NewSelfAttention2d(tensor.NewRNG(1), 16, c.Has("param.v.weight"))
				a.Unfused = unfused
				c.RunModule(t, a, goldenRtol)
			})
		}
	}
}

func TestGoldenAdam(t *testing.T) {
	for _, name := range []string{"adam", "adam_lr1e3"} {
		t.Run(name, func(t *testing.T) {
			c := golden.Load(t, name)
			p := autograd.Param(c.Tensor(t, "param0"))
			var lr float32 = 2e-4
			if name == "adam_lr1e3" {
				lr = 1e-3
			}
			opt := nn.NewAdam([]nn.ParamGroup{{Params: []nn.Param{{Name: "p", Var: p}}, LR: lr}}, 0.5, 0.999)
			for step, g := range []string{"grad1", "grad2"} {
				p.Grad = c.Tensor(t, g)
				opt.Step()
				c.Compare(t, []string{"param1", "param2"}[step], p.Shape(), p.Value.Data(), 1e-5)
			}
			sd := opt.StateDict()
			c.Compare(t, "exp_avg2", p.Shape(), sd["0.p.exp_avg"].Data(), 1e-5)
			c.Compare(t, "exp_avg_sq2", p.Shape(), sd["0.p.exp_avg_sq"].Data(), 1e-5)
		})
	}
}
