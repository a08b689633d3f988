package cpu

import "github.com/semgan/semgan/kernels"

// The data gradient as an implicit GEMM. With stride s, the input pixels
// fall into s*s phases by their position modulo the stride, and every
// pixel of one phase receives from the same kernel taps: for a stride-2
// 3x3 kernel, even rows only from kernel rows 0 and 2, odd rows only from
// row 1. Within a phase the data gradient is a stride-1 correlation of dy
// with those taps, so it is one GEMM
//
//	dx_phase [InC, pixels] += w_phase [InC, OutC*taps] * patches [OutC*taps, pixels]
//
// with the patches of dy packed straight into panels, as the forward pass
// packs those of x. For stride 1 there is one phase, and it is dx itself.

// dataPhase is one phase: the input pixels (ih, iw) = (ih0 + SH*a,
// iw0 + SW*b) for a < rows, b < cols, which receive from the kernel taps
// (kh, kw) = (kh0 + SH*m, kw0 + SW*n) for m < mh, n < mw and from no
// others. Tap (m, n) reaches pixel (a, b) from dy[a + baseH - m, b + baseW - n],
// because oh = (ih + PH - kh) / SH.
type dataPhase struct {
	ih0, iw0, rows, cols int
	kh0, kw0, mh, mw     int
	baseH, baseW         int
	offs                 []int // tap (m, n)'s offset within a kernel, at m*mw+n
}

// taps is the number of kernel taps that reach the phase.
func (ph dataPhase) taps() int { return ph.mh * ph.mw }

// dataPhases lists the phases of p that receive anything.
func dataPhases(p kernels.ConvParams) []dataPhase {
	var phases []dataPhase
	for ih0 := range min(p.StrideH, p.InH) {
		for iw0 := range min(p.StrideW, p.InW) {
			ph := dataPhase{ih0: ih0, iw0: iw0,
				rows: ceilDiv(p.InH-ih0, p.StrideH), cols: ceilDiv(p.InW-iw0, p.StrideW),
				kh0: (ih0 + p.PadH) % p.StrideH, kw0: (iw0 + p.PadW) % p.StrideW}
			ph.mh, ph.mw = ceilDiv(p.KH-ph.kh0, p.StrideH), ceilDiv(p.KW-ph.kw0, p.StrideW)
			if ph.mh <= 0 || ph.mw <= 0 {
				continue // a stride wider than the kernel leaves gaps
			}
			ph.baseH, ph.baseW = (ih0+p.PadH-ph.kh0)/p.StrideH, (iw0+p.PadW-ph.kw0)/p.StrideW
			for m := range ph.mh {
				for n := range ph.mw {
					ph.offs = append(ph.offs, (ph.kh0+p.StrideH*m)*p.KW+ph.kw0+p.StrideW*n)
				}
			}
			phases = append(phases, ph)
		}
	}
	return phases
}

// ceilDiv is a/b rounded up, for b > 0 (and 0 or less for a <= 0).
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// phaseWeights writes rows [c0, c1) of the phase's weight matrix
// [InC, OutC*taps] into wp: wp[c, (o*mh+m)*mw+n] = w[o, c, kh0+SH*m,
// kw0+SW*n]. It is a transposition of w's first two dimensions, done
// eight input channels at a time: for one o those are a contiguous run of
// w, and the eight rows of wp being written stay in cache.
func phaseWeights(p kernels.ConvParams, ph dataPhase, w, wp []float32, c0, c1 int) {
	offs := ph.offs
	kk, k := p.KH*p.KW, p.OutC*len(offs)
	for b := c0; b < c1; b += 8 {
		for o := range p.OutC {
			for c := b; c < min(b+8, c1); c++ {
				src := w[(o*p.InC+c)*kk : (o*p.InC+c+1)*kk]
				dst := wp[c*k+o*len(offs) : c*k+(o+1)*len(offs)]
				for t, off := range offs {
					dst[t] = src[off]
				}
			}
		}
	}
}

// phasePatchRow writes into row the row r = (o*mh+m)*mw+n of the phase's
// patch matrix of one image's dy for the phase pixels [s0, s0+len(row)):
// row[i] = dyn[o, a+baseH-m, b+baseW-n] for the i-th pixel (a, b), 0
// outside dy.
func phasePatchRow(p kernels.ConvParams, ph dataPhase, dyn []float32, r, s0 int, row []float32) {
	n, m, o := r%ph.mw, r/ph.mw%ph.mh, r/ph.taps()
	outH, outW := p.OutH(), p.OutW()
	dyo := dyn[o*outH*outW : (o+1)*outH*outW]
	convSpan(ph.cols, s0, len(row), func(a, b, i, run int) {
		seg := row[i : i+run]
		oh := a + ph.baseH - m
		if oh < 0 || oh >= outH {
			clear(seg)
			return
		}
		ow0 := b + ph.baseW - n
		qlo, qhi := validRun(ow0, 1, outW, run)
		clear(seg[:qlo])
		clear(seg[qhi:])
		if qlo < qhi { // else ow0+qlo may lie before the row
			copy(seg[qlo:qhi], dyo[oh*outW+ow0+qlo:oh*outW+ow0+qhi])
		}
	})
}

