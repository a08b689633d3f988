package cpu_test

// Benchmarks of every primitive of the CPU backend, called through the
// kernels.Backend methods as the tensor package calls them, on the shapes
// the CycleGAN / paper model uses at 256x256 (batch 1) plus a sweep of
// sizes. Each reports allocations and GFLOP/s (products; a multiply-add is
// 2 FLOPs) or GB/s (bytes read plus bytes written, each operand counted
// once, as if every element went through memory once).
//
//	go test -run '^$' -bench Backend ./kernels/cpu
//	go test -run '^$' -bench 'BackendConv/res' -benchtime 5x ./kernels/cpu
//
// -short leaves out the largest shapes.

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/cpu"
)

// bench holds the backend and the random source of one benchmark.
type bench struct {
	be  *cpu.Backend
	rng *rand.Rand
}

func newBench() *bench {
	return &bench{be: cpu.New(), rng: rand.New(rand.NewPCG(1, 2))}
}

// rand returns a buffer of n values uniform in [-1, 1).
func (bb *bench) rand(n int) kernels.Buffer {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*bb.rng.Float32() - 1
	}
	return cpu.Wrap(s)
}

// pos returns a buffer of n values uniform in [lo, hi).
func (bb *bench) pos(n int, lo, hi float32) kernels.Buffer {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*bb.rng.Float32()
	}
	return cpu.Wrap(s)
}

// zeros returns a zero-filled buffer of n values.
func zeros(n int) kernels.Buffer { return cpu.Wrap(make([]float32, n)) }

// rate reports work units per second, in billions, as unit ("GFLOP/s" or
// "GB/s"), given the work of one iteration.
func rate(b *testing.B, perIter float64, unit string) {
	b.ReportMetric(perIter*float64(b.N)/b.Elapsed().Seconds()/1e9, unit)
}

// loop runs fn under b.Loop with allocations reported, then the rate.
func loop(b *testing.B, perIter float64, unit string, fn func()) {
	b.ReportAllocs()
	for b.Loop() {
		fn()
	}
	rate(b, perIter, unit)
}

// BenchmarkBackendGemm sweeps square sizes without transposes, all four
// transpose combinations at one size, a size that no block divides, the
// skinny products of a 1x1 convolution, and a strided batch.
func BenchmarkBackendGemm(b *testing.B) {
	type gemmCase struct {
		name string
		p    kernels.GemmParams
	}
	sq := func(n int, ta, tb bool) kernels.GemmParams {
		return kernels.GemmParams{M: n, N: n, K: n, Alpha: 1, Batch: 1, TransA: ta, TransB: tb}
	}
	var cases []gemmCase
	for _, n := range []int{64, 256, 1024, 2048} {
		cases = append(cases, gemmCase{fmt.Sprintf("NN/%d", n), sq(n, false, false)})
	}
	for _, t := range []struct {
		name   string
		ta, tb bool
	}{{"NT", false, true}, {"TN", true, false}, {"TT", true, true}} {
		cases = append(cases, gemmCase{fmt.Sprintf("%s/%d", t.name, 1024), sq(1024, t.ta, t.tb)})
	}
	cases = append(cases,
		gemmCase{"NN/1000", sq(1000, false, false)},
		// Weight [32, 256] times features [256, 4096]: the keys and queries
		// of the attention block at 64x64.
		gemmCase{"NN/32x4096x256", kernels.GemmParams{M: 32, N: 4096, K: 256, Alpha: 1, Batch: 1}},
		// Its weight gradient: dy [32, 4096] times x^T.
		gemmCase{"NT/32x256x4096", kernels.GemmParams{M: 32, N: 256, K: 4096, Alpha: 1, Batch: 1, TransB: true}},
		gemmCase{"NN/batch8x256", kernels.GemmParams{M: 256, N: 256, K: 256, Alpha: 1, Beta: 1, Batch: 8,
			StrideA: 256 * 256, StrideB: 256 * 256, StrideC: 256 * 256}},
	)
	if !testing.Short() {
		cases = append(cases, gemmCase{"NN/4096", sq(4096, false, false)})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := c.p
			bb := newBench()
			x := bb.rand((p.Batch-1)*p.StrideA + p.M*p.K)
			y := bb.rand((p.Batch-1)*p.StrideB + p.K*p.N)
			z := zeros((p.Batch-1)*p.StrideC + p.M*p.N)
			flops := 2 * float64(p.M) * float64(p.N) * float64(p.K) * float64(p.Batch)
			loop(b, flops, "GFLOP/s", func() { bb.be.Gemm(p, x, y, z) })
		})
	}
}

