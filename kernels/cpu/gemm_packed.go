package cpu

import (
	"cmp"
	"unsafe"

	"github.com/semgan/semgan/kernels"
)

// The packed GEMM (the BLIS scheme). op(B) is cut into blocks of packKC rows
// and packNC columns and each block is copied into panels of packNR
// columns, one panel row after another; op(A) is cut into blocks of packMC
// rows, copied into panels of packMR rows stored column by column, with
// alpha folded in. A micro-kernel then multiplies one A panel by one B
// panel into an packMR x packNR tile of C held in registers. Panels are
// padded with zeros, so the micro-kernel never sees a ragged edge; partial
// tiles of C go through a small buffer.
//
// Sizes for AVX2 (16 vector registers of 8 floats): the 6x16 tile takes 12
// accumulators, two for the B row and two for broadcasts of A. A B panel
// (packKC*16 floats, 16 KiB) stays in L1, an A block (packMC*packKC, 96 KiB)
// in L2, and a B block (packKC*packNC, 2 MiB) in L3. With AVX-512 (32
// registers of 16 floats) the same panels feed a 12x32 tile, two A panels
// by two B panels (see microKernelWide): 24 accumulators, two for the B
// rows, six for broadcasts of A.
const (
	packMR = 6
	packNR = 16
	packKC = 256
	packMC = 96
	packNC = 2048
)

// microKernel computes, for one packed A panel a (k columns of packMR
// values) and one packed B panel b (k rows of packNR values),
//
//	c[r*ldc+j] (+)= sum_p a[p*packMR+r] * b[p*packNR+j]   for r < 6, j < 16,
//
// adding to c when accumulate is true and writing over it (without reading
// it, so it may hold NaN) otherwise.
//
// It is the assembly kernel where the CPU has one (see gemm_amd64.go), and
// nil otherwise, in which case gemmSerial uses gemmAxpy.
var microKernel func(k int, a, b, c *float32, ldc int, accumulate bool)

// microKernelGo is the micro-kernel in Go: the twin the assembly is tested
// against. It is too slow to be used for real work.
func microKernelGo(k int, a, b, c *float32, ldc int, accumulate bool) {
	var acc [packMR * packNR]float32
	ap := unsafeSlice(a, k*packMR)
	bp := unsafeSlice(b, k*packNR)
	for p := range k {
		bRow := bp[p*packNR : (p+1)*packNR]
		for r := range packMR {
			ar := ap[p*packMR+r]
			row := acc[r*packNR : (r+1)*packNR]
			for j, bv := range bRow {
				row[j] += ar * bv
			}
		}
	}
	cs := unsafeSlice(c, (packMR-1)*ldc+packNR)
	for r := range packMR {
		if accumulate {
			axpy(cs[r*ldc:r*ldc+packNR], 1, acc[r*packNR:(r+1)*packNR])
		} else {
			copy(cs[r*ldc:r*ldc+packNR], acc[r*packNR:(r+1)*packNR])
		}
	}
}

// microKernelWide computes a 2*packMR x 2*packNR (12x32) tile of C from
// two adjacent packed A panels (a, and a+packMR*k) and two adjacent packed
// B panels (b, and b+packNR*k): microKernel on the four 6x16 quarters,
//
//	c[r*ldc+j] (+)= sum_p a[(r/6)*6*k + p*6 + r%6] * b[(j/16)*16*k + p*16 + j%16]
//
// for r < 12, j < 32, in one pass over the panels. It holds twice as many
// accumulators as microKernel, so each load feeds twice the multiply-adds.
// It is set where the CPU has such a kernel (see gemm_amd64.go) and nil
// otherwise, in which case macroKernel uses microKernel alone.
var microKernelWide func(k int, a, b, c *float32, ldc int, accumulate bool)

// microKernelWideGo is microKernelWide in Go, as microKernelGo on the four
// quarters: the twin the assembly is tested against.
func microKernelWideGo(k int, a, b, c *float32, ldc int, accumulate bool) {
	as, bs := unsafeSlice(a, 2*packMR*k+1), unsafeSlice(b, 2*packNR*k+1)
	cs := unsafeSlice(c, (2*packMR-1)*ldc+2*packNR)
	for h := range 2 {
		for v := range 2 {
			microKernelGo(k, &as[h*packMR*k], &bs[v*packNR*k], &cs[h*packMR*ldc+v*packNR], ldc, accumulate)
		}
	}
}

