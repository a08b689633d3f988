package nn

import (
	"fmt"
	"math"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// BatchNorm2d is torch.nn.BatchNorm2d in inference (eval) mode: each
// channel c of x [N, C, H, W] becomes
//
//	y = (x - running_mean[c]) / sqrt(running_var[c] + Eps) * weight[c] + bias[c]
//
// a per-channel affine map. It never computes batch statistics nor updates
// the running ones (there is no training mode).
//
// Parameters returns weight and bias, which are trainable, and the running
// statistics running_mean and running_var, which are constants (they never
// require a gradient, so optimisers leave them alone): listing them makes
// state dicts carry and load them under PyTorch's key names. Unlike
// PyTorch's parameters(), CountParameters therefore counts them.
type BatchNorm2d struct {
	Weight, Bias            *autograd.Var
	RunningMean, RunningVar *autograd.Var
	Eps                     float32
}

// NewBatchNorm2d returns a BatchNorm2d over c channels as PyTorch
// initialises one: weight 1, bias 0, running mean 0 and running variance 1.
// PyTorch's default eps is 1e-5; Inception-v3 uses 1e-3.
func NewBatchNorm2d(c int, eps float32) *BatchNorm2d {
	return &BatchNorm2d{
		Weight:      autograd.Param(tensor.Full(1, c)),
		Bias:        autograd.Param(tensor.Zeros(c)),
		RunningMean: autograd.Const(tensor.Zeros(c)),
		RunningVar:  autograd.Const(tensor.Full(1, c)),
		Eps:         eps,
	}
}

// ScaleShift returns, on the host, the per-channel scale
// weight/sqrt(running_var+Eps) and shift bias - running_mean*scale with
// which y = x*scale + shift, computed in float32 as PyTorch computes them.
// A preceding convolution can absorb them (scale its weight, add the shift
// as its bias).
func (b *BatchNorm2d) ScaleShift() (scale, shift []float32) {
	w, bias := b.Weight.Value.Data(), b.Bias.Value.Data()
	mean, vr := b.RunningMean.Value.Data(), b.RunningVar.Value.Data()
	scale, shift = make([]float32, len(w)), make([]float32, len(w))
	for c := range w {
		rstd := 1 / float32(math.Sqrt(float64(vr[c]+b.Eps)))
		scale[c] = w[c] * rstd
		shift[c] = bias[c] - mean[c]*scale[c]
	}
	return scale, shift
}

// Forward normalises x [N, C, H, W] with the running statistics. The
// gradient reaches x, weight and bias. It panics if x is not [N, C, H, W]
// with the layer's C.
func (b *BatchNorm2d) Forward(x *autograd.Var) *autograd.Var {
	c := b.Weight.Value.Len()
	if x.Value.Rank() != 4 || x.Value.Dim(1) != c {
		panic(fmt.Sprintf("nn: BatchNorm2d: input %v for %d channels", x.Shape(), c))
	}
	// 1/sqrt(var+eps) is computed on the host (there is no square-root op);
	// it is C values.
	vr := b.RunningVar.Value.Data()
	rstd := make([]float32, c)
	for i, v := range vr {
		rstd[i] = 1 / float32(math.Sqrt(float64(v+b.Eps)))
	}
	rstdT := tensor.FromSliceOn(x.Value.Device(), rstd, c)
	scale := autograd.Mul(b.Weight, autograd.Const(rstdT))
	shift := autograd.Sub(b.Bias, autograd.Mul(autograd.Const(b.RunningMean.Value), scale))
	y := autograd.Mul(x, autograd.Reshape(scale, c, 1, 1))
	return autograd.Add(y, autograd.Reshape(shift, c, 1, 1))
}

// Parameters returns weight, bias, running_mean and running_var.
func (b *BatchNorm2d) Parameters() []Param {
	return []Param{{"weight", b.Weight}, {"bias", b.Bias}, {"running_mean", b.RunningMean}, {"running_var", b.RunningVar}}
}