// convShapes are the convolutions of the model at 256x256, batch 1, and of
// the quick demo's smaller model at 64x64. The
// generator's reflection padding is a separate Pad, so its convolutions
// see padded inputs and PadH = 0. Transposed convolutions are listed as
// the convolutions they transpose: their forward is ConvBackwardData.
var convShapes = []struct {
	name string
	p    kernels.ConvParams
}{
	{"gen_c7_3to64_256", conv(3, 262, 64, 7, 1, 0)},
	{"gen_down_64to128_256", conv(64, 256, 128, 3, 2, 1)},
	{"gen_down_128to256_128", conv(128, 128, 256, 3, 2, 1)},
	{"gen_res_256_64", conv(256, 66, 256, 3, 1, 0)},
	{"bench_3x3_256_64_pad1", conv(256, 64, 256, 3, 1, 1)},
	{"gen_upT_256to128_64", conv(128, 128, 256, 3, 2, 1)},
	{"gen_upT_128to64_128", conv(64, 256, 128, 3, 2, 1)},
	{"gen_c7_64to3_256", conv(64, 262, 3, 7, 1, 0)},
	{"attn_1x1_256to32_64", conv(256, 64, 32, 1, 1, 0)},
	{"attn_1x1_256to256_64", conv(256, 64, 256, 1, 1, 0)},
	{"disc_c4_3to64_256", conv(3, 256, 64, 4, 2, 1)},
	{"disc_c4_64to128_128", conv(64, 128, 128, 4, 2, 1)},
	{"disc_c4_256to512_32", conv(256, 32, 512, 4, 1, 1)},
	{"disc_c4_512to1_31", conv(512, 31, 1, 4, 1, 1)},
	// The quick demo's model: 64x64, NGF 16, NDF 32, 4 residual blocks.
	{"demo_c7_3to16_64", conv(3, 70, 16, 7, 1, 0)},
	{"demo_down_16to32_64", conv(16, 64, 32, 3, 2, 1)},
	{"demo_down_32to64_32", conv(32, 32, 64, 3, 2, 1)},
	{"demo_res_64_16", conv(64, 18, 64, 3, 1, 0)},
	{"demo_c7_16to3_64", conv(16, 70, 3, 7, 1, 0)},
	{"demo_disc_c4_3to32_64", conv(3, 64, 32, 4, 2, 1)},
	{"demo_disc_c4_32to64_32", conv(32, 32, 64, 4, 2, 1)},
	{"demo_disc_c4_64to128_16", conv(64, 16, 128, 4, 2, 1)},
	{"demo_disc_c4_128to256_8", conv(128, 8, 256, 4, 1, 1)},
	{"demo_disc_c4_256to1_7", conv(256, 7, 1, 4, 1, 1)},
}

