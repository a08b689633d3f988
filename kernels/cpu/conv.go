package cpu

import (
	"runtime"

	"github.com/semgan/semgan/kernels"
)

// The convolutions are GEMMs with the patch matrix [K, S] of each image
// (K = InC*KH*KW, S output pixels). With the assembly micro-kernel, the
// forward pass and the filter gradient pack the patches straight into the
// GEMM's panels (implicit GEMM: packPatches, packPatchesT), and so does
// the data gradient where InC >= OutC (conv_data.go). Otherwise they work
// on tiles of output pixels: the patches under the kernel are copied into
// a column block col [K, tile] (im2col) or scattered back from one
// (col2im). A tile holds about convTileElems floats
// and at least convMinTile pixels, so no full-image column matrix is built.
// (Variables so that tests can force many small tiles.)
var (
	convTileElems = 1 << 20
	convMinTile   = 32
)

// pointwise reports whether the convolution is 1x1 with stride 1 and no
// padding: its column block is x itself (with row stride S), so im2col and
// col2im are skipped.
func pointwise(p kernels.ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// fewOutputs reports whether p is a convolution to fewer than packMR
// channels with horizontal stride 1, whose forward pass and filter
// gradient skip the patch matrix: every element of it would serve only
// OutC multiply-adds.
func fewOutputs(p kernels.ConvParams) bool { return p.OutC < packMR && p.StrideW == 1 }

// channelsLast chooses, for a fewOutputs convolution, the channels-last
// path (convfew_hwc.go), whose inner loops run over the input channels,
// over the row path (convfew.go), whose inner loops run along output
// rows: whichever runs longer. With the assembly kernels, a PatchGAN's
// last layer, 512 channels to 1 on rows of 30, took 7 times less time
// channels-last; a generator's last, 64 channels to 3 on rows of 256, 4
// times more (BenchmarkBackendConv, forward and filter gradient).
func channelsLast(p kernels.ConvParams) bool { return p.InC > p.OutW() }

// convTile returns how many output pixels one column block holds.
func convTile(k, s int) int {
	return min(max(convTileElems/k, convMinTile), s)
}

// ConvForward computes y = conv(x, w) + bias for x [N, InC, InH, InW],
// w [OutC, InC, KH, KW], bias [OutC] (nil for none) and y [N, OutC, OutH,
// OutW], overwriting y:
//
//	y[n,o,oh,ow] = bias[o] + sum_{c,kh,kw} w[o,c,kh,kw] * x[n,c,oh*SH-PH+kh,ow*SW-PW+kw]
//
// with x taken as 0 outside the image, and w and x rounded with
// p.Precision.Round: outside FP32 every path multiplies rounded copies of
// x and w (roundedScratch), one pass over each, whose elements serve
// OutC*KH*KW and N*OutH*OutW products; rounding the patch panels instead,
// where every element of x appears KH*KW times, costs more. Tiles of
// output pixels of every image are spread over goroutines. 3x3 stride-1
// convolutions in FP32 with enough channels and pixels take Winograd
// F(4x4, 3x3) instead (useWinograd, winograd.go). ConvForward
// panics if p is invalid or a slice has the wrong length.
func ConvForward(p kernels.ConvParams, x, w, bias, y []float32) {
	must("ConvForward", p.CheckForward(ln(x), ln(w), ln(bias), ln(y)))
	x, releaseX := roundedScratch(p.Precision, x)
	defer releaseX()
	w, releaseW := roundedScratch(p.Precision, w)
	defer releaseW()
	if useWinograd(p) {
		winogradConv(p, x, w, false, bias, y, false)
		return
	}
	if fewOutputs(p) {
		if channelsLast(p) {
			convForwardChannelsLast(p, x, w, bias, y)
			return
		}
		if p.OutW() >= 16 && axpy4Kernel != nil {
			convForwardFewOutputs(p, x, w, bias, y)
			return
		}
	}
	if !pointwise(p) && microKernel != nil {
		convForwardImplicit(p, x, w, bias, y)
		return
	}
	k, s := p.InC*p.KH*p.KW, p.OutH()*p.OutW()
	tile := convTile(k, s)
	tiles := (s + tile - 1) / tile
	xImg, yImg := p.InC*p.InH*p.InW, p.OutC*s
	direct := pointwise(p)
	// Tiles go to separate goroutines; when there are too few of them for
	// that, each tile's product is split instead.
	nw := workers(2*p.N*p.OutC*k*s, gemmMinFlops)
	inner := 1
	if p.N*tiles < 2*nw {
		inner = nw
	}
	parallelChunks(p.N*tiles, nw/inner, func(_, lo, hi int) {
		col, release := columnScratch(direct, k*tile)
		defer release()
		for it := lo; it < hi; it++ {
			n, s0 := it/tiles, (it%tiles)*tile
			ns := min(tile, s-s0)
			cb, ldc := col, ns // the column block and its row stride
			if direct {
				cb, ldc = x[n*xImg+s0:], s
			} else {
				im2col(p, x[n*xImg:(n+1)*xImg], 0, p.InC, s0, ns, col)
			}
			yt := y[n*yImg+s0:]
			beta := float32(0)
			if bias != nil {
				fillBias(yt, s, ns, bias)
				beta = 1
			}
			// y tile [OutC, ns] (row stride S) = w [OutC, K] * col [K, ns] (+ bias).
			gemmOn(convGemmPrecision(p.Precision, p.OutC, ns), inner, false, false, p.OutC, ns, k, 1, w, k, cb, ldc, beta, yt, s, nil)
		}
	})
}

// convForwardImplicit is ConvForward as an implicit GEMM: for each image,
// y [OutC, S] = w [OutC, K] * patches [K, S] (+ bias) by the packed GEMM,
// with the patches packed from the image straight into B panels
// (packPatches). Each image's output pixels are cut into column ranges,
// a multiple of the panel width wide, that run on separate goroutines,
// each its own serial product: splitting the columns keeps every core busy
// even when OutC has few row panels.
func convForwardImplicit(p kernels.ConvParams, x, w, bias, y []float32) {
	k, s := p.InC*p.KH*p.KW, p.OutH()*p.OutW()
	xImg, yImg := p.InC*p.InH*p.InW, p.OutC*s
	nw := workers(2*p.N*p.OutC*k*s, gemmMinFlops)
	// Ranges per image: enough for every core (twice over when the batch
	// is small), each at least 4 panels wide.
	perImage := max(1, min((2*nw+p.N-1)/p.N, s/(4*packNR)))
	width := roundUp((s+perImage-1)/perImage, packNR)
	perImage = (s + width - 1) / width
	parallelChunks(p.N*perImage, nw, func(_, lo, hi int) {
		for it := lo; it < hi; it++ {
			n, j0 := it/perImage, it%perImage*width
			nb := min(width, s-j0)
			xn, yt := x[n*xImg:(n+1)*xImg], y[n*yImg+j0:]
			if bias != nil {
				fillBias(yt, s, nb, bias)
			}
			g := packedProduct{m: p.OutC, n: nb, k: k, overwrite: bias == nil,
				pairs: usePairs(p.Precision, p.OutC, nb), alpha: 1,
				packA: func(i0, p0, mb, kb int, dst []float32) { packA(kernels.FP32, false, 1, w, k, i0, p0, mb, kb, dst) },
				packB: func(p0, jb, kb, nbb int, dst []float32) { packPatches(p, xn, p0, j0+jb, kb, nbb, dst) },
			}
			g.run(yt, s, 1)
		}
	})
}

// convGemmPrecision is the precision a convolution in precision prec
// gives the GEMM for a product of m x n on operands it has rounded
// already: BF16 where that product takes the BF16 path (usePairs; rounding
// bfloat16 values again changes nothing), FP32 otherwise.
func convGemmPrecision(prec kernels.Precision, m, n int) kernels.Precision {
	if usePairs(prec, m, n) {
		return kernels.BF16
	}
	return kernels.FP32
}

// fillBias sets columns [0, n) of every row o of y (row stride s) to
// bias[o], for a product that then adds into y.
func fillBias(y []float32, s, n int, bias []float32) {
	for o, bo := range bias {
		row := y[o*s : o*s+n]
		for i := range row {
			row[i] = bo
		}
	}
}

// ConvBackwardData accumulates into dx [N, InC, InH, InW] the gradient of
// ConvForward with respect to x, given dy [N, OutC, OutH, OutW] and w:
//
//	dx[n,c,ih,iw] += sum over (o,kh,kw,oh,ow) with oh*SH-PH+kh = ih and
//	                 ow*SW-PW+kw = iw of w[o,c,kh,kw] * dy[n,o,oh,ow]
//
// It is also the forward pass of a transposed convolution. Rows and columns
// of dx that no output reaches (InH larger than the output covers, as with
// output_padding) get nothing added. For each image and group of input
// channels, col = w^T dy is computed tile by tile and scattered back into dx
// (col2im); groups write disjoint planes of dx and run on separate
// goroutines. dy and w are rounded with p.Precision.Round, into copies as
// in ConvForward. Where ConvForward takes Winograd F(4x4, 3x3), so does
// ConvBackwardData: with stride 1 the data gradient is a 3x3 convolution
// of dy (dataGradConv). ConvBackwardData panics if p is invalid or a slice
// has the wrong length.
func ConvBackwardData(p kernels.ConvParams, dy, w, dx []float32) {
	must("ConvBackwardData", p.CheckBackwardData(ln(dy), ln(w), ln(dx)))
	dy, releaseDy := roundedScratch(p.Precision, dy)
	defer releaseDy()
	w, releaseW := roundedScratch(p.Precision, w)
	defer releaseW()
	if useWinograd(p) {
		// A 3x3 stride-1 convolution of dy (winograd.go).
		winogradConv(dataGradConv(p), dy, w, true, nil, dx, true)
		return
	}
	// The implicit GEMM has InC rows and packs OutC*taps patch values
	// per pixel; col = w^T dy has InC*KH*KW rows and scatters them back.
	// Per multiply-add the first moves data in proportion to 1/InC, the
	// second to 1/OutC, so the implicit GEMM is taken where InC >= OutC
	// (residual blocks, a network's last layers; measured with
	// BenchmarkBackendConv) and never for a sliver of fewer rows than a
	// tile has.
	if !pointwise(p) && p.InC >= max(p.OutC, packMR) && microKernel != nil {
		convBackwardDataImplicit(p, dy, w, dx)
		return
	}
	kk := p.KH * p.KW
	k, s := p.InC*kk, p.OutH()*p.OutW()
	// Enough channel groups to give every core work when the batch is small.
	groups := min(p.InC, (2*workers(p.N*p.InC, 1)+p.N-1)/p.N)
	tile := convTile(k, s)
	xImg, yImg := p.InC*p.InH*p.InW, p.OutC*s
	direct := pointwise(p)
	parallelFor(p.N*groups, 1, func(lo, hi int) {
		col, release := columnScratch(direct, k*tile)
		defer release()
		for it := lo; it < hi; it++ {
			n, g := it/groups, it%groups
			c0, c1 := g*p.InC/groups, (g+1)*p.InC/groups
			rows := (c1 - c0) * kk
			for s0 := 0; s0 < s; s0 += tile {
				ns := min(tile, s-s0)
				if direct {
					// dx[n, c0:c1, tile] += w[:, c0:c1]^T * dy tile.
					gemmSerial(convGemmPrecision(p.Precision, rows, ns), true, false, rows, ns, p.OutC, 1, w[c0:], k,
						dy[n*yImg+s0:], s, 1, dx[n*xImg+c0*s+s0:], s, nil)
					continue
				}
				// col [rows, ns] = w[:, c0*kk : c1*kk]^T [rows, OutC] * dy tile [OutC, ns].
				gemmSerial(convGemmPrecision(p.Precision, rows, ns), true, false, rows, ns, p.OutC, 1, w[c0*kk:], k,
					dy[n*yImg+s0:], s, 0, col, ns, nil)
				col2im(p, dx[n*xImg:(n+1)*xImg], c0, c1, s0, ns, col)
			}
		}
	})
}

// ConvBackwardFilter accumulates the gradients of ConvForward with respect
// to the weight and the bias, given x and dy:
//
//	dw[o,c,kh,kw] += sum_{n,oh,ow} dy[n,o,oh,ow] * x[n,c,oh*SH-PH+kh,ow*SW-PW+kw]
//	dbias[o]      += sum_{n,oh,ow} dy[n,o,oh,ow]
//
// with x and dy rounded with p.Precision.Round in the sum of dw, into
// copies as in ConvForward (dbias is exact). Either dw or dbias may be nil. With fewer than packMR output channels and
// horizontal stride 1, dw comes from dot products of rows
// (convFilterFewOutputs). Otherwise tiles of every image are spread over
// goroutines, each accumulating dw += dy_tile col^T into its own partial sum
// (the first one straight into dw); the partials are added at the end.
// ConvBackwardFilter panics if p is invalid or a slice has the wrong length.
func ConvBackwardFilter(p kernels.ConvParams, x, dy, dw, dbias []float32) {
	must("ConvBackwardFilter", p.CheckBackwardFilter(ln(x), ln(dy), ln(dw), ln(dbias)))
	s := p.OutH() * p.OutW()
	yImg := p.OutC * s
	if dbias != nil {
		parallelFor(p.OutC, 16, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				var sum float64
				for n := range p.N {
					for _, v := range dy[n*yImg+o*s : n*yImg+(o+1)*s] {
						sum += float64(v)
					}
				}
				dbias[o] += float32(sum)
			}
		})
	}
	if dw == nil {
		return
	}
	x, releaseX := roundedScratch(p.Precision, x)
	defer releaseX()
	dy, releaseDy := roundedScratch(p.Precision, dy)
	defer releaseDy()
	if fewOutputs(p) {
		if channelsLast(p) {
			convFilterChannelsLast(p, x, dy, dw)
			return
		}
		if dot4Kernel != nil {
			convFilterFewOutputs(p, x, dy, dw)
			return
		}
	}
	k := p.InC * p.KH * p.KW
	tile := convTile(k, s)
	// At least two tiles per goroutine, so that a small batch of small
	// images (3 tiles on 2 cores) does not leave a core idle for a third
	// of the pass.
	if perImage := (2*runtime.GOMAXPROCS(0) + p.N - 1) / p.N; (s+tile-1)/tile < perImage {
		tile = max(convMinTile, (s+perImage-1)/perImage)
	}
	tiles := (s + tile - 1) / tile
	xImg := p.InC * p.InH * p.InW
	items := p.N * tiles
	chunks := workers(items, 1)
	partial := make([][]float32, chunks)
	partial[0] = dw
	for c := 1; c < chunks; c++ {
		// From the scratch cache: a fresh slice per call would be garbage of
		// the weights' size for every layer of every training step.
		buf := getScratch(len(dw))
		defer putScratch(buf)
		partial[c] = *buf
		clear(partial[c])
	}
	direct := pointwise(p)
	implicit := !direct && microKernel != nil
	parallelChunks(items, chunks, func(chunk, lo, hi int) {
		col, release := columnScratch(direct || implicit, k*tile)
		defer release()
		var gs gemmScratch
		for it := lo; it < hi; it++ {
			n, s0 := it/tiles, (it%tiles)*tile
			ns := min(tile, s-s0)
			dyt := dy[n*yImg+s0:]
			if implicit {
				// dw [OutC, K] += dy tile [OutC, ns] * patches^T [ns, K], the
				// patches packed from the image (packPatchesT).
				xn := x[n*xImg : (n+1)*xImg]
				g := packedProduct{m: p.OutC, n: k, k: ns, pairs: usePairs(p.Precision, p.OutC, k), alpha: 1,
					packA: func(i0, p0, mb, kb int, dst []float32) { packA(kernels.FP32, false, 1, dyt, s, i0, p0, mb, kb, dst) },
					packB: func(p0, j0, kb, nb int, dst []float32) { packPatchesT(p, xn, s0+p0, j0, kb, nb, dst) },
				}
				g.run(partial[chunk], k, 1)
				continue
			}
			cb, ldc := col, ns // the column block and its row stride
			if direct {
				cb, ldc = x[n*xImg+s0:], s
			} else {
				im2col(p, x[n*xImg:(n+1)*xImg], 0, p.InC, s0, ns, col)
			}
			// dw [OutC, K] += dy tile [OutC, ns] (row stride S) * col^T [ns, K].
			gemmSerial(convGemmPrecision(p.Precision, p.OutC, k), false, true, p.OutC, k, ns, 1, dyt, s, cb, ldc, 1, partial[chunk], k, &gs)
		}
	})
	addPartials(dw, partial, func(s *[]float32) []float32 { return *s })
}

