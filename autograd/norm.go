package autograd

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// InstanceNorm normalises each (n, c) plane of x [N, C, ...] and applies the
// optional per-channel gamma and beta (nil without affine parameters).
func InstanceNorm(x, gamma, beta *Var, eps float32) *Var {
	y, st := tensor.InstanceNorm(x.Value, valueOf(gamma), valueOf(beta), eps)
	// mean and rstd, kept for backward
	return record(y, []*Var{x, gamma, beta}, func(dy *tensor.Tensor) {
		tensor.InstanceNormBackwardAcc(x.Value, valueOf(gamma), st, dy, x.gradIf(), gamma.gradIf(), beta.gradIf())
	}, st.Mean, st.Rstd)
}

// InstanceNormAct is an activation of InstanceNorm(x, gamma, beta): ReLU
// for slope 0, LeakyReLU with that slope otherwise. It computes what the two
// ops compute, but the activation runs in place on the normalised values, so
// the graph keeps one tensor where the pair keeps two. Backward reads the
// activation's derivative off the output, which is positive exactly where
// its input is; that needs slope >= 0, and InstanceNormAct panics otherwise.
func InstanceNormAct(x, gamma, beta *Var, eps, slope float32) *Var {
	if slope < 0 || slope != slope {
		panic(fmt.Sprintf("autograd: InstanceNormAct: slope %v must be at least 0", slope))
	}
	op := kernels.ReLU
	if slope != 0 {
		op = kernels.LeakyReLU
	}
	y, st := tensor.InstanceNorm(x.Value, valueOf(gamma), valueOf(beta), eps)
	tensor.ApplyInPlace(op, slope, y)
	return record(y, []*Var{x, gamma, beta}, func(dy *tensor.Tensor) {
		// dz: the gradient with respect to the normalised values, op'(y) * dy.
		dz := tensor.ZerosLike(dy)
		defer dz.Free()
		tensor.ApplyBackwardAcc(op, slope, y, y, dy, dz)
		tensor.InstanceNormBackwardAcc(x.Value, valueOf(gamma), st, dz, x.gradIf(), gamma.gradIf(), beta.gradIf())
	}, st.Mean, st.Rstd)
}