// conv returns the parameters of a square convolution of one image.
func conv(inC, size, outC, k, stride, pad int) kernels.ConvParams {
	return kernels.ConvParams{N: 1, InC: inC, InH: size, InW: size, OutC: outC, KH: k, KW: k,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
}

// BenchmarkBackendConv times forward, backward-data and backward-filter
// (with the bias gradient) of every convolution of the model. Each pass
// is 2*OutC*InC*KH*KW*OutH*OutW FLOPs per image.
func BenchmarkBackendConv(b *testing.B) {
	for _, c := range convShapes {
		p := c.p
		flops := 2 * float64(p.YLen()) * float64(p.InC*p.KH*p.KW)
		b.Run(c.name+"/forward", func(b *testing.B) {
			bb := newBench()
			x, w, bias, y := bb.rand(p.XLen()), bb.rand(p.WLen()), bb.rand(p.OutC), zeros(p.YLen())
			loop(b, flops, "GFLOP/s", func() { bb.be.ConvForward(p, x, w, bias, y) })
		})
		b.Run(c.name+"/backward-data", func(b *testing.B) {
			bb := newBench()
			dy, w, dx := bb.rand(p.YLen()), bb.rand(p.WLen()), zeros(p.XLen())
			loop(b, flops, "GFLOP/s", func() { bb.be.ConvBackwardData(p, dy, w, dx) })
		})
		b.Run(c.name+"/backward-filter", func(b *testing.B) {
			bb := newBench()
			x, dy, dw, db := bb.rand(p.XLen()), bb.rand(p.YLen()), zeros(p.WLen()), zeros(p.OutC)
			loop(b, flops, "GFLOP/s", func() { bb.be.ConvBackwardFilter(p, x, dy, dw, db) })
		})
	}
}

// BenchmarkWinograd times the residual blocks' convolution, 256 channels
// at 64x64 with padding 1 (the case conv3x3_256_64 of examples/bench),
// forward and data gradient, with the Winograd path on and off. GFLOP/s
// count the direct convolution's products, so that both are comparable.
//
//	go test -run '^$' -bench Winograd -count 5 ./kernels/cpu
func BenchmarkWinograd(b *testing.B) {
	p := conv(256, 64, 256, 3, 1, 1)
	flops := 2 * float64(p.YLen()) * float64(p.InC*p.KH*p.KW)
	for _, on := range []bool{true, false} {
		mode := map[bool]string{true: "on", false: "off"}[on]
		b.Run("forward/winograd="+mode, func(b *testing.B) {
			defer cpu.SetWinograd(on)()
			bb := newBench()
			x, w, bias, y := bb.rand(p.XLen()), bb.rand(p.WLen()), bb.rand(p.OutC), zeros(p.YLen())
			loop(b, flops, "GFLOP/s", func() { bb.be.ConvForward(p, x, w, bias, y) })
		})
		b.Run("backward-data/winograd="+mode, func(b *testing.B) {
			defer cpu.SetWinograd(on)()
			bb := newBench()
			dy, w, dx := bb.rand(p.YLen()), bb.rand(p.WLen()), zeros(p.XLen())
			loop(b, flops, "GFLOP/s", func() { bb.be.ConvBackwardData(p, dy, w, dx) })
		})
	}
}

// BenchmarkBackendPad times the generator's reflection paddings and a zero
// padding, forward and backward. Bytes: x read and y written (forward), dy
// read and dx read and written (backward).
func BenchmarkBackendPad(b *testing.B) {
	for _, c := range []struct {
		name string
		p    kernels.PadParams
	}{
		{"reflect3_3x256", kernels.PadParams{N: 1, C: 3, H: 256, W: 256, Top: 3, Bottom: 3, Left: 3, Right: 3, Mode: kernels.PadReflect}},
		{"reflect3_64x256", kernels.PadParams{N: 1, C: 64, H: 256, W: 256, Top: 3, Bottom: 3, Left: 3, Right: 3, Mode: kernels.PadReflect}},
		{"reflect1_256x64", kernels.PadParams{N: 1, C: 256, H: 64, W: 64, Top: 1, Bottom: 1, Left: 1, Right: 1, Mode: kernels.PadReflect}},
		{"zero1_256x64", kernels.PadParams{N: 1, C: 256, H: 64, W: 64, Top: 1, Bottom: 1, Left: 1, Right: 1, Mode: kernels.PadZero}},
	} {
		p := c.p
		nx, ny := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
		bb := newBench()
		x, y := bb.rand(nx), zeros(ny)
		dy, dx := bb.rand(ny), zeros(nx)
		b.Run(c.name+"/forward", func(b *testing.B) {
			loop(b, 4*float64(nx+ny), "GB/s", func() { bb.be.Pad(p, x, y) })
		})
		b.Run(c.name+"/backward", func(b *testing.B) {
			loop(b, 4*float64(ny+2*nx), "GB/s", func() { bb.be.PadBackward(p, dy, dx) })
		})
	}
}

// BenchmarkBackendInstanceNorm times the norm at the generator's widths,
// without affine parameters as the model uses it, and once with them.
// Bytes: x read, y written (forward); x and dy read, dx read and written
// (backward); the per-channel statistics are negligible.
func BenchmarkBackendInstanceNorm(b *testing.B) {
	for _, c := range []struct {
		name   string
		p      kernels.NormParams
		affine bool
	}{
		{"64x256x256", kernels.NormParams{N: 1, C: 64, S: 256 * 256, Eps: 1e-5}, false},
		{"128x128x128", kernels.NormParams{N: 1, C: 128, S: 128 * 128, Eps: 1e-5}, false},
		{"256x64x64", kernels.NormParams{N: 1, C: 256, S: 64 * 64, Eps: 1e-5}, false},
		{"256x64x64_affine", kernels.NormParams{N: 1, C: 256, S: 64 * 64, Eps: 1e-5}, true},
	} {
		p := c.p
		n, nc := p.N*p.C*p.S, p.N*p.C
		bb := newBench()
		x, dy := bb.rand(n), bb.rand(n)
		y, dx := zeros(n), zeros(n)
		mean, rstd := zeros(nc), zeros(nc)
		var gamma, beta, dgamma, dbeta kernels.Buffer
		if c.affine {
			gamma, beta, dgamma, dbeta = bb.pos(p.C, 0.5, 1.5), bb.rand(p.C), zeros(p.C), zeros(p.C)
		}
		b.Run(c.name+"/forward", func(b *testing.B) {
			loop(b, 8*float64(n), "GB/s", func() { bb.be.InstanceNormForward(p, x, gamma, beta, y, mean, rstd) })
		})
		b.Run(c.name+"/backward", func(b *testing.B) {
			loop(b, 16*float64(n), "GB/s", func() { bb.be.InstanceNormBackward(p, x, gamma, mean, rstd, dy, dx, dgamma, dbeta) })
		})
	}
}

// BenchmarkBackendAttention times fused attention at the placements of the
// SAGAN block (Dk = C/8, Dv = C): FLOPs 2*Nq*Nk*(Dk+Dv) forward and
// 2*Nq*Nk*(3*Dk+2*Dv) backward, which recomputes the scores.
func BenchmarkBackendAttention(b *testing.B) {
	cases := []struct {
		name string
		c, n int
	}{
		{"C64_N1024", 64, 1024},
		{"C256_N4096_res", 256, 4096},
	}
	if !testing.Short() {
		cases = append(cases, struct {
			name string
			c, n int
		}{"C128_N16384_up1", 128, 16384})
	}
	for _, c := range cases {
		p := kernels.AttentionParams{Batch: 1, Dk: c.c / 8, Dv: c.c, Nq: c.n, Nk: c.n, Scale: 1}
		pairs := float64(p.Batch) * float64(p.Nq) * float64(p.Nk)
		operands := func() (bb *bench, q, k, v, o, lse kernels.Buffer) {
			bb = newBench()
			q, k, v = bb.rand(p.Dk*p.Nq), bb.rand(p.Dk*p.Nk), bb.rand(p.Dv*p.Nk)
			return bb, q, k, v, zeros(p.Dv * p.Nq), zeros(p.Nq)
		}
		b.Run(c.name+"/forward", func(b *testing.B) {
			bb, q, k, v, o, lse := operands()
			loop(b, 2*pairs*float64(p.Dk+p.Dv), "GFLOP/s", func() { bb.be.AttentionForward(p, q, k, v, o, lse) })
		})
		b.Run(c.name+"/backward", func(b *testing.B) {
			bb, q, k, v, o, lse := operands()
			bb.be.AttentionForward(p, q, k, v, o, lse) // o and lse for the backward pass
			do := bb.rand(p.Dv * p.Nq)
			dq, dk, dv := zeros(p.Dk*p.Nq), zeros(p.Dk*p.Nk), zeros(p.Dv*p.Nk)
			loop(b, 2*pairs*float64(3*p.Dk+2*p.Dv), "GFLOP/s", func() {
				bb.be.AttentionBackward(p, q, k, v, o, lse, do, dq, dk, dv)
			})
		})
	}
}

// BenchmarkBackendSoftmax times row softmax on the score matrices of the
// unfused attention. Bytes: x read, y written (forward); y and dy read, dx
// read and written (backward).
func BenchmarkBackendSoftmax(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		rows, cols := n, n
		b.Run(fmt.Sprintf("%dx%d/forward", rows, cols), func(b *testing.B) {
			bb := newBench()
			x, y := bb.rand(rows*cols), zeros(rows*cols)
			loop(b, 8*float64(rows*cols), "GB/s", func() { bb.be.SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, x, y) })
		})
		b.Run(fmt.Sprintf("%dx%d/backward", rows, cols), func(b *testing.B) {
			bb := newBench()
			x, y, dy, dx := bb.rand(rows*cols), zeros(rows*cols), bb.rand(rows*cols), zeros(rows*cols)
			bb.be.SoftmaxForward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, x, y)
			loop(b, 16*float64(rows*cols), "GB/s", func() { bb.be.SoftmaxBackward(kernels.SoftmaxParams{Rows: rows, Cols: cols}, y, dy, dx) })
		})
	}
}

