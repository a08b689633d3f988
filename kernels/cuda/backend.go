//go:build cuda || cudaemu

package cuda

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/semgan/semgan/kernels"
)

func init() {
	kernels.Register("cuda", func() (kernels.Backend, error) { return Open() })
}

// Backend is the CUDA implementation of kernels.Backend. Its buffers are
// device memory from a caching allocator; its methods check their arguments
// (panicking on mistakes, as every backend does) and launch kernels. Device
// errors are kept: the first one is returned by Synchronize. A Backend is
// safe for concurrent use; its calls are serialised.
type Backend struct {
	mu  sync.Mutex
	drv driver

	// The caching allocator: freed blocks by size class, reused by Alloc
	// before asking the driver for more.
	cache  map[int][]devPtr
	cached int64 // bytes of blocks in cache

	// MemoryCounter counts the bytes of buffers handed out and not freed,
	// 4 per element (the cache and rounding to size classes are not
	// counted): LiveBytes and PeakLiveBytes.
	kernels.MemoryCounter

	err      error // the first device error since the last Synchronize
	syncEach bool  // synchronise after every launch (SEMGAN_CUDA_SYNC=1)

	// profile, when not nil (SEMGAN_CUDA_PROFILE=1), holds the time and
	// count of every kernel's launches; each launch is then synchronised.
	profile map[string]*KernelTime

	// scalarProducts runs the products of every precision on the scalar
	// kernels, which round the operands themselves, as on a device without
	// tensor cores (for tests).
	scalarProducts bool
}

// KernelTime is what the profile holds for one kernel: its launches and
// their total wall time on the host, each from just before the launch to
// the end of the kernel (the GPU idle in between, so a kernel's time
// includes its launch latency of some microseconds).
type KernelTime struct {
	Kernel   string
	Launches int
	Total    time.Duration
}

// Open starts the driver (the GPU under tag cuda, the emulator under tag
// cudaemu) and returns a new backend on it. It returns an error if there is
// no usable device or driver. Most code should use kernels.Open("cuda"),
// which keeps one backend for the program.
//
// With the environment variable SEMGAN_CUDA_SYNC=1 the backend waits for
// every kernel to finish, so that a device error names the kernel that
// caused it. With SEMGAN_CUDA_PROFILE=1 it also times every kernel (see
// Profile).
func Open() (*Backend, error) {
	d, err := newDriver()
	if err != nil {
		return nil, err
	}
	be := &Backend{drv: d, cache: map[int][]devPtr{}, syncEach: os.Getenv("SEMGAN_CUDA_SYNC") == "1"}
	if os.Getenv("SEMGAN_CUDA_PROFILE") == "1" {
		be.profile = map[string]*KernelTime{}
	}
	return be, nil
}

// Profile returns the kernel times gathered since the last ResetProfile,
// the longest total first, or nil if the backend was not opened with
// SEMGAN_CUDA_PROFILE=1.
func (be *Backend) Profile() []KernelTime {
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.profile == nil {
		return nil
	}
	var out []KernelTime
	for _, k := range be.profile {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b KernelTime) int { return cmp.Compare(b.Total, a.Total) })
	return out
}

// ResetProfile forgets the kernel times gathered so far.
func (be *Backend) ResetProfile() {
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.profile != nil {
		clear(be.profile)
	}
}

// Device describes the driver and the device the backend runs on.
func (be *Backend) Device() string { return be.drv.name() }

// DefaultPrecision is the precision of products when the caller sets none
// (tensor.SetPrecision): TF32 on a device with tensor cores, as PyTorch
// runs CUDA convolutions, exact FP32 on older ones.
func (be *Backend) DefaultPrecision() kernels.Precision {
	if be.drv.tensorCores() {
		return kernels.TF32
	}
	return kernels.FP32
}

// tensorCoreKernels reports whether the products of precision prec run on
// the tensor-core kernels: TF32 and BF16 on a device with tensor cores.
// Every other product runs on the scalar kernels.
func (be *Backend) tensorCoreKernels(prec kernels.Precision) bool {
	return prec != kernels.FP32 && be.drv.tensorCores() && !be.scalarProducts
}

