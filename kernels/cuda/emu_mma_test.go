//go:build cudaemu

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/semgan/semgan/kernels"
)

// The emulator's tests of the tensor-core primitives of mma.cuh, on the
// kernels of testdata/emumma.cu. Expected fragment contents are written out
// from the PTX ISA's tables (repeated in mma.cuh's header), not derived
// from the emulator's code.

// emuBufU32 is device memory holding the 32-bit words of s.
func emuBufU32(t *testing.T, d driver, s []uint32) devPtr {
	t.Helper()
	f := make([]float32, len(s))
	for i, v := range s {
		f[i] = math.Float32frombits(v)
	}
	return emuBuf(t, d, f)
}

// emuReadU32 copies n 32-bit words from p.
func emuReadU32(t *testing.T, d driver, p devPtr, n int) []uint32 {
	t.Helper()
	f := emuRead(t, d, p, n)
	s := make([]uint32, n)
	for i, v := range f {
		s[i] = math.Float32bits(v)
	}
	return s
}

// Fragment layouts of testdata/emumma.cu's test_mma_tile.
const (
	layoutRight    = 0
	layoutSwapA12  = 1
	layoutBColMaj  = 2
	warpLanes      = 32
	tileM, tileN   = 16, 8
	tf32K, bf16K   = 8, 16
	poisonF32Bits  = 0xffffffff
	mmaTolPerValue = 1e-6
)

// bf16Bits is the bfloat16 of x, which must be exactly representable.
func bf16Bits(x float32) uint32 { return math.Float32bits(kernels.RoundBF16(x)) >> 16 }

// emuRawMMA runs test_mma_raw: one mma from zero on the given per-lane
// registers (a: 4 per lane, b: 2 per lane) and returns each lane's d.
func emuRawMMA(t *testing.T, d driver, a [warpLanes][4]uint32, b [warpLanes][2]uint32, bf16 bool) [warpLanes][4]float32 {
	t.Helper()
	var fa, fb []uint32
	for l := range warpLanes {
		fa = append(fa, a[l][:]...)
		fb = append(fb, b[l][:]...)
	}
	ap, bp, dp := emuBufU32(t, d, fa), emuBufU32(t, d, fb), emuBuf(t, d, make([]float32, 4*warpLanes))
	if err := d.launch("test_mma_raw", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 0,
		[]uint64{argPtr(ap), argPtr(bp), argPtr(dp), argBool(bf16)}); err != nil {
		t.Fatal(err)
	}
	got := emuRead(t, d, dp, 4*warpLanes)
	var out [warpLanes][4]float32
	for l := range warpLanes {
		copy(out[l][:], got[4*l:])
	}
	return out
}

// checkOnly checks that the lanes' d equals want for the lanes listed and is
// zero everywhere else.
func checkOnly(t *testing.T, what string, got [warpLanes][4]float32, want map[int][4]float32) {
	t.Helper()
	for l := range warpLanes {
		w := want[l] // zero if not listed
		if got[l] != w {
			t.Errorf("%s: lane %d's d = %v, want %v", what, l, got[l], w)
		}
	}
}

