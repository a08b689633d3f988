package nn

import (
	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// L1Loss returns mean |a - b|, as torch.nn.L1Loss.
func L1Loss(a, b *autograd.Var) *autograd.Var { return autograd.L1Loss(a, b) }

// MSELoss returns mean (a - b)^2, as torch.nn.MSELoss.
func MSELoss(a, b *autograd.Var) *autograd.Var { return autograd.MSELoss(a, b) }

// MSEToConstant returns mean (a - target)^2 for a constant target, the
// least-squares GAN loss (target 1 for real, 0 for fake).
func MSEToConstant(a *autograd.Var, target float32) *autograd.Var {
	t := tensor.ZerosLike(a.Value)
	t.Fill(target)
	return autograd.MSELoss(a, autograd.Const(t))
}
