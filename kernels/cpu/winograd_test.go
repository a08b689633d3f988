package cpu

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/semgan/semgan/kernels/internal/naive"
	"github.com/stretchr/testify/require"
)

// winogradCases are 3x3 stride-1 convolutions that take the Winograd path
// once lowWinogradThresholds has lowered the thresholds of channels and
// pixels:
// paddings 0, 1 and 2 (and mixed), outputs not a multiple of 4 (partial
// tiles at the right and bottom edges), several images, channel counts
// that are not multiples of a panel (6 rows, 16 columns), more output
// channels than a block of A panels (packMC) and more input channels than
// a block of the GEMM's depth (packKC).
var winogradCases = []kernels.ConvParams{
	{N: 2, InC: 32, InH: 11, InW: 13, OutC: 35, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 1, InC: 33, InH: 14, InW: 10, OutC: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0},
	{N: 3, InC: 40, InH: 9, InW: 9, OutC: 34, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
	{N: 2, InC: 37, InH: 10, InW: 9, OutC: 41, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2},
	{N: 1, InC: 32, InH: 17, InW: 10, OutC: 100, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 0},
	{N: 1, InC: 300, InH: 8, InW: 9, OutC: 38, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
}

// winogradTol is the tolerance of the Winograd path against the float64
// reference, relative to the largest |y| of the reference. The largest
// errors measured were 2.4e-6 to 4.7e-6 of it on winogradCases (the
// direct path's 2.7e-7 to 4.3e-7, 6 to 17 times less), and those of
// TestWinogradAccuracy on 256 channels at 64x64 are logged there.
const winogradTol = 3e-5

// maxAbs returns the largest |v| of s.
func maxAbs(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = max(m, math.Abs(v))
	}
	return m
}

// maxErr returns the largest |got - want|.
func maxErr(got []float32, want []float64) float64 {
	e := 0.0
	for i, w := range want {
		e = max(e, math.Abs(float64(got[i])-w))
	}
	return e
}

// lowWinogradThresholds lets the small convolutions of winogradCases take
// the Winograd path until the end of the test.
func lowWinogradThresholds(t *testing.T) {
	oldC, oldPixels := winogradMinC, winogradMinPixels
	t.Cleanup(func() { winogradMinC, winogradMinPixels = oldC, oldPixels })
	winogradMinC, winogradMinPixels = 32, 0
}

// withWinograd runs fn with winogradOn set to on.
func withWinograd(on bool, fn func()) {
	old := winogradOn
	winogradOn = on
	defer func() { winogradOn = old }()
	fn()
}

// ranWinograd runs fn and reports how many convolutions took the
// Winograd path during it.
func ranWinograd(fn func()) int64 {
	before := winogradRuns.Load()
	fn()
	return winogradRuns.Load() - before
}

func TestWinogradConv(t *testing.T) {
	lowWinogradThresholds(t)
	oldTiles := winogradTiles
	t.Cleanup(func() { winogradTiles = oldTiles })
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		// 5 tiles a block: blocks that end inside images and rows of tiles.
		for _, tiles := range []int{5, oldTiles} {
			runtime.GOMAXPROCS(procs)
			winogradTiles = tiles
			for i, p := range winogradCases {
				t.Run(fmt.Sprintf("procs=%d/tiles=%d/%s", procs, tiles, convName(p)), func(t *testing.T) {
					testWinogradConv(t, p, uint64(200+i))
				})
			}
		}
	}
}

func testWinogradConv(t *testing.T, p kernels.ConvParams, seed uint64) {
	require.True(t, useWinograd(p), "the case must take the Winograd path")
	r := newRand(seed)
	x, w, bias := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC)
	dy := randSlice(r, p.YLen())
	name := convName(p)

	// Forward, with and without bias, into garbage (NaN guards).
	for _, b := range [][]float32{bias, nil} {
		var bias64 []float64
		if b != nil {
			bias64 = f64(b)
		}
		want := naive.Conv(p, f64(x), f64(w), bias64)
		y := guarded(p.YLen(), nil)
		for i := range y {
			y[i] = guardVal
		}
		require.EqualValues(t, 1, ranWinograd(func() { ConvForward(p, x, w, b, y) }), "Winograd forward runs")
		kerneltest.CloseTo(t, fmt.Sprintf("%s bias=%v: y", name, b != nil), y, want, winogradTol*maxAbs(want), 0)
		checkGuard(t, name+": y", y)
	}

	// The data gradient, added twice into a non-zero dx.
	dxRef, _, _ := convBackwardRef(p, x, w, dy)
	dx0 := randSlice(r, p.XLen())
	dx := guarded(p.XLen(), dx0)
	tol := winogradTol * maxAbs(dxRef)
	for times := 1; times <= 2; times++ {
		require.EqualValues(t, 1, ranWinograd(func() { ConvBackwardData(p, dy, w, dx) }), "Winograd data gradient runs")
		kerneltest.CloseTo(t, fmt.Sprintf("%s: dx after %d calls", name, times), dx, addF64(dx0, dxRef, float64(times)), 2*tol, 0)
	}
	checkGuard(t, name+": dx", dx)
}

