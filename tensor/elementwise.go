package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// Apply returns op(x) elementwise; alpha is the op's parameter (the slope of
// LeakyReLU, the factor of Scale, the addend of AddScalar).
func Apply(op kernels.UnaryOp, alpha float32, x *Tensor) *Tensor {
	y := New(x.dev, x.shape...)
	x.dev.Unary(op, alpha, x.buf, y.buf)
	return y
}

// ApplyInPlace overwrites x with op(x).
func ApplyInPlace(op kernels.UnaryOp, alpha float32, x *Tensor) {
	x.dev.Unary(op, alpha, x.buf, x.buf)
}

// ApplyBackwardAcc accumulates dx += op'(x) * dy given x and y = op(x).
func ApplyBackwardAcc(op kernels.UnaryOp, alpha float32, x, y, dy, dx *Tensor) {
	mustShape("ApplyBackwardAcc", "dy", dy, x.shape...)
	mustShape("ApplyBackwardAcc", "dx", dx, x.shape...)
	x.dev.UnaryBackward(op, alpha, x.buf, y.buf, dy.buf, dx.buf)
}

// Broadcast returns the kernel description of b broadcast over the shape of
// a, following NumPy's rules with b aligned to a's trailing dimensions. Only
// b may broadcast; a's shape is the result's. It panics if the shapes do not
// broadcast or a has more than four dimensions.
func Broadcast(op string, a, b []int) kernels.BroadcastParams {
	if len(a) > 4 || len(b) > len(a) {
		panic(fmt.Sprintf("tensor: %s: cannot broadcast %v over %v", op, b, a))
	}
	var p kernels.BroadcastParams
	off := 4 - len(a)
	for d := range 4 {
		p.Shape[d] = 1
		if d >= off {
			p.Shape[d] = a[d-off]
		}
	}
	stride := 1
	for d := 3; d >= 0; d-- {
		bi := d - (4 - len(b))
		bd := 1
		if bi >= 0 {
			bd = b[bi]
		}
		switch {
		case bd == p.Shape[d]:
			if bd > 1 {
				p.BStride[d] = stride
			}
		case bd == 1:
		default:
			panic(fmt.Sprintf("tensor: %s: cannot broadcast %v over %v", op, b, a))
		}
		stride *= bd
	}
	return p
}

// Binary returns a op b, with b broadcast over a's shape.
func Binary(op kernels.BinaryOp, a, b *Tensor) *Tensor {
	mustSameDevice(op.String(), a, b)
	p := Broadcast(op.String(), a.shape, b.shape)
	y := New(a.dev, a.shape...)
	a.dev.Binary(op, p, a.buf, b.buf, y.buf)
	return y
}

// Add returns a + b with b broadcast over a.
func Add(a, b *Tensor) *Tensor { return Binary(kernels.Add, a, b) }

// Sub returns a - b with b broadcast over a.
func Sub(a, b *Tensor) *Tensor { return Binary(kernels.Sub, a, b) }

// Mul returns a * b with b broadcast over a.
func Mul(a, b *Tensor) *Tensor { return Binary(kernels.Mul, a, b) }

// Div returns a / b with b broadcast over a.
func Div(a, b *Tensor) *Tensor { return Binary(kernels.Div, a, b) }

// AddScaledAcc accumulates dst += alpha*x; the element counts must match.
func AddScaledAcc(alpha float32, x, dst *Tensor) {
	mustSameDevice("AddScaledAcc", x, dst)
	if dst.Len() != x.Len() {
		panic(fmt.Sprintf("tensor: AddScaledAcc: x %v vs dst %v", x.shape, dst.shape))
	}
	dst.dev.Axpby(alpha, x.buf, 1, dst.buf)
}

// ScaleInPlace multiplies every element of t by alpha.
func (t *Tensor) ScaleInPlace(alpha float32) { t.dev.Unary(kernels.Scale, alpha, t.buf, t.buf) }

// SumToAcc accumulates x into dst, summing over the dimensions along which
// dst's shape broadcasts to x's: the gradient of broadcasting dst.
func SumToAcc(x, dst *Tensor) {
	mustSameDevice("SumToAcc", x, dst)
	p := Broadcast("SumToAcc", x.shape, dst.shape)
	x.dev.SumTo(p, x.buf, dst.buf)
}
