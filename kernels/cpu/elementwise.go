package cpu

import (
	"fmt"
	"math"

	"github.com/semgan/semgan/kernels"
)

// elemMinChunk is the number of elements below which elementwise work is not
// split further over goroutines.
const elemMinChunk = 1 << 15

// Unary computes y = op(x) elementwise (see kernels.UnaryOp), overwriting y;
// alpha is the slope of LeakyReLU, the factor of Scale and the addend of
// AddScalar, and is ignored by the other ops. y may be x. Tanh, Sigmoid and
// Exp are evaluated in float64. Unary panics if the lengths differ or op is
// unknown.
func Unary(op kernels.UnaryOp, alpha float32, x, y []float32) {
	must("Unary", op.CheckForward(ln(x), ln(y)))
	f := unaryFunc(op, alpha)
	parallelFor(len(x), elemMinChunk, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		ys = ys[:len(xs)]
		switch op {
		// The common cheap ops get their own loops; the rest go through f.
		case kernels.ReLU:
			if k := kernelLen(reluKernel != nil, len(xs)); k > 0 {
				reluKernel(&xs[0], &ys[0], k)
				xs, ys = xs[k:], ys[k:]
			}
			for i, v := range xs {
				ys[i] = max(v, 0)
			}
		case kernels.LeakyReLU:
			if k := kernelLen(leakyReLUKernel != nil, len(xs)); k > 0 {
				leakyReLUKernel(&xs[0], &ys[0], k, alpha)
				xs, ys = xs[k:], ys[k:]
			}
			for i, v := range xs {
				ys[i] = v
				if v <= 0 || v != v {
					ys[i] = alpha * v
				}
			}
		case kernels.Scale:
			for i, v := range xs {
				ys[i] = alpha * v
			}
		default:
			for i, v := range xs {
				ys[i] = f(v)
			}
		}
	})
}

// unaryFunc returns op as a function of one element; it panics if op is
// unknown.
func unaryFunc(op kernels.UnaryOp, alpha float32) func(float32) float32 {
	switch op {
	case kernels.ReLU:
		return func(v float32) float32 { return max(v, 0) }
	case kernels.LeakyReLU:
		return func(v float32) float32 {
			if v > 0 {
				return v
			}
			return alpha * v
		}
	case kernels.Tanh:
		return func(v float32) float32 { return float32(math.Tanh(float64(v))) }
	case kernels.Sigmoid:
		return func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
	case kernels.Scale:
		return func(v float32) float32 { return alpha * v }
	case kernels.AddScalar:
		return func(v float32) float32 { return v + alpha }
	case kernels.Square:
		return func(v float32) float32 { return v * v }
	case kernels.Exp:
		return func(v float32) float32 { return float32(math.Exp(float64(v))) }
	case kernels.Abs:
		return func(v float32) float32 { return float32(math.Abs(float64(v))) }
	}
	panic(fmt.Sprintf("cpu: Unary: unknown op %v", op))
}

// The ReLU and LeakyReLU cases of Unary and UnaryBackward in assembly
// where the CPU has them (elementwise_amd64.go), nil otherwise: they take
// the leading multiple of 16 elements, without the branch per element
// that random signs mispredict half the time.
var (
	reluKernel              func(x, y *float32, n int)
	leakyReLUKernel         func(x, y *float32, n int, alpha float32)
	reluBackwardKernel      func(x, dy, dx *float32, n int)
	leakyReLUBackwardKernel func(x, dy, dx *float32, n int, alpha float32)
)

