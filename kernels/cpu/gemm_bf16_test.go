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