// convSpan calls fn for every output row that the output pixels
// [s0, s0+ns) touch, with the output row oh, the first column ow and the
// offset i of that first pixel within the tile, and the run length.
func convSpan(outW, s0, ns int, fn func(oh, ow, i, run int)) {
	oh, ow := s0/outW, s0%outW
	for i := 0; i < ns; {
		run := min(outW-ow, ns-i)
		fn(oh, ow, i, run)
		i += run
		oh, ow = oh+1, 0
	}
}

// validRun returns the range [qlo, qhi) of q in [0, run) for which
// iw = iw0 + q*stride lies in [0, inW).
func validRun(iw0, stride, inW, run int) (qlo, qhi int) {
	if iw0 < 0 {
		qlo = (-iw0 + stride - 1) / stride
	}
	qhi = run
	if last := inW - 1 - iw0; last < 0 {
		qhi = 0
	} else {
		qhi = min(run, last/stride+1)
	}
	return min(qlo, qhi), qhi
}

// im2col writes into col the patches of channels [c0, c1) of one image xn
// under the output pixels [s0, s0+ns):
//
//	col[((c-c0)*KH+kh)*KW+kw)*ns + i] = xn[c, oh*SH-PH+kh, ow*SW-PW+kw]
//
// for the i-th pixel (oh, ow) of the tile, 0 outside the image.
func im2col(p kernels.ConvParams, xn []float32, c0, c1, s0, ns int, col []float32) {
	kk := p.KH * p.KW
	for r := range (c1 - c0) * kk {
		im2colRow(p, xn, c0*kk+r, s0, col[r*ns:(r+1)*ns])
	}
}

