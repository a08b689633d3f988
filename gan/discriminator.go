package gan

import (
	"fmt"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

// DiscriminatorConfig sizes a PatchGAN discriminator.
type DiscriminatorConfig struct {
	// InC is the image channels.
	InC int
	// NDF is the number of filters of the first layer (64 in CycleGAN).
	NDF int
	// Layers is CycleGAN's n_layers: Layers-1 stride-2 convolutions and one
	// stride-1 convolution follow the first; 3 gives the 70x70 PatchGAN.
	Layers int
}

// Discriminator is CycleGAN's NLayerDiscriminator (PatchGAN): 4x4
// convolutions with LeakyReLU 0.2 and instance norm after all but the first
// and last, returning one realness score per overlapping patch. Parameters
// are "model.<i>.*" as in the official model.
type Discriminator struct {
	Config DiscriminatorConfig
	Model  *nn.Sequential
}

// NewDiscriminator builds a discriminator with PyTorch's default
// initialisation.
func NewDiscriminator(rng *tensor.RNG, cfg DiscriminatorConfig) *Discriminator {
	if cfg.InC < 1 || cfg.NDF < 1 || cfg.Layers < 1 {
		panic(fmt.Sprintf("gan: NewDiscriminator: bad config %+v", cfg))
	}
	s2 := tensor.ConvOpts{Stride: 2, Padding: 1}
	s1 := tensor.ConvOpts{Stride: 1, Padding: 1}
	lrelu := nn.LeakyReLU{Slope: 0.2}
	layers := []nn.Module{nn.NewConv2d(rng, cfg.InC, cfg.NDF, 4, s2, true), lrelu}
	mult := 1
	for n := 1; n <= cfg.Layers; n++ {
		prev := mult
		mult = min(1<<n, 8)
		opts := s2
		if n == cfg.Layers {
			opts = s1
		}
		layers = append(layers,
			nn.NewConv2d(rng, cfg.NDF*prev, cfg.NDF*mult, 4, opts, true),
			nn.NewInstanceNorm2d(cfg.NDF*mult, false), lrelu)
	}
	layers = append(layers, nn.NewConv2d(rng, cfg.NDF*mult, 1, 4, s1, true))
	return &Discriminator{Config: cfg, Model: nn.NewSequential(layers...)}
}

// Forward returns the patch scores [N, 1, h, w] of x [N, InC, H, W].
func (d *Discriminator) Forward(x *autograd.Var) *autograd.Var { return d.Model.Forward(x) }

// Parameters returns "model.*".
func (d *Discriminator) Parameters() []nn.Param { return nn.Prefixed("model", d.Model.Parameters()) }
