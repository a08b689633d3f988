package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

// gemmRef is the textbook triple loop in float64, batch by batch.
func gemmRef(p kernels.GemmParams, a, b, c []float32) []float64 {
	out := f64(c)
	for e := range p.Batch {
		for i := range p.M {
			for j := range p.N {
				var s float64
				for k := range p.K {
					var av, bv float32
					if p.TransA {
						av = a[e*p.StrideA+k*p.M+i]
					} else {
						av = a[e*p.StrideA+i*p.K+k]
					}
					if p.TransB {
						bv = b[e*p.StrideB+j*p.K+k]
					} else {
						bv = b[e*p.StrideB+k*p.N+j]
					}
					s += float64(av) * float64(bv)
				}
				ci := e*p.StrideC + i*p.N + j
				old := float64(c[ci])
				if p.Beta == 0 {
					old = 0
				}
				out[ci] = float64(p.Alpha)*s + float64(p.Beta)*old
			}
		}
	}
	return out
}

// checkGemm runs Gemm on random operands with guard bands and compares it
// with gemmRef. Elements of C between batch entries must not change.
func checkGemm(t *testing.T, p kernels.GemmParams, seed uint64) bool {
	t.Helper()
	r := newRand(seed)
	lenOf := func(stride, size int) int { return (p.Batch-1)*stride + size }
	a := guarded(lenOf(p.StrideA, p.M*p.K), nil)
	b := guarded(lenOf(p.StrideB, p.K*p.N), nil)
	c := guarded(lenOf(p.StrideC, p.M*p.N), nil)
	copy(a, randSlice(r, len(a)))
	copy(b, randSlice(r, len(b)))
	copy(c, randSlice(r, len(c)))
	if p.Beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	want := gemmRef(p, a, b, c)
	Gemm(p, a, b, c)
	name := fmt.Sprintf("%+v", p)
	ok := kerneltest.CloseTo(t, name, c, want, 1e-5, 1e-5*float64(p.K+1))
	checkGuard(t, name+" a", a)
	checkGuard(t, name+" b", b)
	checkGuard(t, name+" c", c)
	return ok
}

// gemmPath is one way a product can be computed: which micro-kernel the
// packed path uses (nil: no packed path), which 12x32 kernel it uses where
// tiles allow (nil: none), and whether products with few rows take the
// assembly path of gemm_small.go.
type gemmPath struct {
	micro, wide func(int, *float32, *float32, *float32, int, bool)
	smallM      bool
	// pairs is the BF16 micro-kernel (nil: BF16 products take the
	// float32 path).
	pairs func(int, *uint32, *uint32, *float32, int, float32, bool)
}

// gemmPaths are the pure-Go axpy loops, the packed scheme with the Go
// micro-kernels, with and without the 12x32 tiles (which tests the packing
// and the macro-kernel on every machine), and each assembly micro-kernel
// the CPU runs, with the small-M kernels and the 12x32 kernel of the same
// instruction set, if any. The BF16 path runs with the Go twins
// ("packed-go-bf16", which tests the pair panels on every machine) and, on
// a CPU with AVX512_BF16, with its assembly kernel beside the AVX-512 ones.
func gemmPaths() map[string]gemmPath {
	paths := map[string]gemmPath{"axpy": {}, "packed-go": {micro: microKernelGo},
		"packed-go-wide": {micro: microKernelGo, wide: microKernelWideGo},
		"packed-go-bf16": {micro: microKernelGo, wide: microKernelWideGo, pairs: microKernelBF16WideGo}}
	wides := asmWideKernels()
	for isa, micro := range asmMicroKernels() {
		paths["asm-"+isa] = gemmPath{micro: micro, wide: wides[isa], smallM: axpy4Kernel != nil}
	}
	if avx512, ok := paths["asm-avx512"]; ok {
		for isa, pairs := range asmBF16Kernels() {
			avx512.pairs = pairs
			paths["asm-"+isa] = avx512
		}
	}
	return paths
}

// onEveryGemmPath runs f as a subtest once per entry of gemmPaths.
func onEveryGemmPath(t *testing.T, f func(t *testing.T)) {
	micro, wide, axpy4, dot4, pairs := microKernel, microKernelWide, axpy4Kernel, dot4Kernel, microKernelBF16Wide
	defer func() {
		microKernel, microKernelWide, axpy4Kernel, dot4Kernel, microKernelBF16Wide = micro, wide, axpy4, dot4, pairs
	}()
	for name, path := range gemmPaths() {
		microKernel, microKernelWide, axpy4Kernel, dot4Kernel = path.micro, path.wide, nil, nil
		microKernelBF16Wide = path.pairs
		if path.smallM {
			axpy4Kernel, dot4Kernel = axpy4, dot4
		}
		t.Run(name, f)
	}
}

