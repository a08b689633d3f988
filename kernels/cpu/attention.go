package cpu

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// Attention works on tiles of attnQueries queries by attnKeys keys: a tile
// of scores is 256 KiB, so the forward pass's tile (and the backward pass's
// two) stay in L2 while they are exponentiated and multiplied, and the
// Nq x Nk matrix never exists. (Variables so that tests can force many
// small tiles.)
var (
	attnQueries = 256
	attnKeys    = 256
)

// attnBlock returns how many queries one goroutine handles at a time, given
// how many batch entries are processed together.
func attnBlock(p kernels.AttentionParams, batches int) int {
	jb := attnQueries
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
// Blocks of queries are spread over goroutines. Each walks over tiles of
// keys with an online softmax: per tile, the scores S = Scale * q_blk^T
// k_tile (the package's GEMM), each query's running maximum m and sum l
// updated, the output so far rescaled by exp(m_old - m_new), and
// v_tile * exp(S - m)^T added; at the end o is divided by l. The
// exponentials never exceed 1, so large scores cannot overflow. In a
// precision other than FP32 the operands of both products are rounded
// with p.Precision.Round: q, k, v and exp(S - m) (before the division
// by l).
// AttentionForward panics if p is invalid or a slice has the wrong length.
func AttentionForward(p kernels.AttentionParams, q, k, v, o, lse []float32) {
	const fn = "AttentionForward"
	must(fn, p.CheckForward(ln(q), ln(k), ln(v), ln(o), ln(lse)))
	jb := attnBlock(p, p.Batch)
	kt := min(attnKeys, p.Nk)
	blocks := (p.Nq + jb - 1) / jb
	parallelFor(p.Batch*blocks, 1, func(lo, hi int) {
		buf := getScratch(jb * kt)
		defer putScratch(buf)
		s := *buf // overwritten by a GEMM with beta 0 for every tile
		m, l := make([]float32, jb), make([]float64, jb)
		for it := lo; it < hi; it++ {
			b, j0 := it/blocks, (it%blocks)*jb
			nj := min(jb, p.Nq-j0)
			qb, kb, vb := q[b*p.Dk*p.Nq:], k[b*p.Dk*p.Nk:], v[b*p.Dv*p.Nk:]
			ob := o[b*p.Dv*p.Nq : (b+1)*p.Dv*p.Nq]
			for jj := range nj {
				m[jj], l[jj] = float32(math.Inf(-1)), 0
			}
			for i0 := 0; i0 < p.Nk; i0 += kt {
				ni := min(kt, p.Nk-i0)
				// S [nj, ni] = Scale * q[:, j0:j0+nj]^T k[:, i0:i0+ni].
				gemmSerial(p.Precision, true, false, nj, ni, p.Dk, p.Scale, qb[j0:], p.Nq, kb[i0:], p.Nk, 0, s, ni, nil)
				for jj := range nj {
					row := s[jj*ni : (jj+1)*ni]
					mNew := max(m[jj], maxOf(row))
					if i0 > 0 && mNew > m[jj] {
						// Rescale what the earlier tiles added to column jj.
						r := exp32(m[jj] - mNew)
						l[jj] *= float64(r)
						for c := range p.Dv {
							ob[c*p.Nq+j0+jj] *= r
						}
					}
					m[jj] = mNew
					l[jj] += expShift(row, mNew)
				}
				// o[:, j0:j0+nj] (+)= v[:, i0:i0+ni] * exp(S - m)^T.
				beta := float32(1)
				if i0 == 0 {
					beta = 0
				}
				gemmSerial(p.Precision, false, true, p.Dv, nj, ni, 1, vb[i0:], p.Nk, s, ni, beta, ob[j0:], p.Nq, nil)
			}
			for jj := range nj {
				lse[b*p.Nq+j0+jj] = m[jj] + float32(math.Log(l[jj]))
			}
			inv := m[:nj] // m is not needed any more: reuse it for 1/l
			for jj := range nj {
				inv[jj] = float32(1 / l[jj])
			}
			for c := range p.Dv {
				orow := ob[c*p.Nq+j0 : c*p.Nq+j0+nj]
				for jj := range orow {
					orow[jj] *= inv[jj]
				}
			}
		}
	})
}

// AttentionBackward accumulates into dq, dk and dv (any may be nil) the
// gradients of AttentionForward, given its inputs, its outputs o and lse,
// and do. The attention weights are recomputed tile by tile (queries by
// keys, as in the forward pass) from q, k and lse, p_ji = exp(s_ji - lse_j),
// and
//
//	dp_ji    = sum_c do[c,j] v[c,i]
//	D_j      = sum_c do[c,j] o[c,j]   (= sum_i p_ji dp_ji)
//	ds_ji    = p_ji (dp_ji - D_j)      (the softmax backward)
//	dq[d,j] += Scale * sum_i ds_ji k[d,i]
//	dk[d,i] += Scale * sum_j ds_ji q[d,j]
//	dv[c,i] += sum_j p_ji do[c,j]
//
// In a precision other than FP32 the operands of each of these products
// are rounded with p.Precision.Round (P and dS included); the softmax
// backward and D stay float32.
//
// Batch entries are processed one after another, their query blocks spread
// over goroutines; each goroutine accumulates dk and dv into its own partial
// sums (the first one straight into dk and dv), added at the end of the
// entry. AttentionBackward panics if p is invalid or a slice has the wrong
// length.
func AttentionBackward(p kernels.AttentionParams, q, k, v, o, lse, do, dq, dk, dv []float32) {
	const fn = "AttentionBackward"
	must(fn, p.CheckBackward(ln(q), ln(k), ln(v), ln(o), ln(lse), ln(do), ln(dq), ln(dk), ln(dv)))
	if dq == nil && dk == nil && dv == nil {
		return
	}
	jb := attnBlock(p, 1)
	kt := min(attnKeys, p.Nk)
	blocks := (p.Nq + jb - 1) / jb
	chunks := workers(blocks, 1)
	type scratch struct {
		s, dp, dk, dv, dsum []float32
		gs                  gemmScratch
	}
	sc := make([]scratch, chunks)
	for c := range sc {
		// s and dp are overwritten by GEMMs with beta 0 for every tile.
		sb, dpb := getScratch(jb*kt), getScratch(jb*kt)
		defer putScratch(sb)
		defer putScratch(dpb)
		sc[c].s, sc[c].dp, sc[c].dsum = *sb, *dpb, make([]float32, jb)
		// The partial sums of the other chunks come from the scratch cache
		// too (cleared per image below), not garbage per call.
		if c > 0 && dk != nil {
			buf := getScratch(p.Dk * p.Nk)
			defer putScratch(buf)
			sc[c].dk = *buf
		}
		if c > 0 && dv != nil {
			buf := getScratch(p.Dv * p.Nk)
			defer putScratch(buf)
			sc[c].dv = *buf
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
				// D_j = sum_c do[c,j] o[c,j].
				dsum := w.dsum[:nj]
				for jj := range nj {
					var d float64
					for c := range p.Dv {
						d += float64(dob[c*p.Nq+j0+jj]) * float64(ob[c*p.Nq+j0+jj])
					}
					dsum[jj] = float32(d)
				}
				for i0 := 0; i0 < p.Nk; i0 += kt {
					ni := min(kt, p.Nk-i0)
					s, dp := w.s[:nj*ni], w.dp[:nj*ni]
					// P [nj, ni] = exp(Scale * q_blk^T k_tile - lse).
					gemmSerial(p.Precision, true, false, nj, ni, p.Dk, p.Scale, qb[j0:], p.Nq, kb[i0:], p.Nk, 0, s, ni, nil)
					for jj := range nj {
						expShift(s[jj*ni:(jj+1)*ni], lseb[j0+jj])
					}
					// dP [nj, ni] = do[:, blk]^T v_tile.
					gemmSerial(p.Precision, true, false, nj, ni, p.Dv, 1, dob[j0:], p.Nq, vb[i0:], p.Nk, 0, dp, ni, nil)
					// dS = P * (dP - D), in place of dP.
					for jj := range nj {
						scoreGrad(s[jj*ni:(jj+1)*ni], dp[jj*ni:(jj+1)*ni], dsum[jj])
					}
					if dqb != nil {
						// dq[:, blk] [Dk, nj] += Scale * k_tile [Dk, ni] * dS^T [ni, nj].
						gemmSerial(p.Precision, false, true, p.Dk, nj, ni, p.Scale, kb[i0:], p.Nk, dp, ni, 1, dqb[j0:], p.Nq, &w.gs)
					}
					if w.dk != nil {
						// dk_tile [Dk, ni] += Scale * q[:, blk] [Dk, nj] * dS [nj, ni].
						gemmSerial(p.Precision, false, false, p.Dk, ni, nj, p.Scale, qb[j0:], p.Nq, dp, ni, 1, w.dk[i0:], p.Nk, nil)
					}
					if w.dv != nil {
						// dv_tile [Dv, ni] += do[:, blk] [Dv, nj] * P [nj, ni].
						gemmSerial(p.Precision, false, false, p.Dv, ni, nj, 1, dob[j0:], p.Nq, s, ni, 1, w.dv[i0:], p.Nk, nil)
					}
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

// scoreGradKernel is scoreGrad in assembly where the CPU has it
// (elementwise_amd64.go), nil otherwise; it takes the leading multiple of
// 16 elements and gives the bits the Go loop gives.
var scoreGradKernel func(p, dp *float32, n int, d float32)

// scoreGrad writes dp[i] = p[i] * (dp[i] - d) for i < len(p): the softmax
// backward of one query's scores, dS = P (dP - D), in place of dP, which
// must be at least as long as p.
func scoreGrad(p, dp []float32, d float32) {
	dp = dp[:len(p)]
	if k := kernelLen(scoreGradKernel != nil, len(p)); k > 0 {
		scoreGradKernel(&p[0], &dp[0], k, d)
		p, dp = p[k:], dp[k:]
	}
	for i, pv := range p {
		dp[i] = pv * (dp[i] - d)
	}
}
