// Command allreduce times what data-parallel training adds to an
// iteration: averaging the gradients of the paper model's four networks
// (the paper preset at full size, about 28 M parameters) over the ranks,
// in the buckets gan.Trainer uses. Build it with the mpi tag and start it
// with an MPI launcher; rank 0 prints the median of -reps rounds.
//
//	go build -tags mpi -o allreduce ./scripts/allreduce
//	mpirun --allow-run-as-root --oversubscribe -np 2 ./allreduce
package main

import (
	"flag"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/dist"
	"github.com/semgan/semgan/tensor"
)

func main() {
	reps := flag.Int("reps", 10, "timed rounds")
	flag.Parse()
	comm, err := dist.Open()
	if err != nil {
		log.Fatal(err)
	}
	defer comm.Close()
	cfg, err := gan.Preset("paper")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Attention = gan.AfterResBlocks
	tr, err := gan.NewTrainer(cfg, 3)
	if err != nil {
		log.Fatal(err)
	}
	var ps []nn.Param
	n := 0
	for _, m := range []nn.Module{tr.GA, tr.GB, tr.DA, tr.DB} {
		for _, p := range m.Parameters() {
			p.Var.Grad = tensor.Normal(tensor.NewRNG(uint64(comm.Rank())), 0, 1, p.Var.Value.Shape()...)
			ps = append(ps, p)
			n += p.Var.Value.Len()
		}
	}
	var times []float64
	for i := range *reps + 1 {
		if err := comm.Barrier(); err != nil {
			log.Fatal(err)
		}
		start := time.Now()
		if err := dist.AllReduceGradsMean(comm, ps); err != nil {
			log.Fatal(err)
		}
		if i > 0 { // the first round warms up
			times = append(times, time.Since(start).Seconds())
		}
	}
	slices.Sort(times)
	if comm.Rank() == 0 {
		med := times[len(times)/2]
		fmt.Printf("%d ranks, %d parameters (%.1f MB of float32 gradients), %d rounds: median %.3f s (min %.3f, max %.3f), %.2f GB/s of gradient averaged\n",
			comm.Size(), n, float64(4*n)/1e6, len(times), med, times[0], times[len(times)-1], float64(4*n)/med/1e9)
	}
}
