package kernels_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/naive"
)

// The tolerances of the ops with products in each precision. A product of
// two operands rounded to TF32 (11 significant bits) or BF16 (8) is exact
// in float32, so GEMM and convolution, whose reference rounds the same
// operands, differ from it only in the order of float32 sums, as in FP32:
// one tolerance serves every precision, gradients included (they are
// checked at rounded inputs with rounded output gradients, see op.prec),
// and it is far below what rounding moves a result
// (TestConformanceCatchesIgnoredPrecision). Attention rounds its weights
// P, which the reference computes in float64 and normalises before
// rounding, where a kernel rounds exp(s - m) and divides by the sum
// afterwards (or rounds P recomputed in float32 in the backward pass):
// each weight may differ by 2u (u = 2^-11 for TF32, 2^-8 for BF16), so o,
// a weighted mean of v in [-1, 1), by 2u, and the gradients by 10 times
// that. lse involves no rounded weight: float32 arithmetic on exact
// products keeps it within 2e-6.

// unitRoundoff is u, half the spacing of the values of precision p near 1
// (0 for FP32).
func unitRoundoff(p kernels.Precision) float64 {
	return map[kernels.Precision]float64{kernels.TF32: 0x1p-11, kernels.BF16: 0x1p-8}[p]
}

// conformanceOps returns the cases of the conformance test: every op of
// kernels.Backend on a few odd shapes, those with products in every
// precision.
func conformanceOps() []op {
	var ops []op
	for _, p := range withPrecisions([]kernels.GemmParams{
		{M: 7, N: 5, K: 3, Alpha: 1, Batch: 1, StrideA: 21, StrideB: 15, StrideC: 35},
		{M: 13, N: 70, K: 9, TransA: true, Alpha: 0.5, Beta: 1.5, Batch: 2, StrideA: 117, StrideB: 0, StrideC: 910},
		{M: 3, N: 4, K: 66, TransB: true, Alpha: -1, Beta: 0.25, Batch: 3, StrideA: 198, StrideB: 264, StrideC: 12},
	}, func(p *kernels.GemmParams) *kernels.Precision { return &p.Precision }) {
		p32 := p
		p32.Precision = kernels.FP32
		ops = append(ops, op{
			name: fmt.Sprintf("Gemm %v", p),
			in:   []int{p.ALen(), p.BLen(), p.CLen()},
			out:  []int{p.CLen()},
			run: func(be kernels.Backend, in, out []kernels.Buffer) {
				be.Copy(out[0], in[2])
				be.Gemm(p, in[0], in[1], out[0])
			},
			ref:  func(in [][]float64) [][]float64 { return [][]float64{naive.Gemm(p, in[0], in[1], in[2])} },
			tol:  1e-5,
			prec: p.Precision,
			exact: func(in [][]float64) [][]float64 {
				return [][]float64{naive.Gemm(p32, in[0], in[1], in[2])}
			},
		})
	}

	for _, p := range withPrecisions([]kernels.ConvParams{
		{N: 2, InC: 3, InH: 7, InW: 6, OutC: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, InC: 2, InH: 9, InW: 11, OutC: 3, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 3, InC: 4, InH: 5, InW: 5, OutC: 2, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
		{N: 1, InC: 1, InH: 8, InW: 7, OutC: 4, KH: 7, KW: 7, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3},
	}, func(p *kernels.ConvParams) *kernels.Precision { return &p.Precision }) {
		p32 := p
		p32.Precision = kernels.FP32
		ops = append(ops, op{
			name: fmt.Sprintf("Conv %v %v", p, p.Precision),
			in:   []int{p.XLen(), p.WLen(), p.OutC},
			out:  []int{p.YLen()},
			run: func(be kernels.Backend, in, out []kernels.Buffer) {
				be.ConvForward(p, in[0], in[1], in[2], out[0])
			},
			ref: func(in [][]float64) [][]float64 { return [][]float64{naive.Conv(p, in[0], in[1], in[2])} },
			grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
				be.ConvBackwardData(p, dout[0], in[1], din[0])
				be.ConvBackwardFilter(p, in[0], dout[0], din[1], din[2])
			},
			diff: []bool{true, true, true}, douts: 1,
			tol:  1e-5,
			prec: p.Precision,
			exact: func(in [][]float64) [][]float64 {
				return [][]float64{naive.Conv(p32, in[0], in[1], in[2])}
			},
		})
	}

	for _, p := range []kernels.PadParams{
		{N: 2, C: 3, H: 5, W: 7, Top: 3, Bottom: 2, Left: 1, Right: 3, Mode: kernels.PadReflect},
		{N: 1, C: 2, H: 2, W: 3, Top: 1, Bottom: 1, Left: 2, Right: 2, Mode: kernels.PadReflect},
		{N: 2, C: 1, H: 4, W: 3, Top: 0, Bottom: 5, Left: 2, Right: 1, Mode: kernels.PadZero},
	} {
		ops = append(ops, op{
			name: "Pad " + p.String(),
			in:   []int{p.XLen()},
			out:  []int{p.YLen()},
			run:  func(be kernels.Backend, in, out []kernels.Buffer) { be.Pad(p, in[0], out[0]) },
			ref:  func(in [][]float64) [][]float64 { return [][]float64{naive.Pad(p, in[0])} },
			grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
				be.PadBackward(p, dout[0], din[0])
			},
			diff: []bool{true}, douts: 1,
			tol: 1e-6,
		})
	}

	for _, p := range []kernels.PoolParams{
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 9, W: 13, KH: 3, KW: 5, StrideH: 2, StrideW: 3, PadH: 1, PadW: 2, CountIncludePad: true},
		{N: 2, C: 2, H: 11, W: 8, KH: 3, KW: 2, StrideH: 2, StrideW: 2},
	} {
		for _, isMax := range []bool{true, false} {
			kind := "AvgPool "
			if isMax {
				kind = "MaxPool "
			}
			ops = append(ops, op{
				name: kind + p.String() + fmt.Sprintf(" count pad %v", p.CountIncludePad),
				in:   []int{p.XLen()},
				out:  []int{p.YLen()},
				run: func(be kernels.Backend, in, out []kernels.Buffer) {
					if isMax {
						be.MaxPoolForward(p, in[0], out[0])
					} else {
						be.AvgPoolForward(p, in[0], out[0])
					}
				},
				ref: func(in [][]float64) [][]float64 { return [][]float64{naive.Pool(p, in[0], isMax)} },
				grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
					if isMax {
						be.MaxPoolBackward(p, in[0], dout[0], din[0])
					} else {
						be.AvgPoolBackward(p, dout[0], din[0])
					}
				},
				diff: []bool{true}, douts: 1,
				tol: 1e-6,
			})
		}
	}

	for _, p := range []kernels.NormParams{{N: 2, C: 3, S: 37, Eps: 1e-5}, {N: 1, C: 2, S: 300, Eps: 1e-3}} {
		for _, affine := range []bool{false, true} {
			affineLen := 0
			if affine {
				affineLen = p.C
			}
			ops = append(ops, op{
				name: fmt.Sprintf("InstanceNorm %v affine %v", p, affine),
				in:   []int{p.XLen(), affineLen, affineLen},
				out:  []int{p.XLen(), p.StatLen(), p.StatLen()},
				run: func(be kernels.Backend, in, out []kernels.Buffer) {
					be.InstanceNormForward(p, in[0], buf(in[1]), buf(in[2]), out[0], out[1], out[2])
				},
				ref: func(in [][]float64) [][]float64 {
					y, m, r := naive.InstanceNorm(p, in[0], orNil(in[1]), orNil(in[2]))
					return [][]float64{y, m, r}
				},
				grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
					be.InstanceNormBackward(p, in[0], buf(in[1]), out[1], out[2], dout[0], din[0], buf(din[1]), buf(din[2]))
				},
				diff: []bool{true, affine, affine}, douts: 1,
				tol: 1e-5,
			})
		}
	}

	for _, p := range withPrecisions([]kernels.AttentionParams{
		{Batch: 2, Dk: 3, Dv: 5, Nq: 7, Nk: 9, Scale: 0.7},
		{Batch: 1, Dk: 8, Dv: 4, Nq: 33, Nk: 40, Scale: 1},
	}, func(p *kernels.AttentionParams) *kernels.Precision { return &p.Precision }) {
		p32 := p
		p32.Precision = kernels.FP32
		tol := max(1e-5, 2*unitRoundoff(p.Precision))
		ops = append(ops, op{
			name: fmt.Sprintf("Attention %v %v", p, p.Precision),
			in:   []int{p.QLen(), p.KLen(), p.VLen()},
			out:  []int{p.OLen(), p.LSELen()},
			run: func(be kernels.Backend, in, out []kernels.Buffer) {
				be.AttentionForward(p, in[0], in[1], in[2], out[0], out[1])
			},
			ref: func(in [][]float64) [][]float64 {
				o, lse := naive.Attention(p, in[0], in[1], in[2])
				return [][]float64{o, lse}
			},
			grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
				be.AttentionBackward(p, in[0], in[1], in[2], out[0], out[1], dout[0], din[0], din[1], din[2])
			},
			diff: []bool{true, true, true}, douts: 1,
			tol:    tol,
			outTol: []float64{tol, 2e-6},
			prec:   p.Precision,
			exact: func(in [][]float64) [][]float64 {
				o, lse := naive.Attention(p32, in[0], in[1], in[2])
				return [][]float64{o, lse}
			},
		})
	}

	for _, p := range []kernels.SoftmaxParams{{Rows: 3, Cols: 7}, {Rows: 5, Cols: 300}, {Rows: 1, Cols: 1}} {
		ops = append(ops, op{
			name: "Softmax " + p.String(),
			in:   []int{p.Len()},
			out:  []int{p.Len()},
			run:  func(be kernels.Backend, in, out []kernels.Buffer) { be.SoftmaxForward(p, in[0], out[0]) },
			ref:  func(in [][]float64) [][]float64 { return [][]float64{naive.Softmax(p, in[0])} },
			grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
				be.SoftmaxBackward(p, out[0], dout[0], din[0])
			},
			diff: []bool{true}, douts: 1,
			gen: func(r *rand.Rand, _, n int) []float32 { return uniform(r, n, -4, 4) },
			tol: 1e-6,
		})
	}

	for op0 := kernels.ReLU; op0 <= kernels.Abs; op0++ {
		const n, alpha = 1031, 0.3
		ops = append(ops, op{
			name: "Unary " + op0.String(),
			in:   []int{n},
			out:  []int{n},
			run:  func(be kernels.Backend, in, out []kernels.Buffer) { be.Unary(op0, alpha, in[0], out[0]) },
			ref:  func(in [][]float64) [][]float64 { return [][]float64{naive.Unary(op0, alpha, in[0])} },
			grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
				be.UnaryBackward(op0, alpha, in[0], out[0], dout[0], din[0])
			},
			diff: []bool{true}, douts: 1,
			gen: func(r *rand.Rand, _, n int) []float32 {
				s := uniform(r, n, -2, 2)
				for i, v := range s {
					if v > -1e-3 && v < 1e-3 { // keep central differences off the kinks
						s[i] = 0.5
					}
				}
				return s
			},
			tol: 1e-6,
		})
	}

	for _, p := range []kernels.BroadcastParams{
		{Shape: [4]int{2, 3, 5, 7}, BStride: [4]int{0, 1, 0, 0}},    // a value per channel
		{Shape: [4]int{2, 3, 5, 7}, BStride: [4]int{105, 35, 7, 1}}, // same shape
		{Shape: [4]int{1, 4, 33, 300}, BStride: [4]int{0, 0, 1, 0}}, // a value per row: SumTo's block path
		{Shape: [4]int{3, 1, 1, 5}, BStride: [4]int{0, 0, 0, 1}},    // a row vector
	} {
		for bop := kernels.Add; bop <= kernels.Div; bop++ {
			ops = append(ops, op{
				name: fmt.Sprintf("Binary %v %v", bop, p),
				in:   []int{p.Len(), p.BLen()},
				out:  []int{p.Len()},
				run: func(be kernels.Backend, in, out []kernels.Buffer) {
					be.Binary(bop, p, in[0], in[1], out[0])
				},
				ref: func(in [][]float64) [][]float64 { return [][]float64{naive.Binary(bop, p, in[0], in[1])} },
				gen: func(r *rand.Rand, i, n int) []float32 {
					if i == 1 && bop == kernels.Div {
						return uniform(r, n, 0.5, 2) // no division by nearly 0
					}
					return uniform(r, n, -1, 1)
				},
				tol: 1e-6,
			})
		}
		ops = append(ops, op{
			name: fmt.Sprintf("SumTo %v", p),
			in:   []int{p.Len(), p.BLen()},
			out:  []int{p.BLen()},
			run: func(be kernels.Backend, in, out []kernels.Buffer) {
				be.Copy(out[0], in[1])
				be.SumTo(p, in[0], out[0])
			},
			ref: func(in [][]float64) [][]float64 { return [][]float64{naive.SumTo(p, in[0], in[1])} },
			tol: 1e-5,
		})
	}

	ops = append(ops, op{
		name: "Axpby",
		in:   []int{1031, 1031},
		out:  []int{1031},
		run: func(be kernels.Backend, in, out []kernels.Buffer) {
			be.Copy(out[0], in[1])
			be.Axpby(0.7, in[0], -1.3, out[0])
		},
		ref: func(in [][]float64) [][]float64 { return [][]float64{naive.Axpby(0.7, in[0], -1.3, in[1])} },
		tol: 1e-6,
	})

	for rop := kernels.Sum; rop <= kernels.MeanSquaredDiff; rop++ {
		for _, n := range []int{1, 1031, 8193} {
			ops = append(ops, op{
				name: fmt.Sprintf("Reduce %v %d", rop, n),
				in:   []int{n, n},
				out:  []int{1},
				run: func(be kernels.Backend, in, out []kernels.Buffer) {
					b := in[1]
					if !rop.HasB() {
						b = nil
					}
					be.Reduce(rop, in[0], b, out[0])
				},
				ref: func(in [][]float64) [][]float64 { return [][]float64{naive.Reduce(rop, in[0], in[1])} },
				grad: func(be kernels.Backend, in, out, dout, din []kernels.Buffer) {
					b, db := in[1], din[1]
					if !rop.HasB() {
						b, db = nil, nil
					}
					be.ReduceBackward(rop, in[0], b, dout[0], din[0], db)
				},
				diff: []bool{true, rop.HasB()}, douts: 1,
				tol: 1e-5,
			})
		}
	}

	for _, p := range []kernels.BlockCopyParams{
		{Count: 3, Len: 5, SrcStride: 5, DstOffset: 2, DstStride: 12},
		{Count: 37, Len: 29, SrcOffset: 7, SrcStride: 31, DstOffset: 5, DstStride: 40, Accumulate: true},
		{Count: 2, Len: 3, DstOffset: 1, DstStride: 3, Accumulate: true},
	} {
		srcLen := p.SrcOffset + (p.Count-1)*p.SrcStride + p.Len + 2
		dstLen := p.DstOffset + (p.Count-1)*p.DstStride + p.Len + 3
		ops = append(ops, op{
			name: fmt.Sprintf("CopyBlocks %+v", p),
			in:   []int{srcLen, dstLen},
			out:  []int{dstLen},
			run: func(be kernels.Backend, in, out []kernels.Buffer) {
				be.Copy(out[0], in[1])
				be.CopyBlocks(p, in[0], out[0])
			},
			ref: func(in [][]float64) [][]float64 { return [][]float64{naive.CopyBlocks(p, in[0], in[1])} },
			tol: 1e-7,
		})
	}

	adam := kernels.AdamParams{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, Step: 3}
	ops = append(ops, op{
		name: fmt.Sprintf("Adam %+v", adam),
		in:   []int{1031, 1031, 1031, 1031},
		out:  []int{1031, 1031, 1031},
		run: func(be kernels.Backend, in, out []kernels.Buffer) {
			for k := range out {
				be.Copy(out[k], in[[]int{0, 2, 3}[k]])
			}
			be.Adam(adam, out[0], in[1], out[1], out[2])
		},
		ref: func(in [][]float64) [][]float64 {
			p, m, v := naive.Adam(adam, in[0], in[1], in[2], in[3])
			return [][]float64{p, m, v}
		},
		gen: func(r *rand.Rand, i, n int) []float32 {
			if i == 3 {
				return uniform(r, n, 0, 1) // the second moment is not negative
			}
			return uniform(r, n, -1, 1)
		},
		tol: 1e-6,
	})
	return ops
}

// withPrecisions returns every case in every precision, precision after
// precision; prec points at a case's precision field.
func withPrecisions[P any](cases []P, prec func(*P) *kernels.Precision) []P {
	var out []P
	for _, p := range kernels.Precisions {
		for _, c := range cases {
			*prec(&c) = p
			out = append(out, c)
		}
	}
	return out
}