// unaryOps are all the unary ops with the alpha the model uses, and
// whether their derivative reads x or y (kernels.Backend.UnaryBackward).
var unaryOps = []struct {
	op    kernels.UnaryOp
	alpha float32
	reads bool
}{
	{kernels.ReLU, 0, true}, {kernels.LeakyReLU, 0.2, true}, {kernels.Tanh, 0, true},
	{kernels.Sigmoid, 0, true}, {kernels.Scale, 0.5, false}, {kernels.AddScalar, 1, false},
	{kernels.Square, 0, true}, {kernels.Exp, 0, true}, {kernels.Abs, 0, true},
}

// BenchmarkBackendUnary times every unary op on a 64x256x256 activation
// (4 Mi elements). Bytes: x read, y written (forward); the operand the
// derivative reads and dy read, dx read and written (backward).
func BenchmarkBackendUnary(b *testing.B) {
	n := 64 * 256 * 256
	bb := newBench()
	x, y, dy, dx := bb.rand(n), zeros(n), bb.rand(n), zeros(n)
	for _, u := range unaryOps {
		b.Run(u.op.String()+"/forward", func(b *testing.B) {
			loop(b, 8*float64(n), "GB/s", func() { bb.be.Unary(u.op, u.alpha, x, y) })
		})
		bb.be.Unary(u.op, u.alpha, x, y)
		elems := 3 // dy read, dx read and written
		if u.reads {
			elems++
		}
		b.Run(u.op.String()+"/backward", func(b *testing.B) {
			loop(b, 4*float64(elems*n), "GB/s", func() { bb.be.UnaryBackward(u.op, u.alpha, x, y, dy, dx) })
		})
	}
}