// TestEmuMMAFragments places known values in single registers and reads
// where the product puts them: a direct check of the A, B and C/D layouts.
func TestEmuMMAFragments(t *testing.T) {
	d := newEmu(t)
	one := math.Float32bits(1)

	// TF32, A: lane 5 (g=1, t=1) holds a0 = A[1][1], a1 = A[9][1],
	// a2 = A[1][5], a3 = A[9][5]; B = I (b0 = B[t][g], b1 = B[t+4][g]), so
	// D = A. D[1][1] and D[9][1] are c1 and c3 of lane 4 (g=1, t=0); D[1][5]
	// and D[9][5] are c1 and c3 of lane 6 (g=1, t=2).
	var a [warpLanes][4]uint32
	var b [warpLanes][2]uint32
	for i, v := range []float32{1, 2, 4, 8} {
		a[5][i] = math.Float32bits(v)
	}
	for _, l := range []int{0, 5, 10, 15} { // t == g: B[t][t] = 1
		b[l][0] = one
	}
	for _, l := range []int{16, 21, 26, 31} { // t+4 == g
		b[l][1] = one
	}
	checkOnly(t, "tf32, A of lane 5", emuRawMMA(t, d, a, b, false),
		map[int][4]float32{4: {0, 1, 0, 2}, 6: {0, 4, 0, 8}})

	// TF32, all of A: A[r][k] = 8r+k+1, B = I. Lane 30 (g=7, t=2) holds
	// c0 = D[7][4], c1 = D[7][5], c2 = D[15][4], c3 = D[15][5].
	for l := range warpLanes {
		g, tt := l/4, l%4
		for i, rk := range [4][2]int{{g, tt}, {g + 8, tt}, {g, tt + 4}, {g + 8, tt + 4}} {
			a[l][i] = math.Float32bits(float32(8*rk[0] + rk[1] + 1))
		}
	}
	got := emuRawMMA(t, d, a, b, false)
	if want := [4]float32{61, 62, 125, 126}; got[30] != want {
		t.Errorf("tf32, A[r][k] = 8r+k+1 times I: lane 30's d = %v, want %v", got[30], want)
	}

	// TF32, B: A[r][k] = 1 where k == r%8, so D[r][c] = B[r%8][c]. Lane 9
	// (g=2, t=1) holds b0 = B[1][2] = 1 and b1 = B[5][2] = 2. D[1][2] and
	// D[9][2] are c0 and c2 of lane 5 (g=1, t=1); D[5][2] and D[13][2] are
	// c0 and c2 of lane 21 (g=5, t=1).
	a, b = [warpLanes][4]uint32{}, [warpLanes][2]uint32{}
	for g := range 8 {
		a[4*g+g%4][g/4*2] = one   // A[g][g]: a0 (k < 4) or a2 of lane 4g + g%4
		a[4*g+g%4][g/4*2+1] = one // A[g+8][g]: a1 or a3
	}
	b[9] = [2]uint32{one, math.Float32bits(2)}
	checkOnly(t, "tf32, B of lane 9", emuRawMMA(t, d, a, b, false),
		map[int][4]float32{5: {1, 0, 1, 0}, 21: {2, 0, 2, 0}})

	// BF16, A: lane 5 (g=1, t=1) holds a0 = A[1][2..3], a1 = A[9][2..3],
	// a2 = A[1][10..11], a3 = A[9][10..11], lower column in the lower half;
	// powers of two tell them apart. B[k][n] = 1 where k%8 == n (b0 =
	// B[2t..2t+1][g], b1 = B[2t+8..2t+9][g]), so D[r][c] = A[r][c] +
	// A[r][c+8]: D[1][2] = 1+16, D[1][3] = 2+32, D[9][2] = 4+64,
	// D[9][3] = 8+128, which are c0..c3 of lane 5.
	a, b = [warpLanes][4]uint32{}, [warpLanes][2]uint32{}
	for i := range 4 {
		lo, hi := float32(int(1)<<(2*i)), float32(int(1)<<(2*i+1))
		a[5][i] = bf16Bits(lo) | bf16Bits(hi)<<16
	}
	for l := range warpLanes {
		g, tt := l/4, l%4
		var r uint32
		if 2*tt == g {
			r |= bf16Bits(1)
		}
		if 2*tt+1 == g {
			r |= bf16Bits(1) << 16
		}
		b[l] = [2]uint32{r, r}
	}
	checkOnly(t, "bf16, A of lane 5", emuRawMMA(t, d, a, b, true),
		map[int][4]float32{5: {17, 34, 68, 136}})

	// BF16, B: A[r][k] = 1 where k%8 == r%8, so D[r][c] = B[r%8][c] +
	// B[r%8+8][c]. Lane 9 (g=2, t=1) holds b0 = B[2..3][2] = (1, 2) and
	// b1 = B[10..11][2] = (4, 8): D[2][2] = D[10][2] = 5 (c0, c2 of lane 9),
	// D[3][2] = D[11][2] = 10 (c0, c2 of lane 13).
	a, b = [warpLanes][4]uint32{}, [warpLanes][2]uint32{}
	for r := range tileM {
		for k := range bf16K {
			if k%8 != r%8 {
				continue
			}
			// A[r][k] is in lane 4(r%8) + (k%8)/2, register (r>=8) + 2(k>=8),
			// half k%2.
			l, i := 4*(r%8)+k%8/2, r/8+2*(k/8)
			a[l][i] |= bf16Bits(1) << (16 * (k % 2))
		}
	}
	b[9] = [2]uint32{bf16Bits(1) | bf16Bits(2)<<16, bf16Bits(4) | bf16Bits(8)<<16}
	checkOnly(t, "bf16, B of lane 9", emuRawMMA(t, d, a, b, true),
		map[int][4]float32{9: {5, 0, 5, 0}, 13: {10, 0, 10, 0}})
}

// mmaTile runs test_mma_tile on A (16xk) and B (kx8) and returns C.
func mmaTile(t *testing.T, d driver, A, B []float32, k int, bf16 bool, layout int, round bool) []float32 {
	t.Helper()
	ap, bp, cp := emuBuf(t, d, A), emuBuf(t, d, B), emuBuf(t, d, make([]float32, tileM*tileN))
	if err := d.launch("test_mma_tile", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 0,
		[]uint64{argPtr(ap), argPtr(bp), argPtr(cp), argInt(k), argBool(bf16), argInt(layout), argBool(round)}); err != nil {
		t.Fatal(err)
	}
	return emuRead(t, d, cp, tileM*tileN)
}

