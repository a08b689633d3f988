// Package dist runs data-parallel training over several processes: every
// process (rank) holds the whole model, works on its own share of each
// batch, and the ranks average their gradients before every optimiser
// step, so that they stay identical.
//
// A Comm is the group of ranks. Open returns the group the process was
// started in: the MPI job under mpirun in a build with the mpi tag (cgo and
// Debian's libopenmpi-dev), and otherwise a single rank whose collectives
// do nothing. Gradients and parameters travel through host memory in a few
// large messages (buckets); a device-to-device path such as NCCL would be
// another Comm.
//
//	comm, err := dist.Open()
//	...
//	defer comm.Close()
//	dist.BroadcastParams(comm, params)      // rank 0's initial weights everywhere
//	autograd.Backward(loss)
//	dist.AllReduceGradsMean(comm, params)  // before opt.Step()
package dist

import (
	"fmt"

	"github.com/semgan/semgan/nn"
)

// Comm is a group of processes that train one model together. Collectives
// must be called by every rank in the same order with buffers of the same
// length; they return when this rank's part is done.
type Comm interface {
	// Rank is this process's number, from 0 to Size()-1.
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllReduceSum replaces buf on every rank with the elementwise sum of
	// every rank's buf.
	AllReduceSum(buf []float32) error
	// Broadcast copies rank root's buf into every rank's buf.
	Broadcast(buf []float32, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
	// Abort stops every rank of the job, printing msg with this rank's
	// number, and exits with code. It is for a rank that cannot go on
	// while the others may wait for it in a collective; it does not return.
	Abort(code int, msg string)
	// Close leaves the group; no collective may follow.
	Close() error
}

// BucketFloats is the size, in float32 values, of the messages that
// gradients and parameters are packed into (16 MiB): few enough messages
// to amortise each one's latency, small enough to stage in host memory.
const BucketFloats = 4 << 20

// Open returns the group this process was started in: the MPI job when
// the binary was built with the mpi tag and started by mpirun (or another
// MPI launcher), otherwise a single rank.
func Open() (Comm, error) {
	if c, ok, err := openMPI(); ok || err != nil {
		return c, err
	}
	return Single(), nil
}

// Single returns a group of one rank: collectives leave buffers as they
// are and cost nothing.
func Single() Comm { return single{} }

type single struct{}

func (single) Rank() int                      { return 0 }
func (single) Size() int                      { return 1 }
func (single) AllReduceSum([]float32) error   { return nil }
func (single) Broadcast([]float32, int) error { return nil }
func (single) Barrier() error                 { return nil }
func (single) Close() error                   { return nil }
func (single) Abort(code int, msg string)     { exitWith(code, "rank 0 of 1: "+msg) }

// AllReduceMean replaces buf on every rank with the elementwise mean of
// every rank's buf.
func AllReduceMean(c Comm, buf []float32) error {
	if c.Size() == 1 {
		return nil
	}
	if err := c.AllReduceSum(buf); err != nil {
		return err
	}
	inv := 1 / float32(c.Size())
	for i := range buf {
		buf[i] *= inv
	}
	return nil
}

// AllReduceGradsMean replaces the gradient of every parameter that has one
// with its mean over the ranks, in buckets of about BucketFloats values.
// Every rank must hold gradients for the same parameters (the same graph).
func AllReduceGradsMean(c Comm, params []nn.Param) error {
	if c.Size() == 1 {
		return nil
	}
	var with []nn.Param
	for _, p := range params {
		if p.Var.Grad != nil {
			with = append(with, p)
		}
	}
	return inBuckets(with, func(p nn.Param) ([]float32, func([]float32)) {
		return p.Var.Grad.Data(), p.Var.Grad.SetData
	}, func(buf []float32) error { return AllReduceMean(c, buf) })
}

// BroadcastParams copies rank 0's parameter values to every rank, in
// buckets: after it every rank starts from the same weights.
func BroadcastParams(c Comm, params []nn.Param) error {
	if c.Size() == 1 {
		return nil
	}
	return inBuckets(params, func(p nn.Param) ([]float32, func([]float32)) {
		return p.Var.Value.Data(), p.Var.Value.SetData
	}, func(buf []float32) error { return c.Broadcast(buf, 0) })
}

// inBuckets packs the tensors that get returns for each parameter into
// buffers of about BucketFloats values (a larger tensor gets a buffer of
// its own), runs collective on each and writes the results back with the
// setter get returned.
func inBuckets(params []nn.Param, get func(nn.Param) ([]float32, func([]float32)),
	collective func([]float32) error) error {
	var buf []float32
	var sets []func([]float32)
	var sizes []int
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := collective(buf); err != nil {
			return err
		}
		off := 0
		for i, set := range sets {
			set(buf[off : off+sizes[i]])
			off += sizes[i]
		}
		buf, sets, sizes = buf[:0], sets[:0], sizes[:0]
		return nil
	}
	for _, p := range params {
		data, set := get(p)
		if len(buf)+len(data) > BucketFloats {
			if err := flush(); err != nil {
				return fmt.Errorf("dist: %w", err)
			}
		}
		buf = append(buf, data...)
		sets, sizes = append(sets, set), append(sizes, len(data))
	}
	if err := flush(); err != nil {
		return fmt.Errorf("dist: %w", err)
	}
	return nil
}
