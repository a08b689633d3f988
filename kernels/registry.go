package kernels

import (
	"fmt"
	"sort"
	"sync"
)

var registry = struct {
	sync.Mutex
	open map[string]func() (Backend, error)
	live map[string]Backend
}{open: map[string]func() (Backend, error){}, live: map[string]Backend{}}

// Register makes a backend available under name. open is called once, on the
// first Open of that name. Register panics if name is taken; backends call it
// from init, like database/sql drivers.
func Register(name string, open func() (Backend, error)) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.open[name]; dup {
		panic("kernels: Register called twice for backend " + name)
	}
	registry.open[name] = open
}

// Open returns the backend registered under name, initialising it on first
// use. It returns an error if no such backend is compiled in or if it cannot
// start (no device, no driver).
func Open(name string) (Backend, error) {
	registry.Lock()
	defer registry.Unlock()
	if b, ok := registry.live[name]; ok {
		return b, nil
	}
	open, ok := registry.open[name]
	if !ok {
		return nil, fmt.Errorf("kernels: no backend %q (compiled in: %v)", name, namesLocked())
	}
	b, err := open()
	if err != nil {
		return nil, fmt.Errorf("kernels: opening backend %q: %w", name, err)
	}
	registry.live[name] = b
	return b, nil
}

// Names returns the names of the registered backends, sorted.
func Names() []string {
	registry.Lock()
	defer registry.Unlock()
	return namesLocked()
}

func namesLocked() []string {
	names := make([]string, 0, len(registry.open))
	for n := range registry.open {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
