package cpu

// Products with fewer rows of C than a micro-kernel tile (a convolution to
// 3 channels or to 1, attention with 2 key channels) would pay for packing
// all of op(B) to use a fraction of each tile. They read op(B) once
// instead: with B as is, four rows of C at a time are updated from each row
// of op(B) (axpy4); with B transposed, each row of B gives four dot
// products (dot4).

// axpy4Kernel and dot4Kernel are the assembly kernels of the path, where
// the CPU has them; n is a multiple of 8.
var (
	axpy4Kernel func(c *[4]*float32, a *[4]float32, b *float32, n int)
	dot4Kernel  func(a *[4]*float32, b *float32, n int, out *[4]float32)
)

// smallMBlock is how many columns of C the non-transposed path updates per
// sweep over op(B): four rows of 1024 floats stay in L1.
const smallMBlock = 1024

// gemmSmallM computes C += alpha*op(A)*op(B) for m < packMR, with the
// arguments of gemmSerial (beta has been applied).
func gemmSmallM(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) {
	// The rows of alpha*op(A), each k long and contiguous.
	abuf := getScratch(m * k)
	defer putScratch(abuf)
	ar := *abuf
	for i := range m {
		for p := range k {
			if transA {
				ar[i*k+p] = alpha * a[p*lda+i]
			} else {
				ar[i*k+p] = alpha * a[i*lda+p]
			}
		}
	}
	for i0 := 0; i0 < m; i0 += 4 {
		rows := min(4, m-i0)
		if transB {
			smallMDots(rows, n, k, ar[i0*k:], b, ldb, c[i0*ldc:], ldc)
		} else {
			smallMAxpys(rows, n, k, ar[i0*k:], b, ldb, c[i0*ldc:], ldc)
		}
	}
}

// smallMAxpys adds to rows < 4 rows of c the product of those rows of A
// (ar, k each) with op(B) = b [k, n].
func smallMAxpys(rows, n, k int, ar, b []float32, ldb int, c []float32, ldc int) {
	ax := newAxpyRows(min(n, smallMBlock))
	defer ax.release()
	for j0 := 0; j0 < n; j0 += smallMBlock {
		nb := min(smallMBlock, n-j0)
		var crows [4][]float32
		for r := range rows {
			crows[r] = c[r*ldc+j0 : r*ldc+j0+nb]
		}
		var coef [4]float32
		for p := range k {
			for r := range rows {
				coef[r] = ar[r*k+p]
			}
			ax.add(rows, &crows, coef, b[p*ldb+j0:p*ldb+j0+nb])
		}
	}
}

// axpyRows adds multiples of one vector to up to four rows at once with
// axpy4Kernel, reading the vector once. Its fields are the kernel's
// arguments, which escape to the heap: make one per goroutine and reuse it.
type axpyRows struct {
	ptr   [4]*float32
	coef  [4]float32
	dummy *[]float32 // where rows past the last go, with coefficient 0
}

// newAxpyRows returns an axpyRows for vectors of up to n elements; give
// its scratch back with release.
func newAxpyRows(n int) *axpyRows { return &axpyRows{dummy: getScratch(max(n, 1))} }

func (a *axpyRows) release() { putScratch(a.dummy) }

// add computes c[r][j] += coef[r]*b[j] for r < rows (at most 4) and
// j < len(b); every c[r] is at least as long as b.
func (a *axpyRows) add(rows int, c *[4][]float32, coef [4]float32, b []float32) {
	head := len(b) &^ 7
	if head > 0 {
		for r := range 4 {
			a.ptr[r], a.coef[r] = &(*a.dummy)[0], 0
			if r < rows {
				a.ptr[r], a.coef[r] = &c[r][0], coef[r]
			}
		}
		axpy4Kernel(&a.ptr, &a.coef, &b[0], head)
	}
	for r := range rows {
		cr := c[r][:len(b)]
		for j := head; j < len(b); j++ {
			cr[j] += coef[r] * b[j]
		}
	}
}

// smallMDots adds to rows < 4 rows of c the product of those rows of A
// (ar, k each) with op(B) = b^T, b [n, k]: c[r, j] += ar_r . b_j.
func smallMDots(rows, n, k int, ar, b []float32, ldb int, c []float32, ldc int) {
	d := new(dotArgs)
	for j := range n {
		sums := d.dots(rows, ar, k, b[j*ldb:j*ldb+k])
		for r := range rows {
			c[r*ldc+j] += sums[r]
		}
	}
}

// dotArgs holds dot4Kernel's arguments, which escape to the heap: make one
// per goroutine and reuse it.
type dotArgs struct {
	rows [4]*float32
	sums [4]float32
}

// dots returns the dot products of b with rows < 4 rows of A, row r at
// ar[r*lda : r*lda+len(b)], in the first rows sums, by dot4Kernel where
// the CPU has it. The sums live in d until its next call.
func (d *dotArgs) dots(rows int, ar []float32, lda int, b []float32) *[4]float32 {
	k := len(b)
	head := 0
	if dot4Kernel != nil {
		head = k &^ 7
	}
	d.sums = [4]float32{}
	if head > 0 {
		for r := range 4 {
			d.rows[r] = &ar[min(r, rows-1)*lda] // rows past the last repeat it: results dropped
		}
		dot4Kernel(&d.rows, &b[0], head, &d.sums)
	}
	for r := range rows {
		s := d.sums[r]
		a := ar[r*lda : r*lda+k]
		for p := head; p < k; p++ {
			s += a[p] * b[p]
		}
		d.sums[r] = s
	}
	return &d.sums
}