func TestGemmTransposesAndSizes(t *testing.T) {
	// Sweep each dimension from 1 to 70 with the others odd, then cross the
	// block sizes of both paths (gemmKC, gemmNC; packMC, packKC or
	// denseKC(), packNC).
	type mnk struct{ m, n, k int }
	var shapes []mnk
	for s := 1; s <= 70; s++ {
		shapes = append(shapes, mnk{s, 37, 29}, mnk{23, s, 31}, mnk{19, 21, s})
	}
	shapes = append(shapes, mnk{5, 3, gemmKC + 1}, mnk{9, 7, 2*gemmKC + 3}, mnk{6, gemmNC + 9, 11},
		mnk{33, gemmNC + 1, gemmKC + 5}, mnk{1, 1, 1}, mnk{67, 1, 3}, mnk{1, 70, 70},
		mnk{packMC + 7, 35, 9}, mnk{2*packMC + 1, 17, packKC + 3}, mnk{13, packNC + 17, 5},
		mnk{packMC + 1, packNC + 1, packKC + 1}, mnk{2*packMC + 5, 40, denseKC() + 3})
	onEveryGemmPath(t, func(t *testing.T) {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				t.Run(fmt.Sprintf("transA=%v,transB=%v", ta, tb), func(t *testing.T) {
					for i, s := range shapes {
						p := kernels.GemmParams{TransA: ta, TransB: tb, M: s.m, N: s.n, K: s.k,
							Alpha: 1, Beta: 0, Batch: 1}
						if !checkGemm(t, p, uint64(i)) {
							return // one failing shape says enough
						}
					}
				})
			}
		}
	})
}

// TestMicroKernel compares each assembly micro-kernel with its Go twin on
// random panels, every depth up to past packKC, with a guard band around
// the tile of C and a row stride wider than the tile.
func TestMicroKernel(t *testing.T) {
	micros := asmMicroKernels()
	if len(micros) == 0 {
		t.Skip("no assembly micro-kernel on this CPU or build (noasm)")
	}
	for isa, micro := range micros {
		t.Run(isa, func(t *testing.T) { testMicroKernel(t, micro) })
	}
}

func testMicroKernel(t *testing.T, micro func(k int, a, b, c *float32, ldc int, accumulate bool)) {
	r := newRand(3)
	const ldc = packNR + 5
	for _, k := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 100, packKC, packKC + 1} {
		a, b := randSlice(r, k*packMR+1), randSlice(r, k*packNR+1)
		base := randSlice(r, packMR*ldc)
		for _, acc := range []bool{true, false} {
			got, want := guarded(len(base), base), append([]float32(nil), base...)
			if !acc { // overwritten C must not be read
				for i := range got {
					got[i] = float32(math.NaN())
				}
			}
			micro(k, &a[0], &b[0], &got[0], ldc, acc)
			microKernelGo(k, &a[0], &b[0], &want[0], ldc, acc)
			for r := range packMR { // outside the tile C is not written
				for j := packNR; j < ldc && r*ldc+j < len(got); j++ {
					if !acc {
						require.True(t, math.IsNaN(float64(got[r*ldc+j])), "k=%d: C written outside the tile", k)
					}
					got[r*ldc+j] = want[r*ldc+j]
				}
			}
			name := fmt.Sprintf("k=%d accumulate=%v", k, acc)
			kerneltest.CloseTo(t, name, got, f64(want), 1e-6, 1e-6*float64(k+1))
			checkGuard(t, name, got)
		}
	}
}

// TestMicroKernelWide compares each assembly 12x32 micro-kernel with its Go
// twin on random pairs of panels, every depth up to past the unroll and
// past packKC, with a guard band around the tile of C and a row stride
// wider than the tile.
func TestMicroKernelWide(t *testing.T) {
	wides := asmWideKernels()
	if len(wides) == 0 {
		t.Skip("no assembly 12x32 micro-kernel on this CPU or build")
	}
	for isa, wide := range wides {
		t.Run(isa, func(t *testing.T) { testMicroKernelWide(t, wide) })
	}
}

