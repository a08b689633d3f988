package cpu

import (
	"github.com/semgan/semgan/kernels"
)

// Blocking of the pure-Go GEMM. A block of op(B) of gemmKC rows and gemmNC
// columns (256 KiB) stays in L2 while every row of C sweeps over it; four
// rows of C (8 KiB) stay in L1.
const (
	gemmKC = 128
	gemmNC = 512
	// gemmMinFlops is the size of product below which Gemm does not start
	// goroutines.
	gemmMinFlops = 1 << 16
)

// Gemm computes C = Alpha*op(A)*op(B) + Beta*C for each of p.Batch entries
// of row-major matrices (see kernels.GemmParams), the operands of every
// product rounded with p.Precision.Round. When Beta is 0, C is
// overwritten without being read, so it may hold NaN; when Alpha is 0 or K
// is 0, A and B are not read. The work is split over batch entries and
// blocks of rows of C.
//
// Gemm panics if p is invalid, a slice is too short, a stride is negative,
// or batch entries of C overlap (StrideC < M*N with Batch > 1), which
// would make the result depend on the order of the entries.
func Gemm(p kernels.GemmParams, a, b, c []float32) {
	must("Gemm", p.Check(ln(a), ln(b), ln(c)))
	if p.M == 0 || p.N == 0 {
		return
	}
	lda, ldb := p.K, p.N
	if p.TransA {
		lda = p.M
	}
	if p.TransB {
		ldb = p.K
	}

	flops := 2 * p.Batch * p.M * p.N * max(p.K, 1)
	w := 1
	if flops >= gemmMinFlops {
		w = workers(flops, gemmMinFlops)
	}
	if microKernel != nil {
		gemmBatchPacked(p, a, b, c, lda, ldb, w)
		return
	}
	// Split every batch entry into rb x cb tiles of C so that there are a
	// few tiles per core; tiles write disjoint parts of C.
	rb, cb := p.M, p.N
	if w > 1 {
		want := (4*w + p.Batch - 1) / p.Batch // tiles wanted per entry
		rowTiles := min(want, (p.M+15)/16)
		rb = roundUp((p.M+rowTiles-1)/rowTiles, 4)
		if colTiles := want / ((p.M + rb - 1) / rb); colTiles > 1 {
			cb = roundUp(max((p.N+colTiles-1)/colTiles, 64), 16)
		}
	}
	rowTiles, colTiles := (p.M+rb-1)/rb, (p.N+cb-1)/cb
	perEntry := rowTiles * colTiles
	parallelFor(p.Batch*perEntry, 1, func(lo, hi int) {
		var s gemmScratch
		for t := lo; t < hi; t++ {
			e, r := t/perEntry, t%perEntry
			i0, j0 := (r/colTiles)*rb, (r%colTiles)*cb
			m, n := min(rb, p.M-i0), min(cb, p.N-j0)
			var ea, eb []float32
			if p.K > 0 && p.Alpha != 0 { // otherwise A and B are not read
				ea, eb = a[e*p.StrideA:], b[e*p.StrideB:]
				// Move A to row i0 of op(A) and B to column j0 of op(B).
				if p.TransA {
					ea = ea[i0:]
				} else {
					ea = ea[i0*lda:]
				}
				if p.TransB {
					eb = eb[j0*ldb:]
				} else {
					eb = eb[j0:]
				}
			}
			gemmSerial(p.Precision, p.TransA, p.TransB, m, n, p.K, p.Alpha, ea, lda, eb, ldb,
				p.Beta, c[e*p.StrideC+i0*p.N+j0:], p.N, &s)
		}
	})
}

// gemmBatchPacked is Gemm on the packed path with w goroutines: entries
// spread over the goroutines when there are enough of them, otherwise one
// entry after another, each product split over all w (sharing its packed
// blocks of B).
func gemmBatchPacked(p kernels.GemmParams, a, b, c []float32, lda, ldb, w int) {
	entry := func(e, w int) {
		var ea, eb []float32
		if p.K > 0 && p.Alpha != 0 { // otherwise A and B are not read
			ea, eb = a[e*p.StrideA:], b[e*p.StrideB:]
		}
		gemmOn(p.Precision, w, p.TransA, p.TransB, p.M, p.N, p.K, p.Alpha, ea, lda, eb, ldb, p.Beta,
			c[e*p.StrideC:], p.N, nil)
	}
	if p.Batch >= 2*w || w == 1 {
		parallelFor(p.Batch, 1, func(lo, hi int) {
			for e := lo; e < hi; e++ {
				entry(e, 1)
			}
		})
		return
	}
	for e := range p.Batch {
		entry(e, w)
	}
}