// im2colRow writes into row the row r = (c*KH+kh)*KW+kw of the patch
// matrix of one image xn for the output pixels [s0, s0+len(row)):
//
//	row[i] = xn[c, oh*SH-PH+kh, ow*SW-PW+kw]
//
// for the i-th pixel (oh, ow), 0 outside the image.
func im2colRow(p kernels.ConvParams, xn []float32, r, s0 int, row []float32) {
	kw, kh, c := r%p.KW, r/p.KW%p.KH, r/(p.KH*p.KW)
	plane := p.InH * p.InW
	xc := xn[c*plane : (c+1)*plane]
	convSpan(p.OutW(), s0, len(row), func(oh, ow, i, run int) {
		seg := row[i : i+run]
		ih := oh*p.StrideH - p.PadH + kh
		if ih < 0 || ih >= p.InH {
			clear(seg)
			return
		}
		xr := xc[ih*p.InW : (ih+1)*p.InW]
		iw0 := ow*p.StrideW - p.PadW + kw
		qlo, qhi := validRun(iw0, p.StrideW, p.InW, run)
		clear(seg[:qlo])
		clear(seg[qhi:])
		if qlo == qhi {
			return
		}
		if p.StrideW == 1 {
			copy(seg[qlo:qhi], xr[iw0+qlo:iw0+qhi])
			return
		}
		gatherStrided(seg[qlo:qhi], xr[iw0+qlo*p.StrideW:], p.StrideW)
	})
}

