package main

import (
	"fmt"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

// benchCase is one named measurement. setup builds everything the case needs
// on dev (outside the timing) and returns run, one timed repetition, and
// done, which releases what setup allocated.
type benchCase struct {
	name string
	// flops is the floating-point work of one repetition (see the FLOP
	// counts below); 0 when no count is defined, as for whole models.
	flops float64
	setup func(dev kernels.Backend) (run func() error, done func())
}

// FLOP counts, in one place. A multiply-add is 2 FLOPs. Only the products
// are counted (the elementwise work around them is small), and backward
// passes are counted as twice their forward (one product for the input
// gradient, one for the weight gradient), so forward+backward = 3x forward,
// whatever the kernels recompute. scripts/bench_torch.py uses the same
// counts.
//
//	GEMM m x k by k x n:                 2*m*n*k
//	convolution, forward:                2*Cout*Cin*KH*KW*Hout*Wout  (per image)
//	transposed convolution, forward:     2*Cin*Cout*KH*KW*Hin*Win    (per image;
//	                                     the forward convolution it transposes)
//	SAGAN attention block, forward, C channels, N = H*W positions, C/8 for
//	keys and queries:  1x1 convs 2*N*C*(C/8 + C/8 + C)
//	                 + scores Q^T K 2*N*N*(C/8) + mixing V P^T 2*N*N*C
//	forward + backward:                  3x forward
func gemmFLOPs(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// convFLOPs is the forward work of a convolution from cin to cout channels
// with a kh x kw kernel producing an hout x wout image.
func convFLOPs(cin, cout, kh, kw, hout, wout int) float64 {
	return 2 * float64(cout) * float64(cin) * float64(kh*kw) * float64(hout) * float64(wout)
}

// attnFLOPs is the forward work of a SAGAN block over c channels and n
// positions.
func attnFLOPs(c, n int) float64 {
	dk := c / 8
	cf, nf := float64(c), float64(n)
	convs := 2 * nf * cf * float64(dk+dk+c)
	return convs + 2*nf*nf*float64(dk) + 2*nf*nf*cf
}

// fwdBwd is the work of forward+backward given the forward's.
func fwdBwd(fwd float64) float64 { return 3 * fwd }

// allCases are the benchmark cases in the order they run. The names are
// shared with scripts/bench_torch.py.
func allCases() []benchCase {
	return []benchCase{
		sgemmCase("sgemm_2048", 2048),
		sgemmCase("sgemm_4096", 4096),
		{
			// Conv2d 256->256 3x3 pad 1 on 1x256x64x64.
			name:  "conv3x3_256_64_fwd",
			flops: convFLOPs(256, 256, 3, 3, 64, 64),
			setup: convSetup(256, 256, 64, tensor.ConvOpts{Padding: 1}, false, false),
		},
		{
			name:  "conv3x3_256_64_fwdbwd",
			flops: fwdBwd(convFLOPs(256, 256, 3, 3, 64, 64)),
			setup: convSetup(256, 256, 64, tensor.ConvOpts{Padding: 1}, false, true),
		},
		{
			// ConvTranspose2d 256->128 k3 s2 p1 op1 on 1x256x64x64 (to 128x128).
			name:  "convT_256_128_64_fwdbwd",
			flops: fwdBwd(convFLOPs(256, 128, 3, 3, 64, 64)),
			setup: convSetup(256, 128, 64, tensor.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}, true, true),
		},
		{
			// nn.SelfAttention2d, C = 256 at 64x64 (4096 positions).
			name:  "attn_256_64_fwdbwd",
			flops: fwdBwd(attnFLOPs(256, 64*64)),
			setup: attnSetup(256, 64),
		},
		{name: "gen_infer_256_cyclegan", setup: genInferSetup(gan.NoAttention, 256)},
		{name: "gen_infer_256_paper_res", setup: genInferSetup(gan.AfterResBlocks, 256)},
		{name: "train_iter_128_paper_res", setup: trainSetup(gan.AfterResBlocks, 128)},
		{name: "train_iter_256_paper_res", setup: trainSetup(gan.AfterResBlocks, 256)},
		{name: "train_iter_256_paper_up2", setup: trainSetup(gan.AfterLastUp, 256)},
		{name: "fid_features_100", flops: fidFeaturesFLOPs, setup: fidFeaturesSetup},
	}
}

// sgemmCase times C = A*B for n x n matrices through the backend's Gemm,
// with C allocated once.
func sgemmCase(name string, n int) benchCase {
	return benchCase{
		name:  name,
		flops: gemmFLOPs(n, n, n),
		setup: func(dev kernels.Backend) (func() error, func()) {
			rng := tensor.NewRNG(1)
			a := tensor.Uniform(rng, -1, 1, n, n)
			b := tensor.Uniform(rng, -1, 1, n, n)
			c := tensor.Zeros(n, n)
			p := kernels.GemmParams{M: n, N: n, K: n, Alpha: 1, Batch: 1, Precision: tensor.PrecisionOn(dev)}
			run := func() error {
				dev.Gemm(p, a.Buffer(), b.Buffer(), c.Buffer())
				return nil
			}
			return run, func() { freeTensors(a, b, c) }
		},
	}
}

// convSetup times a convolution layer (transposed when transposed is set)
// from cin to cout channels, 3x3, on a 1 x cin x size x size input; with
// backward, each repetition also runs the backward pass from a fixed random
// output gradient into the input and the parameters.
func convSetup(cin, cout, size int, opts tensor.ConvOpts, transposed, backward bool) func(kernels.Backend) (func() error, func()) {
	return func(kernels.Backend) (func() error, func()) {
		rng := tensor.NewRNG(2)
		var layer nn.Module
		if transposed {
			layer = nn.NewConvTranspose2d(rng, cin, cout, 3, opts, true)
		} else {
			layer = nn.NewConv2d(rng, cin, cout, 3, opts, true)
		}
		x := autograd.Param(tensor.Normal(rng, 0, 1, 1, cin, size, size))
		if !backward {
			run := func() error {
				autograd.NoGrad(func() { layer.Forward(x).Value.Free() })
				return nil
			}
			return run, func() { freeModule(layer); x.Value.Free() }
		}
		var dy *tensor.Tensor
		autograd.NoGrad(func() {
			y := layer.Forward(x).Value
			dy = tensor.Normal(rng, 0, 1, y.Shape()...)
			y.Free()
		})
		run := func() error {
			forwardBackward(layer, x, dy)
			return nil
		}
		return run, func() { freeModule(layer); x.Value.Free(); x.ZeroGrad(); dy.Free() }
	}
}

// attnSetup times nn.SelfAttention2d over c channels on a 1 x c x size x
// size input, forward and backward. Gamma is set to 0.5, as in a trained
// block, so that the output depends on the attention.
func attnSetup(c, size int) func(kernels.Backend) (func() error, func()) {
	return func(kernels.Backend) (func() error, func()) {
		rng := tensor.NewRNG(3)
		attn := nn.NewSelfAttention2d(rng, c, false)
		attn.Gamma.Value.Fill(0.5)
		x := autograd.Param(tensor.Normal(rng, 0, 1, 1, c, size, size))
		dy := tensor.Normal(rng, 0, 1, 1, c, size, size)
		run := func() error {
			forwardBackward(attn, x, dy)
			return nil
		}
		return run, func() { freeModule(attn); x.Value.Free(); x.ZeroGrad(); dy.Free() }
	}
}

// forwardBackward runs m on x and back-propagates dy, then drops the
// gradients so that every repetition starts alike.
func forwardBackward(m nn.Module, x *autograd.Var, dy *tensor.Tensor) {
	y := m.Forward(x)
	autograd.BackwardWith(y, dy)
	y.ZeroGrad()
	y.Value.Free()
	x.ZeroGrad()
	nn.ZeroGrad(m)
}

// genInferSetup times the official CycleGAN generator (preset "cyclegan":
// NGF 64, 9 residual blocks), with attention placed at place, translating
// one 3 x size x size image without recording a graph. Weights are drawn
// from N(0, 0.02) as CycleGAN initialises them; an attention block gets
// gamma 0.5, as a trained one would have.
func genInferSetup(place gan.AttentionPlace, size int) func(kernels.Backend) (func() error, func()) {
	return func(kernels.Backend) (func() error, func()) {
		cfg, err := gan.Preset("cyclegan")
		if err != nil {
			panic(err)
		}
		rng := tensor.NewRNG(cfg.Seed)
		g := gan.NewGenerator(rng, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: cfg.NGF, Blocks: cfg.Blocks, Attention: place})
		nn.InitNormal(g, rng, 0.02)
		if g.Attn != nil {
			g.Attn.Gamma.Value.Fill(0.5)
		}
		x := tensor.Uniform(rng, -1, 1, 1, 3, size, size)
		run := func() error {
			autograd.NoGrad(func() { g.Forward(autograd.Const(x)).Value.Free() })
			return nil
		}
		return run, func() { freeModule(g); x.Free() }
	}
}