// refTile returns C = A*B in float64 of the operands rounded by round, and
// for each element the sum of |products|, the scale of its rounding error.
func refTile(A, B []float32, k int, round func(float32) float32) (c, scale []float64) {
	c, scale = make([]float64, tileM*tileN), make([]float64, tileM*tileN)
	for i := range tileM {
		for j := range tileN {
			for kk := range k {
				p := float64(round(A[i*k+kk])) * float64(round(B[kk*tileN+j]))
				c[i*tileN+j] += p
				scale[i*tileN+j] += math.Abs(p)
			}
		}
	}
	return c, scale
}

// tileErrors returns how many elements of got are farther from want than
// the tolerance, and the largest such distance.
func tileErrors(got []float32, want, scale []float64) (bad int, worst float64) {
	for i := range got {
		e := math.Abs(float64(got[i]) - want[i])
		if e > mmaTolPerValue*scale[i] {
			bad++
			worst = max(worst, e)
		}
	}
	return bad, worst
}

func randTile(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// TestEmuMMATile checks a 16x8 tile, one mma step and several, against a
// float64 product of the rounded operands, and that the two wrong fragment
// layouts give results the same check rejects.
func TestEmuMMATile(t *testing.T) {
	d := newEmu(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name  string
		bf16  bool
		step  int
		round func(float32) float32
	}{
		{"tf32", false, tf32K, kernels.RoundTF32},
		{"bf16", true, bf16K, kernels.RoundBF16},
	} {
		for _, steps := range []int{1, 3} {
			k := steps * c.step
			A, B := randTile(rng, tileM*k), randTile(rng, k*tileN)
			want, scale := refTile(A, B, k, c.round)
			got := mmaTile(t, d, A, B, k, c.bf16, layoutRight, true)
			if bad, worst := tileErrors(got, want, scale); bad > 0 {
				t.Errorf("%s, k=%d: %d of %d elements off the reference, by up to %g", c.name, k, bad, len(got), worst)
			}
			for _, wrong := range []struct {
				name   string
				layout int
			}{{"a[1] and a[2] swapped", layoutSwapA12}, {"B indexed column-major", layoutBColMaj}} {
				got := mmaTile(t, d, A, B, k, c.bf16, wrong.layout, true)
				bad, worst := tileErrors(got, want, scale)
				if bad == 0 {
					t.Errorf("%s, k=%d, %s: result matches the reference: a wrong layout goes unnoticed", c.name, k, wrong.name)
				} else {
					t.Logf("%s, k=%d, %s: %d of %d elements off, by up to %g: caught", c.name, k, wrong.name, bad, len(got), worst)
				}
			}
		}
	}
}

// TestEmuMMATF32Truncation feeds the TF32 mma operands that rounding moves
// up: with rounding the product is that of the rounded values, without it
// the tensor core drops the low 13 bits.
func TestEmuMMATF32Truncation(t *testing.T) {
	d := newEmu(t)
	x := float32(1 + 3.0/4096) // 1 + 2^-11 + 2^-12: rounds to 1 + 2^-10, truncates to 1
	if kernels.RoundTF32(x) != 1+1.0/1024 {
		t.Fatalf("RoundTF32(%v) = %v, want 1+2^-10", x, kernels.RoundTF32(x))
	}
	A, B := make([]float32, tileM*tf32K), make([]float32, tf32K*tileN)
	for i := range A {
		A[i] = x
	}
	for i := range B {
		B[i] = 1
	}
	rounded := mmaTile(t, d, A, B, tf32K, false, layoutRight, true)
	truncated := mmaTile(t, d, A, B, tf32K, false, layoutRight, false)
	for i := range rounded {
		if rounded[i] != 8*(1+1.0/1024) || truncated[i] != 8 {
			t.Fatalf("element %d: %v with rounded operands (want %v), %v with unrounded ones (want 8)",
				i, rounded[i], 8*(1+1.0/1024), truncated[i])
		}
	}
}

func TestEmuMMADivergence(t *testing.T) {
	d := newEmu(t)
	y := emuBuf(t, d, make([]float32, 2*warpLanes))
	wantLaunchError(t, d, "divergent mma", "test_mma_divergent", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 0, argPtr(y), argInt(16))
	wantLaunchError(t, d, "needs a full warp", "test_mma_divergent", dim3{1, 1, 1}, dim3{16, 1, 1}, 0, argPtr(y), argInt(16))
	if err := d.launch("test_mma_divergent", dim3{1, 1, 1}, dim3{2 * warpLanes, 1, 1}, 0, []uint64{argPtr(y), argInt(64)}); err != nil {
		t.Errorf("two full warps: %v", err)
	}
}

// TestEmuLdmatrix loads 1, 2 and 4 matrices, plain and transposed, from
// shared memory holding b16 value j at index j, with row r of matrix i at
// index 32r + 8i, so that element [r][c] of matrix i is 32r + 8i + c.
func TestEmuLdmatrix(t *testing.T) {
	d := newEmu(t)
	out := emuBuf(t, d, make([]float32, 4*warpLanes))
	elem := func(i, r, c int) uint32 { return uint32(32*r + 8*i + c) }
	for _, n := range []int{1, 2, 4} {
		for _, trans := range []bool{false, true} {
			if err := d.launch("test_ldmatrix", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 1024,
				[]uint64{argPtr(out), argInt(n), argBool(trans), argBool(false)}); err != nil {
				t.Fatal(err)
			}
			got := emuReadU32(t, d, out, 4*warpLanes)
			for l := range warpLanes {
				for i := range 4 {
					var want uint32 // registers past n stay 0
					switch {
					case i < n && !trans: // row l/4, columns 2(l%4), 2(l%4)+1
						want = elem(i, l/4, 2*(l%4)) | elem(i, l/4, 2*(l%4)+1)<<16
					case i < n && trans: // column l/4, rows 2(l%4), 2(l%4)+1
						want = elem(i, 2*(l%4), l/4) | elem(i, 2*(l%4)+1, l/4)<<16
					}
					if got[4*l+i] != want {
						t.Errorf("x%d trans=%v: lane %d r[%d] = %#x, want %#x", n, trans, l, i, got[4*l+i], want)
					}
				}
			}
			// Two literal values: lane 5 (row 1, columns 2 and 3; or column
			// 1, rows 2 and 3) of the last matrix.
			i := n - 1
			lit := map[bool]uint32{false: uint32(32+8*i+3)<<16 | uint32(32+8*i+2), true: uint32(96+8*i+1)<<16 | uint32(64+8*i+1)}
			if got[4*5+i] != lit[trans] {
				t.Errorf("x%d trans=%v: lane 5 r[%d] = %#x, want %#x", n, trans, i, got[4*5+i], lit[trans])
			}
		}
	}
	wantLaunchError(t, d, "not 16-byte aligned", "test_ldmatrix", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 1024,
		argPtr(out), argInt(4), argBool(false), argBool(true))
}

// TestEmuCpAsync checks when cp.async copies land (at the wait, not
// before), their zero fill, and the errors of copies never waited for or
// misused. See test_cp_async for the modes.
func TestEmuCpAsync(t *testing.T) {
	d := newEmu(t)
	const n = 8 * warpLanes
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i + 1)
	}
	xp, y := emuBuf(t, d, x), emuBuf(t, d, make([]float32, n))
	run := func(srcBytes, mode int) []float32 {
		t.Helper()
		if err := d.launch("test_cp_async", dim3{1, 1, 1}, dim3{warpLanes, 1, 1}, 4*n,
			[]uint64{argPtr(xp), argPtr(y), argInt(srcBytes), argInt(mode)}); err != nil {
			t.Fatal(err)
		}
		return emuRead(t, d, y, n)
	}
	poison := math.Float32frombits(poisonF32Bits)
	// check compares y with what each thread's chunks A and B should hold:
	// "data" (with the first srcBytes of B from x, the rest 0) or "poison".
	check := func(what string, got []float32, a, b string, srcBytes int) {
		t.Helper()
		for i, v := range got {
			state, j := a, i%8
			if j >= 4 {
				state = b
			}
			want := poison
			if state == "data" {
				want = x[i]
				if j >= 4 && 4*(j-4) >= srcBytes {
					want = 0
				}
			}
			if math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("%s: y[%d] = %v, want %v", what, i, v, want)
			}
		}
	}
	for _, sb := range []int{16, 8, 4, 0} { // 0: B's source is a null pointer, never read
		check("waited for", run(sb, 0), "data", "data", sb)
	}
	check("read before the wait", run(16, 1), "poison", "poison", 16)
	check("wait_group 1 of 2 groups", run(16, 2), "data", "poison", 16)
	args := func(srcBytes, mode int) []uint64 {
		return []uint64{argPtr(xp), argPtr(y), argInt(srcBytes), argInt(mode)}
	}
	grid, block := dim3{1, 1, 1}, dim3{warpLanes, 1, 1}
	wantLaunchError(t, d, "cp.async not waited for", "test_cp_async", grid, block, 4*n, args(16, 3)...)
	wantLaunchError(t, d, "2 of them not committed", "test_cp_async", grid, block, 4*n, args(16, 4)...)
	wantLaunchError(t, d, "destination not aligned", "test_cp_async", grid, block, 4*n, args(16, 5)...)
	wantLaunchError(t, d, "src_bytes outside", "test_cp_async", grid, block, 4*n, args(20, 0)...)
	// After the errors, nothing is left over from the aborted launches.
	check("waited for, again", run(16, 0), "data", "data", 16)
}
