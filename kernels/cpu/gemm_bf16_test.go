package cpu

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

// bf16Panels returns two adjacent float32 panels of width w and depth k
// (as packA or packB lays them out) of random bfloat16 values, and their
// pair panels from pairPanels.
func bf16Panels(seed uint64, w, k int) ([]float32, []uint32) {
	f := randSlice(newRand(seed), 2*w*k)
	kernels.BF16.RoundSlice(f)
	pw := make([]uint32, 2*w*((k+1)/2)+1) // +1: a valid pointer for k = 0
	pairPanels(f, w, k, pw)
	return f, pw
}

// TestMicroKernelBF16Wide compares the Go twin of the BF16 micro-kernel
// with the float64 product of the float32 panels it was packed from (which
// also checks pairPanels, odd depths padded), and each assembly kernel
// with the twin, for every depth k from 0 to 67 and past packKC, with
// alpha 1 and 0.75, a guard band around C and NaN in C where it is
// overwritten.
func TestMicroKernelBF16Wide(t *testing.T) {
	kernelsUnder := map[string]func(int, *uint32, *uint32, *float32, int, float32, bool){"go": microKernelBF16WideGo}
	for isa, k := range asmBF16Kernels() {
		kernelsUnder[isa] = k
	}
	if len(kernelsUnder) == 1 {
		t.Run("avx512bf16", func(t *testing.T) {
			t.Skip("no AVX512_BF16 on this CPU, or a noasm build: the Go twin is tested alone")
		})
	}
	const rows, cols, ldc = 2 * packMR, 2 * packNR, 2*packNR + 5
	depths := []int{packKC - 1, packKC}
	for k := range 68 {
		depths = append(depths, k)
	}
	for isa, micro := range kernelsUnder {
		t.Run(isa, func(t *testing.T) {
			for _, k := range depths {
				af, aw := bf16Panels(uint64(k), packMR, k)
				bf, bw := bf16Panels(uint64(k)+1000, packNR, k)
				kh := (k + 1) / 2
				base := randSlice(newRand(uint64(k)+2000), rows*ldc)
				for _, alpha := range []float32{1, 0.75} {
					for _, acc := range []bool{true, false} {
						// want: the float64 product of the float32 panels.
						want := f64(base)
						for r := range rows {
							for j := range cols {
								var s float64
								for p := range k {
									s += float64(af[(r/packMR)*packMR*k+p*packMR+r%packMR]) *
										float64(bf[(j/packNR)*packNR*k+p*packNR+j%packNR])
								}
								if !acc {
									want[r*ldc+j] = 0
								}
								want[r*ldc+j] += float64(alpha) * s
							}
						}
						got := guarded(len(base), base)
						if !acc { // overwritten C must not be read
							for i := range got {
								got[i] = float32(math.NaN())
							}
						}
						micro(kh, &aw[0], &bw[0], &got[0], ldc, alpha, acc)
						twin := append([]float32(nil), base...)
						microKernelBF16WideGo(kh, &aw[0], &bw[0], &twin[0], ldc, alpha, acc)
						for r := range rows { // outside the tile C is not written
							for j := cols; j < ldc && r*ldc+j < len(got); j++ {
								if !acc {
									require.True(t, math.IsNaN(float64(got[r*ldc+j])), "k=%d: C written outside the tile", k)
								}
								got[r*ldc+j], twin[r*ldc+j], want[r*ldc+j] = base[r*ldc+j], base[r*ldc+j], float64(base[r*ldc+j])
							}
						}
						name := fmt.Sprintf("k=%d alpha=%v accumulate=%v", k, alpha, acc)
						// Sums of k products below 1 in float32: the twin and
						// the reference differ by the order of the sums.
						kerneltest.CloseTo(t, name+" vs float64", got, want, 1e-6, 1e-6*float64(k+1))
						kerneltest.CloseTo(t, name+" vs twin", got, f64(twin), 1e-6, 1e-6*float64(k+1))
						checkGuard(t, name, got)
					}
				}
			}
		})
	}
}

// TestPairPanels checks the layout of pair panels on a small example:
// word q*w+i of a panel holds element (2q, i) in its low half and (2q+1,
// i) in its high half, zero past the depth.
func TestPairPanels(t *testing.T) {
	const w, k = 2, 3 // two panels of width 2, depth 3
	src := []float32{1, 2, 3, 4, 5, 6 /* panel 1 */, -1, -2, -3, -4, -5, -6}
	dst := make([]uint32, 2*w*2)
	pairPanels(src, w, k, dst)
	hi := func(x float32) uint32 { return math.Float32bits(x) >> 16 }
	want := []uint32{
		hi(1) | hi(3)<<16, hi(2) | hi(4)<<16, hi(5), hi(6),
		hi(-1) | hi(-3)<<16, hi(-2) | hi(-4)<<16, hi(-5), hi(-6),
	}
	require.Equal(t, want, dst)
}

