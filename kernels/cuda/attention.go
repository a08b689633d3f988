//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
)

// maxShared is the dynamic shared memory a kernel may use without opting
// in, on every GPU since compute capability 3.0.
const maxShared = 48 << 10

// checkAttn panics, naming fn, if p is beyond the device's limits (the
// contract itself is kernels.AttentionParams.CheckForward's).
func checkAttn(fn string, p kernels.AttentionParams) {
	if p.Batch > maxGridYZ {
		panic(fmt.Sprintf("cuda: %s: batch %d larger than %d", fn, p.Batch, maxGridYZ))
	}
	checkInt32(fn, p.QLen(), p.KLen(), p.VLen(), p.OLen())
}

// attnTile returns the largest tile T (at most 32) whose shared memory,
// floats(T) float32s, fits; it panics, naming fn, if none does.
func attnTile(fn string, p kernels.AttentionParams, floats func(t int) int) (t, bytes int) {
	for t = 32; t >= 1; t /= 2 {
		if b := 4 * floats(t); b <= maxShared {
			return t, b
		}
	}
	panic(fmt.Sprintf("cuda: %s: Dk=%d Dv=%d need more shared memory than a block has", fn, p.Dk, p.Dv))
}

// attnBlock returns the block of the attention kernels with tile t: enough
// threads for the largest of their loops over a tile (T x T scores, Dv x T
// outputs), at most 256.
func attnBlock(p kernels.AttentionParams, t int) dim3 { return block1(max(t*t, p.Dv*t, p.Dk*t)) }

// AttentionForward computes o = V softmax(scale * K^T Q) column by column
// and lse, the log-sum-exp of each query's scores (see
// kernels.AttentionParams), overwriting both, without materialising the
// Nq x Nk matrix. It panics if p is invalid or a buffer has the wrong length.
func (be *Backend) AttentionForward(p kernels.AttentionParams, q, k, v, o, lse kernels.Buffer) {
	const fn = "AttentionForward"
	qb, kb, vb, ob, lb := be.unwrap(fn, q), be.unwrap(fn, k), be.unwrap(fn, v), be.unwrap(fn, o), be.unwrap(fn, lse)
	must(fn, p.CheckForward(ln(qb), ln(kb), ln(vb), ln(ob), ln(lb)))
	checkAttn(fn, p)
	// Qs, Ks, Vs, P, Os, m, l, corr: see attention_forward_f32.
	t, shared := attnTile(fn, p, func(t int) int { return 2*p.Dk*t + 2*p.Dv*t + t*(t+1) + 3*t })
	be.mu.Lock()
	defer be.mu.Unlock()
	be.launchAttentionForward(fn, dim3{(p.Nq + t - 1) / t, p.Batch, 1}, attnBlock(p, t), shared,
		ptr(qb), ptr(kb), ptr(vb), ptr(ob), ptr(lb), p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, t, int(p.Precision))
}

// AttentionBackward accumulates dq, dk and dv (any may be nil) from do,
// recomputing the attention weights from q, k and lse tile by tile. It
// panics if p is invalid or a buffer has the wrong length.
func (be *Backend) AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv kernels.Buffer) {
	const fn = "AttentionBackward"
	qb, kb, vb, ob, lb := be.unwrap(fn, q), be.unwrap(fn, k), be.unwrap(fn, v), be.unwrap(fn, o), be.unwrap(fn, lse)
	dob, dqb, dkb, dvb := be.unwrap(fn, do), be.unwrap(fn, dq), be.unwrap(fn, dk), be.unwrap(fn, dv)
	must(fn, p.CheckBackward(ln(qb), ln(kb), ln(vb), ln(ob), ln(lb), ln(dob), ln(dqb), ln(dkb), ln(dvb)))
	checkAttn(fn, p)
	if dqb == nil && dkb == nil && dvb == nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	rows := p.Batch * p.Nq
	d := be.allocLocked(rows)
	defer be.freeLocked(d)
	be.launchAttentionRowdot(fn, blocksFor(rows), block1(rows), 0, ptr(ob), ptr(dob), ptr(d), p.Dv, p.Nq, rows)
	if dqb != nil {
		// Qs, Ks, dQs, dOs, Vs, dS, lse, D: see attention_backward_dq_f32.
		t, shared := attnTile(fn, p, func(t int) int { return 3*p.Dk*t + 2*p.Dv*t + t*(t+1) + 2*t })
		be.launchAttentionBackwardDq(fn, dim3{(p.Nq + t - 1) / t, p.Batch, 1}, attnBlock(p, t), shared,
			ptr(qb), ptr(kb), ptr(vb), ptr(lb), ptr(d), ptr(dob), ptr(dqb), p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, t, int(p.Precision))
	}
	if dkb != nil || dvb != nil {
		// Ks, Qs, dKs, Vs, dOs, dVs, P, dS, lse, D: see attention_backward_dkdv_f32.
		t, shared := attnTile(fn, p, func(t int) int { return 3*p.Dk*t + 3*p.Dv*t + 2*t*(t+1) + 2*t })
		be.launchAttentionBackwardDkdv(fn, dim3{(p.Nk + t - 1) / t, p.Batch, 1}, attnBlock(p, t), shared,
			ptr(qb), ptr(kb), ptr(vb), ptr(lb), ptr(d), ptr(dob), ptr(dkb), ptr(dvb), p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, t, int(p.Precision))
	}
}
