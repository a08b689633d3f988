package cpu

import "github.com/semgan/semgan/kernels"

// Convolutions with fewer than packMR output channels (a generator's last
// 7x7 convolution to 3 channels, a PatchGAN's last to 1) and horizontal
// stride 1 skip the patch matrix, whose every element would serve only
// OutC multiply-adds (fewOutputs). Where output rows are at least as long
// as the input has channels (a generator's last), they work here,
// straight on the rows of the input under the kernel; elsewhere on a
// channels-last copy of the input (convfew_hwc.go, channelsLast).

// convForwardFewOutputs is ConvForward for fewer than packMR output
// channels, horizontal stride 1 and output rows of at least 16 pixels
// (narrower ones would be left to axpy4 on runs too short to pay for the
// call). Output rows of up to four channels
// are built straight from the input rows under the kernel,
// y[o, oh, ow] += w[o, c, kh, kw] * x[c, oh*SH-PH+kh, ow-PW+kw], over
// every (c, kh, kw); output rows are spread over goroutines. Where every
// tap of 16 neighbouring outputs lies inside the image, convTaps4 keeps
// them in registers over all taps; elsewhere axpy4 adds one tap at a time
// to whole runs of a row.
func convForwardFewOutputs(p kernels.ConvParams, x, w, bias, y []float32) {
	outH, outW := p.OutH(), p.OutW()
	xImg, plane, yImg := p.InC*p.InH*p.InW, p.InH*p.InW, p.OutC*outH*outW
	k := p.InC * p.KH * p.KW
	nw := workers(2*p.N*p.OutC*k*outH*outW, gemmMinFlops)
	taps := newTapList(p, w)
	// Columns whose taps all lie inside the image: ow-PW >= 0 and
	// ow-PW+KW-1 < InW.
	colLo, colHi := min(p.PadW, outW), max(min(outW, p.InW-p.KW+p.PadW+1), 0)
	parallelChunks(p.N*outH, nw, func(_, lo, hi int) {
		ax := newAxpyRows(outW)
		defer ax.release()
		for it := lo; it < hi; it++ {
			n, oh := it/outH, it%outH
			xn := x[n*xImg : (n+1)*xImg]
			ih0 := oh*p.StrideH - p.PadH // input row under kernel row 0
			for o0 := 0; o0 < p.OutC; o0 += 4 {
				rows := min(4, p.OutC-o0)
				var yrows [4][]float32 // output row oh of channels o0...
				for r := range rows {
					yr := y[n*yImg+((o0+r)*outH+oh)*outW : n*yImg+((o0+r)*outH+oh+1)*outW]
					b := float32(0)
					if bias != nil {
						b = bias[o0+r]
					}
					for i := range yr {
						yr[i] = b
					}
					yrows[r] = yr
				}
				blocked := colLo // columns [colLo, blocked) done by convTaps4
				if taps != nil && ih0 >= 0 && ih0+p.KH <= p.InH {
					blocked = taps.addBlocks(xn, ih0*p.InW-p.PadW, o0/4, &yrows, rows, colLo, colHi)
				}
				addTapsAxpy(p, xn, w, ax, &yrows, rows, o0, ih0, plane, 0, colLo)
				addTapsAxpy(p, xn, w, ax, &yrows, rows, o0, ih0, plane, blocked, outW)
			}
		}
	})
}

// addTapsAxpy adds every tap (c, kh, kw) to columns [lo, hi) of the rows
// output rows yrows of channels o0..., one tap at a time by axpy4; ih0 is
// the input row under kernel row 0.
func addTapsAxpy(p kernels.ConvParams, xn, w []float32, ax *axpyRows, yrows *[4][]float32, rows, o0, ih0, plane, lo, hi int) {
	if lo >= hi {
		return
	}
	for c := range p.InC {
		for kh := range p.KH {
			ih := ih0 + kh
			if ih < 0 || ih >= p.InH {
				continue
			}
			xr := xn[c*plane+ih*p.InW : c*plane+(ih+1)*p.InW]
			for kw := range p.KW {
				iw0 := lo - p.PadW + kw
				qlo, qhi := validRun(iw0, 1, p.InW, hi-lo)
				if qlo == qhi {
					continue
				}
				var seg [4][]float32
				var coef [4]float32
				for r := range rows {
					seg[r] = yrows[r][lo+qlo : lo+qhi]
					coef[r] = w[(((o0+r)*p.InC+c)*p.KH+kh)*p.KW+kw]
				}
				ax.add(rows, &seg, coef, xr[iw0+qlo:iw0+qhi])
			}
		}
	}
}

// convTaps4Kernel, where the CPU has it, adds every tap of a list to 16
// columns of four output rows: y[r][j] += sum over t < taps of
// w[t*4+r] * x[offs[t]+j], for r < 4 and j < 16.
var convTaps4Kernel func(y *[4]*float32, x *float32, offs *int, w *float32, taps int)

