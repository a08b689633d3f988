// Command autoencode measures how well the quick demo's generator can keep
// the built-in scenes' background at all: it trains one generator as an
// autoencoder (L1 between input and output, no adversary, no cycle) with the
// demo's size, optimiser and schedule, and prints psnr_background on the
// test scenes as the demo's eval computes it. The demo's translation cannot
// be expected to keep the background better than this.
//
//	go run ./scripts/autoencode [-iters 1000 -decay 400 -lr 0.001]
package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/gan/metrics"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

func main() {
	iters := flag.Int("iters", 1000, "iterations at the base learning rate")
	decay := flag.Int("decay", 400, "iterations of linear decay after -iters")
	lr := flag.Float64("lr", 1e-3, "Adam learning rate (the paper's generator rate)")
	flag.Parse()

	const size, train = 64, 400 // the demo's image size and training scenes
	cfg := data.SyntheticConfig{Size: size, Count: train, Seed: 1}
	trainA, _ := data.SyntheticDomains(cfg)
	testA, _ := data.SyntheticTest(cfg)
	rng := tensor.NewRNG(1)
	g := gan.NewGenerator(rng, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 16, Blocks: 4, Attention: gan.AfterResBlocks})
	nn.InitNormal(g, rng, 0.02)
	opt := nn.NewAdam([]nn.ParamGroup{{Params: g.Parameters(), LR: float32(*lr)}}, 0.5, 0.999)

	start := time.Now()
	for step := range *iters + *decay {
		it, err := trainA.Item(step % trainA.Len())
		if err != nil {
			panic(err)
		}
		scope := tensor.OpenScope()
		x := autograd.Const(tensor.FromSlice(it.Image.Pix, 1, 3, size, size))
		loss := autograd.L1Loss(g.Forward(x), x)
		opt.LRScale = nn.LinearDecay(step, *iters, *decay)
		opt.ZeroGrad()
		autograd.Backward(loss)
		opt.Step()
		scope.Keep(opt.Tensors()...)
		for _, p := range g.Parameters() {
			scope.Keep(p.Var.Value, p.Var.Grad)
		}
		scope.Close()
	}

	var bg []float64
	autograd.NoGrad(func() {
		for i := range testA.Len() {
			it, err := testA.Item(i)
			if err != nil {
				panic(err)
			}
			y := g.Forward(autograd.Const(tensor.FromSlice(it.Image.Pix, 1, 3, size, size))).Value.Data()
			out := metrics.Image{C: 3, H: size, W: size, Pix: y}
			bg = append(bg, metrics.MaskedPSNR(metrics.Image(it.Image), out, it.Mask, false))
		}
	})
	fmt.Printf("autoencoder, %d+%d iterations at lr %g (%.0f s): psnr_background %.2f dB over %d test scenes\n",
		*iters, *decay, *lr, time.Since(start).Seconds(), metrics.MeanPSNR(bg), len(bg))
}