// trainSetup times one training iteration of the "paper" preset (both
// generators, both discriminators, all losses, both Adam steps) with the
// attention at place, on one image per domain of size x size, through
// gan.Trainer.TrainStep.
func trainSetup(place gan.AttentionPlace, size int) func(kernels.Backend) (func() error, func()) {
	return func(kernels.Backend) (func() error, func()) {
		cfg, err := gan.Preset("paper")
		if err != nil {
			panic(err)
		}
		cfg.Attention, cfg.Batch = place, 1
		tr, err := gan.NewTrainer(cfg, 3)
		if err != nil {
			panic(err)
		}
		rng := tensor.NewRNG(4)
		a := tensor.Uniform(rng, -1, 1, 1, 3, size, size)
		b := tensor.Uniform(rng, -1, 1, 1, 3, size, size)
		run := func() error {
			_, err := tr.TrainStep(a, b)
			return err
		}
		done := func() {
			for _, m := range []nn.Module{tr.GA, tr.GB, tr.DA, tr.DB} {
				freeModule(m)
			}
			freeTensors(a, b)
		}
		return run, done
	}
}

// freeModule frees the parameters of m and their gradients. Optimiser
// state and image pools are left to the garbage collector (on the CPU) or
// the end of the process.
func freeModule(m nn.Module) {
	for _, p := range m.Parameters() {
		p.Var.ZeroGrad()
		p.Var.Value.Free()
	}
}

func freeTensors(ts ...*tensor.Tensor) {
	for _, t := range ts {
		t.Free()
	}
}

// selectCases returns the cases whose names match re, keeping their order.
func selectCases(cases []benchCase, match func(string) bool) ([]benchCase, error) {
	var out []benchCase
	for _, c := range cases {
		if match(c.name) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		names := make([]string, len(cases))
		for i, c := range cases {
			names[i] = c.name
		}
		return nil, fmt.Errorf("no case matches; the cases are %v", names)
	}
	return out, nil
}
