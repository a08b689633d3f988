package kernels

import "fmt"

// Every op's contract is written once, here: each parameter struct has a
// Validate method for the parameters alone, a method per buffer length, and
// a Check method per op that takes the lengths of the op's buffers (Nil for
// an absent one) and returns an error naming the first buffer that does not
// fit. Backends call these before any work and panic with the error,
// prefixed by the backend and the op; they add only their device's own
// limits (32-bit indexing, grid sizes, shared memory).

// Nil is the length the checks take for a nil buffer.
const Nil = -1

// Len returns b.Len(), or Nil if b is nil.
func Len(b Buffer) int {
	if b == nil {
		return Nil
	}
	return b.Len()
}

// Arg is one buffer argument of an op as CheckLens sees it: its name, its
// length (Nil for a nil buffer), the length the op needs, and whether it
// may be nil.
type Arg struct {
	Name     string
	Len      int
	Want     int
	Optional bool
}

// CheckLens returns an error naming the first of args that is nil without
// being optional (a nil buffer where no element is wanted is accepted) or
// whose length is not its Want, with shape describing the op's parameters;
// shape is only called to build the message, so a passing check formats
// nothing.
func CheckLens(shape func() string, args ...Arg) error {
	for _, a := range args {
		switch {
		case a.Len == Nil && (a.Optional || a.Want == 0):
		case a.Len == Nil:
			return fmt.Errorf("%s is nil, want %d elements for %s", a.Name, a.Want, shape())
		case a.Len != a.Want:
			return fmt.Errorf("%s has %d elements, want %d for %s", a.Name, a.Len, a.Want, shape())
		}
	}
	return nil
}

// text returns a shape description for CheckLens that is a fixed string.
func text(s string) func() string { return func() string { return s } }

// Gemm.

// String describes p in messages.
func (p GemmParams) String() string {
	return fmt.Sprintf("M=%d N=%d K=%d trans %t/%t batch %d strides %d/%d/%d %v",
		p.M, p.N, p.K, p.TransA, p.TransB, p.Batch, p.StrideA, p.StrideB, p.StrideC, p.Precision)
}

// ALen returns the least length of A: Batch entries StrideA apart.
func (p GemmParams) ALen() int { return (p.Batch-1)*p.StrideA + p.M*p.K }

// BLen returns the least length of B.
func (p GemmParams) BLen() int { return (p.Batch-1)*p.StrideB + p.K*p.N }

// CLen returns the least length of C.
func (p GemmParams) CLen() int { return (p.Batch-1)*p.StrideC + p.M*p.N }

// Validate reports a mistake in p: a negative size or stride, no batch
// entries, or batch entries of C that overlap (StrideC < M*N with Batch > 1),
// which would make the result depend on the order of the entries.
func (p GemmParams) Validate() error {
	if p.M < 0 || p.N < 0 || p.K < 0 || p.Batch < 1 {
		return fmt.Errorf("gemm: bad sizes M=%d N=%d K=%d batch=%d", p.M, p.N, p.K, p.Batch)
	}
	if p.StrideA < 0 || p.StrideB < 0 || p.StrideC < 0 {
		return fmt.Errorf("gemm: negative stride %d/%d/%d", p.StrideA, p.StrideB, p.StrideC)
	}
	if p.Batch > 1 && p.StrideC < p.M*p.N && p.M*p.N > 0 {
		return fmt.Errorf("gemm: C batch entries overlap: StrideC=%d < M*N=%d*%d with batch %d",
			p.StrideC, p.M, p.N, p.Batch)
	}
	if err := p.Precision.Validate(); err != nil {
		return fmt.Errorf("gemm: %w", err)
	}
	return nil
}

