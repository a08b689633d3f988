package cpu

import (
	"sync/atomic"

	"github.com/semgan/semgan/kernels"
)

// Winograd F(4x4, 3x3) (Lavin & Gray, "Fast algorithms for convolutional
// neural networks", 2016) for 3x3 stride-1 convolutions in FP32. With the
// interpolation points 0, 1, -1, 2, -2 and infinity (the set of NNPACK
// and wincnn), a 4x4 tile Y of output channel o is
//
//	Y = A^T [ sum_c (G g_oc G^T) ⊙ (B^T d_c B) ] A
//
// where d_c is the 6x6 tile of input channel c under it (x read as 0
// outside the image), g_oc is the 3x3 kernel from c to o, ⊙ multiplies
// elementwise, and
//
//	B^T = | 4  0 -5  0  1  0 |   G = |  1/4     0     0 |   A^T = | 1  1  1  1  1  0 |
//	      | 0 -4 -4  1  1  0 |       | -1/6  -1/6  -1/6 |         | 0  1 -1  2 -2  0 |
//	      | 0  4 -4 -1  1  0 |       | -1/6   1/6  -1/6 |         | 0  1  1  4  4  0 |
//	      | 0 -2 -1  2  1  0 |       | 1/24  1/12   1/6 |         | 0  1 -1  8 -8  1 |
//	      | 0  2 -1 -2  1  0 |       | 1/24 -1/12   1/6 |
//	      | 0  4  0 -5  0  1 |       |    0     0     1 |
//
// At each of the 36 points ξ of a tile, the sum over c is a matrix
// product over every tile at once,
//
//	M[ξ] [OutC, tiles] = U[ξ] [OutC, InC] * V[ξ] [InC, tiles]
//
// with U[ξ][o][c] = (G g_oc G^T)[ξ] and V[ξ][c][t] = (B^T d_ct B)[ξ]: 36
// multiply-adds per input channel for an output tile of 16 pixels, where
// the direct convolution makes 16*9 = 144, 4x as many. Y = A^T M A then
// gives the tile.
//
// The weights are transformed once per call, straight into the GEMM's A
// panels (winoLayout). Tiles of every image are cut into blocks of at most
// winogradTiles, which run on separate goroutines: each transforms its
// block's input tiles, makes the 36 products with the packed GEMM and
// transforms the results back into y.
//
// The transforms scale values by up to 5 (B^T) and 8 (A^T) and cancel
// them again, so the result carries a larger rounding error than the
// direct sum (measured in winograd_test.go; see the package
// documentation).

// Where Winograd pays: both channel counts at least winogradMinC, at
// least winogradMinPixels output pixels over all images (the weights'
// transform is a cost per call, paid back per tile), and an output at
// least winogradMinOut pixels high and wide. Measured with
// BenchmarkWinogradThresholds on one image (AMD EPYC, AVX-512, 2 cores,
// with the transforms over arrays of tiles), time of the direct path over
// Winograd's at 64x64: 1.98 at 256 channels, 1.69 at 128, 1.33 at 64,
// 1.05 at 32; at 32x32 0.92 (256 channels), 0.85 (128) and 0.65 (64).
// (Variables so that tests can lower them.)
var (
	winogradMinC      = 64
	winogradMinPixels = 64 * 64
	winogradMinOut    = 8
)

// winogradTiles is the most tiles a block holds: its transformed inputs
// and products take 36*(InC+OutC)*winogradTiles floats. (A variable so
// that tests can force blocks that end inside images.)
var winogradTiles = 64

// winogradRuns counts the convolutions that took the Winograd path, so
// that tests can check which path ran.
var winogradRuns atomic.Int64

// useWinograd reports whether the convolution p takes the Winograd path,
// forward and data gradient alike.
func useWinograd(p kernels.ConvParams) bool {
	return winogradOn && p.Precision == kernels.FP32 &&
		p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadH <= 2 && p.PadW <= 2 &&
		p.InC >= winogradMinC && p.OutC >= winogradMinC &&
		p.N*p.OutH()*p.OutW() >= winogradMinPixels &&
		p.OutH() >= winogradMinOut && p.OutW() >= winogradMinOut
}