// tapList is the list convTaps4Kernel walks for one convolution: every
// tap (c, kh, kw) with its offset c*plane + kh*InW + kw from the input
// pixel under kernel tap (0, 0, 0), and its weights for each group of four
// output channels (zero past OutC).
type tapList struct {
	offs    []int
	weights [][]float32 // per group of four outputs: [taps][4]
	maxOff  int
}

// newTapList returns the tap list of p and w, or nil where there is no
// kernel for it.
func newTapList(p kernels.ConvParams, w []float32) *tapList {
	if convTaps4Kernel == nil {
		return nil
	}
	k := p.InC * p.KH * p.KW
	tl := &tapList{offs: make([]int, 0, k)}
	for c := range p.InC {
		for kh := range p.KH {
			for kw := range p.KW {
				tl.offs = append(tl.offs, c*p.InH*p.InW+kh*p.InW+kw)
			}
		}
	}
	tl.maxOff = tl.offs[k-1]
	for o0 := 0; o0 < p.OutC; o0 += 4 {
		ws := make([]float32, 4*k)
		for r := range min(4, p.OutC-o0) {
			for t := range k {
				ws[4*t+r] = w[(o0+r)*k+t]
			}
		}
		tl.weights = append(tl.weights, ws)
	}
	return tl
}

// addBlocks adds every tap to 16-column blocks of yrows from colLo on,
// as far as colHi allows, with the weights of output group g; base is the
// index in xn of the input pixel under tap (0, 0, 0) of output column 0.
// It returns the end of the last block.
func (tl *tapList) addBlocks(xn []float32, base, g int, yrows *[4][]float32, rows, colLo, colHi int) int {
	var spare [4][16]float32 // rows past OutC write here
	var ptrs [4]*float32
	for r := rows; r < 4; r++ {
		ptrs[r] = &spare[r][0]
	}
	ow := colLo
	for ; ow+16 <= colHi; ow += 16 {
		_ = xn[base+ow+tl.maxOff+15] // every read of the kernel is inside xn
		for r := range rows {
			ptrs[r] = &yrows[r][ow : ow+16][0]
		}
		convTaps4Kernel(&ptrs, &xn[base+ow], &tl.offs[0], &tl.weights[g][0], len(tl.offs))
	}
	return ow
}

// convFilterFewOutputs is the weight gradient of ConvBackwardFilter for
// fewer than packMR output channels and horizontal stride 1. Each weight
// is a sum of dot products of dy's rows with the input rows under its tap,
//
//	dw[o,c,kh,kw] += sum_{n,oh} sum_ow dy[n,o,oh,ow] * x[n,c,oh*SH-PH+kh,ow-PW+kw]
//
// over the columns ow whose input lies inside the image; dot4 takes four
// output channels against one input segment. Input channels are spread
// over goroutines, each writing its own weights.
func convFilterFewOutputs(p kernels.ConvParams, x, dy, dw []float32) {
	outH, outW := p.OutH(), p.OutW()
	plane := p.InH * p.InW
	xImg, yImg := p.InC*plane, p.OutC*outH*outW
	kk := p.KH * p.KW
	nw := workers(2*p.N*p.OutC*p.InC*kk*outH*outW, gemmMinFlops)
	parallelChunks(p.InC, nw, func(_, lo, hi int) {
		var rows [4]*float32
		var sums [4]float32
		for c := lo; c < hi; c++ {
			for o0 := 0; o0 < p.OutC; o0 += 4 {
				group := min(4, p.OutC-o0)
				for t := range kk {
					kh, kw := t/p.KW, t%p.KW
					qlo, qhi := validRun(kw-p.PadW, 1, p.InW, outW)
					if qlo == qhi {
						continue
					}
					head := (qhi - qlo) &^ 7
					var acc [4]float32
					for n := range p.N {
						for oh := range outH {
							ih := oh*p.StrideH - p.PadH + kh
							if ih < 0 || ih >= p.InH {
								continue
							}
							xs := x[n*xImg+c*plane+ih*p.InW+kw-p.PadW+qlo:][:qhi-qlo]
							dyRow := func(r int) []float32 {
								return dy[n*yImg+((o0+r)*outH+oh)*outW+qlo:][:qhi-qlo]
							}
							if head > 0 {
								for r := range 4 {
									// Rows past the group repeat its last; their sums are dropped.
									rows[r] = &dyRow(min(r, group-1))[0]
								}
								dot4Kernel(&rows, &xs[0], head, &sums)
							}
							for r := range group {
								ys := dyRow(r)
								if head > 0 {
									acc[r] += sums[r]
								}
								for q := head; q < len(xs); q++ {
									acc[r] += ys[q] * xs[q]
								}
							}
						}
					}
					for r := range group {
						dw[((o0+r)*p.InC+c)*kk+t] += acc[r]
					}
				}
			}
		}
	})
}