// BenchmarkBackendBinary times the binary ops with b of the full shape,
// b broadcast per channel (a bias) and b broadcast from one value (SAGAN's
// gamma), then Axpby and SumTo (a bias gradient), on 1x64x256x256. Bytes:
// a, b and y once each (Axpby: x read, y read and written; SumTo: x read).
func BenchmarkBackendBinary(b *testing.B) {
	shape := [4]int{1, 64, 256, 256}
	n := shape[0] * shape[1] * shape[2] * shape[3]
	bb := newBench()
	a, y := bb.rand(n), zeros(n)
	for _, c := range []struct {
		name    string
		bstride [4]int
	}{
		{"full", [4]int{shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1}},
		{"channel", [4]int{0, 1, 0, 0}},
		{"scalar", [4]int{0, 0, 0, 0}},
	} {
		p := kernels.BroadcastParams{Shape: shape, BStride: c.bstride}
		bv := bb.pos(p.BLen(), 0.5, 1.5) // away from 0 for Div
		for _, op := range []kernels.BinaryOp{kernels.Add, kernels.Sub, kernels.Mul, kernels.Div} {
			b.Run(c.name+"/"+op.String(), func(b *testing.B) {
				loop(b, 4*float64(2*n+p.BLen()), "GB/s", func() { bb.be.Binary(op, p, a, bv, y) })
			})
		}
	}
	b.Run("axpby", func(b *testing.B) {
		loop(b, 12*float64(n), "GB/s", func() { bb.be.Axpby(0.5, a, 0.5, y) })
	})
	bias := zeros(shape[1])
	p := kernels.BroadcastParams{Shape: shape, BStride: [4]int{0, 1, 0, 0}}
	b.Run("sumto_channel", func(b *testing.B) {
		loop(b, 4*float64(n), "GB/s", func() { bb.be.SumTo(p, a, bias) })
	})
}

