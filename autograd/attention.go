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
		tensor.AttentionBackwardAcc(q.Value, k.Value, v.Value, scale, o, lse, do, q.gradIf(), k.gradIf(), v.gradIf())
	}, lse)
}

// Softmax returns the softmax of x along its last dimension.
func Softmax(x *Var) *Var {
	y := tensor.Softmax(x.Value)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.SoftmaxBackwardAcc(y, dy, x.grad())
	})
}