// dataGradConv returns the convolution that the data gradient of the 3x3
// stride-1 convolution p is: dx = conv(dy, w') with w'[c,o,kh,kw] =
// w[o,c,2-kh,2-kw] (channels swapped, taps rotated by 180 degrees) and
// padding 2-PadH, 2-PadW, whose output is InH x InW.
func dataGradConv(p kernels.ConvParams) kernels.ConvParams {
	q := p
	q.InC, q.InH, q.InW = p.OutC, p.OutH(), p.OutW()
	q.OutC = p.InC
	q.PadH, q.PadW = 2-p.PadH, 2-p.PadW
	return q
}

// winogradConv computes y = conv(x, w) + bias (bias may be nil) for the
// 3x3 stride-1 convolution p, or adds conv(x, w) into y when accumulate is
// set. With flip, w is the weight [p.InC, p.OutC, 3, 3] of the convolution
// whose data gradient p is (dataGradConv), read as w' there.
func winogradConv(p kernels.ConvParams, x, w []float32, flip bool, bias, y []float32, accumulate bool) {
	winogradRuns.Add(1)
	tiles := p.N * ceilDiv(p.OutH(), 4) * ceilDiv(p.OutW(), 4)
	l := newWinoLayout(p.OutC, p.InC, microKernel != nil)
	uBuf := getScratch(36 * l.size)
	defer putScratch(uBuf)
	u := *uBuf
	winogradWeights(l, w, flip, u)

	nw := workers(2*36*p.OutC*p.InC*tiles, gemmMinFlops)
	tb := min(winogradTiles, ceilDiv(tiles, nw))
	parallelEach(ceilDiv(tiles, tb), nw, func(b int) {
		t0 := b * tb
		nb := min(tb, tiles-t0)
		vs, ms := winoStride(p.InC*nb), winoStride(p.OutC*nb) // floats per point
		vBuf, mBuf := getScratch(36*vs), getScratch(36*ms)
		defer putScratch(vBuf)
		defer putScratch(mBuf)
		v, m := *vBuf, *mBuf
		runs := tileRuns(p, t0, nb)
		winogradInput(p, x, runs, nb, v, vs)
		for xi := range 36 {
			winogradProduct(l, u[xi*l.size:(xi+1)*l.size], v[xi*vs:xi*vs+p.InC*nb], nb, m[xi*ms:xi*ms+p.OutC*nb])
		}
		winogradOutput(p, m, ms, runs, nb, bias, y, accumulate)
	})
}

// winoLayout says where U[ξ][o][c] lies within the block of U of one
// point: row-major [m, k] for gemmSerial, or, where the micro-kernel
// exists, as A panels laid out as packA writes them, block of packKC
// columns after block, every block with its rows padded with zeros to
// mpad: the packed GEMM then reads them in place (packedProduct.panelsA)
// instead of packing the same weights for every block of tiles.
type winoLayout struct {
	m, k   int // rows (output channels) and columns (input channels)
	panels bool
	mpad   int // rows rounded up to whole panels (panels), else m
	size   int // floats per point
}

func newWinoLayout(m, k int, panels bool) winoLayout {
	l := winoLayout{m: m, k: k, panels: panels, mpad: m}
	if panels {
		l.mpad = roundUp(m, packMR)
	}
	l.size = winoStride(l.mpad * k)
	return l
}

// at returns the offset of U[ξ][o][c] within one point's block.
func (l winoLayout) at(o, c int) int {
	if !l.panels {
		return o*l.k + c
	}
	p0 := c / packKC * packKC
	kb := min(packKC, l.k-p0)
	return p0*l.mpad + o/packMR*packMR*kb + (c-p0)*packMR + o%packMR
}

// storeRow writes U[ξ][o][c] = src[c] for every c into dst, the block of
// one point ξ.
func (l winoLayout) storeRow(o int, src, dst []float32) {
	if !l.panels {
		copy(dst[o*l.k:(o+1)*l.k], src)
		return
	}
	for p0 := 0; p0 < l.k; p0 += packKC {
		at := l.at(o, p0)
		for _, val := range src[p0:min(p0+packKC, l.k)] {
			dst[at] = val
			at += packMR // the next column of the same panel row
		}
	}
}

