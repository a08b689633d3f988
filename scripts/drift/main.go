// Command drift prints the losses of the first steps of a tiny paper
// training (the one kernels/cuda's TestTrainStepLiveBytesFlat runs), one
// line per step, so that two builds or backends can be compared side by
// side. Training a GAN amplifies rounding: two runs that differ only in
// summation order agree closely for the first steps and then drift apart.
//
//	go run ./scripts/drift > asm.txt
//	go run -tags noasm ./scripts/drift > noasm.txt
//	paste asm.txt noasm.txt
//	go run -tags cuda ./scripts/drift -device cuda   # on a GPU machine
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/kernels"
	// The CUDA backend registers itself when built with -tags cuda (or
	// cudaemu); without a tag the package is empty.
	_ "github.com/semgan/semgan/kernels/cuda"
	"github.com/semgan/semgan/tensor"
)

func main() {
	device := flag.String("device", "cpu", fmt.Sprintf("backend to train on (%v)", kernels.Names()))
	steps := flag.Int("steps", 10, "training steps")
	flag.Parse()
	log.SetFlags(0)

	be, err := kernels.Open(*device)
	if err != nil {
		log.Fatal(err)
	}
	tensor.SetDefault(be)
	cfg, err := gan.Preset("paper")
	if err != nil {
		log.Fatal(err)
	}
	cfg.NGF, cfg.NDF, cfg.Blocks, cfg.DLayers = 8, 8, 1, 2
	cfg.Attention = gan.AfterLastUp
	cfg.Batch, cfg.PoolSize = 2, 2
	const size = 32
	tr, err := gan.NewTrainer(cfg, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("step", gan.Losses{}.Names())
	for range *steps {
		rng := tr.SampleRNG(tr.Step)
		a := tensor.Uniform(rng, -1, 1, cfg.Batch, 3, size, size)
		b := tensor.Uniform(rng, -1, 1, cfg.Batch, 3, size, size)
		l, err := tr.TrainStep(a, b)
		if err != nil {
			log.Fatalf("step %d: %v", tr.Step, err)
		}
		a.Free()
		b.Free()
		fmt.Println(tr.Step-1, l.Values())
	}
}