// packedProduct is a product C += op(A)*op(B) of an m x k and a k x n
// operand, described by how blocks of each are packed into panels. Dense
// matrices use packA and packB; the convolutions pack image patches
// straight into panels (implicit GEMM).
type packedProduct struct {
	m, n, k int
	// packA writes alpha*op(A)[i0:i0+mb, p0:p0+kb] into panels of packMR
	// rows, laid out as packA does.
	packA func(i0, p0, mb, kb int, dst []float32)
	// panelsA, where set, returns instead A's panels for rows [i0, i0+mb)
	// and columns [p0, p0+kb), laid out as packA writes them, to be read
	// in place: for an operand packed once and multiplied many times
	// (winograd.go). packA is then not called. Not with pairs.
	panelsA func(i0, p0, mb, kb int) []float32
	// packB writes op(B)[p0:p0+kb, j0:j0+nb] into panels of packNR
	// columns, laid out as packB does.
	packB func(p0, j0, kb, nb int, dst []float32)
	// overwrite makes the product write C instead of adding to it, as
	// for beta = 0: the first block of k writes, the others add.
	overwrite bool
	// prec rounds the B panels as soon as they are packed (each packed
	// block is still in cache); packA rounds the A panels itself, before
	// alpha, so packA must be given the same precision.
	prec kernels.Precision
	// pairs takes the BF16 path (gemm_bf16.go; set it only where
	// usePairs says so): the packed panels are rounded to bfloat16 as
	// they are converted into pair panels, and multiplied by
	// microKernelBF16Wide. packA must then leave out alpha (pass 1) and
	// need not round: the path rounds, and applies alpha to each tile.
	pairs bool
	alpha float32
	// kc is the depth of the blocks of k, packKC where 0. The products of
	// dense matrices take denseKC().
	kc int
}

// denseKC returns the depth of k blocks in products of dense matrices.
// Each block of k reads and writes all of C once, and in large products C
// does not stay in cache, so deeper blocks move less of it: with the
// AVX-512 kernels, 1024 took 4% less time than packKC for SGEMM 2048 and
// 4096 (go run ./examples/bench -cases '^sgemm_(2048|4096)$', AMD EPYC;
// docs/benchmarks.md). Elsewhere, unmeasured, it stays packKC. The
// convolutions keep packKC, by which their Winograd panels are laid out.
func denseKC() int {
	if microKernelWide != nil {
		return 1024
	}
	return packKC
}

// minColumnsPerGoroutine is the fewest columns of C that run gives each
// goroutine when it splits C by columns (see run). Each goroutine then
// packs all of op(A) once per block of k, which 512 columns of work
// amortise.
const minColumnsPerGoroutine = 512

