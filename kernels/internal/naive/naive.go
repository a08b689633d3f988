// Package naive is the plain float64 reference of every forward op of
// kernels.Backend: each one a direct loop over the definition, written to
// be obviously correct and kept apart from the fast CPU path
// (kernels/cpu), so that the conformance test can check every backend,
// the CPU one included, against it. Gradients are checked by finite
// differences of these functions, so there are no backward ops here.
//
// Functions take and return float64 slices laid out as the kernels' buffers
// (NCHW), and assume valid parameters: the conformance test draws them.
// The products of Gemm, Conv and Attention see their operands rounded with
// the parameters' Precision, as kernels.Precision.Round defines, and are
// otherwise exact.
package naive

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// round returns x as a product in precision p sees it: x itself in FP32
// (so that central differences can move it by less than a float32 step),
// else rounded to float32 (the kernels' inputs are float32 already) and
// then with p.Round.
func round(p kernels.Precision, x float64) float64 {
	if p == kernels.FP32 {
		return x
	}
	return float64(p.Round(float32(x)))
}

// Gemm returns C = Alpha*op(A)*op(B) + Beta*C for every batch entry; c is
// the initial C.
func Gemm(p kernels.GemmParams, a, b, c []float64) []float64 {
	out := append([]float64(nil), c...)
	for e := range p.Batch {
		ae, be, ce := a[e*p.StrideA:], b[e*p.StrideB:], out[e*p.StrideC:]
		for i := range p.M {
			for j := range p.N {
				var s float64
				for k := range p.K {
					av, bv := ae[i*p.K+k], be[k*p.N+j]
					if p.TransA {
						av = ae[k*p.M+i]
					}
					if p.TransB {
						bv = be[j*p.K+k]
					}
					s += round(p.Precision, av) * round(p.Precision, bv)
				}
				prev := 0.0
				if p.Beta != 0 {
					prev = float64(p.Beta) * ce[i*p.N+j]
				}
				ce[i*p.N+j] = float64(p.Alpha)*s + prev
			}
		}
	}
	return out
}

// Conv returns y = conv(x, w) + bias (bias may be nil).
func Conv(p kernels.ConvParams, x, w, bias []float64) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.YLen())
	for n := range p.N {
		for o := range p.OutC {
			for r := range oh {
				for c := range ow {
					var s float64
					if bias != nil {
						s = bias[o]
					}
					for i := range p.InC {
						for kh := range p.KH {
							for kw := range p.KW {
								ih, iw := r*p.StrideH-p.PadH+kh, c*p.StrideW-p.PadW+kw
								if ih < 0 || ih >= p.InH || iw < 0 || iw >= p.InW {
									continue // zero padding
								}
								s += round(p.Precision, x[((n*p.InC+i)*p.InH+ih)*p.InW+iw]) *
									round(p.Precision, w[((o*p.InC+i)*p.KH+kh)*p.KW+kw])
							}
						}
					}
					y[((n*p.OutC+o)*oh+r)*ow+c] = s
				}
			}
		}
	}
	return y
}

// padSource returns the input position output position o copies along an
// axis of n inputs padded by lo before, or -1 for a zero.
func padSource(o, lo, n int, mode kernels.PadMode) int {
	i := o - lo
	switch {
	case i >= 0 && i < n:
		return i
	case mode == kernels.PadZero:
		return -1
	case i < 0:
		return -i
	default:
		return 2*(n-1) - i
	}
}

// Pad returns x padded as p says.
func Pad(p kernels.PadParams, x []float64) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.YLen())
	for pl := range p.N * p.C {
		for r := range oh {
			for c := range ow {
				ih, iw := padSource(r, p.Top, p.H, p.Mode), padSource(c, p.Left, p.W, p.Mode)
				if ih >= 0 && iw >= 0 {
					y[(pl*oh+r)*ow+c] = x[(pl*p.H+ih)*p.W+iw]
				}
			}
		}
	}
	return y
}

