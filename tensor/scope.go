package tensor

import (
	"sync"

	"github.com/semgan/semgan/kernels"
)

// A Scope frees, when it is closed, every tensor allocated while it was
// open and not kept. A training step opens one, keeps what outlives the
// step (parameters, gradients, optimiser state) and closes it, so that the
// activations of the step go back to the device's allocation cache at once instead of
// waiting for the garbage collector; on a GPU, whose memory the collector
// does not see, that is what keeps memory flat from step to step.
//
// Scopes nest; a tensor kept by an inner scope belongs to the outer one.
// The scope records tensors from every goroutine, so open one only where a
// single goroutine creates tensors. A freed tensor that is used again makes
// its backend panic ("buffer used after Free"): keeping too little fails
// loudly.
type Scope struct {
	parent  *Scope
	tensors []*Tensor
	keep    map[kernels.Buffer]bool
	closed  bool
}

var (
	scopeMu sync.Mutex
	scope   *Scope // the innermost open scope, nil for none
)

// OpenScope opens a scope inside the current one.
func OpenScope() *Scope {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	scope = &Scope{parent: scope, keep: map[kernels.Buffer]bool{}}
	return scope
}

// Keep marks ts (nil entries allowed) to survive Close. Keeping a view
// keeps the storage it shares.
func (s *Scope) Keep(ts ...*Tensor) {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	for _, t := range ts {
		if t != nil && t.buf != nil {
			s.keep[t.buf] = true
		}
	}
}

// Close frees every tensor allocated in s and not kept, and hands the kept
// ones to the enclosing scope. It panics if an inner scope is still open.
// Closing a closed scope does nothing.
func (s *Scope) Close() {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	if s.closed {
		return
	}
	if scope != s {
		panic("tensor: Scope.Close: an inner scope is still open")
	}
	for _, t := range s.tensors {
		switch {
		case t.buf == nil: // freed already
		case s.keep[t.buf]:
			if s.parent != nil {
				s.parent.tensors = append(s.parent.tensors, t)
			}
		default:
			t.Free()
		}
	}
	s.tensors, s.closed, scope = nil, true, s.parent
}

// track records t in the innermost open scope.
func track(t *Tensor) {
	scopeMu.Lock()
	if scope != nil {
		scope.tensors = append(scope.tensors, t)
	}
	scopeMu.Unlock()
}