// gatherStrided sets dst[j] = src[j*stride] for every j.
func gatherStrided(dst, src []float32, stride int) {
	if stride == 2 { // the down-sampling convolutions and the PatchGAN's
		for len(dst) >= 4 && len(src) >= 8 {
			dst[0], dst[1], dst[2], dst[3] = src[0], src[2], src[4], src[6]
			dst, src = dst[4:], src[8:]
		}
	}
	for j := range dst {
		dst[j] = src[j*stride]
	}
}

// packPatches is the packB of the implicit-GEMM convolution: it writes
// rows [p0, p0+kb) and output pixels [j0, j0+nb) of the patch matrix of
// image xn (what im2col would build) straight into B panels, laid out as
// packB does, so the patch matrix never exists in memory.
func packPatches(p kernels.ConvParams, xn []float32, p0, j0, kb, nb int, dst []float32) {
	packRows(func(r, s0 int, row []float32) { im2colRow(p, xn, r, s0, row) }, p0, j0, kb, nb, dst)
}

// packRows writes rows [p0, p0+kb) and columns [j0, j0+nb) of a matrix
// into B panels, laid out as packB does, where rowAt(r, j0, row) fills row
// with columns [j0, j0+len(row)) of row r. Each row is built in an
// L1-sized buffer and dealt out to the panels.
func packRows(rowAt func(r, j0 int, row []float32), p0, j0, kb, nb int, dst []float32) {
	buf := getScratch(nb)
	defer putScratch(buf)
	row := *buf
	full := nb / packNR * packNR // columns in full panels
	for r := range kb {
		rowAt(p0+r, j0, row)
		dealRow(row, dst[r*packNR:], packNR*kb, full/packNR)
		if full < nb {
			d := dst[full*kb+r*packNR : full*kb+(r+1)*packNR]
			clear(d[copy(d, row[full:]):])
		}
	}
}