// run computes C += op(A)*op(B) (C = op(A)*op(B) with overwrite) into c
// (row stride ldc) on w goroutines. Where C has minColumnsPerGoroutine
// columns per goroutine it is split by columns, and each goroutine
// computes its range as a product of its own (runByColumns). Otherwise
// each block of op(B) is packed once, its panels spread over the
// goroutines, and then the rows of C are split between them, each packing
// its own blocks of op(A).
func (g *packedProduct) run(c []float32, ldc, w int) {
	if w > 1 && g.n >= w*minColumnsPerGoroutine {
		g.runByColumns(c, ldc, w)
		return
	}
	kc := cmp.Or(g.kc, packKC)
	bBuf := getScratch(kc * min(packNC, roundUp(g.n, packNR)))
	defer putScratch(bBuf)
	bp := *bBuf
	var bpw []uint32 // B pair panels (pairs), up to a zero panel more
	if g.pairs {
		bwBuf := getScratch(len(bp)/2 + packNR*kc/2)
		defer putScratch(bwBuf)
		bpw = words(*bwBuf)
	}
	rowPanels := (g.m + packMR - 1) / packMR
	w = max(1, min(w, rowPanels))
	for j0 := 0; j0 < g.n; j0 += packNC {
		nb := min(packNC, g.n-j0)
		colPanels := (nb + packNR - 1) / packNR
		for p0 := 0; p0 < g.k; p0 += kc {
			kb := min(kc, g.k-p0)
			parallelChunks(colPanels, min(w, colPanels), func(_, lo, hi int) {
				g.packB(p0, j0+lo*packNR, kb, min(hi*packNR, nb)-lo*packNR, bp[lo*packNR*kb:])
				if !g.pairs {
					g.prec.RoundSlice(bp[lo*packNR*kb : hi*packNR*kb])
				}
			})
			if g.pairs {
				// Pairs of panels go to the goroutines, so that the zero
				// panel that completes an odd count comes last.
				kh := (kb + 1) / 2
				parallelChunks((colPanels+1)/2, min(w, (colPanels+1)/2), func(_, lo, hi int) {
					pairPanels(bp[2*lo*packNR*kb:min(2*hi, colPanels)*packNR*kb], packNR, kb, bpw[2*lo*packNR*kh:])
				})
			}
			accumulate := p0 > 0 || !g.overwrite
			parallelChunks(rowPanels, w, func(_, lo, hi int) {
				aBuf := getScratch(packMC*kb + packMR*packNR)
				defer putScratch(aBuf)
				ap, edge := (*aBuf)[:packMC*kb], (*aBuf)[packMC*kb:]
				var apw []uint32 // A pair panels (pairs), up to a zero panel more
				if g.pairs {
					awBuf := getScratch((packMC+packMR)*(kb+1)/2 + 4*packMR*packNR)
					defer putScratch(awBuf)
					apw, edge = words((*awBuf)[4*packMR*packNR:]), (*awBuf)[:4*packMR*packNR]
				}
				for i0 := lo * packMR; i0 < min(hi*packMR, g.m); i0 += packMC {
					mb := min(packMC, min(hi*packMR, g.m)-i0)
					if g.panelsA != nil {
						macroKernel(mb, nb, kb, g.panelsA(i0, p0, mb, kb), bp, c[i0*ldc+j0:], ldc, accumulate, edge)
						continue
					}
					g.packA(i0, p0, mb, kb, ap)
					if g.pairs {
						pairPanels(ap[:roundUp(mb, packMR)*kb], packMR, kb, apw)
						macroKernelPairs(mb, nb, kb, apw, bpw, c[i0*ldc+j0:], ldc, g.alpha, accumulate, edge)
						continue
					}
					macroKernel(mb, nb, kb, ap, bp, c[i0*ldc+j0:], ldc, accumulate, edge)
				}
			})
		}
	}
}

// runByColumns computes the product on w goroutines, each taking a range
// of C's columns (in pairs of B panels, as microKernelWide takes them) and
// packing its own panels of both operands. Nothing is shared but op(A),
// read by all: the goroutines neither wait for each other between blocks
// nor read panels another core packed. That is worth more than packing
// op(A) once per goroutine: on two cores, SGEMM 2048 and 4096 took 2.5%
// and 5.5% less time with the AVX2 kernels, 3.6% and 0.8% with AVX-512
// (docs/benchmarks.md).
func (g *packedProduct) runByColumns(c []float32, ldc, w int) {
	const step = 2 * packNR
	parallelChunks((g.n+step-1)/step, w, func(_, lo, hi int) {
		j0 := lo * step
		part := *g
		part.n = min(hi*step, g.n) - j0
		part.packB = func(p0, j, kb, nb int, dst []float32) { g.packB(p0, j0+j, kb, nb, dst) }
		part.run(c[j0:], ldc, 1)
	})
}