// UnaryBackward accumulates dx += op'(x) * dy elementwise, where y = op(x):
//
//	ReLU      1 for x > 0, else 0        LeakyReLU  1 for x > 0, else alpha
//	Tanh      1 - y^2                    Sigmoid    y (1 - y)
//	Scale     alpha                      AddScalar  1
//	Square    2x                         Exp        y
//	Abs       sign(x), 0 at 0
//
// Only the operand the derivative uses must be given: x for ReLU,
// LeakyReLU, Square and Abs, y for Tanh, Sigmoid and Exp, neither for Scale
// and AddScalar; the other may be nil. A nil dx is skipped. UnaryBackward
// panics if a given slice's length differs from dy's or op is unknown.
func UnaryBackward(op kernels.UnaryOp, alpha float32, x, y, dy, dx []float32) {
	const fn = "UnaryBackward"
	must(fn, op.CheckBackward(ln(x), ln(y), ln(dy), ln(dx)))
	needX, needY := op.Reads()
	n := len(dy)
	if dx == nil {
		return
	}
	parallelFor(n, elemMinChunk, func(lo, hi int) {
		dys, dxs := dy[lo:hi], dx[lo:hi]
		dxs = dxs[:len(dys)]
		var xs, ys []float32
		if needX {
			xs = x[lo:hi]
			xs = xs[:len(dys)]
		}
		if needY {
			ys = y[lo:hi]
			ys = ys[:len(dys)]
		}
		switch op {
		case kernels.ReLU:
			if k := kernelLen(reluBackwardKernel != nil, len(dys)); k > 0 {
				reluBackwardKernel(&xs[0], &dys[0], &dxs[0], k)
				xs, dys, dxs = xs[k:], dys[k:], dxs[k:]
			}
			for i, g := range dys {
				if xs[i] > 0 {
					dxs[i] += g
				}
			}
		case kernels.LeakyReLU:
			if k := kernelLen(leakyReLUBackwardKernel != nil, len(dys)); k > 0 {
				leakyReLUBackwardKernel(&xs[0], &dys[0], &dxs[0], k, alpha)
				xs, dys, dxs = xs[k:], dys[k:], dxs[k:]
			}
			for i, g := range dys {
				if xs[i] > 0 {
					dxs[i] += g
				} else {
					dxs[i] += alpha * g
				}
			}
		case kernels.Tanh:
			for i, g := range dys {
				dxs[i] += (1 - ys[i]*ys[i]) * g
			}
		case kernels.Sigmoid:
			for i, g := range dys {
				dxs[i] += ys[i] * (1 - ys[i]) * g
			}
		case kernels.Scale:
			axpy(dxs, alpha, dys)
		case kernels.AddScalar:
			axpy(dxs, 1, dys)
		case kernels.Square:
			for i, g := range dys {
				dxs[i] += 2 * xs[i] * g
			}
		case kernels.Exp:
			for i, g := range dys {
				dxs[i] += ys[i] * g
			}
		case kernels.Abs:
			for i, g := range dys {
				switch v := xs[i]; {
				case v > 0:
					dxs[i] += g
				case v < 0:
					dxs[i] -= g
				}
			}
		}
	})
}

// bcast is a BroadcastParams simplified for iteration: dimensions of size 1
// dropped and neighbours merged where both the full shape (always
// contiguous) and b allow it, so that for example [N, C, H, W] with b
// [1, C, 1, 1] becomes [N, C, H*W] with b strides [0, 1, 0]. Dimensions are
// innermost last; unused leading ones have size 1.
type bcast struct {
	shape, bstride [4]int
}

// simplify returns the bcast form of p, whose sizes must all be positive.
func simplify(p kernels.BroadcastParams) bcast {
	var q bcast
	nd := 0 // dimensions kept so far, stored from the back
	for d := 3; d >= 0; d-- {
		if p.Shape[d] == 1 {
			continue
		}
		if nd > 0 {
			inner := 4 - nd
			// Merge into the next-inner kept dimension when b steps over it
			// contiguously (or not at all).
			if p.BStride[d] == q.bstride[inner]*q.shape[inner] {
				q.shape[inner] *= p.Shape[d]
				continue
			}
		}
		nd++
		q.shape[4-nd], q.bstride[4-nd] = p.Shape[d], p.BStride[d]
	}
	for d := range 4 - nd {
		q.shape[d] = 1
	}
	return q
}

// Binary computes y = a op b elementwise over the full shape of p, reading b
// through p.BStride (a stride of 0 broadcasts b along that dimension), and
// overwrites y. a and y have p.Len() elements, b has p.BLen(). y may be a.
// Rows of the simplified shape are spread over goroutines. Binary panics if
// a slice has the wrong length, a stride reads outside b, or op is unknown.
func Binary(op kernels.BinaryOp, p kernels.BroadcastParams, a, b, y []float32) {
	const fn = "Binary"
	must(fn, p.CheckBinary(op, ln(a), ln(b), ln(y)))
	if len(a) == 0 {
		return
	}
	q := simplify(p)
	inner := q.shape[3]
	rows := len(a) / inner
	parallelFor(rows, max(1, elemMinChunk/inner), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			// Row r of the full shape is (i0, i1, i2) in the outer dims.
			i2 := r % q.shape[2]
			i1 := (r / q.shape[2]) % q.shape[1]
			i0 := r / (q.shape[2] * q.shape[1])
			boff := i0*q.bstride[0] + i1*q.bstride[1] + i2*q.bstride[2]
			as, ys := a[r*inner:(r+1)*inner], y[r*inner:(r+1)*inner]
			switch q.bstride[3] {
			case 0:
				binaryScalar(op, as, b[boff], ys)
			case 1:
				binaryVec(op, as, b[boff:boff+inner], ys)
			default:
				bs := q.bstride[3]
				for i, av := range as {
					ys[i] = binaryOp(op, av, b[boff+i*bs])
				}
			}
		}
	})
}

