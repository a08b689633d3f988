//go:build mpi

package dist

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

// Open MPI's datatypes, operations and communicators are macros over
// global objects, which cgo cannot name: small wrappers do.
static int semgan_allreduce_sum(float *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static int semgan_bcast(float *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_FLOAT, root, MPI_COMM_WORLD);
}
static int semgan_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int semgan_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int semgan_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int semgan_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
// Errors come back as codes instead of aborting the job, so that they can
// be reported with the rank's context.
static int semgan_errors_return(void) {
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int semgan_error_string(int code, char *s, int *n) { return MPI_Error_string(code, s, n); }
static int semgan_max_string(void) { return MPI_MAX_ERROR_STRING; }
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"unsafe"
)

// mpiComm is MPI_COMM_WORLD. MPI is initialised with MPI_THREAD_FUNNELED:
// every call must come from the goroutine that opened it, so that
// goroutine's OS thread is locked (see openMPI).
type mpiComm struct{ rank, size int }

func openMPI() (Comm, bool, error) {
	if !launchedByMPI() {
		return nil, false, nil
	}
	// MPI's thread support level FUNNELED: the calls come from the thread
	// that initialised it. Go moves goroutines between threads, so the
	// calling goroutine stays on this one.
	runtime.LockOSThread()
	var provided C.int
	if rc := C.MPI_Init_thread(nil, nil, C.MPI_THREAD_FUNNELED, &provided); rc != C.MPI_SUCCESS {
		return nil, true, fmt.Errorf("dist: MPI_Init_thread: %s", mpiError(rc))
	}
	if rc := C.semgan_errors_return(); rc != C.MPI_SUCCESS {
		return nil, true, fmt.Errorf("dist: MPI_Comm_set_errhandler: %s", mpiError(rc))
	}
	var r, s C.int
	if rc := C.semgan_rank(&r); rc != C.MPI_SUCCESS {
		return nil, true, fmt.Errorf("dist: MPI_Comm_rank: %s", mpiError(rc))
	}
	if rc := C.semgan_size(&s); rc != C.MPI_SUCCESS {
		return nil, true, fmt.Errorf("dist: MPI_Comm_size: %s", mpiError(rc))
	}
	return &mpiComm{rank: int(r), size: int(s)}, true, nil
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

// chunks calls fn on pieces of buf of at most MaxInt32 values (MPI counts
// are C ints).
func chunks(buf []float32, fn func(p *C.float, n C.int) C.int) C.int {
	for len(buf) > 0 {
		n := min(len(buf), math.MaxInt32)
		if rc := fn((*C.float)(unsafe.Pointer(&buf[0])), C.int(n)); rc != C.MPI_SUCCESS {
			return rc
		}
		buf = buf[n:]
	}
	return C.MPI_SUCCESS
}

func (c *mpiComm) AllReduceSum(buf []float32) error {
	// cgo pins buf for the call: MPI reads and writes it in place.
	rc := chunks(buf, func(p *C.float, n C.int) C.int { return C.semgan_allreduce_sum(p, n) })
	return c.check("MPI_Allreduce", rc)
}

func (c *mpiComm) Broadcast(buf []float32, root int) error {
	rc := chunks(buf, func(p *C.float, n C.int) C.int { return C.semgan_bcast(p, n, C.int(root)) })
	return c.check("MPI_Bcast", rc)
}

func (c *mpiComm) Barrier() error { return c.check("MPI_Barrier", C.semgan_barrier()) }

func (c *mpiComm) Abort(code int, msg string) {
	fmt.Fprintf(os.Stderr, "rank %d of %d: %s\n", c.rank, c.size, msg)
	C.semgan_abort(C.int(code))
	os.Exit(code) // MPI_Abort should not return
}

func (c *mpiComm) Close() error {
	err := c.check("MPI_Finalize", C.MPI_Finalize())
	runtime.UnlockOSThread()
	return err
}

// check turns an MPI return code into an error naming the call and rank.
func (c *mpiComm) check(call string, rc C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	return fmt.Errorf("rank %d of %d: %s: %s", c.rank, c.size, call, mpiError(rc))
}

// mpiError is MPI's text for an error code.
func mpiError(rc C.int) string {
	buf := make([]byte, int(C.semgan_max_string()))
	var n C.int
	if C.semgan_error_string(rc, (*C.char)(unsafe.Pointer(&buf[0])), &n) != C.MPI_SUCCESS {
		return fmt.Sprintf("MPI error %d", int(rc))
	}
	return string(buf[:n])
}