// convBackwardDataImplicit is ConvBackwardData as one implicit GEMM per
// image and phase. Each phase's pixels are cut into column ranges that
// run on separate goroutines, each its own serial product. With stride 1
// the product adds straight into dx; otherwise it writes a block of phase
// pixels that is then added into dx's strided positions.
func convBackwardDataImplicit(p kernels.ConvParams, dy, w, dx []float32) {
	phases := dataPhases(p)
	wBuf := getScratch(p.WLen())
	defer putScratch(wBuf)
	wps := make([][]float32, len(phases))
	off := 0
	for i, ph := range phases {
		wps[i] = (*wBuf)[off : off+p.InC*p.OutC*ph.taps()]
		off += len(wps[i])
	}
	blocks := ceilDiv(p.InC, 8)
	parallelFor(len(phases)*blocks, 1+(1<<16)/(8*p.OutC*p.KH*p.KW), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ph, b := i/blocks, i%blocks*8
			phaseWeights(p, phases[ph], w, wps[ph], b, min(b+8, p.InC))
		}
	})

	// Work items: (image, phase, range of phase pixels). Phases differ in
	// cost (taps per pixel), so items are cut to about half of one
	// goroutine's share, each at least 4 panels wide, and handed out as
	// goroutines finish. (Each item packs all of its phase's weights, so
	// more items would cost more packing.)
	type item struct{ n, phase, j0, nb int }
	cost := func(ph dataPhase) int { return ph.rows * ph.cols * p.InC * p.OutC * ph.taps() }
	total := 0
	for _, ph := range phases {
		total += p.N * cost(ph)
	}
	nw := workers(2*total, gemmMinFlops)
	unit := max(1, total/(2*nw))
	var items []item
	for n := range p.N {
		for i, ph := range phases {
			px := ph.rows * ph.cols
			ranges := max(1, min(ceilDiv(cost(ph), unit), px/(4*packNR)))
			width := roundUp(ceilDiv(px, ranges), packNR)
			for j0 := 0; j0 < px; j0 += width {
				items = append(items, item{n, i, j0, min(width, px-j0)})
			}
		}
	}

	plane, yImg := p.InH*p.InW, p.OutC*p.OutH()*p.OutW()
	strided := p.StrideH > 1 || p.StrideW > 1
	parallelEach(len(items), nw, func(i int) {
		it := items[i]
		ph, wp := phases[it.phase], wps[it.phase]
		k := p.OutC * ph.taps()
		dyn, dxn := dy[it.n*yImg:(it.n+1)*yImg], dx[it.n*p.InC*plane:(it.n+1)*p.InC*plane]
		g := packedProduct{m: p.InC, n: it.nb, k: k, overwrite: strided,
			pairs: usePairs(p.Precision, p.InC, it.nb), alpha: 1,
			packA: func(i0, p0, mb, kb int, dst []float32) { packA(kernels.FP32, false, 1, wp, k, i0, p0, mb, kb, dst) },
			packB: func(p0, jb, kb, nb int, dst []float32) {
				packRows(func(r, s0 int, row []float32) { phasePatchRow(p, ph, dyn, r, s0, row) },
					p0, it.j0+jb, kb, nb, dst)
			},
		}
		if !strided {
			g.run(dxn[it.j0:], plane, 1)
			return
		}
		buf := getScratch(p.InC * it.nb)
		defer putScratch(buf)
		g.run(*buf, it.nb, 1)
		addPhase(p, ph, *buf, it.j0, it.nb, dxn)
	})
}

// addPhase adds the block blk [InC, nb] of phase pixels [j0, j0+nb) into
// their places in one image's dxn.
func addPhase(p kernels.ConvParams, ph dataPhase, blk []float32, j0, nb int, dxn []float32) {
	plane := p.InH * p.InW
	for c := range p.InC {
		src, dst := blk[c*nb:(c+1)*nb], dxn[c*plane:(c+1)*plane]
		convSpan(ph.cols, j0, nb, func(a, b, i, run int) {
			dr := dst[(ph.ih0+p.StrideH*a)*p.InW+ph.iw0+p.StrideW*b:]
			for q, v := range src[i : i+run] {
				dr[q*p.StrideW] += v
			}
		})
	}
}