// binaryOp returns a op b for one element.
func binaryOp(op kernels.BinaryOp, a, b float32) float32 {
	switch op {
	case kernels.Add:
		return a + b
	case kernels.Sub:
		return a - b
	case kernels.Mul:
		return a * b
	default:
		return a / b
	}
}

// binaryVec computes y[i] = a[i] op b[i]; y may be a.
func binaryVec(op kernels.BinaryOp, a, b, y []float32) {
	b, y = b[:len(a)], y[:len(a)]
	switch op {
	case kernels.Add:
		for i, v := range a {
			y[i] = v + b[i]
		}
	case kernels.Sub:
		for i, v := range a {
			y[i] = v - b[i]
		}
	case kernels.Mul:
		for i, v := range a {
			y[i] = v * b[i]
		}
	case kernels.Div:
		for i, v := range a {
			y[i] = v / b[i]
		}
	}
}

// binaryScalar computes y[i] = a[i] op b; y may be a.
func binaryScalar(op kernels.BinaryOp, a []float32, b float32, y []float32) {
	y = y[:len(a)]
	switch op {
	case kernels.Add:
		for i, v := range a {
			y[i] = v + b
		}
	case kernels.Sub:
		for i, v := range a {
			y[i] = v - b
		}
	case kernels.Mul:
		for i, v := range a {
			y[i] = v * b
		}
	case kernels.Div:
		for i, v := range a {
			y[i] = v / b
		}
	}
}

// Axpby computes y = alpha*x + beta*y elementwise. When beta is 0, y is
// overwritten without being read, so it may hold NaN. Axpby panics if the
// lengths differ.
func Axpby(alpha float32, x []float32, beta float32, y []float32) {
	must("Axpby", kernels.CheckAxpby(ln(x), ln(y)))
	parallelFor(len(x), elemMinChunk, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		ys = ys[:len(xs)]
		if beta == 0 {
			for i, v := range xs {
				ys[i] = alpha * v
			}
			return
		}
		for i, v := range xs {
			ys[i] = alpha*v + beta*ys[i]
		}
	})
}

// SumTo accumulates x, of the full shape of p, into y, of b's shape: it is
// the adjoint of reading b through p.BStride in Binary,
//
//	y[i0*BStride[0] + ... + i3*BStride[3]] += x[i0, i1, i2, i3]
//
// so every dimension with stride 0 is summed over. Each y element's sum is
// accumulated in float64 by one goroutine. SumTo panics if a slice has the
// wrong length or a stride reads outside y.
func SumTo(p kernels.BroadcastParams, x, y []float32) {
	must("SumTo", p.CheckSumTo(ln(x), ln(y)))
	if len(x) == 0 {
		return
	}
	q := simplify(p)
	// x strides of the simplified (contiguous) full shape.
	var xs [4]int
	xs[3] = 1
	for d := 2; d >= 0; d-- {
		xs[d] = xs[d+1] * q.shape[d+1]
	}
	// Split the dimensions into kept ones (b stride != 0), which index y,
	// and summed ones. Merging left at most two summed dimensions.
	var keep, sum []int
	for d := range 4 {
		if q.shape[d] == 1 {
			continue
		}
		if q.bstride[d] != 0 {
			keep = append(keep, d)
		} else {
			sum = append(sum, d)
		}
	}
	// Summed dimensions as an outer and an inner loop (size 1 if absent).
	so, si := [2]int{1, 0}, [2]int{1, 0} // size, x stride
	switch len(sum) {
	case 1:
		si = [2]int{q.shape[sum[0]], xs[sum[0]]}
	case 2:
		so = [2]int{q.shape[sum[0]], xs[sum[0]]}
		si = [2]int{q.shape[sum[1]], xs[sum[1]]}
	}
	nKeep := 1
	for _, d := range keep {
		nKeep *= q.shape[d]
	}
	parallelFor(nKeep, max(1, elemMinChunk/(so[0]*si[0])), func(lo, hi int) {
		for e := lo; e < hi; e++ {
			// Coordinates of the e-th kept element, innermost kept dim last.
			xoff, yoff, rest := 0, 0, e
			for i := len(keep) - 1; i >= 0; i-- {
				d := keep[i]
				c := rest % q.shape[d]
				rest /= q.shape[d]
				xoff += c * xs[d]
				yoff += c * q.bstride[d]
			}
			var s float64
			for o := range so[0] {
				base := xoff + o*so[1]
				if si[1] == 1 {
					for _, v := range x[base : base+si[0]] {
						s += float64(v)
					}
					continue
				}
				for i := range si[0] {
					s += float64(x[base+i*si[1]])
				}
			}
			y[yoff] += float32(s)
		}
	})
}
