package cpu

import "github.com/semgan/semgan/kernels"

// Few-output convolutions on a channels-last copy of the input. Each
// image is copied once into xp[ih][iw][c], padding included (zeros), in
// which the input under tap (kh, kw) of output pixel (oh, ow) is the
// contiguous vector xp[oh*SH+kh][ow+kw][:], InC long (stride 1 across a
// row); neighbouring output pixels' vectors follow each other, InC apart.
// The products are then dot products and multiples of those vectors:
//
//	y[o, oh, ow] = bias[o] + sum_{kh,kw} wt[kh,kw,o,:] . xp[oh*SH+kh][ow+kw][:]
//	dw[o, c, kh, kw] += sum_{n,oh,ow} dy[n,o,oh,ow] * xp[n][oh*SH+kh][ow+kw][c]
//
// with wt the weights with the input channel innermost. Nothing is
// packed per tap, so it pays where a row of taps is short or the input has
// many channels: a PatchGAN's last layer (256 or 512 channels to 1, 6 to
// 30 pixels wide), where packing patches for the GEMM, each element for one
// multiply-add, took ten times the arithmetic.

// hwcImage is the channels-last, zero-padded copy of one image of x.
type hwcImage struct {
	buf    *[]float32
	wp, ch int // padded width, channels
}

// newHWCImage copies image xn (InC x InH x InW) of p into a channels-last
// array with p's padding around it; give it back with release.
func newHWCImage(p kernels.ConvParams, xn []float32) hwcImage {
	hp, wp, ch := p.InH+2*p.PadH, p.InW+2*p.PadW, p.InC
	buf := getScratch(hp * wp * ch)
	xp, plane := *buf, p.InH*p.InW
	clear(xp[:p.PadH*wp*ch])
	clear(xp[(p.PadH+p.InH)*wp*ch:])
	parallelFor(p.InH, max(1, (1<<14)/max(1, p.InW*ch)), func(lo, hi int) {
		for ih := lo; ih < hi; ih++ {
			row := xp[(ih+p.PadH)*wp*ch : (ih+p.PadH+1)*wp*ch]
			clear(row[:p.PadW*ch])
			clear(row[(p.PadW+p.InW)*ch:])
			inner := row[p.PadW*ch:]
			c := 0
			for ; c+8 <= ch; c += 8 {
				transpose8(xn[c*plane+ih*p.InW:], plane, inner[c:], ch, p.InW)
			}
			for ; c < ch; c++ {
				src := xn[c*plane+ih*p.InW : c*plane+(ih+1)*p.InW]
				for iw, v := range src {
					inner[iw*ch+c] = v
				}
			}
		}
	})
	return hwcImage{buf: buf, wp: wp, ch: ch}
}

func (h hwcImage) release() { putScratch(h.buf) }

// at returns the vectors of the pixels from (ih, iw) of the padded image on.
func (h hwcImage) at(ih, iw int) []float32 { return (*h.buf)[(ih*h.wp+iw)*h.ch:] }

// channelsLastWeights returns w (OutC x InC x KH x KW) as wt[t][o][c],
// t = kh*KW+kw; give it back with putScratch.
func channelsLastWeights(p kernels.ConvParams, w []float32) *[]float32 {
	kk := p.KH * p.KW
	buf := getScratch(kk * p.OutC * p.InC)
	wt := *buf
	for o := range p.OutC {
		for c := range p.InC {
			for t, v := range w[(o*p.InC+c)*kk : (o*p.InC+c+1)*kk] {
				wt[(t*p.OutC+o)*p.InC+c] = v
			}
		}
	}
	return buf
}

// convForwardChannelsLast is ConvForward for fewer than packMR output
// channels and horizontal stride 1 (see above): output rows are spread over
// goroutines, and dot4 takes four neighbouring output pixels' input vectors
// against one row of weights.
func convForwardChannelsLast(p kernels.ConvParams, x, w, bias, y []float32) {
	outH, outW := p.OutH(), p.OutW()
	xImg, yPlane := p.InC*p.InH*p.InW, outH*outW
	wtBuf := channelsLastWeights(p, w)
	defer putScratch(wtBuf)
	wt := *wtBuf
	nw := workers(2*p.OutC*p.InC*p.KH*p.KW*yPlane, gemmMinFlops)
	for n := range p.N {
		xp := newHWCImage(p, x[n*xImg:(n+1)*xImg])
		yn := y[n*p.OutC*yPlane : (n+1)*p.OutC*yPlane]
		parallelChunks(outH, nw, func(_, lo, hi int) {
			d := new(dotArgs) // escapes to the heap: one per goroutine
			for oh := lo; oh < hi; oh++ {
				for o := range p.OutC {
					yr := yn[o*yPlane+oh*outW : o*yPlane+(oh+1)*outW]
					b := float32(0)
					if bias != nil {
						b = bias[o]
					}
					for i := range yr {
						yr[i] = b
					}
					for t := range p.KH * p.KW {
						kh, kw := t/p.KW, t%p.KW
						d.addRowDots(yr, xp.at(oh*p.StrideH+kh, kw), wt[(t*p.OutC+o)*p.InC:(t*p.OutC+o+1)*p.InC])
					}
				}
			}
		})
		xp.release()
	}
}

// addRowDots adds to each y[j] the dot product of wrow with the j-th
// vector of xs, the vectors len(wrow) apart: four vectors against wrow at
// a time.
func (d *dotArgs) addRowDots(y, xs, wrow []float32) {
	k := len(wrow)
	for j0 := 0; j0 < len(y); j0 += 4 {
		group := min(4, len(y)-j0)
		sums := d.dots(group, xs[j0*k:], k, wrow)
		for r := range group {
			y[j0+r] += sums[r]
		}
	}
}

// convFilterChannelsLast is the weight gradient of ConvBackwardFilter for
// fewer than packMR output channels and horizontal stride 1 (see above):
// taps are spread over goroutines, each adding multiples of the input
// vectors under its taps into its rows of dwt[t][o][:], which are then
// added into dw.
func convFilterChannelsLast(p kernels.ConvParams, x, dy, dw []float32) {
	outH, outW := p.OutH(), p.OutW()
	xImg, yPlane := p.InC*p.InH*p.InW, outH*outW
	kk := p.KH * p.KW
	dwtBuf := getScratch(kk * p.OutC * p.InC)
	defer putScratch(dwtBuf)
	dwt := *dwtBuf
	clear(dwt)
	nw := workers(2*p.OutC*p.InC*kk*yPlane, gemmMinFlops)
	for n := range p.N {
		xp := newHWCImage(p, x[n*xImg:(n+1)*xImg])
		dyn := dy[n*p.OutC*yPlane : (n+1)*p.OutC*yPlane]
		parallelChunks(kk, nw, func(_, lo, hi int) {
			for t := lo; t < hi; t++ {
				kh, kw := t/p.KW, t%p.KW
				for o := range p.OutC {
					acc := dwt[(t*p.OutC+o)*p.InC : (t*p.OutC+o+1)*p.InC]
					for oh := range outH {
						xs := xp.at(oh*p.StrideH+kh, kw)
						for ow, g := range dyn[o*yPlane+oh*outW : o*yPlane+(oh+1)*outW] {
							axpy(acc, g, xs[ow*p.InC:(ow+1)*p.InC])
						}
					}
				}
			}
		})
		xp.release()
	}
	for o := range p.OutC {
		for c := range p.InC {
			dwc := dw[(o*p.InC+c)*kk : (o*p.InC+c+1)*kk]
			for t := range dwc {
				dwc[t] += dwt[(t*p.OutC+o)*p.InC+c]
			}
		}
	}
}