// col2im is the adjoint of im2col: it adds every element of col back into
// the pixel of channels [c0, c1) of dxn that im2col would have read it from,
// and drops those that fall outside the image.
func col2im(p kernels.ConvParams, dxn []float32, c0, c1, s0, ns int, col []float32) {
	plane := p.InH * p.InW
	for c := c0; c < c1; c++ {
		dc := dxn[c*plane : (c+1)*plane]
		for kh := range p.KH {
			for kw := range p.KW {
				r := ((c-c0)*p.KH+kh)*p.KW + kw
				row := col[r*ns : (r+1)*ns]
				convSpan(p.OutW(), s0, ns, func(oh, ow, i, run int) {
					ih := oh*p.StrideH - p.PadH + kh
					if ih < 0 || ih >= p.InH {
						return
					}
					seg := row[i : i+run]
					dr := dc[ih*p.InW : (ih+1)*p.InW]
					iw0 := ow*p.StrideW - p.PadW + kw
					qlo, qhi := validRun(iw0, p.StrideW, p.InW, run)
					if qlo == qhi {
						return
					}
					if p.StrideW == 1 {
						axpy(dr[iw0+qlo:iw0+qhi], 1, seg[qlo:qhi])
						return
					}
					for q := qlo; q < qhi; q++ {
						dr[iw0+q*p.StrideW] += seg[q]
					}
				})
			}
		}
	}
}

// packPatchesT is the packB of the implicit-GEMM filter gradient: it
// writes output pixels [s0, s0+kb) and patch rows [j0, j0+nb) of the
// transposed patch matrix of image xn (op(B)(q, r) = patches[r][s0+q])
// into B panels, laid out as packB does: eight patch rows at a time are
// built in a buffer and transposed into the panels.
func packPatchesT(p kernels.ConvParams, xn []float32, s0, j0, kb, nb int, dst []float32) {
	buf := getScratch(8 * kb)
	defer putScratch(buf)
	rows := *buf
	packColumns(kb, nb, dst, func(j, n int) ([]float32, int) {
		for r := range n {
			im2colRow(p, xn, j0+j+r, s0, rows[r*kb:(r+1)*kb])
		}
		return rows, kb
	})
}

// columnScratch returns a column buffer of n elements from the scratch cache
// and the function that gives it back; a pointwise or implicit-GEMM
// convolution needs none and gets nil. The buffer is overwritten by im2col
// or by a GEMM with beta 0 before use.
func columnScratch(none bool, n int) (col []float32, release func()) {
	if none {
		return nil, func() {}
	}
	buf := getScratch(n)
	return *buf, func() { putScratch(buf) }
}
