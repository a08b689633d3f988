//go:build cuda || cudaemu

package cuda

import (
	"math"
	"unsafe"
)

// devPtr is an address in device memory; 0 is the null pointer.
type devPtr uintptr

// dim3 is the shape of a grid of blocks or of a block of threads.
type dim3 struct{ x, y, z int }

// driver is the seam between the backend and a CUDA implementation: memory,
// copies and launching a kernel by name. The real driver (driver_cuda.go)
// queues work on the device; the emulator (driver_emu.go) runs it at once.
// The backend serialises its calls. Sizes are in bytes unless named n.
type driver interface {
	// name describes the driver and its device.
	name() string
	// tensorCores reports whether the device runs the tensor-core kernels
	// of mma.cuh (sm_80 and newer; the emulator does).
	tensorCores() bool
	alloc(bytes int) (devPtr, error)
	free(p devPtr) error
	copyHtoD(dst devPtr, src unsafe.Pointer, bytes int) error
	copyDtoH(dst unsafe.Pointer, src devPtr, bytes int) error
	copyDtoD(dst, src devPtr, bytes int) error
	// memset32 sets n 32-bit words at dst to v.
	memset32(dst devPtr, v uint32, n int) error
	// launch runs kernel over grid blocks of block threads, with shared
	// bytes of dynamic shared memory. args are the kernel's arguments in
	// order, one 8-byte slot each (see argPtr, argInt, argF32).
	launch(kernel string, grid, block dim3, shared int, args []uint64) error
	// synchronize waits for queued work and reports a device error.
	synchronize() error
}

// argPtr is the slot of a pointer argument.
func argPtr(p devPtr) uint64 { return uint64(p) }

// argInt is the slot of an int argument: a 32-bit int in the low half, as
// the driver reads it. It panics if v does not fit in an int32, which would
// mean a tensor too large for the kernels' int indexing.
func argInt(v int) uint64 {
	if v < math.MinInt32 || v > math.MaxInt32 {
		panic("cuda: kernel argument out of int32 range")
	}
	return uint64(uint32(int32(v)))
}

// argBool is the slot of a flag passed as an int (0 or 1).
func argBool(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// argF32 is the slot of a float argument: its bits in the low half.
func argF32(v float32) uint64 { return uint64(math.Float32bits(v)) }

// f32bits returns the bits of v, as memset32 takes them.
func f32bits(v float32) uint32 { return math.Float32bits(v) }

// argI64 is the slot of a long long argument.
func argI64(v int64) uint64 { return uint64(v) }
