package cpu

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// convCases mixes batch sizes, non-square images and kernels, strides 1 and
// 2, pads 0 to 3 and kernels of 1, 3, 4 and 7, none a multiple of 4 or 8.
var convCases = []kernels.ConvParams{
	{N: 2, InC: 3, InH: 9, InW: 7, OutC: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 3, InC: 2, InH: 11, InW: 13, OutC: 4, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 1, InC: 3, InH: 10, InW: 10, OutC: 2, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
	{N: 2, InC: 5, InH: 6, InW: 5, OutC: 3, KH: 1, KW: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0},
	{N: 2, InC: 4, InH: 9, InW: 9, OutC: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0},
	{N: 3, InC: 3, InH: 7, InW: 11, OutC: 5, KH: 3, KW: 5, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1},
	{N: 1, InC: 2, InH: 5, InW: 6, OutC: 3, KH: 4, KW: 3, StrideH: 2, StrideW: 1, PadH: 3, PadW: 0},
	// Rows and columns of x that no output reaches (transposed convolution
	// with output_padding): InH 10, k 3, stride 2, pad 0 gives OutH 4, whose
	// patches end at row 8.
	{N: 2, InC: 3, InH: 10, InW: 9, OutC: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0},
	{N: 1, InC: 2, InH: 8, InW: 8, OutC: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	// Larger than a tile when tiles are forced small (TestConvSmallTiles).
	{N: 2, InC: 6, InH: 17, InW: 19, OutC: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	// Few output channels and rows longer than 8 (convForwardFewOutputs
	// with its assembly): a generator's last 7x7 convolution, a PatchGAN's
	// last one, and a vertical stride with padding that cuts into rows.
	{N: 2, InC: 4, InH: 13, InW: 21, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
	{N: 1, InC: 9, InH: 12, InW: 19, OutC: 1, KH: 4, KW: 4, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, InC: 3, InH: 11, InW: 24, OutC: 5, KH: 3, KW: 5, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2},
	// Stride 1 with a kernel that is not square, and with a padding as
	// large as the kernel (outputs whose window lies in the padding alone).
	{N: 2, InC: 3, InH: 8, InW: 10, OutC: 7, KH: 3, KW: 5, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2},
	{N: 1, InC: 2, InH: 5, InW: 5, OutC: 3, KH: 2, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1},
	// Few outputs on rows wide enough for 16-column blocks of convTaps4,
	// with the padding's border columns and rows around them, without
	// padding (a padded input, as PadConv2d gives it) and with one output.
	{N: 2, InC: 5, InH: 12, InW: 40, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
	{N: 1, InC: 4, InH: 14, InW: 38, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0},
	{N: 1, InC: 6, InH: 9, InW: 35, OutC: 1, KH: 4, KW: 4, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1},
	// Few outputs from more input channels than an output row has pixels
	// (the channels-last path): a PatchGAN's last layer, channel counts
	// that are not a multiple of 8, a vertical stride, and windows in the
	// padding alone.
	{N: 2, InC: 37, InH: 7, InW: 6, OutC: 1, KH: 4, KW: 4, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 1, InC: 20, InH: 9, InW: 9, OutC: 5, KH: 3, KW: 4, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0},
	{N: 3, InC: 16, InH: 5, InW: 3, OutC: 2, KH: 4, KW: 2, StrideH: 1, StrideW: 1, PadH: 3, PadW: 1},
	// Strides wider than the kernel: phases of the data gradient that no
	// tap reaches (convBackwardDataImplicit), and a strided 1x1.
	{N: 2, InC: 3, InH: 11, InW: 10, OutC: 4, KH: 2, KW: 2, StrideH: 3, StrideW: 3, PadH: 1, PadW: 0},
	{N: 1, InC: 5, InH: 9, InW: 8, OutC: 7, KH: 1, KW: 1, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0},
	// A data-gradient product deeper than packKC (35*9 = 315 rows) and
	// wider than packNC (32*34 = 1088 pixels) cut into column ranges that
	// end inside rows, and a larger stride-2 case (phases of 33x19 pixels).
	{N: 1, InC: 7, InH: 32, InW: 34, OutC: 35, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, InC: 13, InH: 66, InW: 38, OutC: 35, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
}

func convName(p kernels.ConvParams) string {
	return fmt.Sprintf("N%d C%d %dx%d -> O%d k%dx%d s%dx%d p%dx%d", p.N, p.InC, p.InH, p.InW, p.OutC,
		p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW)
}

// convRef is the direct 7-loop convolution in float64.
func convRef(p kernels.ConvParams, x, w, bias []float32) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.YLen())
	for n := range p.N {
		for o := range p.OutC {
			for i := range oh {
				for j := range ow {
					s := 0.0
					if bias != nil {
						s = float64(bias[o])
					}
					for c := range p.InC {
						for kh := range p.KH {
							for kw := range p.KW {
								ih, iw := i*p.StrideH-p.PadH+kh, j*p.StrideW-p.PadW+kw
								if ih < 0 || ih >= p.InH || iw < 0 || iw >= p.InW {
									continue
								}
								s += float64(w[((o*p.InC+c)*p.KH+kh)*p.KW+kw]) *
									float64(x[((n*p.InC+c)*p.InH+ih)*p.InW+iw])
							}
						}
					}
					y[((n*p.OutC+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y
}

// convBackwardRef returns dx, dw and dbias of convRef for dy, scattering
// every product the forward loop made.
func convBackwardRef(p kernels.ConvParams, x, w, dy []float32) (dx, dw, db []float64) {
	oh, ow := p.OutH(), p.OutW()
	dx, dw, db = make([]float64, p.XLen()), make([]float64, p.WLen()), make([]float64, p.OutC)
	for n := range p.N {
		for o := range p.OutC {
			for i := range oh {
				for j := range ow {
					g := float64(dy[((n*p.OutC+o)*oh+i)*ow+j])
					db[o] += g
					for c := range p.InC {
						for kh := range p.KH {
							for kw := range p.KW {
								ih, iw := i*p.StrideH-p.PadH+kh, j*p.StrideW-p.PadW+kw
								if ih < 0 || ih >= p.InH || iw < 0 || iw >= p.InW {
									continue
								}
								xi := ((n*p.InC+c)*p.InH+ih)*p.InW + iw
								wi := ((o*p.InC+c)*p.KH+kh)*p.KW + kw
								dx[xi] += float64(w[wi]) * g
								dw[wi] += float64(x[xi]) * g
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, db
}

// addF64 returns base + d elementwise.
func addF64(base []float32, d []float64, times float64) []float64 {
	out := f64(base)
	for i := range out {
		out[i] += times * d[i]
	}
	return out
}

func testConv(t *testing.T, p kernels.ConvParams, seed uint64) {
	r := newRand(seed)
	x, w, bias := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC)
	dy := randSlice(r, p.YLen())
	tol := 1e-5 * float64(p.InC*p.KH*p.KW)
	name := convName(p)

	// Forward, with and without bias; y starts as garbage (NaN guard).
	for _, b := range [][]float32{bias, nil} {
		y := guarded(p.YLen(), nil)
		for i := range y {
			y[i] = guardVal
		}
		ConvForward(p, x, w, b, y)
		kerneltest.CloseTo(t, fmt.Sprintf("%s bias=%v: y", name, b != nil), y, convRef(p, x, w, b), tol, 1e-5)
		checkGuard(t, name+": y", y)
	}

	// Backward into non-zero gradients, twice: the second call must add the
	// same amount again.
	dxRef, dwRef, dbRef := convBackwardRef(p, x, w, dy)
	dx0, dw0, db0 := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC)
	dx, dw, db := guarded(p.XLen(), dx0), guarded(p.WLen(), dw0), guarded(p.OutC, db0)
	for times := 1; times <= 2; times++ {
		ConvBackwardData(p, dy, w, dx)
		ConvBackwardFilter(p, x, dy, dw, db)
		tf := float64(times)
		kerneltest.CloseTo(t, fmt.Sprintf("%s: dx after %d calls", name, times), dx, addF64(dx0, dxRef, tf), tol, 1e-5)
		kerneltest.CloseTo(t, fmt.Sprintf("%s: dw after %d calls", name, times), dw, addF64(dw0, dwRef, tf), 1e-5*float64(p.YLen()), 1e-5)
		kerneltest.CloseTo(t, fmt.Sprintf("%s: dbias after %d calls", name, times), db, addF64(db0, dbRef, tf), 1e-5*float64(p.YLen()), 1e-5)
	}
	checkGuard(t, name+": dx", dx)
	checkGuard(t, name+": dw", dw)
	checkGuard(t, name+": dbias", db)

	// Nil gradients are skipped.
	dwOnly := make([]float32, p.WLen())
	ConvBackwardFilter(p, x, dy, dwOnly, nil)
	kerneltest.CloseTo(t, name+": dw alone", dwOnly, dwRef, 1e-5*float64(p.YLen()), 1e-5)
	dbOnly := make([]float32, p.OutC)
	ConvBackwardFilter(p, x, dy, nil, dbOnly)
	kerneltest.CloseTo(t, name+": dbias alone", dbOnly, dbRef, 1e-5*float64(p.YLen()), 1e-5)

	// Adjoint identities: conv is linear in x and in w, so
	// <conv(x, w), dy> = <x, BackwardData(dy)> = <w, BackwardFilter(x, dy)>.
	y := make([]float32, p.YLen())
	ConvForward(p, x, w, nil, y)
	lhs := dot(y, dy)
	gx, gw := make([]float32, p.XLen()), make([]float32, p.WLen())
	ConvBackwardData(p, dy, w, gx)
	ConvBackwardFilter(p, x, dy, gw, nil)
	assert.InDelta(t, lhs, dot(x, gx), 1e-4*(1+abs(lhs)), "%s: <conv x, dy> vs <x, conv^T dy>", name)
	assert.InDelta(t, lhs, dot(w, gw), 1e-4*(1+abs(lhs)), "%s: <conv x, dy> vs <w, dw>", name)
}

func abs(v float64) float64 { return max(v, -v) }

func TestConv(t *testing.T) {
	for i, p := range convCases {
		t.Run(convName(p), func(t *testing.T) { testConv(t, p, uint64(i)) })
	}
}

// TestConvFewOutputPaths runs both few-output paths, the row one
// (convfew.go, with its assembly) and the channels-last one
// (convfew_hwc.go), on every few-output case, whichever ConvForward and
// ConvBackwardFilter would choose there.
func TestConvFewOutputPaths(t *testing.T) {
	for i, p := range convCases {
		if !fewOutputs(p) {
			continue
		}
		r := newRand(uint64(80 + i))
		x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC), randSlice(r, p.YLen())
		yRef := convRef(p, x, w, bias)
		_, dwRef, _ := convBackwardRef(p, x, w, dy)
		dw0 := randSlice(r, p.WLen())
		type path struct {
			name    string
			ok      bool
			forward func(p kernels.ConvParams, x, w, bias, y []float32)
			filter  func(p kernels.ConvParams, x, dy, dw []float32)
		}
		for _, f := range []path{
			{"rows", p.OutW() >= 16 && axpy4Kernel != nil && dot4Kernel != nil, convForwardFewOutputs, convFilterFewOutputs},
			{"channels-last", true, convForwardChannelsLast, convFilterChannelsLast},
		} {
			if !f.ok {
				continue
			}
			name := f.name + "/" + convName(p)
			y := guarded(p.YLen(), nil)
			for i := range y {
				y[i] = guardVal
			}
			f.forward(p, x, w, bias, y)
			kerneltest.CloseTo(t, name+": y", y, yRef, 1e-5*float64(p.InC*p.KH*p.KW), 1e-5)
			checkGuard(t, name+": y", y)
			dw := guarded(p.WLen(), dw0)
			f.filter(p, x, dy, dw)
			kerneltest.CloseTo(t, name+": dw", dw, addF64(dw0, dwRef, 1), 1e-5*float64(p.YLen()), 1e-5)
			checkGuard(t, name+": dw", dw)
		}
	}
}

// TestConvSmallTiles forces tiles of a few pixels, so that tiles start and
// end inside output rows and every image has many of them.
func TestConvSmallTiles(t *testing.T) {
	oldElems, oldMin := convTileElems, convMinTile
	t.Cleanup(func() { convTileElems, convMinTile = oldElems, oldMin })
	for _, tile := range []int{1, 5, 13} {
		convTileElems, convMinTile = 1, tile
		for i, p := range convCases {
			t.Run(fmt.Sprintf("tile=%d/%s", tile, convName(p)), func(t *testing.T) { testConv(t, p, uint64(50+i)) })
		}
	}
}

// TestConvBackwardDataImplicit runs the implicit-GEMM data gradient on
// every case, whether or not ConvBackwardData would choose it there, with
// as many goroutines as 1, 2 and 16 cores would run: the column ranges
// that the work is cut into, and so where they start and end within
// rows, depend on that.
func TestConvBackwardDataImplicit(t *testing.T) {
	if microKernel == nil {
		t.Skip("the implicit GEMM needs the assembly micro-kernel")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 16} {
		runtime.GOMAXPROCS(procs)
		t.Run(fmt.Sprintf("procs=%d", procs), testConvBackwardDataImplicit)
	}
}

func testConvBackwardDataImplicit(t *testing.T) {
	for i, p := range append(convCases,
		// A generator's last layer on a reflection-padded image.
		kernels.ConvParams{N: 1, InC: 8, InH: 38, InW: 38, OutC: 3, KH: 7, KW: 7, StrideH: 1, StrideW: 1}) {
		r := newRand(uint64(90 + i))
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		dxRef, _, _ := convBackwardRef(p, x, w, dy)
		dx0 := randSlice(r, p.XLen())
		dx := guarded(p.XLen(), dx0)
		convBackwardDataImplicit(p, dy, w, dx)
		kerneltest.CloseTo(t, convName(p)+": dx", dx, addF64(dx0, dxRef, 1), 1e-5*float64(p.InC*p.KH*p.KW), 1e-5)
		checkGuard(t, convName(p)+": dx", dx)
	}
}

func TestConvUnreachedRows(t *testing.T) {
	// InH 10, k 3, stride 2, pad 0: the last row of dx gets nothing.
	p := convCases[7]
	dy := randSlice(newRand(3), p.YLen())
	w := randSlice(newRand(4), p.WLen())
	dx := make([]float32, p.XLen())
	ConvBackwardData(p, dy, w, dx)
	for n := range p.N {
		for c := range p.InC {
			for j := range p.InW {
				require.Zero(t, dx[((n*p.InC+c)*p.InH+p.InH-1)*p.InW+j])
			}
		}
	}
}

func TestConvPanics(t *testing.T) {
	p := convCases[0]
	x, w, y := make([]float32, p.XLen()), make([]float32, p.WLen()), make([]float32, p.YLen())
	require.PanicsWithValue(t,
		"cpu: ConvForward: x has 10 elements, want 378 for [N=2 InC=3 9x7] * [OutC=5 3x3] stride 1x1 pad 1x1 -> 9x7",
		func() { ConvForward(p, x[:10], w, nil, y) })
	require.Panics(t, func() { ConvForward(p, x, w, make([]float32, 4), y) })
	require.Panics(t, func() { ConvBackwardData(p, y, w, x[1:]) })
	require.Panics(t, func() { ConvBackwardFilter(p, x, y, w[1:], nil) })
	bad := p
	bad.StrideH = 0
	require.Panics(t, func() { ConvForward(bad, x, w, nil, y) })
}

// BenchmarkConv times a 3x3 convolution, 64 to 64 channels on 32x32 images
// (a residual block at small scale), forward and both backward passes.
func BenchmarkConv(b *testing.B) {
	p := kernels.ConvParams{N: 4, InC: 64, InH: 32, InW: 32, OutC: 64, KH: 3, KW: 3,
		StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	r := newRand(1)
	x, w, bias := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC)
	y, dy := make([]float32, p.YLen()), randSlice(r, p.YLen())
	dx, dw, db := make([]float32, p.XLen()), make([]float32, p.WLen()), make([]float32, p.OutC)
	flops := 2 * float64(p.YLen()) * float64(p.InC*p.KH*p.KW)
	report := func(b *testing.B, passes float64) {
		b.ReportMetric(passes*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ConvForward(p, x, w, bias, y)
		}
		report(b, 1)
	})
	b.Run("backward-data", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ConvBackwardData(p, dy, w, dx)
		}
		report(b, 1)
	})
	b.Run("backward-filter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ConvBackwardFilter(p, x, dy, dw, db)
		}
		report(b, 1)
	})
	b.Run("naive-forward", func(b *testing.B) {
		for b.Loop() {
			convRef(p, x, w, bias)
		}
		report(b, 1)
	})
}

// TestValidRun checks validRun against counting: [qlo, qhi) must hold
// exactly the q in [0, run) with iw0 + q*stride in [0, inW), and be empty
// (qlo == qhi) when there is none.
func TestValidRun(t *testing.T) {
	for stride := 1; stride <= 3; stride++ {
		for inW := 1; inW <= 9; inW++ {
			for iw0 := -12; iw0 <= 14; iw0++ {
				for run := 0; run <= 12; run++ {
					lo, hi := -1, -1
					for q := range run {
						if iw := iw0 + q*stride; iw >= 0 && iw < inW {
							if lo < 0 {
								lo = q
							}
							hi = q + 1
						}
					}
					qlo, qhi := validRun(iw0, stride, inW, run)
					if lo < 0 && qlo != qhi || lo >= 0 && (qlo != lo || qhi != hi) {
						t.Fatalf("validRun(%d, %d, %d, %d) = [%d, %d), want [%d, %d)", iw0, stride, inW, run, qlo, qhi, lo, hi)
					}
				}
			}
		}
	}
}
