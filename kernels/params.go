package kernels

import (
	"fmt"
	"slices"
)

// GemmParams describes a strided-batched matrix product
// C = Alpha*op(A)*op(B) + Beta*C with row-major matrices.
// C is M x N; op(A) is M x K and op(B) is K x N, where op transposes when
// TransA or TransB is set (A is then stored K x M, B N x K). Batch entry i
// starts at i*StrideA, i*StrideB and i*StrideC; a stride of 0 reuses one
// matrix for every entry. Precision says how the products are computed
// (the zero value is exact FP32).
type GemmParams struct {
	TransA, TransB bool
	M, N, K        int
	Alpha, Beta    float32
	Batch          int
	StrideA        int
	StrideB        int
	StrideC        int
	Precision      Precision
}

// ConvParams describes a 2-D convolution without groups or dilation:
// x [N, InC, InH, InW] * w [OutC, InC, KH, KW] -> y [N, OutC, OutH, OutW] with
// OutH = (InH + 2*PadH - KH)/StrideH + 1 (rounded down), and likewise OutW.
// Padding is zero padding. Precision says how the products of the forward
// and both backward passes are computed (the zero value is exact FP32).
type ConvParams struct {
	N                int
	InC, InH, InW    int
	OutC, KH, KW     int
	StrideH, StrideW int
	PadH, PadW       int
	Precision        Precision
}

// OutH returns the height of the convolution's output.
func (p ConvParams) OutH() int { return (p.InH+2*p.PadH-p.KH)/p.StrideH + 1 }

// OutW returns the width of the convolution's output.
func (p ConvParams) OutW() int { return (p.InW+2*p.PadW-p.KW)/p.StrideW + 1 }

// XLen returns the element count of the input.
func (p ConvParams) XLen() int { return p.N * p.InC * p.InH * p.InW }

// WLen returns the element count of the weight.
func (p ConvParams) WLen() int { return p.OutC * p.InC * p.KH * p.KW }

// YLen returns the element count of the output.
func (p ConvParams) YLen() int { return p.N * p.OutC * p.OutH() * p.OutW() }

// Validate reports a mistake in p.
func (p ConvParams) Validate() error {
	if p.N < 1 || p.InC < 1 || p.InH < 1 || p.InW < 1 || p.OutC < 1 || p.KH < 1 || p.KW < 1 ||
		p.StrideH < 1 || p.StrideW < 1 || p.PadH < 0 || p.PadW < 0 {
		return fmt.Errorf("conv: bad parameters %+v", p)
	}
	if p.InH+2*p.PadH < p.KH || p.InW+2*p.PadW < p.KW {
		return fmt.Errorf("conv: kernel %dx%d larger than padded input %dx%d", p.KH, p.KW, p.InH+2*p.PadH, p.InW+2*p.PadW)
	}
	if err := p.Precision.Validate(); err != nil {
		return fmt.Errorf("conv: %w", err)
	}
	return nil
}

// PadMode selects how Pad fills the border.
type PadMode int

const (
	// PadZero fills the border with zeros.
	PadZero PadMode = iota
	// PadReflect mirrors the input without repeating the edge, as
	// PyTorch's ReflectionPad2d; each pad must be smaller than the
	// corresponding dimension.
	PadReflect
)

// PadParams describes padding x [N, C, H, W] into
// y [N, C, H+Top+Bottom, W+Left+Right].
type PadParams struct {
	N, C, H, W               int
	Top, Bottom, Left, Right int
	Mode                     PadMode
}

// OutH returns the padded height.
func (p PadParams) OutH() int { return p.H + p.Top + p.Bottom }

// OutW returns the padded width.
func (p PadParams) OutW() int { return p.W + p.Left + p.Right }

// Validate reports a mistake in p.
func (p PadParams) Validate() error {
	if p.N < 1 || p.C < 1 || p.H < 1 || p.W < 1 || p.Top < 0 || p.Bottom < 0 || p.Left < 0 || p.Right < 0 {
		return fmt.Errorf("pad: bad parameters %+v", p)
	}
	if p.Mode == PadReflect && (p.Top >= p.H || p.Bottom >= p.H || p.Left >= p.W || p.Right >= p.W) {
		return fmt.Errorf("pad: reflection padding (%d,%d,%d,%d) must be smaller than the input %dx%d",
			p.Top, p.Bottom, p.Left, p.Right, p.H, p.W)
	}
	if p.Mode != PadZero && p.Mode != PadReflect {
		return fmt.Errorf("pad: unknown pad mode %d", p.Mode)
	}
	return nil
}

// NormParams describes instance normalisation of x [N, C, S] over S.
// The variance is the biased one, as in PyTorch.
type NormParams struct {
	N, C, S int
	Eps     float32
}

// AttentionParams describes batched dot-product attention with
// channel-major operands, the layout 1x1 convolutions produce:
//
//	q [Batch, Dk, Nq]   k [Batch, Dk, Nk]   v [Batch, Dv, Nk]
//	o [Batch, Dv, Nq]   lse [Batch, Nq]
//
// For query j: s_i = Scale * sum_d q[d, j] k[d, i], p = softmax(s) over i,
// o[:, j] = sum_i p_i v[:, i], and lse[j] = log sum_i exp(s_i).
//
// Precision says how the two products are computed: in TF32 and BF16 the
// operands of S = K^T Q and of O = V P (and of the backward pass's
// products) are rounded, P included; the softmax itself, lse and every
// sum stay float32.
type AttentionParams struct {
	Batch, Dk, Dv, Nq, Nk int
	Scale                 float32
	Precision             Precision
}

