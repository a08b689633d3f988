//go:build cudaemu

package cuda

// #cgo CXXFLAGS: -std=c++20 -O2 -DSEMGAN_EMU -Wall -Wno-unused-function
// #cgo LDFLAGS: -lstdc++ -lpthread
// #include <stdlib.h>
// #include "emu_api.h"
import "C"

import (
	"embed"
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// emuSources makes the go command rebuild the emulator when a kernel
// changes: the C++ compiler includes these files, but the go command only
// tracks the package's own .h and .cc files, and embedded files count.
//
//go:embed *.cu *.cuh *.inc testdata/*.cu
var emuSources embed.FS

// emuDriver is the cudaemu driver: device memory is host memory between
// canaries, and a launch runs the kernel, compiled as C++, to completion
// before it returns (see emu.h).
type emuDriver struct{}

// newDriver returns the emulator; it cannot fail.
func newDriver() (driver, error) {
	_ = emuSources
	return emuDriver{}, nil
}

// errBuf is the size of the emulator's error messages.
const errBuf = 1024

// emuCall calls f with a message buffer and turns a failure into an error.
func emuCall(f func(err *C.char, n C.int) C.int) error {
	buf := (*C.char)(C.malloc(errBuf))
	defer C.free(unsafe.Pointer(buf))
	if f(buf, errBuf) != 0 {
		return errors.New("cudaemu: " + C.GoString(buf))
	}
	return nil
}

func (emuDriver) name() string { return "cudaemu (CPU emulator)" }

// tensorCores is true: emu.h implements mma.sync, ldmatrix and cp.async.
func (emuDriver) tensorCores() bool { return true }

func (emuDriver) alloc(bytes int) (devPtr, error) {
	p := C.semgan_emu_alloc(C.size_t(bytes))
	if p == 0 {
		return 0, fmt.Errorf("cudaemu: out of memory allocating %d bytes", bytes)
	}
	return devPtr(p), nil
}

func (emuDriver) free(p devPtr) error {
	return emuCall(func(e *C.char, n C.int) C.int { return C.semgan_emu_free(C.uintptr_t(p), e, n) })
}

func (emuDriver) copyHtoD(dst devPtr, src unsafe.Pointer, bytes int) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.semgan_emu_htod(C.uintptr_t(dst), src, C.size_t(bytes), e, n)
	})
}

func (emuDriver) copyDtoH(dst unsafe.Pointer, src devPtr, bytes int) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.semgan_emu_dtoh(dst, C.uintptr_t(src), C.size_t(bytes), e, n)
	})
}

func (emuDriver) copyDtoD(dst, src devPtr, bytes int) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.semgan_emu_dtod(C.uintptr_t(dst), C.uintptr_t(src), C.size_t(bytes), e, n)
	})
}

func (emuDriver) memset32(dst devPtr, v uint32, count int) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.semgan_emu_memset32(C.uintptr_t(dst), C.uint32_t(v), C.size_t(count), e, n)
	})
}

func (emuDriver) launch(kernel string, grid, block dim3, shared int, args []uint64) error {
	cname := C.CString(kernel)
	defer C.free(unsafe.Pointer(cname))
	// The dimensions and the argument slots go in C memory: the emulator
	// reads them while Go code may run.
	dims := (*[6]C.uint)(C.malloc(6 * C.sizeof_uint))
	defer C.free(unsafe.Pointer(dims))
	*dims = [6]C.uint{C.uint(grid.x), C.uint(grid.y), C.uint(grid.z), C.uint(block.x), C.uint(block.y), C.uint(block.z)}
	slots := (*C.uint64_t)(C.malloc(C.size_t(8 * max(len(args), 1))))
	defer C.free(unsafe.Pointer(slots))
	copy(unsafe.Slice(slots, len(args)), unsafe.Slice((*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(args))), len(args)))
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.semgan_emu_launch(cname, &dims[0], &dims[3], C.uint(shared), slots, C.int(len(args)), e, n)
	})
}

func (emuDriver) synchronize() error { return nil }

// emuSetWatchdog sets how long one block may run before a launch is
// aborted, and returns the previous setting. For tests.
func emuSetWatchdog(d time.Duration) {
	C.semgan_emu_set_watchdog_ms(C.int(d.Milliseconds()))
}

// emuRunaways returns how many threads of launches abandoned by the watchdog
// are still running. For tests.
func emuRunaways() int { return int(C.semgan_emu_runaways()) }

// emuKernels returns the names of the kernels compiled into the emulator.
func emuKernels() []string {
	names := make([]string, int(C.semgan_emu_kernel_total()))
	for i := range names {
		names[i] = C.GoString(C.semgan_emu_kernel_name(C.int(i)))
	}
	return names
}