// buffer is the backend's kernels.Buffer: n float32 in device memory.
type buffer struct {
	be    *Backend
	ptr   devPtr // 0 for an empty buffer
	n     int
	class int // size class in bytes, the key of the cache
	freed bool
}

// Len returns the number of elements of the buffer.
func (b *buffer) Len() int { return b.n }

// sizeClass rounds a request up so that blocks of nearby sizes are shared:
// to 256 bytes (the device's allocation alignment) up to 64 KiB, then to
// 1/16 of the next power of two, which wastes at most about 6%.
func sizeClass(bytes int) int {
	if bytes <= 64<<10 {
		return (bytes + 255) &^ 255
	}
	step := 1
	for step*16 < bytes {
		step *= 2
	}
	return (bytes + step - 1) / step * step
}

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Alloc returns a zero-filled buffer of n elements. It panics if n < 0 or
// if the device is out of memory even after the cache is released.
func (be *Backend) Alloc(n int) kernels.Buffer {
	if n < 0 {
		panic(fmt.Sprintf("cuda: Alloc: negative length %d", n))
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	b := be.allocLocked(n)
	if n > 0 {
		be.check("Alloc", be.drv.memset32(b.ptr, 0, n))
	}
	return b
}

// allocLocked returns an uninitialised buffer of n elements; be.mu is held.
func (be *Backend) allocLocked(n int) *buffer {
	b := &buffer{be: be, n: n}
	if n == 0 {
		return b
	}
	b.class = sizeClass(4 * n)
	if free := be.cache[b.class]; len(free) > 0 {
		b.ptr = free[len(free)-1]
		be.cache[b.class] = free[:len(free)-1]
		be.cached -= int64(b.class)
	} else {
		p, err := be.drv.alloc(b.class)
		if err != nil {
			// Out of memory, perhaps because of the cache: give it back
			// and try once more.
			be.releaseLocked()
			if p, err = be.drv.alloc(b.class); err != nil {
				panic(fmt.Sprintf("cuda: Alloc: %d elements: %v", n, err))
			}
		}
		b.ptr = p
	}
	be.MemoryCounter.Alloc(int64(4 * n))
	return b
}

// Free returns b to the cache; b must not be used afterwards. Freeing nil is
// a no-op; freeing a buffer twice, or one from another backend, panics.
func (be *Backend) Free(b kernels.Buffer) {
	if b == nil {
		return
	}
	cb := be.unwrap("Free", b)
	be.mu.Lock()
	defer be.mu.Unlock()
	be.freeLocked(cb)
}

// freeLocked returns b to the cache; be.mu is held.
func (be *Backend) freeLocked(b *buffer) {
	b.freed = true
	if b.n == 0 {
		return
	}
	be.MemoryCounter.Free(int64(4 * b.n))
	be.cache[b.class] = append(be.cache[b.class], b.ptr)
	be.cached += int64(b.class)
	b.ptr = 0
}

// Release gives the blocks cached by the allocator back to the device. It
// does not affect live buffers.
func (be *Backend) Release() {
	be.mu.Lock()
	defer be.mu.Unlock()
	be.releaseLocked()
}

func (be *Backend) releaseLocked() {
	for class, free := range be.cache {
		for _, p := range free {
			be.check("Release", be.drv.free(p))
		}
		delete(be.cache, class)
	}
	be.cached = 0
}

// CachedBytes returns the bytes of device memory held by the allocator's
// cache: freed, and not yet given back.
func (be *Backend) CachedBytes() int64 {
	be.mu.Lock()
	defer be.mu.Unlock()
	return be.cached
}

// unwrap returns the device buffer of b, nil for nil, and panics naming
// method if b is from another backend or was freed.
func (be *Backend) unwrap(method string, b kernels.Buffer) *buffer {
	if b == nil {
		return nil
	}
	cb, ok := b.(*buffer)
	if !ok || cb.be != be {
		panic(fmt.Sprintf("cuda: %s: buffer from another backend (%T)", method, b))
	}
	if cb.freed {
		panic(fmt.Sprintf("cuda: %s: buffer used after Free", method))
	}
	return cb
}

// ptr returns the device address of b, 0 for nil.
func ptr(b *buffer) devPtr {
	if b == nil {
		return 0
	}
	return b.ptr
}

// flag returns v as the 0 or 1 of a kernel's int flag.
func flag(v bool) int {
	if v {
		return 1
	}
	return 0
}

// check keeps err, the first device error, for Synchronize.
func (be *Backend) check(method string, err error) {
	if err != nil && be.err == nil {
		be.err = fmt.Errorf("cuda: %s: %w", method, err)
	}
}

// launch runs a kernel for method; be.mu is held. Only the typed
// launchers of launch_gen.go call it, so that the kernel's name and the
// number and types of its arguments are checked by the compiler.
func (be *Backend) launch(method, kernel string, grid, block dim3, shared int, args ...uint64) {
	if be.profile != nil {
		be.check(method, be.drv.synchronize()) // the work queued before is not this kernel's
		start := time.Now()
		defer func() {
			k := be.profile[kernel]
			if k == nil {
				k = &KernelTime{Kernel: kernel}
				be.profile[kernel] = k
			}
			k.Launches++
			k.Total += time.Since(start)
		}()
	}
	be.check(method, be.drv.launch(kernel, grid, block, shared, args))
	if be.syncEach || be.profile != nil {
		be.check(method+" ("+kernel+")", be.drv.synchronize())
	}
}

// Upload copies src into dst. It panics if the lengths differ.
func (be *Backend) Upload(dst kernels.Buffer, src []float32) {
	d := be.unwrap("Upload", dst)
	if d.n != len(src) {
		panic(fmt.Sprintf("cuda: Upload: buffer has %d elements, source %d", d.n, len(src)))
	}
	if d.n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.check("Upload", be.drv.copyHtoD(d.ptr, unsafe.Pointer(unsafe.SliceData(src)), 4*d.n))
}

// Download copies src into dst, after the work queued before it. It panics
// if the lengths differ.
func (be *Backend) Download(dst []float32, src kernels.Buffer) {
	s := be.unwrap("Download", src)
	if s.n != len(dst) {
		panic(fmt.Sprintf("cuda: Download: buffer has %d elements, destination %d", s.n, len(dst)))
	}
	if s.n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.check("Download", be.drv.copyDtoH(unsafe.Pointer(unsafe.SliceData(dst)), s.ptr, 4*s.n))
}

// Copy copies src into dst. It panics if the lengths differ.
func (be *Backend) Copy(dst, src kernels.Buffer) {
	d, s := be.unwrap("Copy", dst), be.unwrap("Copy", src)
	if d.n != s.n {
		panic(fmt.Sprintf("cuda: Copy: dst has %d elements, src %d", d.n, s.n))
	}
	if d.n == 0 || d.ptr == s.ptr {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.check("Copy", be.drv.copyDtoD(d.ptr, s.ptr, 4*d.n))
}

// Fill sets every element of dst to v.
func (be *Backend) Fill(dst kernels.Buffer, v float32) {
	d := be.unwrap("Fill", dst)
	if d.n == 0 {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	be.check("Fill", be.drv.memset32(d.ptr, f32bits(v), d.n))
}

// Synchronize waits for all queued work and returns the first device error
// since the last call (launch failures, faults, the emulator's checks), or
// nil.
func (be *Backend) Synchronize() error {
	be.mu.Lock()
	defer be.mu.Unlock()
	be.check("Synchronize", be.drv.synchronize())
	err := be.err
	be.err = nil
	return err
}

var _ kernels.Backend = (*Backend)(nil)

// Launch shapes shared by the kernel families.
const (
	// threads is the block size of the 1-D kernels: a multiple of 32 and
	// small enough for the emulator.
	threads = 256
	// maxBlocks bounds the grid of grid-stride loops: 1024 blocks of 256
	// threads fill a large GPU, and fewer blocks mean fewer emulated threads.
	maxBlocks = 1024
)

// blocksFor returns the grid for a grid-stride loop over n elements.
func blocksFor(n int) dim3 {
	return dim3{max(1, min((n+threads-1)/threads, maxBlocks)), 1, 1}
}

// block1 returns the 1-D block for n work items (elements of a grid-stride
// loop, or of a row that a block reduces): 256 threads, fewer for small n,
// always a whole number of warps (the block reductions need that). Small
// blocks waste fewer threads on a GPU and save the emulator much work.
func block1(n int) dim3 {
	return dim3{min(threads, max(32, (n+31)/32*32)), 1, 1}
}