// withBF16Counted runs f on each path that has a BF16 micro-kernel, that
// kernel counting its calls, and fails unless f called it.
func withBF16Counted(t *testing.T, f func(t *testing.T)) {
	saved := microKernelBF16Wide
	defer func() { microKernelBF16Wide = saved }()
	onEveryGemmPath(t, func(t *testing.T) {
		pairs := microKernelBF16Wide
		if pairs == nil {
			t.Skip("no BF16 micro-kernel on this path")
		}
		var calls atomic.Int64
		microKernelBF16Wide = func(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool) {
			calls.Add(1)
			pairs(kh, a, b, c, ldc, alpha, accumulate)
		}
		f(t)
		if calls.Load() == 0 {
			t.Errorf("the BF16 micro-kernel was never called")
		}
	})
}

// TestGemmBF16Pairs checks BF16 products large enough for the BF16 path
// against the float64 reference on rounded operands, with tiles left
// over in both directions, both blocks of k, odd k, alpha other than 1 and
// every transpose, and that the path multiplied them.
func TestGemmBF16Pairs(t *testing.T) {
	if len(asmBF16Kernels()) == 0 {
		t.Log("no AVX512_BF16 on this CPU or build: the BF16 path runs with the Go twin alone")
	}
	shapes := []kernels.GemmParams{
		{M: 12, N: 32, K: 1},
		{M: 37, N: 71, K: 67},
		{M: 30, N: 100, K: packKC + 5, TransA: true},
		{M: packMC + 13, N: 2*packNR + 1, K: 2*packKC + 1, TransB: true},
		{M: 25, N: packNC + 40, K: 17, TransA: true, TransB: true},
	}
	withBF16Counted(t, func(t *testing.T) {
		for i, p := range shapes {
			p.Alpha, p.Beta, p.Batch, p.Precision = 0.7, 0.5, 1, kernels.BF16
			r := newRand(uint64(i))
			a, b, c := randSlice(r, p.ALen()), randSlice(r, p.BLen()), randSlice(r, p.CLen())
			want := gemmRef(p, rounded(kernels.BF16, a), rounded(kernels.BF16, b), c)
			got := append([]float32(nil), c...)
			Gemm(p, a, b, got)
			name := fmt.Sprintf("%+v", p)
			atol, rtol := 1e-5, 1e-5*float64(p.K+1)
			kerneltest.CloseTo(t, name, got, want, atol, rtol)
			requireApart(t, name, gemmRef(p, a, b, c), want, atol, rtol)
		}
	})
}

