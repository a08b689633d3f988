package gan

import (
	"fmt"
	"slices"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

// AttentionPlace says where the generator's self-attention block sits.
type AttentionPlace int

const (
	// NoAttention leaves the generator a plain CycleGAN ResnetGenerator.
	NoAttention AttentionPlace = iota
	// AfterResBlocks puts attention on the 4*ngf-channel features at 1/4
	// resolution, between the residual blocks and the first upsampling.
	AfterResBlocks
	// AfterFirstUp puts it after the first upsampling (2*ngf channels, 1/2
	// resolution).
	AfterFirstUp
	// AfterLastUp puts it after the last upsampling (ngf channels, full
	// resolution): the paper's "end of the generator".
	AfterLastUp
)

// GeneratorConfig sizes a generator.
type GeneratorConfig struct {
	// InC and OutC are the image channels (3 for RGB).
	InC, OutC int
	// NGF is the number of filters of the first layer.
	NGF int
	// Blocks is the number of residual blocks (9 in CycleGAN at 256x256).
	Blocks int
	// Attention places the self-attention block.
	Attention AttentionPlace
}

// Generator is CycleGAN's ResnetGenerator split into an encoder (up to and
// including the residual blocks) and a decoder, with an optional SAGAN
// self-attention block in the decoder.
//
// Parameters are named as in the official model ("model.<i>.*"); the
// attention block's are "attn.*".
type Generator struct {
	Config GeneratorConfig
	// Model holds the layers in the official order.
	Model *nn.Sequential
	// Attn is the self-attention block, nil without attention.
	Attn *nn.SelfAttention2d

	encoderEnd int // Model.Layers[:encoderEnd] is the encoder
	attnAt     int // Attn runs before Model.Layers[attnAt]
}

// NewGenerator builds a generator with PyTorch's default initialisation;
// call nn.InitNormal for CycleGAN's N(0, 0.02).
func NewGenerator(rng *tensor.RNG, cfg GeneratorConfig) *Generator {
	if cfg.InC < 1 || cfg.OutC < 1 || cfg.NGF < 2 || cfg.Blocks < 0 {
		panic(fmt.Sprintf("gan: NewGenerator: bad config %+v", cfg))
	}
	ngf := cfg.NGF
	var layers []nn.Module
	add := func(ms ...nn.Module) { layers = append(layers, ms...) }
	norm := func(c int) nn.Module { return nn.NewInstanceNorm2d(c, false) }

	add(nn.NewReflectionPad2d(3), nn.NewConv2d(rng, cfg.InC, ngf, 7, tensor.ConvOpts{}, true), norm(ngf), nn.ReLU{})
	for _, m := range []int{1, 2} {
		add(nn.NewConv2d(rng, ngf*m, ngf*m*2, 3, tensor.ConvOpts{Stride: 2, Padding: 1}, true), norm(ngf*m*2), nn.ReLU{})
	}
	for range cfg.Blocks {
		add(NewResnetBlock(rng, ngf*4))
	}
	g := &Generator{Config: cfg, encoderEnd: len(layers)}
	up := tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}
	for i, m := range []int{4, 2} {
		if cfg.Attention == AfterResBlocks && i == 0 || cfg.Attention == AfterFirstUp && i == 1 {
			g.attnAt = len(layers)
		}
		add(nn.NewConvTranspose2d(rng, ngf*m, ngf*m/2, 3, up, true), norm(ngf*m/2), nn.ReLU{})
	}
	if cfg.Attention == AfterLastUp {
		g.attnAt = len(layers)
	}
	add(nn.NewReflectionPad2d(3), nn.NewConv2d(rng, ngf, cfg.OutC, 7, tensor.ConvOpts{}, true), nn.Tanh{})
	g.Model = nn.NewSequential(layers...)

	switch cfg.Attention {
	case NoAttention:
	case AfterResBlocks, AfterFirstUp, AfterLastUp:
		c := map[AttentionPlace]int{AfterResBlocks: 4 * ngf, AfterFirstUp: 2 * ngf, AfterLastUp: ngf}[cfg.Attention]
		g.Attn = nn.NewSelfAttention2d(rng, c, false)
	default:
		panic(fmt.Sprintf("gan: NewGenerator: unknown attention place %d", cfg.Attention))
	}
	return g
}

// Encode returns the features at the end of the residual blocks:
// [N, 4*ngf, H/4, W/4] for x [N, InC, H, W].
func (g *Generator) Encode(x *autograd.Var) *autograd.Var {
	return g.Model.ForwardRange(x, 0, g.encoderEnd)
}

// Decode maps encoder features to an image in [-1, 1].
func (g *Generator) Decode(h *autograd.Var) *autograd.Var {
	rest := g.Model.Layers[g.encoderEnd:]
	if g.Attn != nil {
		at := g.attnAt - g.encoderEnd
		rest = slices.Concat(rest[:at], []nn.Module{g.Attn}, rest[at:])
	}
	return nn.NewSequential(rest...).Forward(h)
}

// Forward translates x: Decode(Encode(x)), as an nn.Chain, so that
// inference gives the features back once the decoder has used them.
func (g *Generator) Forward(x *autograd.Var) *autograd.Var {
	return nn.Chain(x, g.Encode, g.Decode)
}

// Parameters returns "model.*" and, with attention, "attn.*".
func (g *Generator) Parameters() []nn.Param {
	ps := nn.Prefixed("model", g.Model.Parameters())
	if g.Attn != nil {
		ps = append(ps, nn.Prefixed("attn", g.Attn.Parameters())...)
	}
	return ps
}

// ResnetBlock is CycleGAN's residual block: x + conv_block(x) with
// conv_block = reflection pad 1, 3x3 conv, instance norm, ReLU, reflection
// pad 1, 3x3 conv, instance norm. Its parameters are
// "conv_block.1.*" and "conv_block.5.*".
type ResnetBlock struct {
	ConvBlock *nn.Sequential
}

// NewResnetBlock returns a block over dim channels.
func NewResnetBlock(rng *tensor.RNG, dim int) *ResnetBlock {
	conv := func() nn.Module { return nn.NewConv2d(rng, dim, dim, 3, tensor.ConvOpts{}, true) }
	return &ResnetBlock{ConvBlock: nn.NewSequential(
		nn.NewReflectionPad2d(1), conv(), nn.NewInstanceNorm2d(dim, false), nn.ReLU{},
		nn.NewReflectionPad2d(1), conv(), nn.NewInstanceNorm2d(dim, false),
	)}
}

// Forward returns x + conv_block(x).
func (b *ResnetBlock) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Add(x, b.ConvBlock.Forward(x))
}

// Parameters returns "conv_block.*".
func (b *ResnetBlock) Parameters() []nn.Param {
	return nn.Prefixed("conv_block", b.ConvBlock.Parameters())
}
