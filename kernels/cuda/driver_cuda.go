//go:build cuda && !cudaemu

package cuda

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"strings"
	"unsafe"

	"github.com/mumax/3/cuda/cu"
)

// ptxFiles holds the kernels compiled by go generate: ptx/<family>_<arch>.ptx
// for arch 70, 80 and 90.
//
//go:embed ptx/*.ptx
var ptxFiles embed.FS

// ptxEntry finds the kernels of a PTX module.
var ptxEntry = regexp.MustCompile(`\.entry\s+(\w+)\s*\(`)

// gpuDriver is the real driver: the CUDA driver API through
// github.com/mumax/3/cuda/cu, on device 0, with the PTX for the device's
// architecture loaded at start. Work goes to the default stream, so it runs
// in order; copies to the host wait for it.
type gpuDriver struct {
	ctx   cu.Context
	desc  string
	funcs map[string]cu.Function
	tc    bool // compute capability 8.0 or newer: tensor-core kernels
}

// newDriver initialises CUDA, creates a context on the device that
// deviceOrdinal chooses (0 for a single process) and loads the kernels. Every failure (no driver, no device, a PTX the driver cannot
// compile) is returned as an error.
func newDriver() (d driver, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("cuda: initialising the device: %v", r)
		}
	}()
	cu.Init(0)
	if cu.DeviceGetCount() < 1 {
		return nil, errors.New("cuda: no CUDA device")
	}
	ordinal, err := deviceOrdinal(cu.DeviceGetCount())
	if err != nil {
		return nil, err
	}
	dev := cu.DeviceGet(ordinal)
	major, minor := dev.ComputeCapability()
	if major < 7 {
		return nil, fmt.Errorf("cuda: %s has compute capability %d.%d; the kernels need 7.0 or newer", dev.Name(), major, minor)
	}
	// compute_90 PTX for Hopper and newer, compute_80 (with the
	// tensor-core kernels) for Ampere and Ada, compute_70 otherwise; the
	// driver compiles it for the device.
	arch := "70"
	switch {
	case major >= 9:
		arch = "90"
	case major >= 8:
		arch = "80"
	}
	g := &gpuDriver{funcs: map[string]cu.Function{}, tc: major >= 8}
	g.ctx = cu.CtxCreate(cu.CTX_SCHED_AUTO, dev)
	g.desc = fmt.Sprintf("device %d: %s (compute capability %d.%d, %d MiB, PTX compute_%s, driver API %d)",
		ordinal, dev.Name(), major, minor, dev.TotalMem()>>20, arch, cu.Version())
	files, err := fs.Glob(ptxFiles, "ptx/*_"+arch+".ptx")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("cuda: no embedded PTX for compute_%s", arch)
	}
	for _, f := range files {
		src, err := ptxFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		mod := cu.ModuleLoadData(string(src))
		for _, m := range ptxEntry.FindAllStringSubmatch(string(src), -1) {
			g.funcs[m[1]] = mod.GetFunction(m[1])
		}
	}
	return g, nil
}

// do runs f with the context current on this OS thread, turning the
// panics of the cu package into errors.
func (g *gpuDriver) do(f func()) (err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	g.ctx.SetCurrent()
	f()
	return nil
}

func (g *gpuDriver) name() string { return g.desc }

func (g *gpuDriver) tensorCores() bool { return g.tc }

func (g *gpuDriver) alloc(bytes int) (p devPtr, err error) {
	err = g.do(func() { p = devPtr(cu.MemAlloc(int64(bytes))) })
	return p, err
}

func (g *gpuDriver) free(p devPtr) error {
	return g.do(func() { cu.MemFree(cu.DevicePtr(p)) })
}

func (g *gpuDriver) copyHtoD(dst devPtr, src unsafe.Pointer, bytes int) error {
	return g.do(func() { cu.MemcpyHtoD(cu.DevicePtr(dst), src, int64(bytes)) })
}

func (g *gpuDriver) copyDtoH(dst unsafe.Pointer, src devPtr, bytes int) error {
	return g.do(func() { cu.MemcpyDtoH(dst, cu.DevicePtr(src), int64(bytes)) })
}

func (g *gpuDriver) copyDtoD(dst, src devPtr, bytes int) error {
	return g.do(func() { cu.MemcpyDtoD(cu.DevicePtr(dst), cu.DevicePtr(src), int64(bytes)) })
}

func (g *gpuDriver) memset32(dst devPtr, v uint32, n int) error {
	return g.do(func() { cu.MemsetD32(cu.DevicePtr(dst), v, int64(n)) })
}

func (g *gpuDriver) launch(kernel string, grid, block dim3, shared int, args []uint64) error {
	f, ok := g.funcs[kernel]
	if !ok {
		return fmt.Errorf("no kernel %s in the PTX (have %s)", kernel, strings.Join(g.kernelNames(), ", "))
	}
	// cu.LaunchKernel copies 8 bytes from behind each pointer into its own
	// slots: the arguments' 8-byte slots.
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	err := g.do(func() {
		cu.LaunchKernel(f, grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, 0, params)
	})
	if err != nil {
		return fmt.Errorf("launching %s: %w", kernel, err)
	}
	return nil
}

func (g *gpuDriver) synchronize() error {
	return g.do(cu.CtxSynchronize)
}

// kernelNames returns the names of the loaded kernels.
func (g *gpuDriver) kernelNames() []string {
	names := make([]string, 0, len(g.funcs))
	for n := range g.funcs {
		names = append(names, n)
	}
	return names
}
