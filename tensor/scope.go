package tensor

import (
	"sync"
	"sync/atomic"

	"github.com/semgan/semgan/kernels"
)

// A Scope owns the tensors allocated while it is the innermost open scope.
// Its owner decides what outlives it: Close frees every tensor it owns
// except the kept ones, which pass to the enclosing scope. This is the one
// ownership rule for memory above the kernels: the intermediates of a
// training step belong to its graph and to the scope the step opens; those
// of an inference belong to the scopes of the chains that compute them
// (nn.Sequential opens one), and layer code frees nothing itself. On a GPU,
// whose memory the garbage collector does not see, that is what keeps
// memory flat from step to step; on the CPU it gives storage back to the
// allocation cache at once.
//
// Scopes nest; a tensor kept by an inner scope belongs to the outer one.
// The innermost scope records tensors from every goroutine, so open one only
// where a single goroutine creates tensors. A freed tensor that is used
// again makes its backend panic ("buffer used after Free"): keeping too
// little fails loudly.
//
// Recording costs one atomic load per allocation, and with a scope open an
// uncontended lock of that scope alone.
type Scope struct {
	parent *Scope

	mu      sync.Mutex
	tensors []*Tensor // owned, freed by Close or Trim unless kept
	kept    []*Tensor // owned, passed to the parent by Close
	keep    map[kernels.Buffer]bool
	closed  bool
}

var (
	scopeMu sync.Mutex            // serialises opening and closing
	scope   atomic.Pointer[Scope] // the innermost open scope, nil for none
)

// OpenScope opens a scope inside the current one.
func OpenScope() *Scope {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	s := &Scope{parent: scope.Load(), keep: map[kernels.Buffer]bool{}}
	scope.Store(s)
	return s
}

// Keep marks ts (nil entries allowed) to survive Close and Trim. Keeping a
// view keeps the storage it shares.
func (s *Scope) Keep(ts ...*Tensor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		if t != nil && t.buf != nil {
			s.keep[t.buf] = true
		}
	}
}

// KeepAll marks every tensor s owns now to survive Close and Trim: what a
// recorded graph needs passes to the enclosing scope.
func (s *Scope) KeepAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = append(s.kept, s.tensors...)
	s.tensors = s.tensors[:0]
}

// Trim frees now every tensor s owns except the kept ones and keep (whose
// storage it keeps, as Keep does, until the next Trim or Close), and leaves
// s open: a chain of steps trims after each one to hold only the last
// result.
func (s *Scope) Trim(keep ...*Tensor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	also := map[kernels.Buffer]bool{}
	for _, t := range keep {
		if t != nil && t.buf != nil {
			also[t.buf] = true
		}
	}
	n := 0
	for _, t := range s.tensors {
		switch {
		case t.buf == nil: // freed already
		case s.keep[t.buf] || also[t.buf]:
			s.tensors[n] = t
			n++
		default:
			t.Free()
		}
	}
	clear(s.tensors[n:])
	s.tensors = s.tensors[:n]
}

// Close frees every tensor s owns and does not keep, and hands the kept
// ones to the enclosing scope. It panics if an inner scope is still open.
// Closing a closed scope does nothing.
func (s *Scope) Close() {
	scopeMu.Lock()
	defer scopeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if scope.Load() != s {
		panic("tensor: Scope.Close: an inner scope is still open")
	}
	var pass []*Tensor
	for _, t := range s.kept {
		if t.buf != nil {
			pass = append(pass, t)
		}
	}
	for _, t := range s.tensors {
		switch {
		case t.buf == nil: // freed already
		case s.keep[t.buf]:
			pass = append(pass, t)
		default:
			t.Free()
		}
	}
	if p := s.parent; p != nil && len(pass) > 0 {
		p.mu.Lock()
		p.tensors = append(p.tensors, pass...)
		p.mu.Unlock()
	}
	s.tensors, s.kept, s.closed = nil, nil, true
	scope.Store(s.parent)
}

// track records t in the innermost open scope.
func track(t *Tensor) {
	s := scope.Load()
	if s == nil {
		return
	}
	s.mu.Lock()
	s.tensors = append(s.tensors, t)
	s.mu.Unlock()
}