func testMicroKernelWide(t *testing.T, wide func(k int, a, b, c *float32, ldc int, accumulate bool)) {
	r := newRand(4)
	const rows, cols, ldc = 2 * packMR, 2 * packNR, 2*packNR + 5
	for _, k := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 100, packKC - 1, packKC, packKC + 1} {
		a, b := randSlice(r, k*rows+1), randSlice(r, k*cols+1)
		base := randSlice(r, rows*ldc)
		for _, acc := range []bool{true, false} {
			got, want := guarded(len(base), base), append([]float32(nil), base...)
			if !acc { // overwritten C must not be read
				for i := range got {
					got[i] = float32(math.NaN())
				}
			}
			wide(k, &a[0], &b[0], &got[0], ldc, acc)
			microKernelWideGo(k, &a[0], &b[0], &want[0], ldc, acc)
			for r := range rows { // outside the tile C is not written
				for j := cols; j < ldc && r*ldc+j < len(got); j++ {
					if !acc {
						require.True(t, math.IsNaN(float64(got[r*ldc+j])), "k=%d: C written outside the tile", k)
					}
					got[r*ldc+j] = want[r*ldc+j]
				}
			}
			name := fmt.Sprintf("k=%d accumulate=%v", k, acc)
			kerneltest.CloseTo(t, name, got, f64(want), 1e-6, 1e-6*float64(k+1))
			checkGuard(t, name, got)
		}
	}
}

func TestGemmAlphaBeta(t *testing.T) {
	for i, ab := range [][2]float32{{1, 1}, {0.5, -1.5}, {-2, 0}, {0, 0.25}, {0, 0}, {1.25, 1}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				p := kernels.GemmParams{TransA: ta, TransB: tb, M: 13, N: 45, K: 17,
					Alpha: ab[0], Beta: ab[1], Batch: 1}
				checkGemm(t, p, uint64(100+i))
			}
		}
	}
}

func TestGemmBetaZeroOverwritesNaN(t *testing.T) {
	// checkGemm fills C with NaN when Beta is 0; also with Alpha 0 and K 0,
	// where nothing is read but C must still be zeroed.
	for _, p := range []kernels.GemmParams{
		{M: 7, N: 9, K: 5, Alpha: 1, Batch: 2, StrideA: 35, StrideB: 45, StrideC: 63},
		{M: 7, N: 9, K: 5, Alpha: 0, Batch: 1},
		{M: 7, N: 9, K: 0, Alpha: 1, Batch: 1},
		{TransA: true, TransB: true, M: 300, N: 200, K: 0, Alpha: 1, Batch: 2, StrideC: 60000},
		{TransA: true, M: 300, N: 200, K: 3, Alpha: 0, Batch: 1},
	} {
		checkGemm(t, p, 7)
	}
}

func TestGemmBatchStrides(t *testing.T) {
	m, n, k := 11, 19, 7
	for i, st := range [][3]int{
		{m * k, k * n, m * n},          // packed
		{0, k * n, m * n},              // shared A
		{m * k, 0, m * n},              // shared B
		{0, 0, m * n},                  // both shared
		{m*k + 3, k*n + 5, m*n + 7},    // gaps, which must stay untouched
		{m * k, k * n, m*n + guardLen}, // a gap in C as long as a guard band
	} {
		for _, tb := range []bool{false, true} {
			p := kernels.GemmParams{TransA: i%2 == 1, TransB: tb, M: m, N: n, K: k, Alpha: 0.75, Beta: 0.5,
				Batch: 5, StrideA: st[0], StrideB: st[1], StrideC: st[2]}
			checkGemm(t, p, uint64(200+i))
		}
	}
	// Gap elements of C between entries: fill with a sentinel and check.
	p := kernels.GemmParams{M: 3, N: 4, K: 2, Alpha: 1, Batch: 3, StrideA: 6, StrideB: 8, StrideC: 15}
	a, b := randSlice(newRand(1), 18), randSlice(newRand(2), 24)
	c := make([]float32, 2*15+12)
	for i := range c {
		c[i] = 42
	}
	Gemm(p, a, b, c)
	for e := range 2 {
		for i := 12; i < 15; i++ {
			require.Equal(t, float32(42), c[e*15+i], "gap element %d of entry %d", i, e)
		}
	}
}

