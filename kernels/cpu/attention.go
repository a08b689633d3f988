package cpu

import (
	"fmt"
	"math"

	"github.com/semgan/semgan/kernels"
)

// attnRowElems bounds the score block of one goroutine: a block of queries
// holds at most attnRowElems scores (8 MiB; the backward pass keeps two such
// blocks), and between 4 and 256 queries unless Nk is huge.
const attnRowElems = 1 << 21

// attnShape describes p in panic messages.
func attnShape(p kernels.AttentionParams) string {
	return fmt.Sprintf("[Batch=%d Dk=%d Dv=%d Nq=%d Nk=%d]", p.Batch, p.Dk, p.Dv, p.Nq, p.Nk)
}

// checkAttn panics, naming fn, if a dimension of p is not positive.
func checkAttn(fn string, p kernels.AttentionParams) {
	if p.Batch < 1 || p.Dk < 1 || p.Dv < 1 || p.Nq < 1 || p.Nk < 1 {
		panic(fmt.Sprintf("cpu: %s: bad parameters %+v", fn, p))
	}
}

// attnBlock returns how many queries one goroutine handles at a time, given
// how many batch entries are processed together.
func attnBlock(p kernels.AttentionParams, batches int) int {
	jb := min(256, max(4, attnRowElems/p.Nk))
	// Smaller blocks when that is needed for two blocks per core.
	queries := batches * p.Nq
	w := workers(queries, 1)
	return max(1, min(jb, p.Nq, roundUp((queries+2*w-1)/(2*w), 4)))
}

// AttentionForward computes batched dot-product attention with
// channel-major operands q [Batch, Dk, Nq], k [Batch, Dk, Nk],
// v [Batch, Dv, Nk], overwriting o [Batch, Dv, Nq] and lse [Batch, Nq]:
//
//	s_ji   = Scale * sum_d q[d,j] k[d,i]
//	o[c,j] = sum_i exp(s_ji - lse_j) v[c,i],  lse_j = log sum_i exp(s_ji)
//
// Blocks of queries are spread over goroutines; each computes its block of
// scores S = Scale * q_blk^T k with the package's GEMM, exponentiates each
// row after subtracting its maximum (so large scores cannot overflow),
// multiplies by v and divides by the row sums. The Nq x Nk matrix is never
// held. AttentionForward panics if p is invalid or a slice has the wrong
// length.
func AttentionForward(p kernels.AttentionParams, q, k, v, o, lse []float32) {
	const fn = "AttentionForward"
	checkAttn(fn, p)
	checkLens(fn, func() string { return attnShape(p) }, arg{"q", q, p.Batch * p.Dk * p.Nq, false},
		arg{"k", k, p.Batch * p.Dk * p.Nk, false}, arg{"v", v, p.Batch * p.Dv * p.Nk, false},
		arg{"o", o, p.Batch * p.Dv * p.Nq, false}, arg{"lse", lse, p.Batch * p.Nq, false})
	jb := attnBlock(p, p.Batch)
	blocks := (p.Nq + jb - 1) / jb
	parallelFor(p.Batch*blocks, 1, func(lo, hi int) {
		buf := getScratch(jb * p.Nk)
		defer putScratch(buf)
		s := *buf // overwritten by a GEMM with beta 0 for every block
		inv := make([]float32, jb)
		var gs gemmScratch
		for it := lo; it < hi; it++ {
			b, j0 := it/blocks, (it%blocks)*jb
			nj := min(jb, p.Nq-j0)
			qb, kb, vb := q[b*p.Dk*p.Nq:], k[b*p.Dk*p.Nk:], v[b*p.Dv*p.Nk:]
			ob := o[b*p.Dv*p.Nq : (b+1)*p.Dv*p.Nq]
			// S [nj, Nk] = Scale * q[:, j0:j0+nj]^T k.
			gemmSerial(true, false, nj, p.Nk, p.Dk, p.Scale, qb[j0:], p.Nq, kb, p.Nk, 0, s, p.Nk, nil)
			for jj := range nj {
				row := s[jj*p.Nk : (jj+1)*p.Nk]
				mx, sum := expRow(row)
				inv[jj] = float32(1 / sum)
				lse[b*p.Nq+j0+jj] = mx + float32(math.Log(sum))
			}
			// o[:, j0:j0+nj] = v [Dv, Nk] * exp(S)^T [Nk, nj], then / row sums.
			gemmSerial(false, true, p.Dv, nj, p.Nk, 1, vb, p.Nk, s, p.Nk, 0, ob[j0:], p.Nq, &gs)
			for c := range p.Dv {
				orow := ob[c*p.Nq+j0 : c*p.Nq+j0+nj]
				for jj := range orow {
					orow[jj] *= inv[jj]
				}
			}
		}
	})
}

// expRow replaces row by exp(row - max(row)) and returns the maximum and the
// sum of the exponentials (in float64).
func expRow(row []float32) (mx float32, sum float64) {
	mx = maxOf(row)
	return mx, expShift(row, mx)
}