// Check reports a mistake in p or buffers A, B and C of lengths a, b and c
// (Nil for nil) that are too short for it (they may be longer).
func (p GemmParams) Check(a, b, c int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	// A nil buffer has no elements: it will do where none are needed.
	if max(a, 0) < p.ALen() || max(b, 0) < p.BLen() || max(c, 0) < p.CLen() {
		return fmt.Errorf("gemm: buffers A=%d B=%d C=%d (%d: nil) too short for %v", a, b, c, Nil, p)
	}
	return nil
}

// Convolution.

// String describes p in messages.
func (p ConvParams) String() string {
	return fmt.Sprintf("[N=%d InC=%d %dx%d] * [OutC=%d %dx%d] stride %dx%d pad %dx%d -> %dx%d",
		p.N, p.InC, p.InH, p.InW, p.OutC, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.OutH(), p.OutW())
}

// CheckForward reports a mistake in p or in the lengths of ConvForward's
// x, w, bias (optional) and y.
func (p ConvParams) CheckForward(x, w, bias, y int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"w", w, p.WLen(), false},
		Arg{"bias", bias, p.OutC, true}, Arg{"y", y, p.YLen(), false})
}

// CheckBackwardData reports a mistake in p or in the lengths of
// ConvBackwardData's dy, w and dx.
func (p ConvParams) CheckBackwardData(dy, w, dx int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"dy", dy, p.YLen(), false}, Arg{"w", w, p.WLen(), false},
		Arg{"dx", dx, p.XLen(), false})
}

// CheckBackwardFilter reports a mistake in p or in the lengths of
// ConvBackwardFilter's x, dy, dw (optional) and dbias (optional).
func (p ConvParams) CheckBackwardFilter(x, dy, dw, dbias int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"dy", dy, p.YLen(), false},
		Arg{"dw", dw, p.WLen(), true}, Arg{"dbias", dbias, p.OutC, true})
}

// Padding.

// String describes p in messages.
func (p PadParams) String() string {
	return fmt.Sprintf("[N=%d C=%d %dx%d] padded (top %d, bottom %d, left %d, right %d) to %dx%d",
		p.N, p.C, p.H, p.W, p.Top, p.Bottom, p.Left, p.Right, p.OutH(), p.OutW())
}

// XLen returns the element count of the unpadded x.
func (p PadParams) XLen() int { return p.N * p.C * p.H * p.W }

// YLen returns the element count of the padded y.
func (p PadParams) YLen() int { return p.N * p.C * p.OutH() * p.OutW() }

// CheckForward reports a mistake in p or in the lengths of Pad's x and y.
func (p PadParams) CheckForward(x, y int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"y", y, p.YLen(), false})
}

// CheckBackward reports a mistake in p or in the lengths of PadBackward's
// dy and dx.
func (p PadParams) CheckBackward(dy, dx int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"dy", dy, p.YLen(), false}, Arg{"dx", dx, p.XLen(), false})
}

// Pooling.

// String describes p in messages.
func (p PoolParams) String() string {
	return fmt.Sprintf("[N=%d C=%d %dx%d] pooled %dx%d stride %dx%d pad %dx%d to %dx%d",
		p.N, p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.OutH(), p.OutW())
}

// CheckForward reports a mistake in p or in the lengths of MaxPoolForward's
// or AvgPoolForward's x and y.
func (p PoolParams) CheckForward(x, y int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"y", y, p.YLen(), false})
}

// CheckMaxBackward reports a mistake in p or in the lengths of
// MaxPoolBackward's x, dy and dx.
func (p PoolParams) CheckMaxBackward(x, dy, dx int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"dy", dy, p.YLen(), false},
		Arg{"dx", dx, p.XLen(), false})
}

// CheckAvgBackward reports a mistake in p or in the lengths of
// AvgPoolBackward's dy and dx.
func (p PoolParams) CheckAvgBackward(dy, dx int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"dy", dy, p.YLen(), false}, Arg{"dx", dx, p.XLen(), false})
}

// Instance norm.

// String describes p in messages.
func (p NormParams) String() string { return fmt.Sprintf("[N=%d C=%d S=%d]", p.N, p.C, p.S) }

