package tensor

import (
	"sync"

	"github.com/semgan/semgan/kernels"
	_ "github.com/semgan/semgan/kernels/cpu" // the reference backend is always present
)

var defaultDevice struct {
	sync.Mutex
	dev kernels.Backend
}

// Default returns the device that Zeros, Full, FromSlice and the random
// constructors allocate on: the CPU unless SetDefault changed it.
func Default() kernels.Backend {
	defaultDevice.Lock()
	defer defaultDevice.Unlock()
	if defaultDevice.dev == nil {
		dev, err := kernels.Open("cpu")
		if err != nil {
			panic("tensor: the cpu backend failed to open: " + err.Error())
		}
		defaultDevice.dev = dev
	}
	return defaultDevice.dev
}

// SetDefault makes dev the default device.
func SetDefault(dev kernels.Backend) {
	defaultDevice.Lock()
	defer defaultDevice.Unlock()
	defaultDevice.dev = dev
}

// Open returns the backend registered under name ("cpu", "cuda").
func Open(name string) (kernels.Backend, error) { return kernels.Open(name) }
