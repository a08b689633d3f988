package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Goroutines that wait for work by spinning. A parallel section of a small
// layer lasts tens of microseconds, about as long as it takes the
// operating system to wake a parked thread on another core (longer in a
// virtual machine), so a new goroutine per chunk (go func) often started
// only when the section was half over, and the caller then slept until
// woken in turn: the quick demo's convolutions took as long on two cores
// as on one. Helpers here stay on their core for a while after each chunk,
// watching for the next one, and park only when none comes; callers watch
// for their helpers' chunks to finish the same way.

// spinFor is how long a helper, or a caller waiting for its helpers,
// spins before it parks.
const spinFor = 200 * time.Microsecond

// section is a parallel section whose chunks other goroutines run.
type section struct {
	fn        func(chunk, lo, hi int)
	remaining atomic.Int32   // chunks not yet finished, for spinning callers
	wg        sync.WaitGroup // the same, for callers that stopped spinning
}

// chunkTask is one chunk of a section.
type chunkTask struct {
	*section
	chunk, lo, hi int
}

// run runs the chunk and reports it finished.
func (t *chunkTask) run() {
	t.fn(t.chunk, t.lo, t.hi)
	t.remaining.Add(-1)
	t.wg.Done()
}

// helper is a goroutine that runs chunks handed to it.
type helper struct {
	claimed atomic.Bool // a section has taken it (until its chunk is done)
	task    atomic.Pointer[chunkTask]
	parked  atomic.Bool
	wake    chan struct{} // one token: the task was set while it parked
}

// helpers are the spinning goroutines, at most GOMAXPROCS-1, started as
// sections first ask for them.
var helpers struct {
	sync.Mutex
	all atomic.Pointer[[]*helper]
}

// claimHelpers returns up to n idle helpers, each claimed for one chunk,
// starting helpers up to GOMAXPROCS-1 if there are not enough.
func claimHelpers(n int, out []*helper) []*helper {
	out = out[:0]
	if all := helpers.all.Load(); all != nil {
		for _, h := range *all {
			if len(out) == n {
				return out
			}
			if h.claimed.CompareAndSwap(false, true) {
				out = append(out, h)
			}
		}
	}
	if len(out) == n {
		return out
	}
	helpers.Lock()
	defer helpers.Unlock()
	var all []*helper
	if p := helpers.all.Load(); p != nil {
		all = *p
	}
	for len(out) < n && len(all) < runtime.GOMAXPROCS(0)-1 {
		h := &helper{wake: make(chan struct{}, 1)}
		h.claimed.Store(true)
		go h.run()
		all = append(all[:len(all):len(all)], h)
		out = append(out, h)
	}
	helpers.all.Store(&all)
	return out
}

// give hands a claimed helper its chunk.
func (h *helper) give(t *chunkTask) {
	h.task.Store(t)
	if h.parked.Load() {
		select {
		case h.wake <- struct{}{}:
		default: // a token is there already
		}
	}
}

// run is the helper's loop: wait for a chunk, run it, report it done.
func (h *helper) run() {
	for {
		t := h.next()
		t.fn(t.chunk, t.lo, t.hi)
		// Free for the next section before this one hears of the chunk:
		// a caller that starts its next section at once finds it idle.
		h.claimed.Store(false)
		t.remaining.Add(-1)
		t.wg.Done()
	}
}

// next waits for the helper's next chunk: spinning for spinFor, then
// parked until give wakes it.
func (h *helper) next() *chunkTask {
	for {
		if spinUntil(func() bool { return h.task.Load() != nil }) {
			return h.task.Swap(nil)
		}
		// Parked is set before the last look at the task, and give sets
		// the task before it looks at parked: one of the two sees the
		// other. A token left from a wake-up that was not needed only
		// sends the helper round the loop once more.
		h.parked.Store(true)
		if t := h.task.Swap(nil); t != nil {
			h.parked.Store(false)
			return t
		}
		<-h.wake
		h.parked.Store(false)
	}
}

// spinUntil calls done until it returns true or spinFor has passed,
// yielding the processor between calls; it returns done's last answer.
func spinUntil(done func() bool) bool {
	start := time.Now()
	for i := 0; ; i++ {
		if done() {
			return true
		}
		if i%64 == 63 && time.Since(start) > spinFor {
			return false
		}
		runtime.Gosched()
	}
}