// XLen returns the element count of x, y, dy and dx.
func (p NormParams) XLen() int { return p.N * p.C * p.S }

// StatLen returns the element count of mean and rstd: one per plane.
func (p NormParams) StatLen() int { return p.N * p.C }

// Validate reports a size that is not positive, or an Eps that is negative
// or NaN.
func (p NormParams) Validate() error {
	if p.N < 1 || p.C < 1 || p.S < 1 || !(p.Eps >= 0) {
		return fmt.Errorf("norm: bad parameters %+v", p)
	}
	return nil
}

// CheckForward reports a mistake in p or in the lengths of
// InstanceNormForward's x, gamma and beta (optional, C each), y, mean and
// rstd.
func (p NormParams) CheckForward(x, gamma, beta, y, mean, rstd int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"gamma", gamma, p.C, true},
		Arg{"beta", beta, p.C, true}, Arg{"y", y, p.XLen(), false},
		Arg{"mean", mean, p.StatLen(), false}, Arg{"rstd", rstd, p.StatLen(), false})
}

// CheckBackward reports a mistake in p or in the lengths of
// InstanceNormBackward's x, gamma (optional), mean, rstd, dy, and the
// optional dx, dgamma and dbeta.
func (p NormParams) CheckBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.XLen(), false}, Arg{"gamma", gamma, p.C, true},
		Arg{"mean", mean, p.StatLen(), false}, Arg{"rstd", rstd, p.StatLen(), false},
		Arg{"dy", dy, p.XLen(), false}, Arg{"dx", dx, p.XLen(), true},
		Arg{"dgamma", dgamma, p.C, true}, Arg{"dbeta", dbeta, p.C, true})
}

// Attention.

// String describes p in messages.
func (p AttentionParams) String() string {
	return fmt.Sprintf("[Batch=%d Dk=%d Dv=%d Nq=%d Nk=%d]", p.Batch, p.Dk, p.Dv, p.Nq, p.Nk)
}

// QLen returns the element count of q and dq.
func (p AttentionParams) QLen() int { return p.Batch * p.Dk * p.Nq }

// KLen returns the element count of k and dk.
func (p AttentionParams) KLen() int { return p.Batch * p.Dk * p.Nk }

// VLen returns the element count of v and dv.
func (p AttentionParams) VLen() int { return p.Batch * p.Dv * p.Nk }

// OLen returns the element count of o and do.
func (p AttentionParams) OLen() int { return p.Batch * p.Dv * p.Nq }

// LSELen returns the element count of lse.
func (p AttentionParams) LSELen() int { return p.Batch * p.Nq }

// Validate reports a dimension that is not positive.
func (p AttentionParams) Validate() error {
	if p.Batch < 1 || p.Dk < 1 || p.Dv < 1 || p.Nq < 1 || p.Nk < 1 {
		return fmt.Errorf("attention: bad parameters %+v", p)
	}
	if err := p.Precision.Validate(); err != nil {
		return fmt.Errorf("attention: %w", err)
	}
	return nil
}

// CheckForward reports a mistake in p or in the lengths of
// AttentionForward's q, k, v, o and lse.
func (p AttentionParams) CheckForward(q, k, v, o, lse int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"q", q, p.QLen(), false}, Arg{"k", k, p.KLen(), false},
		Arg{"v", v, p.VLen(), false}, Arg{"o", o, p.OLen(), false}, Arg{"lse", lse, p.LSELen(), false})
}

// CheckBackward reports a mistake in p or in the lengths of
// AttentionBackward's q, k, v, o, lse, do and the optional dq, dk and dv.
func (p AttentionParams) CheckBackward(q, k, v, o, lse, do, dq, dk, dv int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"q", q, p.QLen(), false}, Arg{"k", k, p.KLen(), false},
		Arg{"v", v, p.VLen(), false}, Arg{"o", o, p.OLen(), false}, Arg{"lse", lse, p.LSELen(), false},
		Arg{"do", do, p.OLen(), false}, Arg{"dq", dq, p.QLen(), true}, Arg{"dk", dk, p.KLen(), true},
		Arg{"dv", dv, p.VLen(), true})
}

