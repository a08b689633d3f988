package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParallelFor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000} {
		for _, minChunk := range []int{0, 1, 3, 100} {
			hits := make([]atomic.Int32, n)
			var calls atomic.Int32
			parallelFor(n, minChunk, func(lo, hi int) {
				calls.Add(1)
				require.LessOrEqual(t, 0, lo)
				require.Less(t, lo, hi)
				require.LessOrEqual(t, hi, n)
				if calls.Load() > 1 && minChunk > 1 {
					require.GreaterOrEqual(t, hi-lo, minChunk/2, "chunks near minChunk")
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				require.Equal(t, int32(1), hits[i].Load(), "n=%d minChunk=%d index %d", n, minChunk, i)
			}
			require.LessOrEqual(t, int(calls.Load()), 4)
		}
	}
}

func TestParallelChunks(t *testing.T) {
	seen := make([]atomic.Int32, 5)
	covered := make([]atomic.Int32, 23)
	parallelChunks(23, 5, func(chunk, lo, hi int) {
		seen[chunk].Add(1)
		for i := lo; i < hi; i++ {
			covered[i].Add(1)
		}
	})
	for c := range seen {
		require.Equal(t, int32(1), seen[c].Load(), "chunk %d", c)
	}
	for i := range covered {
		require.Equal(t, int32(1), covered[i].Load(), "index %d", i)
	}
	// More chunks than items: one item each.
	var calls atomic.Int32
	parallelChunks(2, 8, func(chunk, lo, hi int) {
		calls.Add(1)
		require.Equal(t, 1, hi-lo)
	})
	require.Equal(t, int32(2), calls.Load())
}

func TestAddPartials(t *testing.T) {
	dst := []float32{1, 2, 3}
	parts := [][]float32{{100, 100, 100}, {1, 1, 1}, {2, 2, 2}}
	addPartials(dst, parts, func(s *[]float32) []float32 { return *s })
	require.Equal(t, []float32{4, 5, 6}, dst, "part 0 is dst's own and is not added")
}

// TestParallelChunksHelpers runs sections on the spinning helpers
// (spin.go): while they spin, after they have parked, with more chunks
// than helpers (the rest on goroutines of their own), nested inside each
// other's chunks and from several goroutines at once. Every index must be
// covered once per section, and every section must return.
func TestParallelChunksHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	// cover runs a section over n indices; it may run on any goroutine,
	// so it reports with t.Errorf.
	var cover func(n, chunks int, inner func())
	cover = func(n, chunks int, inner func()) {
		hits := make([]atomic.Int32, n)
		parallelChunks(n, chunks, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
			if inner != nil {
				inner()
			}
		})
		for i := range hits {
			if got := hits[i].Load(); got != 1 {
				t.Errorf("n=%d chunks=%d: index %d covered %d times", n, chunks, i, got)
				return
			}
		}
	}
	within(t, 20*time.Second, func() {
		cover(100, 4, nil) // starts the helpers
		all := helpers.all.Load()
		if all == nil || len(*all) < 3 {
			t.Errorf("want GOMAXPROCS-1 = 3 helpers or more (an earlier test may have run more)")
			return
		}
		// Parked helpers are woken.
		time.Sleep(5 * spinFor)
		for _, h := range *all {
			if !h.parked.Load() {
				t.Errorf("a helper idle for 5*spinFor has not parked")
			}
		}
		cover(100, 4, nil)
		// More chunks than helpers, and sections inside chunks.
		cover(1000, 9, nil)
		cover(64, 4, func() { cover(50, 3, nil) })
		// Several callers at once, each with nested sections.
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for i := range 50 {
					cover(200+i, 2+i%5, func() { cover(30, 2, nil) })
				}
			})
		}
		wg.Wait()
	})
	for _, h := range *helpers.all.Load() {
		require.Eventually(t, func() bool { return !h.claimed.Load() }, time.Second, time.Millisecond,
			"helpers are free again once their sections returned")
	}
}

// within fails the test if f has not returned after d: a section that
// never returns must fail, not hang the test binary.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("did not return within %v", d)
	}
}