// winogradWeights writes U = G g G^T for every kernel g of w into u
// (36 points of l.size floats), panels' padding rows as zeros. Without
// flip, g for (o, c) is w[o, c] (w [m, k, 3, 3]); with flip it is w[c, o]
// rotated by 180 degrees (w [k, m, 3, 3]; see dataGradConv). Row by row
// (output channel o), the kernels of every c are gathered into 9 arrays
// over c, so that both passes of the transform run over whole arrays
// (gt6Rows); rows are spread over goroutines a panel at a time.
func winogradWeights(l winoLayout, w []float32, flip bool, u []float32) {
	k := l.k
	parallelFor(ceilDiv(l.mpad, packMR), 4, func(lo, hi int) {
		buf := getScratch((9 + 18 + 36) * k)
		defer putScratch(buf)
		g, t, uo := (*buf)[:9*k], (*buf)[9*k:27*k], (*buf)[27*k:63*k]
		row := func(a []float32, e int) []float32 { return a[e*k : (e+1)*k] }
		ptrs := new(rowPtrs)
		for o := lo * packMR; o < min(hi*packMR, l.mpad); o++ {
			if o >= l.m {
				clear(uo)
			} else {
				gatherKernels(l, w, flip, o, g)
				// G g: column j of every kernel from its three rows.
				for j := range 3 {
					gt6Rows(&[3][]float32{row(g, j), row(g, 3+j), row(g, 6+j)},
						&[6][]float32{row(t, j), row(t, 3+j), row(t, 6+j), row(t, 9+j), row(t, 12+j), row(t, 15+j)}, ptrs)
				}
				// (G g) G^T: row i of every kernel.
				for i := range 6 {
					gt6Rows(&[3][]float32{row(t, 3*i), row(t, 3*i+1), row(t, 3*i+2)},
						&[6][]float32{row(uo, 6*i), row(uo, 6*i+1), row(uo, 6*i+2), row(uo, 6*i+3), row(uo, 6*i+4), row(uo, 6*i+5)}, ptrs)
				}
			}
			for xi := range 36 {
				l.storeRow(o, row(uo, xi), u[xi*l.size:(xi+1)*l.size])
			}
		}
	})
}

// gatherKernels copies the kernels g of output channel o for every input
// channel c into g: element e (row-major) of c's kernel at g[e*l.k + c]
// (see winogradWeights for flip).
func gatherKernels(l winoLayout, w []float32, flip bool, o int, g []float32) {
	k := l.k
	for c := range k {
		var src []float32
		if flip {
			src = w[(c*l.m+o)*9 : (c*l.m+o)*9+9]
		} else {
			src = w[(o*k+c)*9 : (o*k+c)*9+9]
		}
		for e, val := range src {
			if flip {
				e = 8 - e
			}
			g[e*k+c] = val
		}
	}
}

// winogradProduct computes m [l.m, nb] = u [l.m, l.k] * v [l.k, nb] for
// one point, u laid out as l says.
func winogradProduct(l winoLayout, u, v []float32, nb int, m []float32) {
	if !l.panels {
		gemmSerial(kernels.FP32, false, false, l.m, nb, l.k, 1, u, l.k, v, nb, 0, m, nb, nil)
		return
	}
	g := packedProduct{m: l.m, n: nb, k: l.k, overwrite: true, alpha: 1,
		panelsA: func(i0, p0, mb, kb int) []float32 {
			off := p0*l.mpad + i0*kb // i0 is a multiple of packMR
			return u[off : off+roundUp(mb, packMR)*kb]
		},
		packB: func(p0, j0, kb, nbb int, dst []float32) { packB(false, v, nb, p0, j0, kb, nbb, dst) },
	}
	g.run(m, nb, 1)
}

// winoStride returns the distance between the blocks of consecutive
// points for blocks of n floats: n rounded up to a cache line, and one
// more, so that the 36 values of a tile, one in each block, do not all
// map to the same cache set (as they would at a multiple of 4 KiB apart).
func winoStride(n int) int { return roundUp(n, 16) + 16 }