// Softmax.

// String describes p in messages.
func (p SoftmaxParams) String() string { return fmt.Sprintf("%d rows x %d cols", p.Rows, p.Cols) }

// Len returns the element count of every buffer of the softmax.
func (p SoftmaxParams) Len() int { return p.Rows * p.Cols }

// Validate reports a negative size.
func (p SoftmaxParams) Validate() error {
	if p.Rows < 0 || p.Cols < 0 {
		return fmt.Errorf("softmax: bad size %d x %d", p.Rows, p.Cols)
	}
	return nil
}

// CheckForward reports a mistake in p or in the lengths of SoftmaxForward's
// x and y.
func (p SoftmaxParams) CheckForward(x, y int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"x", x, p.Len(), false}, Arg{"y", y, p.Len(), false})
}

// CheckBackward reports a mistake in p or in the lengths of
// SoftmaxBackward's y, dy and dx (optional).
func (p SoftmaxParams) CheckBackward(y, dy, dx int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"y", y, p.Len(), false}, Arg{"dy", dy, p.Len(), false},
		Arg{"dx", dx, p.Len(), true})
}

// Elementwise.

// Validate reports an op that is not one of the UnaryOp constants.
func (op UnaryOp) Validate() error {
	if op < ReLU || op > Abs {
		return fmt.Errorf("unknown op %v", op)
	}
	return nil
}

// Reads reports which operands the derivative of op reads: x for ReLU,
// LeakyReLU, Square and Abs; y for Tanh, Sigmoid and Exp; neither for
// Scale and AddScalar.
func (op UnaryOp) Reads() (x, y bool) {
	switch op {
	case ReLU, LeakyReLU, Square, Abs:
		return true, false
	case Tanh, Sigmoid, Exp:
		return false, true
	}
	return false, false
}

// CheckForward reports an unknown op or lengths of Unary's x and y that
// differ.
func (op UnaryOp) CheckForward(x, y int) error {
	if err := op.Validate(); err != nil {
		return err
	}
	if x == Nil {
		return fmt.Errorf("x is nil for %v", op)
	}
	return CheckLens(op.String, Arg{"y", y, x, false})
}

// CheckBackward reports an unknown op, a nil dy, or lengths of
// UnaryBackward's x and y (each optional unless op's derivative reads it)
// and dx (optional) that differ from dy's.
func (op UnaryOp) CheckBackward(x, y, dy, dx int) error {
	if err := op.Validate(); err != nil {
		return err
	}
	if dy == Nil {
		return fmt.Errorf("dy is nil for %v", op)
	}
	needX, needY := op.Reads()
	return CheckLens(op.String, Arg{"x", x, dy, !needX}, Arg{"y", y, dy, !needY}, Arg{"dx", dx, dy, true})
}

// Validate reports an op that is not one of the BinaryOp constants.
func (op BinaryOp) Validate() error {
	if op < Add || op > Div {
		return fmt.Errorf("unknown op %v", op)
	}
	return nil
}

// String describes p in messages.
func (p BroadcastParams) String() string {
	return fmt.Sprintf("shape %v with b strides %v", p.Shape, p.BStride)
}

// checkB reports a mistake in p, lengths of the full-shape buffer full and
// the broadcast one b that do not fit it, or a stride that reads past b.
func (p BroadcastParams) checkB(fullName string, full int, bName string, b int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := CheckLens(p.String, Arg{fullName, full, p.Len(), false}, Arg{bName, b, p.BLen(), false}); err != nil {
		return err
	}
	if p.Len() > 0 && p.LastB() >= b {
		return fmt.Errorf("b strides reach index %d of %d for %v", p.LastB(), b, p)
	}
	return nil
}

