package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// Padding gives the rows and columns added on each side of an image.
type Padding struct {
	Left, Right, Top, Bottom int
	// Reflect mirrors the image (PyTorch's ReflectionPad2d); otherwise the
	// border is zero.
	Reflect bool
}

func padParams(op string, x *Tensor, pd Padding) kernels.PadParams {
	mustRank(op, "input", x, 4)
	mode := kernels.PadZero
	if pd.Reflect {
		mode = kernels.PadReflect
	}
	p := kernels.PadParams{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		Top: pd.Top, Bottom: pd.Bottom, Left: pd.Left, Right: pd.Right, Mode: mode}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: input %v: %v", op, x.shape, err))
	}
	return p
}

// Pad2d returns x [N, C, H, W] padded as pd says.
func Pad2d(x *Tensor, pd Padding) *Tensor {
	p := padParams("Pad2d", x, pd)
	y := New(x.dev, p.N, p.C, p.OutH(), p.OutW())
	x.dev.Pad(p, x.buf, y.buf)
	return y
}

// Pad2dBackwardAcc accumulates into dx the gradient of Pad2d given dy.
func Pad2dBackwardAcc(x *Tensor, pd Padding, dy, dx *Tensor) {
	p := padParams("Pad2dBackwardAcc", x, pd)
	mustShape("Pad2dBackwardAcc", "dy", dy, p.N, p.C, p.OutH(), p.OutW())
	mustShape("Pad2dBackwardAcc", "dx", dx, x.shape...)
	x.dev.PadBackward(p, dy.buf, dx.buf)
}
