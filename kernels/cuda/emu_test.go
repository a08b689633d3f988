//go:build cudaemu

package cuda

import (
	"strings"
	"testing"
	"time"
	"unsafe"
)

// The emulator's own tests: that what it emulates works (shuffles, block
// reductions, atomics, shared memory) and that it catches deliberately
// broken kernels (testdata/emucheck.cu) with an error naming the problem.

// emuBuf is device memory on the emulator holding a copy of s.
func emuBuf(t *testing.T, d driver, s []float32) devPtr {
	t.Helper()
	p, err := d.alloc(4 * len(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.free(p); err != nil {
			t.Error(err)
		}
	})
	if err := d.copyHtoD(p, unsafe.Pointer(unsafe.SliceData(s)), 4*len(s)); err != nil {
		t.Fatal(err)
	}
	return p
}

// emuRead copies n floats from p.
func emuRead(t *testing.T, d driver, p devPtr, n int) []float32 {
	t.Helper()
	s := make([]float32, n)
	if err := d.copyDtoH(unsafe.Pointer(unsafe.SliceData(s)), p, 4*n); err != nil {
		t.Fatal(err)
	}
	return s
}

func newEmu(t *testing.T) driver {
	t.Helper()
	d, err := newDriver()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantLaunchError launches and checks that the error mentions want.
func wantLaunchError(t *testing.T, d driver, want, kernel string, grid, block dim3, shared int, args ...uint64) {
	t.Helper()
	err := d.launch(kernel, grid, block, shared, args)
	if err == nil {
		t.Errorf("%s: launch succeeded, want an error about %q", kernel, want)
		return
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %q does not mention %q", kernel, err, want)
		return
	}
	t.Logf("%s: caught: %v", kernel, err)
}

func TestEmuShuffles(t *testing.T) {
	d := newEmu(t)
	for _, n := range []int{32, 96, 256} {
		y := emuBuf(t, d, make([]float32, 4*n))
		if err := d.launch("test_shuffles", dim3{1, 1, 1}, dim3{n, 1, 1}, 0, []uint64{argPtr(y)}); err != nil {
			t.Fatal(err)
		}
		got := emuRead(t, d, y, 4*n)
		for i := range n {
			w := i / 32 * 32
			warpSum := float32(32*w + 31*32/2)
			down := float32(i + 1)
			if i%32 == 31 {
				down = float32(i)
			}
			want := [4]float32{warpSum, down, float32(n * (n - 1) / 2), float32(n - 1)}
			for k, wv := range want {
				if got[k*n+i] != wv {
					t.Errorf("block %d: output %d of thread %d = %v, want %v", n, k, i, got[k*n+i], wv)
				}
			}
		}
	}
}

func TestEmuAtomic(t *testing.T) {
	d := newEmu(t)
	y := emuBuf(t, d, []float32{0})
	if err := d.launch("test_atomic", dim3{3, 2, 1}, dim3{64, 1, 1}, 0, []uint64{argPtr(y)}); err != nil {
		t.Fatal(err)
	}
	if got := emuRead(t, d, y, 1)[0]; got != 3*2*64 {
		t.Errorf("atomicAdd from 384 threads: %v", got)
	}
}

// TestEmuMissingSync shows that a missing __syncthreads changes the result:
// the shared array is poisoned with NaN and the first thread runs ahead.
func TestEmuMissingSync(t *testing.T) {
	d := newEmu(t)
	x := make([]float32, 100)
	var want float32
	for i := range x {
		x[i] = float32(i%7) - 2
		want += x[i]
	}
	xp, y := emuBuf(t, d, x), emuBuf(t, d, []float32{0})
	for _, skip := range []bool{false, true} {
		if err := d.launch("test_tree_sum", dim3{1, 1, 1}, dim3{128, 1, 1}, 4*128,
			[]uint64{argPtr(xp), argPtr(y), argInt(len(x)), argBool(skip)}); err != nil {
			t.Fatal(err)
		}
		got := emuRead(t, d, y, 1)[0]
		switch {
		case !skip && got != want:
			t.Errorf("tree sum with all barriers: %v, want %v", got, want)
		case skip && got == want:
			t.Errorf("tree sum without its first barrier gave the right sum %v: the missing barrier went unnoticed", got)
		case skip:
			t.Logf("tree sum without its first barrier: %v (want %v): caught", got, want)
		}
	}
}

func TestEmuOutOfBounds(t *testing.T) {
	d := newEmu(t)
	const n = 100
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i)
	}
	xp, y := emuBuf(t, d, x), emuBuf(t, d, make([]float32, n))
	args := func(off bool) []uint64 { return []uint64{argPtr(xp), argPtr(y), argInt(n), argBool(off)} }
	if err := d.launch("test_double", dim3{2, 1, 1}, dim3{64, 1, 1}, 0, args(false)); err != nil {
		t.Fatal(err)
	}
	got := emuRead(t, d, y, n)
	for i, v := range got {
		if v != 2*x[i] {
			t.Fatalf("y[%d] = %v, want %v", i, v, 2*x[i])
		}
	}
	wantLaunchError(t, d, "out-of-bounds write", "test_double", dim3{2, 1, 1}, dim3{64, 1, 1}, 0, args(true)...)
	// The canaries are restored: the next correct launch passes.
	if err := d.launch("test_double", dim3{2, 1, 1}, dim3{64, 1, 1}, 0, args(false)); err != nil {
		t.Fatal(err)
	}
}