func TestGemmPanics(t *testing.T) {
	a, b, c := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	require.PanicsWithValue(t, "cpu: Gemm: gemm: C batch entries overlap: StrideC=0 < M*N=3*3 with batch 2", func() {
		Gemm(kernels.GemmParams{M: 3, N: 3, K: 3, Alpha: 1, Batch: 2, StrideA: 9, StrideB: 9}, a, b, c)
	})
	require.Panics(t, func() { Gemm(kernels.GemmParams{M: 11, N: 10, K: 3, Alpha: 1, Batch: 1}, a, b, c) })
	require.Panics(t, func() { Gemm(kernels.GemmParams{M: 3, N: 3, K: 3, Batch: 2, StrideA: -1, StrideC: 9}, a, b, c) })
	require.Panics(t, func() { Gemm(kernels.GemmParams{M: 3, N: 3, K: 3, Batch: 0}, a, b, c) })
	// M or N zero: nothing to do, nothing read.
	Gemm(kernels.GemmParams{M: 0, N: 5, K: 3, Alpha: 1, Batch: 3}, nil, b, nil)
}

// TestGemmSerialLeadingDims covers the sub-matrix form the convolution and
// attention kernels use: operands inside larger row-major arrays.
func TestGemmSerialLeadingDims(t *testing.T) {
	onEveryGemmPath(t, testGemmSerialLeadingDims)
}