// tileRun is a run of a block's tiles in one image and tile row: tiles
// [i0, i1) of the block, 4 output columns apart, the first with its top
// left output pixel at (oh, ow) of image n; their input tiles start at
// (oh-PadH, ow-PadW).
type tileRun struct{ n, oh, ow, i0, i1 int }

// tileRuns returns the runs of tiles [t0, t0+nb), tiles numbered image by
// image, row by row.
func tileRuns(p kernels.ConvParams, t0, nb int) []tileRun {
	tw := ceilDiv(p.OutW(), 4)
	perImage := ceilDiv(p.OutH(), 4) * tw
	var runs []tileRun
	for i0 := 0; i0 < nb; {
		n, t := (t0+i0)/perImage, (t0+i0)%perImage
		i1 := min(nb, i0+tw-t%tw) // to the end of the tile row
		runs = append(runs, tileRun{n, t / tw * 4, t % tw * 4, i0, i1})
		i0 = i1
	}
	return runs
}

// winogradInput writes V = B^T d B for every input channel c and each of
// the nb tiles of runs into v: V[ξ][c][i] at v[ξ*vs + c*nb + i] for the
// i-th tile. Channel
// by channel, the tiles are gathered into 36 arrays over the tiles (d[k]
// holds element k of every tile), so that both passes of the transform
// run over whole arrays (bt6Rows), the second straight into v.
func winogradInput(p kernels.ConvParams, x []float32, runs []tileRun, nb int, v []float32, vs int) {
	dBuf, tBuf := getScratch(36*nb), getScratch(36*nb)
	defer putScratch(dBuf)
	defer putScratch(tBuf)
	d, t := *dBuf, *tBuf
	ptrs := new(rowPtrs)
	row := func(a []float32, k int) []float32 { return a[k*nb : (k+1)*nb] }
	for c := range p.InC {
		gatherTiles(p, x, c, runs, nb, d)
		// B^T d: column j of every tile from its six rows.
		for j := range 6 {
			bt6Rows(&[6][]float32{row(d, j), row(d, 6+j), row(d, 12+j), row(d, 18+j), row(d, 24+j), row(d, 30+j)},
				&[6][]float32{row(t, j), row(t, 6+j), row(t, 12+j), row(t, 18+j), row(t, 24+j), row(t, 30+j)}, ptrs)
		}
		// (B^T d) B: row i of every tile, into V[6i..6i+5][c].
		vc := v[c*nb:]
		at := func(xi int) []float32 { return vc[xi*vs : xi*vs+nb] }
		for i := range 6 {
			bt6Rows(&[6][]float32{row(t, 6*i), row(t, 6*i+1), row(t, 6*i+2), row(t, 6*i+3), row(t, 6*i+4), row(t, 6*i+5)},
				&[6][]float32{at(6 * i), at(6*i + 1), at(6*i + 2), at(6*i + 3), at(6*i + 4), at(6*i + 5)}, ptrs)
		}
	}
}

// gatherTiles copies the 6x6 input tiles of channel c under the nb
// output tiles of runs into d, 0 outside the image: element k (row-major)
// of the i-th tile at d[k*nb + i]. The tiles of a run lie 4 columns
// apart, so each of their rows is every fourth value of a row of x.
func gatherTiles(p kernels.ConvParams, x []float32, c int, runs []tileRun, nb int, d []float32) {
	for _, run := range runs {
		plane := x[(run.n*p.InC+c)*p.InH*p.InW : (run.n*p.InC+c+1)*p.InH*p.InW]
		for r := range 6 {
			ih := run.oh - p.PadH + r
			for q := range 6 {
				dq := d[(6*r+q)*nb+run.i0 : (6*r+q)*nb+run.i1]
				if ih < 0 || ih >= p.InH {
					clear(dq)
					continue
				}
				xr := plane[ih*p.InW : (ih+1)*p.InW]
				col := run.ow - p.PadW + q
				for j := range dq {
					if uint(col) < uint(len(xr)) {
						dq[j] = xr[col]
					} else {
						dq[j] = 0
					}
					col += 4
				}
			}
		}
	}
}