// BenchmarkBackendReduce times the reductions and their gradients on a
// 64x256x256 tensor and on a 3x256x256 image (the L1 losses). Bytes: the
// inputs once (forward); the gradients read and written, and for the
// differences both inputs read (backward).
func BenchmarkBackendReduce(b *testing.B) {
	for _, n := range []int{3 * 256 * 256, 64 * 256 * 256} {
		bb := newBench()
		a, c, out, dout := bb.rand(n), bb.rand(n), zeros(1), bb.rand(1)
		da, dc := zeros(n), zeros(n)
		for _, op := range []kernels.ReduceOp{kernels.Sum, kernels.Mean, kernels.MeanAbsDiff, kernels.MeanSquaredDiff} {
			second, dsecond, inputs, bwdElems := c, dc, 2, 6
			if op == kernels.Sum || op == kernels.Mean {
				second, dsecond, inputs, bwdElems = nil, nil, 1, 2
			}
			name := fmt.Sprintf("%s/%d", op, n)
			b.Run(name+"/forward", func(b *testing.B) {
				loop(b, 4*float64(inputs*n), "GB/s", func() { bb.be.Reduce(op, a, second, out) })
			})
			b.Run(name+"/backward", func(b *testing.B) {
				loop(b, 4*float64(bwdElems*n), "GB/s", func() { bb.be.ReduceBackward(op, a, second, dout, da, dsecond) })
			})
		}
	}
}

// BenchmarkBackendAdam times one Adam step over the parameters of one
// CycleGAN generator (11,378,179) and of a small layer. Bytes: grad read,
// param, m and v read and written.
func BenchmarkBackendAdam(b *testing.B) {
	for _, n := range []int{1 << 16, 11378179} {
		bb := newBench()
		param, grad, m, v := bb.rand(n), bb.rand(n), zeros(n), zeros(n)
		p := kernels.AdamParams{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, Step: 10}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			loop(b, 28*float64(n), "GB/s", func() { bb.be.Adam(p, param, grad, m, v) })
		})
	}
}

// BenchmarkPrecision times a GEMM and the three passes of a few
// convolutions in every precision: what rounding the operands costs on
// the CPU, which has no faster path for TF32 or BF16.
//
//	go test -run '^$' -bench Precision ./kernels/cpu
func BenchmarkPrecision(b *testing.B) {
	for _, prec := range kernels.Precisions {
		b.Run(fmt.Sprintf("Gemm/NN/1024/%v", prec), func(b *testing.B) {
			p := kernels.GemmParams{M: 1024, N: 1024, K: 1024, Alpha: 1, Batch: 1, Precision: prec}
			bb := newBench()
			x, y, z := bb.rand(p.M*p.K), bb.rand(p.K*p.N), zeros(p.M*p.N)
			loop(b, 2*float64(p.M*p.N*p.K), "GFLOP/s", func() { bb.be.Gemm(p, x, y, z) })
		})
		for _, c := range convShapes {
			if c.name != "demo_res_64_16" && c.name != "demo_c7_16to3_64" && c.name != "gen_res_256_64" {
				continue
			}
			p := c.p
			p.Precision = prec
			flops := 2 * float64(p.YLen()) * float64(p.InC*p.KH*p.KW)
			b.Run(fmt.Sprintf("Conv/%s/%v", c.name, prec), func(b *testing.B) {
				bb := newBench()
				x, w, bias, y := bb.rand(p.XLen()), bb.rand(p.WLen()), bb.rand(p.OutC), bb.rand(p.YLen())
				dx, dw, db := zeros(p.XLen()), zeros(p.WLen()), zeros(p.OutC)
				loop(b, 3*flops, "GFLOP/s", func() {
					bb.be.ConvForward(p, x, w, bias, y)
					bb.be.ConvBackwardData(p, y, w, dx)
					bb.be.ConvBackwardFilter(p, x, y, dw, db)
				})
			})
		}
	}
}