// CheckBinary reports an unknown op, a mistake in p, or lengths of Binary's
// a, b and y that do not fit p.
func (p BroadcastParams) CheckBinary(op BinaryOp, a, b, y int) error {
	if err := op.Validate(); err != nil {
		return err
	}
	if err := p.checkB("a", a, "b", b); err != nil {
		return err
	}
	return CheckLens(p.String, Arg{"y", y, p.Len(), false})
}

// CheckSumTo reports a mistake in p or lengths of SumTo's x (the full
// shape) and y (b's shape) that do not fit p.
func (p BroadcastParams) CheckSumTo(x, y int) error { return p.checkB("x", x, "y", y) }

// CheckAxpby reports lengths of Axpby's x and y that differ.
func CheckAxpby(x, y int) error {
	if x == Nil {
		return fmt.Errorf("x is nil")
	}
	return CheckLens(text("x and y"), Arg{"y", y, x, false})
}

// Reductions.

// Validate reports an op that is not one of the ReduceOp constants.
func (op ReduceOp) Validate() error {
	if op < Sum || op > MeanSquaredDiff {
		return fmt.Errorf("unknown op %v", op)
	}
	return nil
}

// HasB reports whether op reads a second operand b.
func (op ReduceOp) HasB() bool { return op == MeanAbsDiff || op == MeanSquaredDiff }

// CheckForward reports an unknown op, a nil a, a b (for the ops that read
// one) not as long as a, or an out without exactly one element.
func (op ReduceOp) CheckForward(a, b, out int) error { return op.check(a, b, "out", out) }

// check is CheckForward with the name of out.
func (op ReduceOp) check(a, b int, outName string, out int) error {
	if err := op.Validate(); err != nil {
		return err
	}
	if a == Nil {
		return fmt.Errorf("a is nil for %v", op)
	}
	if !op.HasB() {
		return CheckLens(op.String, Arg{outName, out, 1, false})
	}
	return CheckLens(op.String, Arg{"b", b, a, false}, Arg{outName, out, 1, false})
}

// CheckBackward reports what CheckForward does (with dout for out), a da
// or db (optional) not as long as a, or a db for an op without b.
func (op ReduceOp) CheckBackward(a, b, dout, da, db int) error {
	if err := op.check(a, b, "dout", dout); err != nil {
		return err
	}
	if !op.HasB() && db != Nil {
		return fmt.Errorf("db given for %v, which has no b", op)
	}
	return CheckLens(op.String, Arg{"da", da, a, true}, Arg{"db", db, a, true})
}

// Adam.

// Validate reports Step < 1, a Beta outside [0, 1), or a negative or NaN
// LR or Eps.
func (p AdamParams) Validate() error {
	if p.Step < 1 || !(p.Beta1 >= 0 && p.Beta1 < 1) || !(p.Beta2 >= 0 && p.Beta2 < 1) || !(p.Eps >= 0) || !(p.LR >= 0) {
		return fmt.Errorf("adam: bad parameters %+v", p)
	}
	return nil
}

// Check reports a mistake in p, a nil param, or lengths of grad, m and v
// that differ from param's.
func (p AdamParams) Check(param, grad, m, v int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if param == Nil {
		return fmt.Errorf("param is nil")
	}
	shape := func() string { return fmt.Sprintf("%d parameters", param) }
	return CheckLens(shape, Arg{"grad", grad, param, false}, Arg{"m", m, param, false}, Arg{"v", v, param, false})
}

// Block copy.

// Check reports a mistake in p given the lengths of src and dst (see
// Validate), or a nil src or dst.
func (p BlockCopyParams) Check(src, dst int) error {
	if src == Nil || dst == Nil {
		return fmt.Errorf("copy blocks: nil buffer (lengths src=%d dst=%d, %d meaning nil)", src, dst, Nil)
	}
	return p.Validate(src, dst)
}