// roundUp returns x rounded up to a multiple of m.
func roundUp(x, m int) int { return (x + m - 1) / m * m }

// gemmScratch is one goroutine's packing buffer for blocks of a transposed B.
type gemmScratch struct{ pack []float32 }

// gemmSerial computes, on the calling goroutine,
//
//	C[i*ldc+j] = alpha * sum_p opA(i,p)*opB(p,j) + beta*C[i*ldc+j]
//
// for i < m, j < n, with opA(i,p) = a[i*lda+p] (a[p*lda+i] if transA) and
// opB(p,j) = b[p*ldb+j] (b[j*ldb+p] if transB). Leading dimensions let it
// work on sub-matrices: the convolution and attention kernels use it on
// tiles of larger arrays. s may be nil. No argument is checked: callers do
// that. The product goes through the packed micro-kernel path where the CPU
// has one, and through gemmAxpy otherwise.
//
// With a precision other than FP32, opA and opB are rounded with
// prec.Round (before alpha is applied): while they are packed on the packed
// path, and into rounded copies on the others (gemmRounded).
func gemmSerial(prec kernels.Precision, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, s *gemmScratch) {
	gemmOn(prec, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, s)
}

// gemmOn is gemmSerial on w goroutines (only the packed path uses more
// than one).
func gemmOn(prec kernels.Precision, w int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, s *gemmScratch) {
	if m == 0 || n == 0 {
		return
	}
	product := alpha != 0 && k > 0
	small := product && m < packMR && axpy4Kernel != nil
	packed := product && !small && microKernel != nil
	if product && !packed && prec != kernels.FP32 {
		gemmRounded(prec, w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// C = beta*C first, so that the product can be accumulated into C. The
	// packed path writes C itself when beta is 0.
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch {
		case beta == 1 || beta == 0 && packed:
		case beta == 0:
			clear(row)
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
	switch {
	case !product:
	case small:
		// Columns of C split over the goroutines, in runs of 8.
		parallelChunks((n+7)/8, w, func(_, lo, hi int) {
			j0, j1 := lo*8, min(hi*8, n)
			bj := b[j0:]
			if transB {
				bj = b[j0*ldb:]
			}
			gemmSmallM(transA, transB, m, j1-j0, k, alpha, a, lda, bj, ldb, c[j0:], ldc)
		})
	case packed:
		gemmPacked(prec, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, w)
	default:
		gemmAxpy(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, s)
	}
}

// gemmRounded is gemmOn for the paths that read an operand in place
// (gemmSmallM, gemmAxpy) in a precision other than FP32: it copies opA
// [m, k] and opB [k, n], rounded with prec.Round, and multiplies the
// copies in FP32.
func gemmRounded(prec kernels.Precision, w int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	abuf, bbuf := getScratch(m*k), getScratch(k*n)
	defer putScratch(abuf)
	defer putScratch(bbuf)
	ra, rb := roundedCopy(prec, transA, m, k, a, lda, *abuf), roundedCopy(prec, transB, k, n, b, ldb, *bbuf)
	gemmOn(kernels.FP32, w, false, false, m, n, k, alpha, ra, k, rb, n, beta, c, ldc, nil)
}

// roundedCopy writes into dst the rows x cols matrix op(X), where op(X)(i,
// j) = x[i*ld+j] (x[j*ld+i] if trans), rounded with prec.Round, row by row,
// and returns it.
func roundedCopy(prec kernels.Precision, trans bool, rows, cols int, x []float32, ld int, dst []float32) []float32 {
	dst = dst[:rows*cols]
	for i := range rows {
		d := dst[i*cols : (i+1)*cols]
		if !trans {
			copy(d, x[i*ld:i*ld+cols])
			continue
		}
		for j := range d {
			d[j] = x[j*ld+i]
		}
	}
	prec.RoundSlice(dst)
	return dst
}

// gemmAxpy is the pure-Go product: C += alpha*op(A)*op(B), with the
// arguments of gemmSerial. Four rows of C at a time are updated with rows of
// op(B) (axpy), over blocks of op(B) that stay in cache.
func gemmAxpy(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int, s *gemmScratch) {
	if transB && s == nil {
		s = new(gemmScratch)
	}
	// opA returns alpha*op(A)[i, p].
	opA := func(i, p int) float32 {
		if transA {
			return alpha * a[p*lda+i]
		}
		return alpha * a[i*lda+p]
	}
	for j0 := 0; j0 < n; j0 += gemmNC {
		nb := min(gemmNC, n-j0)
		for p0 := 0; p0 < k; p0 += gemmKC {
			kb := min(gemmKC, k-p0)
			// bp, bs: the kb x nb block of op(B), row p at bp[p*bs : p*bs+nb].
			var bp []float32
			bs := ldb
			if transB {
				bp, bs = s.packT(b, ldb, p0, j0, kb, nb), nb
			} else {
				bp = b[p0*ldb+j0:]
			}
			i := 0
			for ; i+4 <= m; i += 4 {
				c0 := c[(i+0)*ldc+j0 : (i+0)*ldc+j0+nb]
				c1 := c[(i+1)*ldc+j0 : (i+1)*ldc+j0+nb]
				c2 := c[(i+2)*ldc+j0 : (i+2)*ldc+j0+nb]
				c3 := c[(i+3)*ldc+j0 : (i+3)*ldc+j0+nb]
				p := 0
				for ; p+2 <= kb; p += 2 {
					axpy4x2(c0, c1, c2, c3,
						opA(i, p0+p), opA(i+1, p0+p), opA(i+2, p0+p), opA(i+3, p0+p),
						opA(i, p0+p+1), opA(i+1, p0+p+1), opA(i+2, p0+p+1), opA(i+3, p0+p+1),
						bp[p*bs:p*bs+nb], bp[(p+1)*bs:(p+1)*bs+nb])
				}
				for ; p < kb; p++ {
					axpy4(c0, c1, c2, c3, opA(i, p0+p), opA(i+1, p0+p), opA(i+2, p0+p), opA(i+3, p0+p),
						bp[p*bs:p*bs+nb])
				}
			}
			for ; i < m; i++ {
				c0 := c[i*ldc+j0 : i*ldc+j0+nb]
				for p := range kb {
					axpy(c0, opA(i, p0+p), bp[p*bs:p*bs+nb])
				}
			}
		}
	}
}

// packT copies the kb x nb block of op(B) starting at (p0, j0), where
// op(B)(p, j) = b[j*ldb+p], into s.pack row by row and returns it.
func (s *gemmScratch) packT(b []float32, ldb, p0, j0, kb, nb int) []float32 {
	if cap(s.pack) < kb*nb {
		// The first block of a product is its largest.
		s.pack = make([]float32, kb*nb)
	}
	dst := s.pack[:kb*nb]
	// Eight columns of op(B) at a time: eight sequential read streams and
	// runs of eight contiguous writes, instead of one write per cache line.
	j := 0
	for ; j+8 <= nb; j += 8 {
		var src [8][]float32
		for r := range src {
			src[r] = b[(j0+j+r)*ldb+p0 : (j0+j+r)*ldb+p0+kb]
		}
		for p := range kb {
			d := dst[p*nb+j : p*nb+j+8]
			d[0], d[1], d[2], d[3] = src[0][p], src[1][p], src[2][p], src[3][p]
			d[4], d[5], d[6], d[7] = src[4][p], src[5][p], src[6][p], src[7][p]
		}
	}
	for ; j < nb; j++ {
		col := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range col {
			dst[p*nb+j] = v
		}
	}
	return dst
}

// axpyKernel, where the CPU has it, is axpy in assembly for a length that
// is a multiple of 8.
var axpyKernel func(c *float32, a float32, b *float32, n int)

// axpy computes c[j] += a*b[j] for j < len(b); len(c) >= len(b).
func axpy(c []float32, a float32, b []float32) {
	c = c[:len(b)]
	if axpyKernel != nil && len(b) >= 8 {
		head := len(b) &^ 7
		axpyKernel(&c[0], a, &b[0], head)
		c, b = c[head:], b[head:]
	}
	for j, bv := range b {
		c[j] += a * bv
	}
}

// axpy4 computes cr[j] += ar*b[j] for four rows r; every c is as long as b.
func axpy4(c0, c1, c2, c3 []float32, a0, a1, a2, a3 float32, b []float32) {
	n := len(b)
	c0, c1, c2, c3 = c0[:n], c1[:n], c2[:n], c3[:n]
	for j, bv := range b {
		c0[j] += a0 * bv
		c1[j] += a1 * bv
		c2[j] += a2 * bv
		c3[j] += a3 * bv
	}
}

// axpy4x2 computes cr[j] += ar*b[j] + er*d[j] for four rows r: two rows
// of op(B) at once, which halves the loads and stores of C.
func axpy4x2(c0, c1, c2, c3 []float32, a0, a1, a2, a3, e0, e1, e2, e3 float32, b, d []float32) {
	n := len(b)
	d = d[:n]
	c0, c1, c2, c3 = c0[:n], c1[:n], c2[:n], c3[:n]
	for j, bv := range b {
		dv := d[j]
		c0[j] += a0*bv + e0*dv
		c1[j] += a1*bv + e1*dv
		c2[j] += a2*bv + e2*dv
		c3[j] += a3*bv + e3*dv
	}
}
