package tensor

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// MatMul returns op(a) op(b) for matrices [M, K] x [K, N], or batched
// [B, M, K] x [B, K, N], where op transposes the last two dimensions when
// transA or transB is set. The product is computed in PrecisionOn(a's
// device).
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	p := matmulParams("MatMul", a, b, transA, transB)
	shape := []int{p.M, p.N}
	if a.Rank() == 3 {
		shape = []int{p.Batch, p.M, p.N}
	}
	c := New(a.dev, shape...)
	a.dev.Gemm(p, a.buf, b.buf, c.buf)
	return c
}

// MatMulAcc accumulates c += op(a) op(b); shapes as in MatMul.
func MatMulAcc(a, b *Tensor, transA, transB bool, c *Tensor) {
	p := matmulParams("MatMulAcc", a, b, transA, transB)
	if c.Len() != p.Batch*p.M*p.N {
		panic(fmt.Sprintf("tensor: MatMulAcc: c %v for a %v, b %v", c.shape, a.shape, b.shape))
	}
	p.Beta = 1
	a.dev.Gemm(p, a.buf, b.buf, c.buf)
}

func matmulParams(op string, a, b *Tensor, transA, transB bool) kernels.GemmParams {
	mustSameDevice(op, a, b)
	if a.Rank() != b.Rank() || a.Rank() < 2 || a.Rank() > 3 || (a.Rank() == 3 && a.shape[0] != b.shape[0]) {
		panic(fmt.Sprintf("tensor: %s: a %v vs b %v", op, a.shape, b.shape))
	}
	r := a.Rank()
	m, k := a.shape[r-2], a.shape[r-1]
	if transA {
		m, k = k, m
	}
	kb, n := b.shape[r-2], b.shape[r-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("tensor: %s: a %v (trans %v) vs b %v (trans %v)", op, a.shape, transA, b.shape, transB))
	}
	batch := 1
	if r == 3 {
		batch = a.shape[0]
	}
	return kernels.GemmParams{TransA: transA, TransB: transB, M: m, N: n, K: k, Alpha: 1,
		Batch: batch, StrideA: m * k, StrideB: k * n, StrideC: m * n, Precision: PrecisionOn(a.dev)}
}
