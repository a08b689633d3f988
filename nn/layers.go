package nn

import (
	"math"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// Conv2d is a 2-D convolution with a square kernel, as torch.nn.Conv2d
// (zero padding, no groups or dilation). Parameters: weight
// [Out, In, K, K] and, unless disabled, bias [Out].
type Conv2d struct {
	Weight, Bias *autograd.Var
	Opts         tensor.ConvOpts
}

// NewConv2d returns a Conv2d from in to out channels with a k x k kernel,
// initialised as PyTorch does: weight and bias uniform in
// [-1/sqrt(fan_in), 1/sqrt(fan_in)] with fan_in = in*k*k.
func NewConv2d(rng *tensor.RNG, in, out, k int, opts tensor.ConvOpts, bias bool) *Conv2d {
	bound := float32(1 / math.Sqrt(float64(in*k*k)))
	c := &Conv2d{Weight: autograd.Param(tensor.Uniform(rng, -bound, bound, out, in, k, k)), Opts: opts}
	if bias {
		c.Bias = autograd.Param(tensor.Uniform(rng, -bound, bound, out))
	}
	return c
}

// Forward convolves x [N, In, H, W].
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, c.Weight, c.Bias, c.Opts)
}

// Parameters returns weight and, if present, bias.
func (c *Conv2d) Parameters() []Param { return weightBias(c.Weight, c.Bias) }

// ConvTranspose2d is a transposed convolution with a square kernel, as
// torch.nn.ConvTranspose2d. Parameters: weight [In, Out, K, K] and, unless
// disabled, bias [Out].
type ConvTranspose2d struct {
	Weight, Bias *autograd.Var
	Opts         tensor.ConvOpts
}

// NewConvTranspose2d returns a ConvTranspose2d from in to out channels,
// initialised as PyTorch does, whose fan_in for a transposed weight is
// out*k*k.
func NewConvTranspose2d(rng *tensor.RNG, in, out, k int, opts tensor.ConvOpts, bias bool) *ConvTranspose2d {
	bound := float32(1 / math.Sqrt(float64(out*k*k)))
	c := &ConvTranspose2d{Weight: autograd.Param(tensor.Uniform(rng, -bound, bound, in, out, k, k)), Opts: opts}
	if bias {
		c.Bias = autograd.Param(tensor.Uniform(rng, -bound, bound, out))
	}
	return c
}

// Forward applies the transposed convolution to x [N, In, H, W].
func (c *ConvTranspose2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.ConvTranspose2d(x, c.Weight, c.Bias, c.Opts)
}

// Parameters returns weight and, if present, bias.
func (c *ConvTranspose2d) Parameters() []Param { return weightBias(c.Weight, c.Bias) }

func weightBias(w, b *autograd.Var) []Param {
	ps := []Param{{"weight", w}}
	if b != nil {
		ps = append(ps, Param{"bias", b})
	}
	return ps
}

// InstanceNorm2d normalises each channel of each image over its pixels, as
// torch.nn.InstanceNorm2d without running statistics. With affine
// parameters it has weight [C] (initialised to 1) and bias [C] (to 0).
type InstanceNorm2d struct {
	Weight, Bias *autograd.Var
	Eps          float32
}

// NewInstanceNorm2d returns an InstanceNorm2d over c channels with eps 1e-5.
func NewInstanceNorm2d(c int, affine bool) *InstanceNorm2d {
	n := &InstanceNorm2d{Eps: 1e-5}
	if affine {
		n.Weight = autograd.Param(tensor.Full(1, c))
		n.Bias = autograd.Param(tensor.Zeros(c))
	}
	return n
}

// Forward normalises x [N, C, H, W].
func (n *InstanceNorm2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.InstanceNorm(x, n.Weight, n.Bias, n.Eps)
}

// Parameters returns weight and bias when affine, else nothing.
func (n *InstanceNorm2d) Parameters() []Param {
	if n.Weight == nil {
		return nil
	}
	return weightBias(n.Weight, n.Bias)
}

// ReflectionPad2d pads by mirroring the image, as torch.nn.ReflectionPad2d.
type ReflectionPad2d struct{ Pad tensor.Padding }

// NewReflectionPad2d returns a ReflectionPad2d adding p on every side.
func NewReflectionPad2d(p int) *ReflectionPad2d {
	return &ReflectionPad2d{tensor.Padding{Left: p, Right: p, Top: p, Bottom: p, Reflect: true}}
}

// Forward pads x [N, C, H, W]; every pad must be smaller than the side it
// extends.
func (r *ReflectionPad2d) Forward(x *autograd.Var) *autograd.Var { return autograd.Pad2d(x, r.Pad) }

// Parameters returns nothing.
func (r *ReflectionPad2d) Parameters() []Param { return nil }

// ReLU is max(x, 0).
type ReLU struct{}

// Forward applies ReLU.
func (ReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.ReLU(x) }

// Parameters returns nothing.
func (ReLU) Parameters() []Param { return nil }

// LeakyReLU is x for x > 0 and Slope*x otherwise.
type LeakyReLU struct{ Slope float32 }

// Forward applies LeakyReLU.
func (l LeakyReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.LeakyReLU(x, l.Slope) }

// Parameters returns nothing.
func (LeakyReLU) Parameters() []Param { return nil }

// Tanh is tanh(x).
type Tanh struct{}

// Forward applies tanh.
func (Tanh) Forward(x *autograd.Var) *autograd.Var { return autograd.Tanh(x) }

// Parameters returns nothing.
func (Tanh) Parameters() []Param { return nil }
