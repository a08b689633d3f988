package autograd

import "github.com/semgan/semgan/tensor"

// Conv2d returns the convolution of x [N, C, H, W] with w [OutC, C, KH, KW]
// plus the optional bias [OutC] (nil for none).
func Conv2d(x, w, bias *Var, o tensor.ConvOpts) *Var {
	y := tensor.Conv2d(x.Value, w.Value, valueOf(bias), o)
	return record(y, []*Var{x, w, bias}, func(dy *tensor.Tensor) {
		tensor.Conv2dBackwardAcc(x.Value, w.Value, o, dy, x.gradIf(), w.gradIf(), bias.gradIf())
	})
}

// ConvTranspose2d returns the transposed convolution of x [N, InC, H, W]
// with w [InC, OutC, KH, KW] plus the optional bias [OutC].
func ConvTranspose2d(x, w, bias *Var, o tensor.ConvOpts) *Var {
	y := tensor.ConvTranspose2d(x.Value, w.Value, valueOf(bias), o)
	return record(y, []*Var{x, w, bias}, func(dy *tensor.Tensor) {
		tensor.ConvTranspose2dBackwardAcc(x.Value, w.Value, o, dy, x.gradIf(), w.gradIf(), bias.gradIf())
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
		tensor.Conv2dBackwardAcc(xp, w.Value, o, dy, dxp, w.gradIf(), bias.gradIf())
		if dxp != nil {
			tensor.Pad2dBackwardAcc(x.Value, pd, dxp, x.grad())
		}
	})
}