// SoftmaxParams describes the softmax of each of Rows rows of Cols
// contiguous elements.
type SoftmaxParams struct {
	Rows, Cols int
}

// UnaryOp names an elementwise function.
type UnaryOp int

const (
	// ReLU is max(x, 0).
	ReLU UnaryOp = iota
	// LeakyReLU is x for x > 0 and alpha*x otherwise.
	LeakyReLU
	// Tanh is tanh(x).
	Tanh
	// Sigmoid is 1/(1+exp(-x)).
	Sigmoid
	// Scale is alpha*x.
	Scale
	// AddScalar is x + alpha.
	AddScalar
	// Square is x*x.
	Square
	// Exp is exp(x).
	Exp
	// Abs is |x|; its gradient at 0 is taken as 0.
	Abs
)

// String returns the op's name.
func (op UnaryOp) String() string {
	names := [...]string{"relu", "leaky_relu", "tanh", "sigmoid", "scale", "add_scalar", "square", "exp", "abs"}
	if int(op) < len(names) && op >= 0 {
		return names[op]
	}
	return fmt.Sprintf("UnaryOp(%d)", int(op))
}

// BinaryOp names an elementwise function of two operands.
type BinaryOp int

const (
	// Add is a + b.
	Add BinaryOp = iota
	// Sub is a - b.
	Sub
	// Mul is a * b.
	Mul
	// Div is a / b.
	Div
)

// String returns the op's name.
func (op BinaryOp) String() string {
	names := [...]string{"add", "sub", "mul", "div"}
	if int(op) < len(names) && op >= 0 {
		return names[op]
	}
	return fmt.Sprintf("BinaryOp(%d)", int(op))
}

// BroadcastParams describes an operand b broadcast over a full shape of at
// most four dimensions (pad shorter shapes with leading 1s). Element
// (i0, i1, i2, i3) of the full shape reads b at
// i0*BStride[0] + i1*BStride[1] + i2*BStride[2] + i3*BStride[3];
// a stride of 0 repeats b along that dimension.
type BroadcastParams struct {
	Shape   [4]int
	BStride [4]int
}

// Len returns the element count of the full shape.
func (p BroadcastParams) Len() int { return p.Shape[0] * p.Shape[1] * p.Shape[2] * p.Shape[3] }

// BLen returns the element count of the broadcast operand.
func (p BroadcastParams) BLen() int {
	n := 1
	for d := range 4 {
		if p.BStride[d] != 0 {
			n *= p.Shape[d]
		}
	}
	return n
}

// Validate reports a negative size or stride, and strides under which two
// elements of the shape would share an element of b (a SumTo into b would
// then add into one element from two places at once). Strides are checked
// sorted: each dimension of b must step over the whole of the previous one.
func (p BroadcastParams) Validate() error {
	for d := range 4 {
		if p.Shape[d] < 0 || p.BStride[d] < 0 {
			return fmt.Errorf("bad broadcast shape %v strides %v", p.Shape, p.BStride)
		}
	}
	var buf [4][2]int // stride, size
	dims := buf[:0]
	for d := range 4 {
		if p.BStride[d] != 0 && p.Shape[d] > 1 {
			dims = append(dims, [2]int{p.BStride[d], p.Shape[d]})
		}
	}
	slices.SortFunc(dims, func(x, y [2]int) int { return x[0] - y[0] })
	for i := 1; i < len(dims); i++ {
		if dims[i][0] < dims[i-1][0]*dims[i-1][1] {
			return fmt.Errorf("b strides overlap for shape %v with b strides %v", p.Shape, p.BStride)
		}
	}
	return nil
}

// LastB returns the largest index of b that p reads, 0 for an empty shape.
func (p BroadcastParams) LastB() int {
	if p.Len() == 0 {
		return 0
	}
	last := 0
	for d := range 4 {
		if p.Shape[d] > 0 {
			last += (p.Shape[d] - 1) * p.BStride[d]
		}
	}
	return last
}

// ReduceOp names a reduction to one value.
type ReduceOp int

const (
	// Sum is sum(a).
	Sum ReduceOp = iota
	// Mean is sum(a)/len(a).
	Mean
	// MeanAbsDiff is mean |a - b|, the L1 loss. Its gradient at a == b is 0.
	MeanAbsDiff
	// MeanSquaredDiff is mean (a - b)^2, the MSE loss.
	MeanSquaredDiff
)

// String returns the op's name.
func (op ReduceOp) String() string {
	names := [...]string{"sum", "mean", "mean_abs_diff", "mean_squared_diff"}
	if int(op) < len(names) && op >= 0 {
		return names[op]
	}
	return fmt.Sprintf("ReduceOp(%d)", int(op))
}

// AdamParams holds the hyper-parameters of one Adam step, as in
// torch.optim.Adam without weight decay or amsgrad. Step counts from 1 and
// sets the bias corrections 1-Beta1^Step and 1-Beta2^Step.
type AdamParams struct {
	LR, Beta1, Beta2, Eps float32
	Step                  int
}