// Pool returns the max (max set) or average pooling of x.
func Pool(p kernels.PoolParams, x []float64, max bool) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.YLen())
	for pl := range p.N * p.C {
		for r := range oh {
			for c := range ow {
				best, sum, inside, padded := math.Inf(-1), 0.0, 0, 0
				for kh := range p.KH {
					for kw := range p.KW {
						ih, iw := r*p.StrideH-p.PadH+kh, c*p.StrideW-p.PadW+kw
						if ih >= p.H+p.PadH || iw >= p.W+p.PadW {
							continue // past the padded input
						}
						padded++
						if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
							continue
						}
						v := x[(pl*p.H+ih)*p.W+iw]
						best, sum, inside = math.Max(best, v), sum+v, inside+1
					}
				}
				switch {
				case max:
					y[(pl*oh+r)*ow+c] = best
				case p.CountIncludePad:
					y[(pl*oh+r)*ow+c] = sum / float64(padded)
				default:
					y[(pl*oh+r)*ow+c] = sum / float64(inside)
				}
			}
		}
	}
	return y
}

// InstanceNorm returns y, and the mean and rstd of every (n, c) plane;
// gamma and beta may be nil.
func InstanceNorm(p kernels.NormParams, x, gamma, beta []float64) (y, mean, rstd []float64) {
	y, mean, rstd = make([]float64, len(x)), make([]float64, p.N*p.C), make([]float64, p.N*p.C)
	for pl := range p.N * p.C {
		xs := x[pl*p.S : (pl+1)*p.S]
		var m, v float64
		for _, e := range xs {
			m += e
		}
		m /= float64(p.S)
		for _, e := range xs {
			v += (e - m) * (e - m)
		}
		r := 1 / math.Sqrt(v/float64(p.S)+float64(p.Eps))
		mean[pl], rstd[pl] = m, r
		g, b := 1.0, 0.0
		if gamma != nil {
			g = gamma[pl%p.C]
		}
		if beta != nil {
			b = beta[pl%p.C]
		}
		for i, e := range xs {
			y[pl*p.S+i] = (e-m)*r*g + b
		}
	}
	return y, mean, rstd
}

// Attention returns o and lse of kernels.AttentionParams.
func Attention(p kernels.AttentionParams, q, k, v []float64) (o, lse []float64) {
	o, lse = make([]float64, p.OLen()), make([]float64, p.LSELen())
	s := make([]float64, p.Nk)
	for b := range p.Batch {
		for j := range p.Nq {
			mx := math.Inf(-1)
			for i := range p.Nk {
				var d float64
				for c := range p.Dk {
					d += round(p.Precision, q[(b*p.Dk+c)*p.Nq+j]) * round(p.Precision, k[(b*p.Dk+c)*p.Nk+i])
				}
				s[i] = float64(p.Scale) * d
				mx = math.Max(mx, s[i])
			}
			var sum float64
			for i := range s {
				sum += math.Exp(s[i] - mx)
			}
			lse[b*p.Nq+j] = mx + math.Log(sum)
			for c := range p.Dv {
				var acc float64
				for i := range p.Nk {
					acc += round(p.Precision, math.Exp(s[i]-lse[b*p.Nq+j])) * round(p.Precision, v[(b*p.Dv+c)*p.Nk+i])
				}
				o[(b*p.Dv+c)*p.Nq+j] = acc
			}
		}
	}
	return o, lse
}

// Softmax returns the softmax of each row of x.
func Softmax(p kernels.SoftmaxParams, x []float64) []float64 {
	y := make([]float64, len(x))
	for r := range p.Rows {
		row := x[r*p.Cols : (r+1)*p.Cols]
		mx := math.Inf(-1)
		for _, e := range row {
			mx = math.Max(mx, e)
		}
		var sum float64
		for _, e := range row {
			sum += math.Exp(e - mx)
		}
		for i, e := range row {
			y[r*p.Cols+i] = math.Exp(e-mx) / sum
		}
	}
	return y
}