// winogradOutput computes Y = A^T M A for every output channel o and each
// of the nb tiles of runs, M[ξ][o][i] at m[ξ*ms + o*nb + i] for the i-th
// tile, and writes
// Y + bias[o] (bias may be nil) into the tile's pixels of y that lie inside
// the image, or adds Y there when accumulate is set. Both passes of the
// transform run over the tiles' arrays (at6Rows), as in winogradInput.
func winogradOutput(p kernels.ConvParams, m []float32, ms int, runs []tileRun, nb int, bias, y []float32, accumulate bool) {
	tBuf, yBuf := getScratch(24*nb), getScratch(16*nb)
	defer putScratch(tBuf)
	defer putScratch(yBuf)
	t, yt := *tBuf, *yBuf
	ptrs := new(rowPtrs)
	row := func(a []float32, k int) []float32 { return a[k*nb : (k+1)*nb] }
	for o := range p.OutC {
		mo := m[o*nb:]
		at := func(xi int) []float32 { return mo[xi*ms : xi*ms+nb] }
		// A^T M: column j of every tile from its six rows, into t [4][6].
		for j := range 6 {
			at6Rows(&[6][]float32{at(j), at(6 + j), at(12 + j), at(18 + j), at(24 + j), at(30 + j)},
				&[4][]float32{row(t, j), row(t, 6+j), row(t, 12+j), row(t, 18+j)}, ptrs)
		}
		// (A^T M) A: row i of every tile, into yt [4][4].
		for i := range 4 {
			at6Rows(&[6][]float32{row(t, 6*i), row(t, 6*i+1), row(t, 6*i+2), row(t, 6*i+3), row(t, 6*i+4), row(t, 6*i+5)},
				&[4][]float32{row(yt, 4*i), row(yt, 4*i+1), row(yt, 4*i+2), row(yt, 4*i+3)}, ptrs)
		}
		var b float32
		if bias != nil {
			b = bias[o]
		}
		scatterTiles(p, o, runs, nb, yt, b, y, accumulate)
	}
}

// scatterTiles writes the 4x4 output tiles of channel o of the nb tiles
// of runs, held in yt (element k (row-major) of the i-th tile at
// yt[k*nb + i]), plus b, into their pixels of y that lie inside the image,
// or adds them there (without b) when accumulate is set. As in
// gatherTiles, each row of a run's tiles is every fourth value of a row
// of y.
func scatterTiles(p kernels.ConvParams, o int, runs []tileRun, nb int, yt []float32, b float32, y []float32, accumulate bool) {
	outH, outW := p.OutH(), p.OutW()
	for _, run := range runs {
		plane := y[(run.n*p.OutC+o)*outH*outW : (run.n*p.OutC+o+1)*outH*outW]
		for r := range min(4, outH-run.oh) {
			yr := plane[(run.oh+r)*outW : (run.oh+r+1)*outW]
			for q := range 4 {
				src := yt[(4*r+q)*nb+run.i0 : (4*r+q)*nb+run.i1]
				col := run.ow + q
				for _, val := range src {
					if uint(col) >= uint(len(yr)) {
						break // the last tile of the row reaches past the image
					}
					if accumulate {
						yr[col] += val
					} else {
						yr[col] = val + b
					}
					col += 4
				}
			}
		}
	}
}

// bt6Kernel, at6Kernel and gt6Kernel are bt6Rows, at6Rows and gt6Rows
// in assembly where the CPU has them (winograd_amd64.go), nil otherwise;
// they take the leading multiple of 8 elements and give the bits bt6, at6
// and gt6 give. at6Kernel writes dst[0..3] only, gt6Kernel reads
// src[0..2] only.
var (
	bt6Kernel func(src, dst *[6]*float32, n int)
	at6Kernel func(src, dst *[6]*float32, n int)
	gt6Kernel func(src, dst *[6]*float32, n int)
)