// AttentionBackward accumulates into dq, dk and dv (any may be nil) the
// gradients of AttentionForward, given its inputs, its outputs o and lse,
// and do. The attention weights are recomputed block by block from q, k and
// lse, p_ji = exp(s_ji - lse_j), and
//
//	dp_ji    = sum_c do[c,j] v[c,i]
//	D_j      = sum_c do[c,j] o[c,j]   (= sum_i p_ji dp_ji)
//	ds_ji    = p_ji (dp_ji - D_j)      (the softmax backward)
//	dq[d,j] += Scale * sum_i ds_ji k[d,i]
//	dk[d,i] += Scale * sum_j ds_ji q[d,j]
//	dv[c,i] += sum_j p_ji do[c,j]
//
// Batch entries are processed one after another, their query blocks spread
// over goroutines; each goroutine accumulates dk and dv into its own partial
// sums (the first one straight into dk and dv), added at the end of the
// entry. AttentionBackward panics if p is invalid or a slice has the wrong
// length.
func AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv []float32) {
	const fn = "AttentionBackward"
	checkAttn(fn, p)
	qLen, kLen, vLen, oLen := p.Batch*p.Dk*p.Nq, p.Batch*p.Dk*p.Nk, p.Batch*p.Dv*p.Nk, p.Batch*p.Dv*p.Nq
	checkLens(fn, func() string { return attnShape(p) }, arg{"q", q, qLen, false}, arg{"k", k, kLen, false},
		arg{"v", v, vLen, false}, arg{"o", o, oLen, false}, arg{"lse", lse, p.Batch * p.Nq, false},
		arg{"do", do, oLen, false}, arg{"dq", dq, qLen, true}, arg{"dk", dk, kLen, true},
		arg{"dv", dv, vLen, true})
	if dq == nil && dk == nil && dv == nil {
		return
	}
	jb := attnBlock(p, 1)
	blocks := (p.Nq + jb - 1) / jb
	chunks := workers(blocks, 1)
	type scratch struct {
		s, dp, dk, dv, dsum []float32
		gs                  gemmScratch
	}
	sc := make([]scratch, chunks)
	for c := range sc {
		// s and dp are overwritten by GEMMs with beta 0 for every block.
		sb, dpb := getScratch(jb*p.Nk), getScratch(jb*p.Nk)
		defer putScratch(sb)
		defer putScratch(dpb)
		sc[c].s, sc[c].dp, sc[c].dsum = *sb, *dpb, make([]float32, jb)
		if c > 0 && dk != nil {
			sc[c].dk = make([]float32, p.Dk*p.Nk)
		}
		if c > 0 && dv != nil {
			sc[c].dv = make([]float32, p.Dv*p.Nk)
		}
	}
	for b := range p.Batch {
		qb, kb, vb := q[b*p.Dk*p.Nq:], k[b*p.Dk*p.Nk:], v[b*p.Dv*p.Nk:]
		ob, dob, lseb := o[b*p.Dv*p.Nq:], do[b*p.Dv*p.Nq:], lse[b*p.Nq:]
		var dqb, dkb, dvb []float32
		if dq != nil {
			dqb = dq[b*p.Dk*p.Nq:]
		}
		if dk != nil {
			dkb = dk[b*p.Dk*p.Nk : (b+1)*p.Dk*p.Nk]
			sc[0].dk = dkb
		}
		if dv != nil {
			dvb = dv[b*p.Dv*p.Nk : (b+1)*p.Dv*p.Nk]
			sc[0].dv = dvb
		}
		parallelChunks(blocks, chunks, func(chunk, lo, hi int) {
			w := &sc[chunk]
			if chunk > 0 {
				clear(w.dk)
				clear(w.dv)
			}
			for blk := lo; blk < hi; blk++ {
				j0 := blk * jb
				nj := min(jb, p.Nq-j0)
				s, dp := w.s[:nj*p.Nk], w.dp[:nj*p.Nk]
				// P [nj, Nk] = exp(Scale * q_blk^T k - lse).
				gemmSerial(true, false, nj, p.Nk, p.Dk, p.Scale, qb[j0:], p.Nq, kb, p.Nk, 0, s, p.Nk, nil)
				for jj := range nj {
					l := lseb[j0+jj]
					expShift(s[jj*p.Nk:(jj+1)*p.Nk], l)
				}
				// dP [nj, Nk] = do[:, blk]^T v.
				gemmSerial(true, false, nj, p.Nk, p.Dv, 1, dob[j0:], p.Nq, vb, p.Nk, 0, dp, p.Nk, nil)
				// D_j = sum_c do[c,j] o[c,j].
				dsum := w.dsum[:nj]
				for jj := range nj {
					var d float64
					for c := range p.Dv {
						d += float64(dob[c*p.Nq+j0+jj]) * float64(ob[c*p.Nq+j0+jj])
					}
					dsum[jj] = float32(d)
				}
				// dS = P * (dP - D), in place of dP.
				for jj := range nj {
					prow, dprow := s[jj*p.Nk:(jj+1)*p.Nk], dp[jj*p.Nk:(jj+1)*p.Nk]
					d := dsum[jj]
					for i, pv := range prow {
						dprow[i] = pv * (dprow[i] - d)
					}
				}
				if dqb != nil {
					// dq[:, blk] [Dk, nj] += Scale * k [Dk, Nk] * dS^T [Nk, nj].
					gemmSerial(false, true, p.Dk, nj, p.Nk, p.Scale, kb, p.Nk, dp, p.Nk, 1, dqb[j0:], p.Nq, &w.gs)
				}
				if w.dk != nil {
					// dk [Dk, Nk] += Scale * q[:, blk] [Dk, nj] * dS [nj, Nk].
					gemmSerial(false, false, p.Dk, p.Nk, nj, p.Scale, qb[j0:], p.Nq, dp, p.Nk, 1, w.dk, p.Nk, nil)
				}
				if w.dv != nil {
					// dv [Dv, Nk] += do[:, blk] [Dv, nj] * P [nj, Nk].
					gemmSerial(false, false, p.Dv, p.Nk, nj, 1, dob[j0:], p.Nq, s, p.Nk, 1, w.dv, p.Nk, nil)
				}
			}
		})
		if dkb != nil {
			addPartials(dkb, sc, func(w *scratch) []float32 { return w.dk })
		}
		if dvb != nil {
			addPartials(dvb, sc, func(w *scratch) []float32 { return w.dv })
		}
	}
}
