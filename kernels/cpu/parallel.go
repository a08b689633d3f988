package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// workers returns how many chunks of at least minChunk items [0, n) can be
// split into, at most runtime.GOMAXPROCS(0).
func workers(n, minChunk int) int {
	if minChunk < 1 {
		minChunk = 1
	}
	w := min(runtime.GOMAXPROCS(0), n/minChunk)
	return max(w, 1)
}

// parallelFor splits [0, n) into contiguous chunks of at least minChunk
// items, one per goroutine up to runtime.GOMAXPROCS(0), and calls fn on each.
// It returns when every call has returned. With one chunk fn runs inline.
func parallelFor(n, minChunk int, fn func(lo, hi int)) {
	parallelChunks(n, workers(n, minChunk), func(_, lo, hi int) { fn(lo, hi) })
}

// parallelChunks splits [0, n) into exactly chunks contiguous, near-equal
// ranges (chunks is clamped to [1, n]) and calls fn(chunk, lo, hi) for each,
// chunk 0 on the calling goroutine, the others on spinning helpers
// (spin.go) or, where none is free, on goroutines of their own; it
// returns when all have returned. Callers that keep per-chunk scratch or
// partial sums index them by chunk.
func parallelChunks(n, chunks int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks = max(min(chunks, n), 1)
	if chunks == 1 {
		fn(0, 0, n)
		return
	}
	var buf [8]*helper
	hs := claimHelpers(chunks-1, buf[:])
	sec := &section{fn: fn}
	sec.wg.Add(chunks - 1)
	sec.remaining.Store(int32(chunks - 1))
	for c := 1; c < chunks; c++ {
		t := &chunkTask{section: sec, chunk: c, lo: c * n / chunks, hi: (c + 1) * n / chunks}
		if c <= len(hs) {
			hs[c-1].give(t)
		} else {
			go t.run() // no helper free: a goroutine of its own
		}
	}
	fn(0, 0, n/chunks)
	if !spinUntil(func() bool { return sec.remaining.Load() == 0 }) {
		sec.wg.Wait()
	}
}

// parallelEach calls fn(i) for every i in [0, n) on up to w goroutines
// (the calling one among them), each taking the next i as soon as it is
// done with its last: for items of uneven cost, which fixed ranges would
// leave some goroutines idle.
func parallelEach(n, w int, fn func(i int)) {
	var next atomic.Int64
	parallelChunks(min(n, w), w, func(_, _, _ int) {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			fn(i)
		}
	})
}

// addPartials adds part(&parts[c]) into dst for every c >= 1, in order of c:
// the partial sums that goroutines 1, 2, ... kept while goroutine 0
// accumulated straight into dst. The additions are spread over goroutines by
// ranges of dst.
func addPartials[T any](dst []float32, parts []T, part func(*T) []float32) {
	if len(parts) < 2 {
		return
	}
	parallelFor(len(dst), 1<<14, func(lo, hi int) {
		for c := 1; c < len(parts); c++ {
			axpy(dst[lo:hi], 1, part(&parts[c])[lo:hi])
		}
	})
}

// scratch recycles the per-goroutine scratch buffers of the kernels
// (column blocks, score blocks, packed panels), so that a training loop
// does not allocate megabytes per call. Unlike a sync.Pool it survives
// garbage collections; it holds at most scratchKeep buffers.
var scratch struct {
	sync.Mutex
	free []*[]float32
}

const scratchKeep = 16

// getScratch returns a buffer of n elements with arbitrary contents; give it
// back with putScratch. It takes the smallest free buffer that is large
// enough.
func getScratch(n int) *[]float32 {
	scratch.Lock()
	best := -1
	for i, s := range scratch.free {
		if cap(*s) >= n && (best < 0 || cap(*s) < cap(*scratch.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		s := scratch.free[best]
		scratch.free = append(scratch.free[:best], scratch.free[best+1:]...)
		scratch.Unlock()
		*s = (*s)[:n]
		return s
	}
	scratch.Unlock()
	s := make([]float32, n)
	return &s
}

// putScratch returns a buffer from getScratch. When the list is full the
// smallest buffer is dropped.
func putScratch(s *[]float32) {
	scratch.Lock()
	defer scratch.Unlock()
	if len(scratch.free) < scratchKeep {
		scratch.free = append(scratch.free, s)
		return
	}
	small := 0
	for i, f := range scratch.free {
		if cap(*f) < cap(*scratch.free[small]) {
			small = i
		}
	}
	if cap(*s) > cap(*scratch.free[small]) {
		scratch.free[small] = s
	}
}