// macroKernel adds the product of mb packed rows of op(A) (panels in ap)
// and nb packed columns of op(B) (panels in bp), both kb deep, into c, or
// writes it there when accumulate is false. Each B panel (16 KiB) stays in
// L1 while every A panel streams past it. Where microKernelWide is set,
// pairs of B panels meet pairs of A panels in 12x32 tiles, and the rows and
// columns left over go through microKernel. Partial tiles go through edge
// (packMR*packNR floats).
func macroKernel(mb, nb, kb int, ap, bp []float32, c []float32, ldc int, accumulate bool, edge []float32) {
	edge = edge[:packMR*packNR]
	jr := 0
	if wide := microKernelWide; wide != nil && mb >= 2*packMR {
		for ; jr+2*packNR <= nb; jr += 2 * packNR {
			b := &bp[jr*kb]
			_ = bp[(jr+2*packNR)*kb-1] // both B panels are inside bp
			ir := 0
			for ; ir+2*packMR <= mb; ir += 2 * packMR {
				_ = ap[(ir+2*packMR)*kb-1] // both A panels are inside ap
				ci := ir*ldc + jr
				_ = c[ci+(2*packMR-1)*ldc+2*packNR-1] // the whole tile is inside c
				wide(kb, &ap[ir*kb], b, &c[ci], ldc, accumulate)
			}
			for ; ir < mb; ir += packMR {
				microTile(mb, nb, kb, ir, jr, ap, bp, c, ldc, accumulate, edge)
				microTile(mb, nb, kb, ir, jr+packNR, ap, bp, c, ldc, accumulate, edge)
			}
		}
	}
	for ; jr < nb; jr += packNR {
		for ir := 0; ir < mb; ir += packMR {
			microTile(mb, nb, kb, ir, jr, ap, bp, c, ldc, accumulate, edge)
		}
	}
}

// microTile is the step of macroKernel for the tile of C at row ir and
// column jr: one call of microKernel, through edge where the tile is
// partial.
func microTile(mb, nb, kb, ir, jr int, ap, bp []float32, c []float32, ldc int, accumulate bool, edge []float32) {
	a, b := &ap[ir*kb], &bp[jr*kb]
	mr, nr := min(packMR, mb-ir), min(packNR, nb-jr)
	ci := ir*ldc + jr
	if mr == packMR && nr == packNR {
		_ = c[ci+(packMR-1)*ldc+packNR-1] // the whole tile is inside c
		microKernel(kb, a, b, &c[ci], ldc, accumulate)
		return
	}
	microKernel(kb, a, b, &edge[0], packNR, false)
	for r := range mr {
		if accumulate {
			axpy(c[ci+r*ldc:ci+r*ldc+nr], 1, edge[r*packNR:r*packNR+nr])
		} else {
			copy(c[ci+r*ldc:ci+r*ldc+nr], edge[r*packNR:r*packNR+nr])
		}
	}
}

// gemmPacked computes C = alpha*op(A)*op(B) + beta*C with the
// micro-kernel on w goroutines; the other arguments are those of
// gemmSerial. Unless beta is 0 (C is then written without being read) or
// 1, C has been scaled by beta already.
func gemmPacked(prec kernels.Precision, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc, w int) {
	pairs, packPrec, packAlpha := usePairs(prec, m, n), prec, alpha
	if pairs { // the BF16 path rounds, and applies alpha to each tile
		packPrec, packAlpha = kernels.FP32, 1
	}
	g := packedProduct{m: m, n: n, k: k, overwrite: beta == 0, prec: prec, pairs: pairs, alpha: alpha, kc: denseKC(),
		packA: func(i0, p0, mb, kb int, dst []float32) {
			packA(packPrec, transA, packAlpha, a, lda, i0, p0, mb, kb, dst)
		},
		packB: func(p0, j0, kb, nb int, dst []float32) { packB(transB, b, ldb, p0, j0, kb, nb, dst) },
	}
	g.run(c, ldc, w)
}

