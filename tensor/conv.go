package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// ConvOpts are the hyper-parameters of a square-kernel convolution.
// A zero Stride means 1. OutputPadding only applies to transposed
// convolutions, where it adds rows and columns to one side of the output.
type ConvOpts struct {
	Stride, Padding, OutputPadding int
}

func (o ConvOpts) stride() int {
	if o.Stride == 0 {
		return 1
	}
	return o.Stride
}

// convParams checks x [N, C, H, W] against w [OutC, C, KH, KW].
func convParams(op string, x, w *Tensor, o ConvOpts) kernels.ConvParams {
	mustRank(op, "input", x, 4)
	mustRank(op, "weight", w, 4)
	if x.shape[1] != w.shape[1] {
		panic(fmt.Sprintf("tensor: %s: input %v vs weight %v", op, x.shape, w.shape))
	}
	p := kernels.ConvParams{
		N: x.shape[0], InC: x.shape[1], InH: x.shape[2], InW: x.shape[3],
		OutC: w.shape[0], KH: w.shape[2], KW: w.shape[3],
		StrideH: o.stride(), StrideW: o.stride(), PadH: o.Padding, PadW: o.Padding,
		Precision: PrecisionOn(x.dev),
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: input %v, weight %v: %v", op, x.shape, w.shape, err))
	}
	return p
}

func checkBias(op string, b *Tensor, c int) {
	if b != nil {
		mustShape(op, "bias", b, c)
	}
}

// Conv2d returns the cross-correlation of x [N, C, H, W] with
// w [OutC, C, KH, KW] plus the optional bias [OutC], as torch's conv2d.
func Conv2d(x, w, bias *Tensor, o ConvOpts) *Tensor {
	p := convParams("Conv2d", x, w, o)
	checkBias("Conv2d", bias, p.OutC)
	mustSameDevice("Conv2d", x, w, bias)
	y := New(x.dev, p.N, p.OutC, p.OutH(), p.OutW())
	x.dev.ConvForward(p, x.buf, w.buf, bufOf(bias), y.buf)
	return y
}

// Conv2dBackwardAcc accumulates the gradients of Conv2d into dx, dw and dbias
// (each may be nil) given the output gradient dy.
func Conv2dBackwardAcc(x, w *Tensor, o ConvOpts, dy, dx, dw, dbias *Tensor) {
	p := convParams("Conv2dBackwardAcc", x, w, o)
	mustShape("Conv2dBackwardAcc", "dy", dy, p.N, p.OutC, p.OutH(), p.OutW())
	if dx != nil {
		mustShape("Conv2dBackwardAcc", "dx", dx, x.shape...)
		x.dev.ConvBackwardData(p, dy.buf, w.buf, dx.buf)
	}
	if dw != nil || dbias != nil {
		if dw != nil {
			mustShape("Conv2dBackwardAcc", "dw", dw, w.shape...)
		}
		checkBias("Conv2dBackwardAcc", dbias, p.OutC)
		x.dev.ConvBackwardFilter(p, x.buf, dy.buf, bufOf(dw), bufOf(dbias))
	}
}

// transposedParams describes ConvTranspose2d of x [N, InC, H, W] with
// w [InC, OutC, K, K] as the convolution whose backward-data pass it is:
// that convolution maps the transposed output [N, OutC, OH, OW] back to x.
func transposedParams(op string, x, w *Tensor, o ConvOpts) kernels.ConvParams {
	mustRank(op, "input", x, 4)
	mustRank(op, "weight", w, 4)
	if x.shape[1] != w.shape[0] {
		panic(fmt.Sprintf("tensor: %s: input %v vs weight %v (want [%d, out, kh, kw])", op, x.shape, w.shape, x.shape[1]))
	}
	s := o.stride()
	if o.OutputPadding < 0 || o.OutputPadding >= s {
		panic(fmt.Sprintf("tensor: %s: output padding %d must be in [0, stride %d)", op, o.OutputPadding, s))
	}
	oh := (x.shape[2]-1)*s - 2*o.Padding + w.shape[2] + o.OutputPadding
	ow := (x.shape[3]-1)*s - 2*o.Padding + w.shape[3] + o.OutputPadding
	p := kernels.ConvParams{
		N: x.shape[0], InC: w.shape[1], InH: oh, InW: ow,
		OutC: w.shape[0], KH: w.shape[2], KW: w.shape[3],
		StrideH: s, StrideW: s, PadH: o.Padding, PadW: o.Padding,
		Precision: PrecisionOn(x.dev),
	}
	if err := p.Validate(); err != nil || p.OutH() != x.shape[2] || p.OutW() != x.shape[3] {
		panic(fmt.Sprintf("tensor: %s: input %v, weight %v, %+v give no valid output", op, x.shape, w.shape, o))
	}
	return p
}

// ConvTranspose2d returns the transposed convolution of x [N, InC, H, W] with
// w [InC, OutC, KH, KW] plus the optional bias [OutC], as torch's
// conv_transpose2d: the output is [N, OutC, (H-1)*s - 2*p + KH + op, ...].
func ConvTranspose2d(x, w, bias *Tensor, o ConvOpts) *Tensor {
	p := transposedParams("ConvTranspose2d", x, w, o)
	checkBias("ConvTranspose2d", bias, p.InC)
	mustSameDevice("ConvTranspose2d", x, w, bias)
	y := New(x.dev, p.N, p.InC, p.InH, p.InW)
	x.dev.ConvBackwardData(p, x.buf, w.buf, y.buf)
	if bias != nil {
		addChannelBias(y, bias)
	}
	return y
}

// ConvTranspose2dBackwardAcc accumulates the gradients of ConvTranspose2d into
// dx, dw and dbias (each may be nil) given the output gradient dy.
func ConvTranspose2dBackwardAcc(x, w *Tensor, o ConvOpts, dy, dx, dw, dbias *Tensor) {
	p := transposedParams("ConvTranspose2dBackwardAcc", x, w, o)
	mustShape("ConvTranspose2dBackwardAcc", "dy", dy, p.N, p.InC, p.InH, p.InW)
	if dx != nil {
		// The transpose of backward-data is the forward convolution.
		mustShape("ConvTranspose2dBackwardAcc", "dx", dx, x.shape...)
		tmp := New(x.dev, x.shape...)
		x.dev.ConvForward(p, dy.buf, w.buf, nil, tmp.buf)
		x.dev.Axpby(1, tmp.buf, 1, dx.buf)
		tmp.Free()
	}
	if dw != nil {
		// The underlying convolution's input is dy and its output gradient x.
		mustShape("ConvTranspose2dBackwardAcc", "dw", dw, w.shape...)
		x.dev.ConvBackwardFilter(p, dy.buf, x.buf, dw.buf, nil)
	}
	if dbias != nil {
		checkBias("ConvTranspose2dBackwardAcc", dbias, p.InC)
		x.dev.SumTo(channelBroadcast(dy), dy.buf, dbias.buf)
	}
}

// channelBroadcast describes a per-channel vector broadcast over t [N, C, ...].
func channelBroadcast(t *Tensor) kernels.BroadcastParams {
	s := t.Len() / (t.shape[0] * t.shape[1])
	return kernels.BroadcastParams{Shape: [4]int{1, t.shape[0], t.shape[1], s}, BStride: [4]int{0, 0, 1, 0}}
}

func addChannelBias(y, bias *Tensor) {
	y.dev.Binary(kernels.Add, channelBroadcast(y), y.buf, bias.buf, y.buf)
}
