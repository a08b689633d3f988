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

// The tensor-core kernels (attention.cu): Dk and Dv up to attnTCMaxD, padded
// to a multiple of the mma's k; the forward's blocks take 64 queries and
// key tiles of at most 64, the backward's one warp per 16 keys and query
// tiles of 32.
const (
	attnTCMaxD    = 64
	attnFwdRows   = 64
	attnFwdMaxBc  = 64
	attnBwdRows   = 32
	attnBwdMaxBc  = 64
	attnTCThreads = 128
)

// attnTC reports whether attention p runs on the tensor-core kernels: TF32
// or BF16, a device with tensor cores, Dk and Dv within the kernels' reach,
// and no test forcing the scalar kernels. be.mu is held. Otherwise the
// FP32 kernels run, rounding their operands as p.Precision says.
func (be *Backend) attnTC(p kernels.AttentionParams) bool {
	return be.tensorCoreKernels(p.Precision) && p.Dk <= attnTCMaxD && p.Dv <= attnTCMaxD
}

// attnTCDims returns, for the tensor-core kernels of precision prec, Dk and
// Dv rounded up to the mma's k, and the floats by which the kernels pad the
// rows of their shared tiles.
func attnTCDims(p kernels.AttentionParams) (dkp, dvp, pad int) {
	k, pad := 8, 8 // TF32 m16n8k8
	if p.Precision == kernels.BF16 {
		k, pad = 16, 4 // m16n8k16
	}
	return (p.Dk + k - 1) / k * k, (p.Dv + k - 1) / k * k, pad
}

// attnForwardTC launches attention_forward_{tf32,bf16} with the largest key
// tile whose two stages of K and V fit in the shared memory. be.mu is held.
func (be *Backend) attnForwardTC(fn string, p kernels.AttentionParams, q, k, v, o, lse devPtr) {
	dkp, dvp, pad := attnTCDims(p)
	bc := attnFwdMaxBc
	for 4*2*(dkp+dvp)*(bc+pad) > maxShared { // bc = 16 always fits, as Dk, Dv <= 64
		bc /= 2
	}
	grid, block, shared := dim3{(p.Nq + attnFwdRows - 1) / attnFwdRows, p.Batch, 1}, dim3{attnTCThreads, 1, 1}, 4*2*(dkp+dvp)*(bc+pad)
	if p.Precision == kernels.BF16 {
		be.launchAttentionForwardBf16(fn, grid, block, shared, q, k, v, o, lse, p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, bc)
	} else {
		be.launchAttentionForwardTf32(fn, grid, block, shared, q, k, v, o, lse, p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, bc)
	}
}

// attnBackwardTC launches attention_backward_{tf32,bf16}, accumulating into
// dq, dk and dv (0 for a gradient not wanted), with d = rowsum(do * o). It
// takes the widest blocks (warps of 16 keys) and the most query-tile stages
// (2, for cp.async double buffering, or 1) whose shared memory fits; one
// warp and one stage always do, as Dk, Dv <= 64. be.mu is held.
func (be *Backend) attnBackwardTC(fn string, p kernels.AttentionParams, q, k, v, lse, d, do, dq, dk, dv devPtr) {
	dkp, dvp, pad := attnTCDims(p)
	// Ks, Vs [dkp+dvp][bc+pad], then nbuf stages of Qs, dOs [dkp+dvp][32+pad],
	// lse, D [32], or of dSs [bc][32+pad], whichever is larger.
	bytes := func(warps, nbuf int) int {
		bc, ldq := 16*warps, attnBwdRows+pad
		return 4 * ((dkp+dvp)*(bc+pad) + nbuf*max((dkp+dvp)*ldq+2*attnBwdRows, bc*ldq))
	}
	warps, nbuf := attnBwdMaxBc/16, 2
	for bytes(warps, nbuf) > maxShared {
		if nbuf == 2 {
			nbuf = 1
		} else {
			warps, nbuf = warps/2, 2
		}
	}
	bc := 16 * warps
	grid, block, shared := dim3{(p.Nk + bc - 1) / bc, p.Batch, 1}, dim3{32 * warps, 1, 1}, bytes(warps, nbuf)
	if p.Precision == kernels.BF16 {
		be.launchAttentionBackwardBf16(fn, grid, block, shared, q, k, v, lse, d, do, dq, dk, dv, p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, nbuf)
	} else {
		be.launchAttentionBackwardTf32(fn, grid, block, shared, q, k, v, lse, d, do, dq, dk, dv, p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, nbuf)
	}
}

// AttentionForward computes o = V softmax(scale * K^T Q) column by column
// and lse, the log-sum-exp of each query's scores (see
// kernels.AttentionParams), overwriting both, without materialising the
// Nq x Nk matrix: on tensor cores for TF32 and BF16 where the device has
// them, otherwise with the FP32 kernel rounding the products' operands. It
// panics if p is invalid or a buffer has the wrong length.
func (be *Backend) AttentionForward(p kernels.AttentionParams, q, k, v, o, lse kernels.Buffer) {
	const fn = "AttentionForward"
	qb, kb, vb, ob, lb := be.unwrap(fn, q), be.unwrap(fn, k), be.unwrap(fn, v), be.unwrap(fn, o), be.unwrap(fn, lse)
	must(fn, p.CheckForward(ln(qb), ln(kb), ln(vb), ln(ob), ln(lb)))
	checkAttn(fn, p)
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.attnTC(p) {
		be.attnForwardTC(fn, p, ptr(qb), ptr(kb), ptr(vb), ptr(ob), ptr(lb))
		return
	}
	// Qs, Ks, Vs, P, Os, m, l, corr: see attention_forward_f32.
	t, shared := attnTile(fn, p, func(t int) int { return 2*p.Dk*t + 2*p.Dv*t + t*(t+1) + 3*t })
	be.launchAttentionForward(fn, dim3{(p.Nq + t - 1) / t, p.Batch, 1}, attnBlock(p, t), shared,
		ptr(qb), ptr(kb), ptr(vb), ptr(ob), ptr(lb), p.Dk, p.Dv, p.Nq, p.Nk, p.Scale, t, int(p.Precision))
}

// AttentionBackward accumulates dq, dk and dv (any may be nil) from do,
// recomputing the attention weights from q, k and lse tile by tile: on
// tensor cores for TF32 and BF16 where the device has them (dq then
// accumulates by atomic adds, its sums in an order that varies from run to
// run), otherwise with the FP32 kernels rounding the products' operands. It
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
	if be.attnTC(p) {
		be.attnBackwardTC(fn, p, ptr(qb), ptr(kb), ptr(vb), ptr(lb), ptr(d), ptr(dob), ptr(dqb), ptr(dkb), ptr(dvb))
		return
	}
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
