package cpu

import (
	"runtime"
	"sync/atomic"
	"testing"

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