// bf16ConvCases are convolutions with at least 12 channels on both sides
// and enough pixels for the BF16 path in every pass (the implicit GEMMs,
// a pointwise one and the data gradient through col2im).
var bf16ConvCases = []kernels.ConvParams{
	{N: 2, InC: 19, InH: 13, InW: 17, OutC: 26, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 1, InC: 29, InH: 12, InW: 11, OutC: 14, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 1, InC: 40, InH: 9, InW: 10, OutC: 13, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
	{N: 2, InC: 13, InH: 10, InW: 12, OutC: 36, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
}

// TestConvBF16Pairs checks the three passes of bf16ConvCases in BF16 as
// TestConvPrecision does, and that the BF16 path multiplied them.
func TestConvBF16Pairs(t *testing.T) {
	withBF16Counted(t, func(t *testing.T) {
		for i, p := range bf16ConvCases {
			p.Precision = kernels.BF16
			t.Run(convName(p), func(t *testing.T) { testConvPrecision(t, p, uint64(i)) })
		}
	})
}

// TestBF16Encodings assembles, with GNU as, the instruction in the comment
// beside each BYTE-encoded instruction of the assembly files and compares
// its bytes with the BYTE directives: the comment says what the bytes do.
func TestBF16Encodings(t *testing.T) {
	as, err1 := exec.LookPath("as")
	objdump, err2 := exec.LookPath("objdump")
	if err1 != nil || err2 != nil {
		t.Skip("GNU as and objdump (binutils) are not installed")
	}
	files, _ := filepath.Glob("*.s")
	line := regexp.MustCompile(`^\s*((?:BYTE \$0x[0-9a-f]{2}; )*BYTE \$0x[0-9a-f]{2}) // ([^:]+):`)
	var insts []string
	var codes [][]byte
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range strings.Split(string(src), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			var code []byte
			for _, b := range strings.Split(m[1], "; ") {
				v, err := strconv.ParseUint(strings.TrimPrefix(b, "BYTE $0x"), 16, 8)
				require.NoError(t, err)
				code = append(code, byte(v))
			}
			insts, codes = append(insts, m[2]), append(codes, code)
		}
	}
	require.NotEmpty(t, insts, "no BYTE-encoded instruction found")
	dir := t.TempDir()
	s, o := filepath.Join(dir, "k.s"), filepath.Join(dir, "k.o")
	require.NoError(t, os.WriteFile(s, []byte(strings.Join(insts, "\n")+"\n"), 0o644))
	out, err := exec.Command(as, "--64", "-o", o, s).CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(objdump, "-d", o).Output()
	require.NoError(t, err)
	var got [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || !strings.HasSuffix(strings.TrimSpace(f[0]), ":") {
			continue
		}
		var code []byte
		for _, h := range strings.Fields(f[1]) {
			v, err := strconv.ParseUint(h, 16, 8)
			require.NoError(t, err)
			code = append(code, byte(v))
		}
		got = append(got, code)
	}
	require.Len(t, got, len(insts))
	for i := range insts {
		if !bytes.Equal(got[i], codes[i]) {
			t.Errorf("%s: the file has % x, as encodes % x", insts[i], codes[i], got[i])
		}
	}
	t.Logf("%d encoded instructions checked", len(insts))
}

// BenchmarkMicroKernelBF16Wide times the 12x32 kernels on panels packKC
// deep that stay in L1: the float32 one (microKernelWide) against the
// BF16 one, which does the same multiply-adds in half the instructions.
func BenchmarkMicroKernelBF16Wide(b *testing.B) {
	const k, ldc = packKC, 2 * packNR
	flops := 2 * float64(2*packMR*2*packNR*k)
	c := make([]float32, 2*packMR*ldc)
	for isa, wide := range asmWideKernels() {
		a, bp := randSlice(newRand(1), 2*packMR*k), randSlice(newRand(2), 2*packNR*k)
		b.Run("fp32/"+isa, func(b *testing.B) {
			loopMicro(b, flops, func() { wide(k, &a[0], &bp[0], &c[0], ldc, true) })
		})
	}
	for isa, pairs := range asmBF16Kernels() {
		_, aw := bf16Panels(1, packMR, k)
		_, bw := bf16Panels(2, packNR, k)
		b.Run("bf16/"+isa, func(b *testing.B) {
			loopMicro(b, flops, func() { pairs(k/2, &aw[0], &bw[0], &c[0], ldc, 1, true) })
		})
	}
}

// loopMicro runs f b.N times and reports GFLOP/s for flops per call.
func loopMicro(b *testing.B, flops float64, f func()) {
	for b.Loop() {
		f()
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestPairPanelsKernels compares pairPanels with and without its assembly
// kernels (pairs16Kernel, pairs6Kernel) for every depth up to 67 and past
// packKC, on values that include ties of the rounding, infinities and NaNs,
// with guard words after the output.
func TestPairPanelsKernels(t *testing.T) {
	if pairs16Kernel == nil {
		t.Skip("no AVX512_BF16 conversion kernels on this CPU or build")
	}
	k16, k6 := pairs16Kernel, pairs6Kernel
	defer func() { pairs16Kernel, pairs6Kernel = k16, k6 }()
	r := newRand(9)
	for _, w := range []int{packMR, packNR} {
		for kb := range packKC + 2 {
			if kb > 67 && kb < packKC-1 {
				continue
			}
			src := randSlice(r, 3*w*kb) // three panels: an odd count
			for i := range src {
				switch r.IntN(8) {
				case 0: // a tie: halfway between two bfloat16 values
					src[i] = math.Float32frombits(math.Float32bits(src[i])&^0xffff | 0x8000)
				case 1:
					src[i] = float32(math.Inf(1 - 2*r.IntN(2)))
				case 2:
					src[i] = math.Float32frombits(0x7f800000 | uint32(r.IntN(1<<23-1)+1)) // a NaN
				}
			}
			n := 4 * w * ((kb + 1) / 2)
			want, got := make([]uint32, n+8), make([]uint32, n+8)
			for i := range want {
				want[i], got[i] = 0xdeadbeef, 0xdeadbeef
			}
			pairs16Kernel, pairs6Kernel = nil, nil
			pairPanels(src, w, kb, want)
			pairs16Kernel, pairs6Kernel = k16, k6
			pairPanels(src, w, kb, got)
			require.Equal(t, want, got, "w=%d kb=%d", w, kb)
		}
	}
}
