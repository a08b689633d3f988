package autograd

import "github.com/semgan/semgan/tensor"

// MatMul returns op(a) op(b) for matrices or batches of matrices (rank 2 or
// 3), op transposing the last two dimensions when its flag is set.
func MatMul(a, b *Var, transA, transB bool) *Var {
	c := tensor.MatMul(a.Value, b.Value, transA, transB)
	return record(c, []*Var{a, b}, func(dc *tensor.Tensor) {
		// C = A B: dA = dC B^T, dB = A^T dC; with transposes the roles swap.
		if a.requiresGrad {
			if transA {
				tensor.MatMulAcc(b.Value, dc, transB, true, a.grad())
			} else {
				tensor.MatMulAcc(dc, b.Value, false, !transB, a.grad())
			}
		}
		if b.requiresGrad {
			if transB {
				tensor.MatMulAcc(dc, a.Value, true, transA, b.grad())
			} else {
				tensor.MatMulAcc(a.Value, dc, !transA, false, b.grad())
			}
		}
	})
}
