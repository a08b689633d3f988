package nn

import (
	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// SelfAttention2d is the self-attention block of SAGAN (Zhang et al. 2019).
// For x [B, C, H, W] with N = H*W positions, 1x1 convolutions give keys
// f(x) and queries g(x) with C/8 channels and values h(x) with C; the
// weights beta_ji = softmax_i(g(x_j) . f(x_i)) mix the values into
// o_j = sum_i beta_ji h(x_i), optionally passed through a 1x1 convolution v,
// and the block returns gamma*o + x. gamma starts at 0, so a new block is
// the identity and the network learns how much attention to use.
//
// Parameter names: f.*, g.*, h.*, v.* (when present) and gamma [1].
type SelfAttention2d struct {
	F, G, H, V *Conv2d
	Gamma      *autograd.Var
	// Unfused computes the N x N weights explicitly with MatMul and Softmax
	// instead of the fused attention kernel: the reference that the fused
	// path is tested against, and O(N^2) in memory.
	Unfused bool
}

// NewSelfAttention2d returns a block for c channels (c >= 8); withOut adds
// the output convolution v.
func NewSelfAttention2d(rng *tensor.RNG, c int, withOut bool) *SelfAttention2d {
	if c < 8 {
		panic("nn: NewSelfAttention2d: needs at least 8 channels")
	}
	one := tensor.ConvOpts{Stride: 1}
	a := &SelfAttention2d{
		F:     NewConv2d(rng, c, c/8, 1, one, true),
		G:     NewConv2d(rng, c, c/8, 1, one, true),
		H:     NewConv2d(rng, c, c, 1, one, true),
		Gamma: autograd.Param(tensor.Zeros(1)),
	}
	if withOut {
		a.V = NewConv2d(rng, c, c, 1, one, true)
	}
	return a
}

// Forward applies the block to x [B, C, H, W]. It runs as a Chain of two
// steps, so that inference gives the keys, queries and values back once
// the attention has read them.
func (a *SelfAttention2d) Forward(x *autograd.Var) *autograd.Var {
	return Chain(x, a.attend, func(o *autograd.Var) *autograd.Var {
		return autograd.AddMul(x, o, a.Gamma) // x + gamma*o
	})
}

// attend returns o of the block's description, [B, C, H, W].
func (a *SelfAttention2d) attend(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	b, c, n := s[0], s[1], s[2]*s[3]
	keys := autograd.Reshape(a.F.Forward(x), b, -1, n)    // [B, C/8, N]
	queries := autograd.Reshape(a.G.Forward(x), b, -1, n) // [B, C/8, N]
	values := autograd.Reshape(a.H.Forward(x), b, c, n)   // [B, C, N]
	var o *autograd.Var
	if a.Unfused {
		scores := autograd.MatMul(queries, keys, true, false)              // [B, N(j), N(i)]
		o = autograd.MatMul(values, autograd.Softmax(scores), false, true) // [B, C, N(j)]
	} else {
		o = autograd.Attention(queries, keys, values, 1)
	}
	out := autograd.Reshape(o, s...)
	if a.V != nil {
		out = a.V.Forward(out)
	}
	return out
}

// Parameters returns f, g, h, v (if present) and gamma.
func (a *SelfAttention2d) Parameters() []Param {
	ps := Prefixed("f", a.F.Parameters())
	ps = append(ps, Prefixed("g", a.G.Parameters())...)
	ps = append(ps, Prefixed("h", a.H.Parameters())...)
	if a.V != nil {
		ps = append(ps, Prefixed("v", a.V.Parameters())...)
	}
	return append(ps, Param{"gamma", a.Gamma})
}