func testGemmSerialLeadingDims(t *testing.T) {
	r := newRand(9)
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			m, n, k := 9, 23, 14
			lda, ldb, ldc := k+3, n+5, n+2
			if ta {
				lda = m + 4
			}
			if tb {
				ldb = k + 1
			}
			rowsA, rowsB := m, k
			if ta {
				rowsA = k
			}
			if tb {
				rowsB = n
			}
			a, b := randSlice(r, rowsA*lda), randSlice(r, rowsB*ldb)
			c := randSlice(r, m*ldc)
			want := f64(c)
			for i := range m {
				for j := range n {
					var s float64
					for p := range k {
						av, bv := a[i*lda+p], b[p*ldb+j]
						if ta {
							av = a[p*lda+i]
						}
						if tb {
							bv = b[j*ldb+p]
						}
						s += float64(av) * float64(bv)
					}
					want[i*ldc+j] = 2*s - 0.5*float64(c[i*ldc+j])
				}
			}
			gemmSerial(kernels.FP32, ta, tb, m, n, k, 2, a, lda, b, ldb, -0.5, c, ldc, nil)
			kerneltest.CloseTo(t, fmt.Sprintf("transA=%v transB=%v", ta, tb), c, want, 1e-5, 1e-4)
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{64, 256, 512, 2048} {
		for _, tb := range []bool{false, true} {
			p := kernels.GemmParams{M: n, N: n, K: n, Alpha: 1, Batch: 1, TransB: tb}
			r := newRand(1)
			x, y, z := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
			b.Run(fmt.Sprintf("n=%d/transB=%v", n, tb), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Gemm(p, x, y, z)
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmNaive is the plain triple loop, for comparison.
func BenchmarkGemmNaive(b *testing.B) {
	n := 256
	r := newRand(1)
	x, y, z := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
	for b.Loop() {
		for i := range n {
			for j := range n {
				var s float32
				for k := range n {
					s += x[i*n+k] * y[k*n+j]
				}
				z[i*n+j] = s
			}
		}
	}
	b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMicroKernel runs each assembly micro-kernel on panels that stay
// in L1: the ceiling of the packed path on one core.
func BenchmarkMicroKernel(b *testing.B) {
	micros := asmMicroKernels()
	if len(micros) == 0 {
		b.Skip("no assembly micro-kernel")
	}
	r := newRand(1)
	k := packKC
	ap, bp, c := randSlice(r, k*packMR), randSlice(r, k*packNR), make([]float32, packMR*packNR)
	for isa, micro := range micros {
		b.Run(isa, func(b *testing.B) {
			for b.Loop() {
				micro(k, &ap[0], &bp[0], &c[0], packNR, true)
			}
			b.ReportMetric(2*float64(packMR*packNR*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	ap2, bp2, c2 := randSlice(r, 2*k*packMR), randSlice(r, 2*k*packNR), make([]float32, 4*packMR*packNR)
	for isa, wide := range asmWideKernels() {
		b.Run(isa+"-12x32", func(b *testing.B) {
			for b.Loop() {
				wide(k, &ap2[0], &bp2[0], &c2[0], 2*packNR, true)
			}
			b.ReportMetric(2*float64(4*packMR*packNR*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemmMicroKernels runs SGEMM 2048 on all cores once with each
// assembly micro-kernel, and with each 12x32 kernel as well, to compare
// instruction sets on one machine.
func BenchmarkGemmMicroKernels(b *testing.B) {
	saved, savedWide := microKernel, microKernelWide
	defer func() { microKernel, microKernelWide = saved, savedWide }()
	const n = 2048
	r := newRand(1)
	x, y, z := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
	p := kernels.GemmParams{M: n, N: n, K: n, Alpha: 1, Batch: 1}
	wides := asmWideKernels()
	for isa, micro := range asmMicroKernels() {
		for _, wide := range []bool{false, true} {
			name := isa
			microKernel, microKernelWide = micro, nil
			if wide {
				if wides[isa] == nil {
					continue
				}
				name, microKernelWide = isa+"-12x32", wides[isa]
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					Gemm(p, x, y, z)
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestPackA compares packA on the assembly path with the Go loops, on every
// depth up to past 8 blocks, both layouts of A, full and partial panels,
// with alpha and a guard band right after the packed panels.
func TestPackA(t *testing.T) {
	r := newRand(14)
	saved := packA6Kernel
	defer func() { packA6Kernel = saved }()
	for _, transA := range []bool{false, true} {
		for _, mb := range []int{1, 5, 6, 7, 12, 13} {
			for kb := 1; kb <= 70; kb += 3 {
				lda := kb + 5
				if transA {
					lda = mb + 3
				}
				rows := mb
				if transA {
					rows = kb
				}
				a := randSlice(r, (rows+2)*lda)
				n := roundUp(mb, packMR) * kb
				got, want := guarded(n, nil), make([]float32, n)
				packA6Kernel = saved
				packA(kernels.FP32, transA, 0.5, a, lda, 1, 2, mb, kb, got)
				packA6Kernel = nil
				packA(kernels.FP32, transA, 0.5, a, lda, 1, 2, mb, kb, want)
				name := fmt.Sprintf("transA=%v mb=%d kb=%d", transA, mb, kb)
				require.Equal(t, want, got, name)
				checkGuard(t, name, got)
			}
		}
	}
}

// TestGemmPackedByColumns checks the split of C into ranges of columns,
// one goroutine each (runByColumns): with three goroutines, a ragged last
// range and k over one block deep, C must hold the bits one goroutine
// writes (each element sums the same products in the same order), in
// both layouts of each operand, overwriting and accumulating, in FP32 and
// BF16, on every path of the packed scheme; and agree with gemmRef.
func TestGemmPackedByColumns(t *testing.T) {
	const w = 3
	m, n, k := 29, w*minColumnsPerGoroutine+45, denseKC()+5
	r := newRand(21)
	a, b, c0 := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
	params := func(ta, tb bool, beta float32) kernels.GemmParams {
		return kernels.GemmParams{TransA: ta, TransB: tb, M: m, N: n, K: k, Alpha: 0.5, Beta: beta, Batch: 1}
	}
	refs := map[kernels.GemmParams][]float64{}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, beta := range []float32{0, 1} {
				refs[params(ta, tb, beta)] = gemmRef(params(ta, tb, beta), a, b, c0)
			}
		}
	}
	onEveryGemmPath(t, func(t *testing.T) {
		if microKernel == nil {
			t.Skip("no packed path")
		}
		for _, prec := range []kernels.Precision{kernels.FP32, kernels.BF16} {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, beta := range []float32{0, 1} {
						lda, ldb := k, n
						if ta {
							lda = m
						}
						if tb {
							ldb = k
						}
						name := fmt.Sprintf("%v/transA=%v,transB=%v,beta=%v", prec, ta, tb, beta)
						one, split := append([]float32(nil), c0...), append([]float32(nil), c0...)
						gemmPacked(prec, ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, one, n, 1)
						gemmPacked(prec, ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, split, n, w)
						require.Equal(t, one, split, name)
						if prec != kernels.FP32 {
							continue
						}
						kerneltest.CloseTo(t, name, split, refs[params(ta, tb, beta)], 1e-5, 1e-5*float64(k+1))
					}
				}
			}
		}
	})
}
