package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

func attentionParams(op string, q, k, v *Tensor, scale float32) kernels.AttentionParams {
	mustRank(op, "q", q, 3)
	mustRank(op, "k", k, 3)
	mustRank(op, "v", v, 3)
	p := kernels.AttentionParams{Batch: q.shape[0], Dk: q.shape[1], Nq: q.shape[2], Dv: v.shape[1], Nk: k.shape[2],
		Scale: scale, Precision: PrecisionOn(q.dev)}
	if k.shape[0] != p.Batch || v.shape[0] != p.Batch || k.shape[1] != p.Dk || v.shape[2] != p.Nk {
		panic(fmt.Sprintf("tensor: %s: q %v, k %v, v %v (want [B, Dk, Nq], [B, Dk, Nk], [B, Dv, Nk])", op, q.shape, k.shape, v.shape))
	}
	return p
}

// Attention returns o [B, Dv, Nq] with o[:, j] = sum_i p_ji v[:, i] and
// p_j = softmax_i(scale * q[:, j] . k[:, i]), for q [B, Dk, Nq],
// k [B, Dk, Nk] and v [B, Dv, Nk], without materialising the Nq x Nk matrix.
// It also returns lse [B, Nq], the log-sum-exp of each query's scores, kept
// for the backward pass.
func Attention(q, k, v *Tensor, scale float32) (o, lse *Tensor) {
	p := attentionParams("Attention", q, k, v, scale)
	mustSameDevice("Attention", q, k, v)
	o = New(q.dev, p.Batch, p.Dv, p.Nq)
	lse = New(q.dev, p.Batch, p.Nq)
	q.dev.AttentionForward(p, q.buf, k.buf, v.buf, o.buf, lse.buf)
	return o, lse
}

// AttentionBackwardAcc accumulates the gradients of Attention into dq, dk and
// dv (each may be nil) given the output o, the kept lse and the output
// gradient do.
func AttentionBackwardAcc(q, k, v *Tensor, scale float32, o, lse, do, dq, dk, dv *Tensor) {
	p := attentionParams("AttentionBackwardAcc", q, k, v, scale)
	mustSameDevice("AttentionBackwardAcc", q, k, v, o, lse, do, dq, dk, dv)
	mustShape("AttentionBackwardAcc", "o", o, p.Batch, p.Dv, p.Nq)
	mustShape("AttentionBackwardAcc", "lse", lse, p.Batch, p.Nq)
	mustShape("AttentionBackwardAcc", "do", do, o.shape...)
	for _, g := range []struct {
		name string
		d, x *Tensor
	}{{"dq", dq, q}, {"dk", dk, k}, {"dv", dv, v}} {
		if g.d != nil {
			mustShape("AttentionBackwardAcc", g.name, g.d, g.x.shape...)
		}
	}
	q.dev.AttentionBackward(p, q.buf, k.buf, v.buf, o.buf, lse.buf, do.buf, bufOf(dq), bufOf(dk), bufOf(dv))
}

// Softmax returns the softmax of x along its last dimension.
func Softmax(x *Tensor) *Tensor {
	cols := x.Dim(-1)
	y := New(x.dev, x.shape...)
	x.dev.SoftmaxForward(kernels.SoftmaxParams{Rows: x.Len() / cols, Cols: cols}, x.buf, y.buf)
	return y
}

// SoftmaxBackwardAcc accumulates into dx the gradient of y = Softmax(x) given dy.
func SoftmaxBackwardAcc(y, dy, dx *Tensor) {
	mustShape("SoftmaxBackwardAcc", "dy", dy, y.shape...)
	mustShape("SoftmaxBackwardAcc", "dx", dx, y.shape...)
	cols := y.Dim(-1)
	y.dev.SoftmaxBackward(kernels.SoftmaxParams{Rows: y.Len() / cols, Cols: cols}, y.buf, dy.buf, dx.buf)
}