// packA copies alpha*op(A)[i0:i0+mb, p0:p0+kb] into panels of packMR rows:
// panel q holds, for each p < kb, the packMR values of rows
// i0+q*packMR ... at dst[q*packMR*kb + p*packMR + r]. Rows past mb are 0.
// In a precision other than FP32 each value is alpha*prec.Round(op(A)):
// rounded before it is scaled, in one pass over the packed panels.
func packA(prec kernels.Precision, transA bool, alpha float32, a []float32, lda, i0, p0, mb, kb int, dst []float32) {
	if prec != kernels.FP32 {
		packA(kernels.FP32, transA, 1, a, lda, i0, p0, mb, kb, dst)
		panels := dst[:roundUp(mb, packMR)*kb]
		prec.RoundSlice(panels)
		if alpha != 1 {
			for i := range panels {
				panels[i] *= alpha
			}
		}
		return
	}
	for q := 0; q*packMR < mb; q++ {
		panel := dst[q*packMR*kb : (q+1)*packMR*kb]
		rows := min(packMR, mb-q*packMR)
		i := i0 + q*packMR
		if transA {
			// op(A)(i, p) = a[p*lda+i]: the packMR values of column p are
			// contiguous.
			for p := range kb {
				d := panel[p*packMR : (p+1)*packMR]
				if rows == packMR { // unrolled: the common case
					src := a[(p0+p)*lda+i : (p0+p)*lda+i+packMR]
					d[0], d[1], d[2] = alpha*src[0], alpha*src[1], alpha*src[2]
					d[3], d[4], d[5] = alpha*src[3], alpha*src[4], alpha*src[5]
					continue
				}
				src := a[(p0+p)*lda+i : (p0+p)*lda+i+rows]
				for r, v := range src {
					d[r] = alpha * v
				}
				clear(d[rows:])
			}
			continue
		}
		head := 0
		if rows == packMR && packA6Kernel != nil && kb >= 8 {
			head = kb &^ 7
			_ = a[(i+packMR-1)*lda+p0+head-1] // bounds, checked once for the assembly
			_ = panel[head*packMR-1]
			packA6Kernel(&a[i*lda+p0], lda, &panel[0], head, alpha)
		}
		for r := range packMR {
			if r >= rows {
				for p := range kb {
					panel[p*packMR+r] = 0
				}
				continue
			}
			src := a[(i+r)*lda+p0+head : (i+r)*lda+p0+kb]
			for p, v := range src {
				panel[(head+p)*packMR+r] = alpha * v
			}
		}
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] into panels of packNR columns:
// panel q holds, for each p < kb, the packNR values of columns
// j0+q*packNR ... at dst[q*packNR*kb + p*packNR + j]. Columns past nb are 0.
// Both cases read op(B) in long sequential runs: reading one panel's 16
// values from each of kb rows would walk B with a stride that maps every
// row to the same few cache sets.
func packB(transB bool, b []float32, ldb, p0, j0, kb, nb int, dst []float32) {
	full := nb / packNR * packNR // columns in full panels
	if !transB {
		// op(B)(p, j) = b[p*ldb+j]: each row of the block is a contiguous
		// run, dealt out to the panels 16 values at a time.
		for p := range kb {
			src := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+nb]
			dealRow(src, dst[p*packNR:], packNR*kb, full/packNR)
			if full < nb {
				d := dst[full*kb+p*packNR : full*kb+(p+1)*packNR]
				clear(d[copy(d, src[full:]):])
			}
		}
		return
	}
	// op(B)(p, j) = b[j*ldb+p]: column j of op(B) is contiguous.
	packColumns(kb, nb, dst, func(j, _ int) ([]float32, int) { return b[(j0+j)*ldb+p0:], ldb })
}

// packColumns writes nb columns of kb values each into B panels, laid out
// as packB does, where cols(j, n) returns columns j ... j+n-1 (n is 8 or
// 1) as runs of kb values, ld apart. Eight columns at a time are
// transposed into eight-wide runs of a panel; columns past nb are 0.
func packColumns(kb, nb int, dst []float32, cols func(j, n int) (src []float32, ld int)) {
	j := 0
	for ; j+8 <= nb; j += 8 {
		src, ld := cols(j, 8)
		transpose8(src, ld, dst[(j/packNR)*packNR*kb+j%packNR:], packNR, kb)
	}
	for ; j < roundUp(nb, packNR); j++ {
		panel := dst[(j/packNR)*packNR*kb+j%packNR:]
		if j >= nb {
			for p := range kb {
				panel[p*packNR] = 0
			}
			continue
		}
		src, _ := cols(j, 1)
		for p, v := range src[:kb] {
			panel[p*packNR] = v
		}
	}
}

// packA6Kernel, where the CPU has it, interleaves six rows of A (stride
// lda) into a panel, scaled by alpha, for a k that is a multiple of 8.
var packA6Kernel func(src *float32, lda int, dst *float32, k int, alpha float32)

// unsafeSlice is the n floats starting at p.
func unsafeSlice(p *float32, n int) []float32 { return unsafe.Slice(p, n) }
