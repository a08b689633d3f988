package autograd

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// Conv2d returns the convolution of x [N, C, H, W] with w [OutC, C, KH, KW]
// plus the optional bias [OutC] (nil for none).
func Conv2d(x, w, bias *Var, o tensor.ConvOpts) *Var {
	y := tensor.Conv2d(x.Value, w.Value, valueOf(bias), o)
	return record(y, []*Var{x, w, bias}, func(dy *tensor.Tensor) {
		tensor.Conv2dBackward(x.Value, w.Value, o, dy, x.gradIf(), w.gradIf(), bias.gradIf())
	})
}

// ConvTranspose2d returns the transposed convolution of x [N, InC, H, W]
// with w [InC, OutC, KH, KW] plus the optional bias [OutC].
func ConvTranspose2d(x, w, bias *Var, o tensor.ConvOpts) *Var {
	y := tensor.ConvTranspose2d(x.Value, w.Value, valueOf(bias), o)
	return record(y, []*Var{x, w, bias}, func(dy *tensor.Tensor) {
		tensor.ConvTranspose2dBackward(x.Value, w.Value, o, dy, x.gradIf(), w.gradIf(), bias.gradIf())
	})
}

// Pad2d pads x [N, C, H, W] with zeros or by reflection.
func Pad2d(x *Var, pd tensor.Padding) *Var {
	y := tensor.Pad2d(x.Value, pd)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.Pad2dBackward(x.Value, pd, dy, x.grad())
	})
}

// PadConv2d is Conv2d(Pad2d(x, pd), w, bias, o) without keeping the padded
// tensor: the forward pass frees it once the convolution has read it, and
// the backward pass pads x again (a copy, cheap beside the convolution). A
// graph of pad-then-convolve layers, as in every residual block of a
// CycleGAN generator, so keeps one activation per layer instead of two.
func PadConv2d(x *Var, pd tensor.Padding, w, bias *Var, o tensor.ConvOpts) *Var {
	xp := tensor.Pad2d(x.Value, pd)
	y := tensor.Conv2d(xp, w.Value, valueOf(bias), o)
	xp.Free()
	return record(y, []*Var{x, w, bias}, func(dy *tensor.Tensor) {
		xp := tensor.Pad2d(x.Value, pd)
		defer xp.Free()
		var dxp *tensor.Tensor // the gradient with respect to the padded x
		if x.requiresGrad {
			dxp = tensor.ZerosLike(xp)
			defer dxp.Free()
		}
		tensor.Conv2dBackward(xp, w.Value, o, dy, dxp, w.gradIf(), bias.gradIf())
		if dxp != nil {
			tensor.Pad2dBackward(x.Value, pd, dxp, x.grad())
		}
	})
}

// InstanceNorm normalises each (n, c) plane of x [N, C, ...] and applies the
// optional per-channel gamma and beta (nil without affine parameters).
func InstanceNorm(x, gamma, beta *Var, eps float32) *Var {
	y, st := tensor.InstanceNorm(x.Value, valueOf(gamma), valueOf(beta), eps)
	// mean and rstd, kept for backward
	return record(y, []*Var{x, gamma, beta}, func(dy *tensor.Tensor) {
		tensor.InstanceNormBackward(x.Value, valueOf(gamma), st, dy, x.gradIf(), gamma.gradIf(), beta.gradIf())
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
		tensor.ApplyBackward(op, slope, y, y, dy, dz)
		tensor.InstanceNormBackward(x.Value, valueOf(gamma), st, dz, x.gradIf(), gamma.gradIf(), beta.gradIf())
	}, st.Mean, st.Rstd)
}

func valueOf(v *Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value
}