// TestWinogradOff checks that winogradOn = false leaves every convolution
// on the direct path, and that the other precisions never take it.
func TestWinogradOff(t *testing.T) {
	lowWinogradThresholds(t)
	p := winogradCases[0]
	r := newRand(7)
	x, w := randSlice(r, p.XLen()), randSlice(r, p.WLen())
	y, dx := make([]float32, p.YLen()), make([]float32, p.XLen())
	withWinograd(false, func() {
		require.Zero(t, ranWinograd(func() {
			ConvForward(p, x, w, nil, y)
			ConvBackwardData(p, y, w, dx)
		}))
	})
	for _, prec := range []kernels.Precision{kernels.TF32, kernels.BF16} {
		q := p
		q.Precision = prec
		require.False(t, useWinograd(q), "%v", prec)
	}
	for _, q := range []kernels.ConvParams{
		{N: 1, InC: 64, InH: 16, InW: 16, OutC: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, InC: 64, InH: 16, InW: 16, OutC: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
		{N: 1, InC: 64, InH: 16, InW: 16, OutC: 64, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 1, InC: 3, InH: 64, InW: 64, OutC: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 8, InC: 64, InH: 6, InW: 6, OutC: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	} {
		require.False(t, useWinograd(q), "%s", convName(q))
	}
}

// winogradKernelTile computes, in the test, u = G g G^T for the 3x3 kernel g (row-major):
// G applied to the columns of g, then to the rows of the result.
func winogradKernelTile(g *[9]float32, u *[36]float32) {
	var t [18]float32 // G g, 6x3
	for j := range 3 {
		t[j], t[3+j], t[6+j], t[9+j], t[12+j], t[15+j] = gt6(g[j], g[3+j], g[6+j])
	}
	for i := range 6 {
		r := t[3*i : 3*i+3]
		ui := u[6*i : 6*i+6]
		ui[0], ui[1], ui[2], ui[3], ui[4], ui[5] = gt6(r[0], r[1], r[2])
	}
}

// winogradDataTile computes, in the test, v = B^T d B for the 6x6 tile d (row-major):
// B^T applied to the columns of d, then to the rows of the result.
func winogradDataTile(d, v *[36]float32) {
	var t [36]float32 // B^T d
	for j := range 6 {
		t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j] = bt6(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
	}
	for i := range 6 {
		r := t[6*i : 6*i+6]
		vi := v[6*i : 6*i+6]
		vi[0], vi[1], vi[2], vi[3], vi[4], vi[5] = bt6(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}

// winogradOutputTile computes, in the test, y = A^T m A for the 6x6 tile m (row-major)
// into the 4x4 tile y: A^T applied to the columns of m, then to the rows
// of the result.
func winogradOutputTile(m *[36]float32, y *[16]float32) {
	var t [24]float32 // A^T m, 4x6
	for j := range 6 {
		t[j], t[6+j], t[12+j], t[18+j] = at6(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
	}
	for i := range 4 {
		r := t[6*i : 6*i+6]
		yi := y[4*i : 4*i+4]
		yi[0], yi[1], yi[2], yi[3] = at6(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}

// TestWinogradRows checks that bt6Rows, at6Rows and gt6Rows, assembly or
// not, give the bits of bt6, at6 and gt6 element by element, on lengths
// with and without a tail.
func TestWinogradRows(t *testing.T) {
	r := newRand(12)
	for _, n := range []int{3, 8, 19} {
		var src, dst6 [6][]float32
		var dst4 [4][]float32
		for j := range src {
			src[j], dst6[j] = randSlice(r, n), make([]float32, n)
		}
		for j := range dst4 {
			dst4[j] = make([]float32, n)
		}
		bt6Rows(&src, &dst6, new(rowPtrs))
		at6Rows(&src, &dst4, new(rowPtrs))
		var gt [6][]float32
		for j := range gt {
			gt[j] = make([]float32, n)
		}
		gt6Rows(&[3][]float32{src[0], src[1], src[2]}, &gt, new(rowPtrs))
		for i := range n {
			var b [6]float32
			var a [4]float32
			b[0], b[1], b[2], b[3], b[4], b[5] = bt6(src[0][i], src[1][i], src[2][i], src[3][i], src[4][i], src[5][i])
			a[0], a[1], a[2], a[3] = at6(src[0][i], src[1][i], src[2][i], src[3][i], src[4][i], src[5][i])
			var g [6]float32
			g[0], g[1], g[2], g[3], g[4], g[5] = gt6(src[0][i], src[1][i], src[2][i])
			for j := range g {
				require.Equal(t, g[j], gt[j][i], "n=%d: gt6 row %d, element %d", n, j, i)
			}
			for j := range b {
				require.Equal(t, b[j], dst6[j][i], "n=%d: bt6 row %d, element %d", n, j, i)
			}
			for j := range a {
				require.Equal(t, a[j], dst4[j][i], "n=%d: at6 row %d, element %d", n, j, i)
			}
		}
	}
}

// TestWinogradTile checks the three transforms together on one tile
// against the direct 3x3 correlation in float64.
func TestWinogradTile(t *testing.T) {
	r := newRand(11)
	var d, v, m [36]float32
	var g [9]float32
	var u [36]float32
	var y [16]float32
	copy(d[:], randSlice(r, 36))
	copy(g[:], randSlice(r, 9))
	winogradKernelTile(&g, &u)
	winogradDataTile(&d, &v)
	for i := range m {
		m[i] = u[i] * v[i]
	}
	winogradOutputTile(&m, &y)
	for i := range 4 {
		for j := range 4 {
			want := 0.0
			for a := range 3 {
				for b := range 3 {
					want += float64(g[a*3+b]) * float64(d[(i+a)*6+j+b])
				}
			}
			require.InDelta(t, want, y[i*4+j], 1e-5, "y[%d][%d]", i, j)
		}
	}
}

// TestWinogradAccuracy measures the error of the Winograd path and of
// the direct one on the residual blocks' convolution, 256 channels at
// 64x64 with padding 1, against float64 (on 16 output channels of y and
// 16 input channels of dx, to keep the reference quick), relative to
// the largest |y|.
func TestWinogradAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("a 256-channel convolution in float64")
	}
	p := kernels.ConvParams{N: 1, InC: 256, InH: 64, InW: 64, OutC: 256, KH: 3, KW: 3,
		StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	require.True(t, useWinograd(p))
	r := newRand(5)
	x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.OutC), randSlice(r, p.YLen())
	const sub = 16

	// y's first 16 channels in float64.
	ps := p
	ps.OutC = sub
	yRef := naive.Conv(ps, f64(x), f64(w[:sub*p.InC*9]), f64(bias[:sub]))
	// dx's first 16 channels: a convolution of dy with the first 16 rows
	// of w' (dataGradConv).
	q := dataGradConv(p)
	q.OutC = sub
	wq := make([]float64, sub*p.OutC*9)
	for c := range sub {
		for o := range p.OutC {
			for k := range 9 {
				wq[(c*p.OutC+o)*9+k] = float64(w[(o*p.InC+c)*9+8-k])
			}
		}
	}
	dxRef := naive.Conv(q, f64(dy), wq, nil)

	for _, on := range []bool{true, false} {
		y, dx := make([]float32, p.YLen()), make([]float32, p.XLen())
		withWinograd(on, func() {
			runs := ranWinograd(func() {
				ConvForward(p, x, w, bias, y)
				ConvBackwardData(p, dy, w, dx)
			})
			require.EqualValues(t, map[bool]int64{true: 2, false: 0}[on], runs)
		})
		ey, edx := maxErr(y[:len(yRef)], yRef)/maxAbs(yRef), maxErr(dx[:len(dxRef)], dxRef)/maxAbs(dxRef)
		t.Logf("winograd=%v: y max error %.3g of max |y| %.3g, dx max error %.3g of max |dx| %.3g",
			on, ey, maxAbs(yRef), edx, maxAbs(dxRef))
		require.Less(t, ey, winogradTol)
		require.Less(t, edx, winogradTol)
	}
}

func TestParseWinograd(t *testing.T) {
	for v, want := range map[string]bool{"": true, "on": true, "off": false} {
		got, err := parseWinograd(v)
		require.NoError(t, err, v)
		require.Equal(t, want, got, v)
	}
	_, err := parseWinograd("0")
	require.ErrorContains(t, err, `SEMGAN_CPU_WINOGRAD="0": want on or off`)
}

// TestWinogradEnv runs this test binary again with SEMGAN_CPU_WINOGRAD=off
// (TestWinogradEnvChild checks the switch is off) and with a value it does
// not know, which must stop it at start.
func TestWinogradEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the test binary again")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the binary may run under an emulator that cannot start it again (qemu-user)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWinogradEnvChild$", "-test.v")
	cmd.Env = append(os.Environ(), winogradEnv+"=off", "SEMGAN_TEST_WINOGRAD_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestWinogradEnvChild", "%s", out)

	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), winogradEnv+"=yes")
	out, err = cmd.CombinedOutput()
	require.Error(t, err, "%s=yes must stop the program", winogradEnv)
	require.True(t, strings.Contains(string(out), `SEMGAN_CPU_WINOGRAD="yes"`), "%s", out)
}

// TestWinogradEnvChild checks, in a binary started by TestWinogradEnv, that
// SEMGAN_CPU_WINOGRAD=off turned the Winograd path off.
func TestWinogradEnvChild(t *testing.T) {
	if os.Getenv("SEMGAN_TEST_WINOGRAD_CHILD") == "" {
		t.Skip("run by TestWinogradEnv")
	}
	require.False(t, winogradOn)
	lowWinogradThresholds(t)
	require.False(t, useWinograd(winogradCases[0]))
}

// BenchmarkWinogradThresholds compares the Winograd path (called
// directly, whatever useWinograd says) with the direct one on 3x3
// convolutions of one image, C channels in and out, S x S with padding 1,
// to find where Winograd pays (winogradMinC, winogradMinOut).
//
//	go test -run '^$' -bench WinogradThresholds ./kernels/cpu
func BenchmarkWinogradThresholds(b *testing.B) {
	for _, c := range []int{16, 32, 64, 128, 256} {
		for _, s := range []int{4, 8, 16, 32, 64} {
			p := kernels.ConvParams{N: 1, InC: c, InH: s, InW: s, OutC: c, KH: 3, KW: 3,
				StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
			r := newRand(1)
			x, w, y := randSlice(r, p.XLen()), randSlice(r, p.WLen()), make([]float32, p.YLen())
			flops := 2 * float64(p.YLen()) * float64(p.InC*9)
			b.Run(fmt.Sprintf("C%d/S%d/winograd", c, s), func(b *testing.B) {
				for b.Loop() {
					winogradConv(p, x, w, false, nil, y, false)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run(fmt.Sprintf("C%d/S%d/direct", c, s), func(b *testing.B) {
				defer withWinogradOff()()
				for b.Loop() {
					ConvForward(p, x, w, nil, y)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// withWinogradOff turns the Winograd path off and returns the function
// that restores it.
func withWinogradOff() (restore func()) { return SetWinograd(false) }

// TestWinogradThresholds checks which of the model's 3x3 convolutions
// take the Winograd path with the thresholds as they are.
func TestWinogradThresholds(t *testing.T) {
	conv3 := func(n, c, size, pad int) kernels.ConvParams {
		return kernels.ConvParams{N: n, InC: c, InH: size, InW: size, OutC: c, KH: 3, KW: 3,
			StrideH: 1, StrideW: 1, PadH: pad, PadW: pad}
	}
	require.True(t, useWinograd(conv3(1, 256, 66, 0)), "the generator's residual blocks at 256x256")
	require.True(t, useWinograd(conv3(1, 256, 64, 1)), "conv3x3_256_64")
	require.True(t, useWinograd(conv3(4, 256, 32, 1)), "four images of 32x32")
	require.False(t, useWinograd(conv3(1, 256, 34, 0)), "the residual blocks at 128x128")
	require.True(t, useWinograd(conv3(1, 64, 64, 1)), "64 channels at 64x64")
	require.False(t, useWinograd(conv3(1, 32, 64, 1)), "32 channels")
	require.False(t, useWinograd(conv3(1, 64, 18, 0)), "the quick demo's residual blocks")
}