// Unary returns op(x) elementwise.
func Unary(op kernels.UnaryOp, alpha float32, x []float64) []float64 {
	a := float64(alpha)
	y := make([]float64, len(x))
	for i, e := range x {
		switch op {
		case kernels.ReLU:
			y[i] = math.Max(e, 0)
		case kernels.LeakyReLU:
			y[i] = e
			if e <= 0 {
				y[i] = a * e
			}
		case kernels.Tanh:
			y[i] = math.Tanh(e)
		case kernels.Sigmoid:
			y[i] = 1 / (1 + math.Exp(-e))
		case kernels.Scale:
			y[i] = a * e
		case kernels.AddScalar:
			y[i] = e + a
		case kernels.Square:
			y[i] = e * e
		case kernels.Exp:
			y[i] = math.Exp(e)
		case kernels.Abs:
			y[i] = math.Abs(e)
		}
	}
	return y
}

// bIndex returns the index of b that element i of p's full shape reads.
func bIndex(p kernels.BroadcastParams, i int) int {
	j := 0
	for d := 3; d >= 0; d-- {
		j += (i % p.Shape[d]) * p.BStride[d]
		i /= p.Shape[d]
	}
	return j
}

// Binary returns a op b, b broadcast as p says.
func Binary(op kernels.BinaryOp, p kernels.BroadcastParams, a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i, e := range a {
		f := b[bIndex(p, i)]
		switch op {
		case kernels.Add:
			y[i] = e + f
		case kernels.Sub:
			y[i] = e - f
		case kernels.Mul:
			y[i] = e * f
		case kernels.Div:
			y[i] = e / f
		}
	}
	return y
}

// SumTo returns y plus x summed over the dimensions p broadcasts.
func SumTo(p kernels.BroadcastParams, x, y []float64) []float64 {
	out := append([]float64(nil), y...)
	for i, e := range x {
		out[bIndex(p, i)] += e
	}
	return out
}

// Axpby returns alpha*x + beta*y.
func Axpby(alpha float32, x []float64, beta float32, y []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = float64(alpha)*x[i] + float64(beta)*y[i]
	}
	return out
}

// Reduce returns op(a, b) as a one-element slice.
func Reduce(op kernels.ReduceOp, a, b []float64) []float64 {
	var s float64
	for i, e := range a {
		switch op {
		case kernels.Sum, kernels.Mean:
			s += e
		case kernels.MeanAbsDiff:
			s += math.Abs(e - b[i])
		case kernels.MeanSquaredDiff:
			s += (e - b[i]) * (e - b[i])
		}
	}
	if op != kernels.Sum {
		s /= float64(len(a))
	}
	return []float64{s}
}

// CopyBlocks returns dst with the blocks of p copied (or added) from src.
func CopyBlocks(p kernels.BlockCopyParams, src, dst []float64) []float64 {
	out := append([]float64(nil), dst...)
	for i := range p.Count {
		for j := range p.Len {
			v := src[p.SrcOffset+i*p.SrcStride+j]
			d := p.DstOffset + i*p.DstStride + j
			if p.Accumulate {
				out[d] += v
			} else {
				out[d] = v
			}
		}
	}
	return out
}

// Adam returns param, m and v after one Adam step with grad.
func Adam(p kernels.AdamParams, param, grad, m, v []float64) (param2, m2, v2 []float64) {
	b1, b2 := float64(p.Beta1), float64(p.Beta2)
	bc1 := 1 - math.Pow(b1, float64(p.Step))
	bc2 := 1 - math.Pow(b2, float64(p.Step))
	param2, m2, v2 = make([]float64, len(param)), make([]float64, len(param)), make([]float64, len(param))
	for i, g := range grad {
		m2[i] = b1*m[i] + (1-b1)*g
		v2[i] = b2*v[i] + (1-b2)*g*g
		param2[i] = param[i] - float64(p.LR)/bc1*m2[i]/(math.Sqrt(v2[i])/math.Sqrt(bc2)+float64(p.Eps))
	}
	return param2, m2, v2
}
