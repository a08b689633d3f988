package autograd

import "github.com/semgan/semgan/tensor"

// Attention returns o [B, Dv, Nq], where column j is the softmax-weighted
// sum of the columns of v [B, Dv, Nk] with weights
// softmax_i(scale * q[:, j] . k[:, i]), for q [B, Dk, Nq] and k [B, Dk, Nk].
// It never holds the Nq x Nk weights in memory: backward recomputes them.
func Attention(q, k, v *Var, scale float32) *Var {
	o, lse := tensor.Attention(q.Value, k.Value, v.Value, scale)
	// lse, kept for backward
	return record(o, []*Var{q, k, v}, func(do *tensor.Tensor) {
		dq, dk, dv := gradOrScratch(q), gradOrScratch(k), gradOrScratch(v)
		tensor.AttentionBackward(q.Value, k.Value, v.Value, scale, o, lse, do, dq, dk, dv)
		freeScratch(q, dq)
		freeScratch(k, dk)
		freeScratch(v, dv)
	}, lse)
}

// gradOrScratch returns v's gradient, or a scratch tensor when v needs none
// (the attention kernel computes all three gradients together).
func gradOrScratch(v *Var) *tensor.Tensor {
	if v.requiresGrad {
		return v.grad()
	}
	return tensor.ZerosLike(v.Value)
}

func freeScratch(v *Var, g *tensor.Tensor) {
	if !v.requiresGrad {
		g.Free()
	}
}

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

// Softmax returns the softmax of x along its last dimension.
func Softmax(x *Var) *Var {
	y := tensor.Softmax(x.Value)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.SoftmaxBackward(y, dy, x.grad())
	})
}
