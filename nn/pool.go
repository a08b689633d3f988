package nn

import (
	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// MaxPool2d is torch.nn.MaxPool2d with a square window (no ceil mode or
// dilation). A zero Opts.Stride means the window size.
type MaxPool2d struct{ Opts tensor.PoolOpts }

// Forward pools x [N, C, H, W].
func (m MaxPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.MaxPool2d(x, m.Opts) }

// Parameters returns nothing.
func (MaxPool2d) Parameters() []Param { return nil }

// AvgPool2d is torch.nn.AvgPool2d with a square window (no ceil mode);
// Opts.CountIncludePad is PyTorch's count_include_pad, whose default there
// is true. A zero Opts.Stride means the window size.
type AvgPool2d struct{ Opts tensor.PoolOpts }

// Forward pools x [N, C, H, W].
func (a AvgPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.AvgPool2d(x, a.Opts) }

// Parameters returns nothing.
func (AvgPool2d) Parameters() []Param { return nil }

// GlobalAvgPool2d is torch.nn.AdaptiveAvgPool2d(1): the mean of each plane,
// [N, C, H, W] to [N, C, 1, 1].
type GlobalAvgPool2d struct{}

// Forward averages each plane of x [N, C, H, W].
func (GlobalAvgPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.GlobalAvgPool2d(x) }

// Parameters returns nothing.
func (GlobalAvgPool2d) Parameters() []Param { return nil }