// gt6Rows applies gt6 across arrays: (dst[0][i], ..., dst[5][i]) =
// gt6(src[0][i], src[1][i], src[2][i]) for i < len(src[0]); every array
// must be at least that long. ptrs is scratch for the kernel.
func gt6Rows(src *[3][]float32, dst *[6][]float32, ptrs *rowPtrs) {
	n, i := len(src[0]), 0
	if k := n &^ 7; gt6Kernel != nil && k > 0 {
		ptrs.set(src[:], dst[:], k)
		gt6Kernel(&ptrs.src, &ptrs.dst, k)
		i = k
	}
	for ; i < n; i++ {
		dst[0][i], dst[1][i], dst[2][i], dst[3][i], dst[4][i], dst[5][i] = gt6(src[0][i], src[1][i], src[2][i])
	}
}

// rowPtrs holds the array pointers for bt6Kernel and at6Kernel. Arrays
// handed to a function value escape to the heap, so each transform makes
// one and reuses it for all its calls.
type rowPtrs struct{ src, dst [6]*float32 }

// set points ptrs at the first element of each array, checking that each
// holds at least n elements.
func (ptrs *rowPtrs) set(src, dst [][]float32, n int) {
	for j, a := range src {
		ptrs.src[j] = &a[:n][0]
	}
	for j, a := range dst {
		ptrs.dst[j] = &a[:n][0]
	}
}

// bt6Rows applies bt6 across arrays: (dst[0][i], ..., dst[5][i]) =
// bt6(src[0][i], ..., src[5][i]) for i < len(src[0]); every array must be
// at least that long. ptrs is scratch for the kernel.
func bt6Rows(src, dst *[6][]float32, ptrs *rowPtrs) {
	n, i := len(src[0]), 0
	if k := n &^ 7; bt6Kernel != nil && k > 0 {
		ptrs.set(src[:], dst[:], k)
		bt6Kernel(&ptrs.src, &ptrs.dst, k)
		i = k
	}
	for ; i < n; i++ {
		dst[0][i], dst[1][i], dst[2][i], dst[3][i], dst[4][i], dst[5][i] =
			bt6(src[0][i], src[1][i], src[2][i], src[3][i], src[4][i], src[5][i])
	}
}

// at6Rows applies at6 across arrays: (dst[0][i], ..., dst[3][i]) =
// at6(src[0][i], ..., src[5][i]) for i < len(src[0]); every array must be
// at least that long. ptrs is scratch for the kernel.
func at6Rows(src *[6][]float32, dst *[4][]float32, ptrs *rowPtrs) {
	n, i := len(src[0]), 0
	if k := n &^ 7; at6Kernel != nil && k > 0 {
		ptrs.set(src[:], dst[:], k)
		at6Kernel(&ptrs.src, &ptrs.dst, k)
		i = k
	}
	for ; i < n; i++ {
		dst[0][i], dst[1][i], dst[2][i], dst[3][i] = at6(src[0][i], src[1][i], src[2][i], src[3][i], src[4][i], src[5][i])
	}
}

// gt6 returns G (g0, g1, g2)^T, with the sums g0+g2 and g0/24+g2/6
// shared between rows.
func gt6(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	s := g0 + g2
	q := g0*(1.0/24) + g2*(1.0/6)
	r := g1 * (1.0 / 12)
	return g0 * (1.0 / 4), (s + g1) * (-1.0 / 6), (s - g1) * (-1.0 / 6), q + r, q - r, g2
}

// bt6 returns B^T (d0, ..., d5)^T, rows 1-4 in pairs that share their
// sums: rows 1 and 2 are (d4 ± d3) ∓ 4(d1 ± d2), rows 3 and 4
// (d4 - d2) ± 2(d3 - d1).
func bt6(d0, d1, d2, d3, d4, d5 float32) (t0, t1, t2, t3, t4, t5 float32) {
	e, f := d4-d2, 2*(d3-d1)
	return 4*d0 - 5*d2 + d4, (d3 + d4) - 4*(d1+d2), (d4 - d3) + 4*(d1-d2), e + f, e - f, 4*d1 - 5*d3 + d5
}

// at6 returns A^T (m0, ..., m5)^T, with the sums and differences
// m1 ± m2 and m3 ± m4 shared between rows.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	return m0 + a + c, b + 2*d, a + 4*c, b + 8*d + m5
}