func TestEmuDivergence(t *testing.T) {
	d := newEmu(t)
	y := emuBuf(t, d, make([]float32, 64))
	wantLaunchError(t, d, "divergent barrier", "test_divergent_sync", dim3{1, 1, 1}, dim3{64, 1, 1}, 0, argPtr(y))
	wantLaunchError(t, d, "divergent barrier", "test_early_return", dim3{1, 1, 1}, dim3{64, 1, 1}, 0, argPtr(y), argInt(40))
	// All threads returning before the barrier, or none, is fine.
	for _, n := range []int{0, 64} {
		if err := d.launch("test_early_return", dim3{1, 1, 1}, dim3{64, 1, 1}, 0, []uint64{argPtr(y), argInt(n)}); err != nil {
			t.Errorf("n=%d: %v", n, err)
		}
	}
	wantLaunchError(t, d, "deadlock", "test_deadlock", dim3{1, 1, 1}, dim3{32, 1, 1}, 0, argPtr(y))
	// After all that the emulator still works.
	if err := d.launch("test_divergent_sync", dim3{1, 1, 1}, dim3{32, 1, 1}, 0, []uint64{argPtr(y)}); err != nil {
		t.Errorf("a block of one warp, all at the first barrier: %v", err)
	}
}

func TestEmuLaunchChecks(t *testing.T) {
	d := newEmu(t)
	y := emuBuf(t, d, make([]float32, 64))
	wantLaunchError(t, d, "no kernel", "no_such_kernel", dim3{1, 1, 1}, dim3{1, 1, 1}, 0)
	wantLaunchError(t, d, "takes 1 arguments", "test_atomic", dim3{1, 1, 1}, dim3{1, 1, 1}, 0)
	wantLaunchError(t, d, "invalid block", "test_atomic", dim3{1, 1, 1}, dim3{2048, 1, 1}, 0, argPtr(y))
	wantLaunchError(t, d, "shared memory", "test_atomic", dim3{1, 1, 1}, dim3{1, 1, 1}, 64<<10, argPtr(y))
	wantLaunchError(t, d, "not device memory", "test_atomic", dim3{1, 1, 1}, dim3{1, 1, 1}, 0, argPtr(12345))
}

func TestEmuWatchdog(t *testing.T) {
	d := newEmu(t)
	emuSetWatchdog(300 * time.Millisecond)
	defer emuSetWatchdog(time.Minute)
	flag := emuBuf(t, d, []float32{0})
	wantLaunchError(t, d, "watchdog", "test_spin", dim3{1, 1, 1}, dim3{32, 1, 1}, 0, argPtr(flag))
	// Let the stuck thread go, and wait for the abandoned threads to end.
	if err := d.copyHtoD(flag, unsafe.Pointer(&[]float32{1}[0]), 4); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for emuRunaways() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := emuRunaways(); n > 0 {
		t.Errorf("%d threads of the abandoned launch still run", n)
	}
	// A new launch gets new threads.
	if err := d.launch("test_spin", dim3{1, 1, 1}, dim3{32, 1, 1}, 0, []uint64{argPtr(flag)}); err != nil {
		t.Error(err)
	}
}
