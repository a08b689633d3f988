package cpu

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// reduceBlock is the number of elements summed into one float64 partial.
// Partials are added in order, so the result does not depend on the number
// of goroutines.
const reduceBlock = 1 << 13

// Reduce writes op(a, b) into out[0] (see kernels.ReduceOp): sum(a),
// mean(a), mean|a-b| or mean (a-b)^2. b is ignored for Sum and Mean and
// must be as long as a otherwise. The sum is accumulated in float64 over
// fixed blocks spread over goroutines; the mean of no elements is NaN.
// Reduce panics if a slice has the wrong length (out must have 1 element)
// or op is unknown.
func Reduce(op kernels.ReduceOp, a, b, out []float32) {
	const fn = "Reduce"
	must(fn, op.CheckForward(ln(a), ln(b), ln(out)))
	partial := make([]float64, (len(a)+reduceBlock-1)/reduceBlock)
	parallelFor(len(partial), 4, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			i0, i1 := blk*reduceBlock, min((blk+1)*reduceBlock, len(a))
			as := a[i0:i1]
			var s float64
			switch op {
			case kernels.Sum, kernels.Mean:
				for _, v := range as {
					s += float64(v)
				}
			case kernels.MeanAbsDiff:
				bs := b[i0:i1]
				for i, v := range as {
					s += math.Abs(float64(v) - float64(bs[i])) // no branch on the sign
				}
			case kernels.MeanSquaredDiff:
				bs := b[i0:i1]
				for i, v := range as {
					d := float64(v) - float64(bs[i])
					s += d * d
				}
			}
			partial[blk] = s
		}
	})
	var s float64
	for _, v := range partial {
		s += v
	}
	if op != kernels.Sum {
		s /= float64(len(a))
	}
	out[0] = float32(s)
}

// ReduceBackward accumulates into da and db (either may be nil) the
// gradient of Reduce given the upstream gradient g = dout[0], with n = len(a):
//
//	Sum              da += g
//	Mean             da += g/n
//	MeanAbsDiff      da += g/n * sign(a-b), db -= the same (sign(0) = 0)
//	MeanSquaredDiff  da += g*2(a-b)/n,     db -= the same
//
// b is ignored for Sum and Mean; db must then be nil. ReduceBackward panics
// if a slice has the wrong length or op is unknown.
func ReduceBackward(op kernels.ReduceOp, a, b, dout, da, db []float32) {
	const fn = "ReduceBackward"
	must(fn, op.CheckBackward(ln(a), ln(b), ln(dout), ln(da), ln(db)))
	n := len(a)
	g := dout[0]
	parallelFor(n, elemMinChunk, func(lo, hi int) {
		switch op {
		case kernels.Sum, kernels.Mean:
			c := g
			if op == kernels.Mean {
				c = float32(float64(g) / float64(n))
			}
			if da != nil {
				ds := da[lo:hi]
				for i := range ds {
					ds[i] += c
				}
			}
		case kernels.MeanAbsDiff:
			c := float32(float64(g) / float64(n))
			as, bs := a[lo:hi], b[lo:hi]
			bs = bs[:len(as)]
			for i, v := range as {
				var d float32
				switch w := bs[i]; {
				case v > w:
					d = c
				case v < w:
					d = -c
				}
				if da != nil {
					da[lo+i] += d
				}
				if db != nil {
					db[lo+i] -= d
				}
			}
		case kernels.MeanSquaredDiff:
			c := float32(2 * float64(g) / float64(n))
			as, bs := a[lo:hi], b[lo:hi]
			bs = bs[:len(as)]
			for i, v := range as {
				d := c * (v - bs[i])
				if da != nil {
					da[lo+i] += d
				}
				if db != nil {
					db[lo+i] -= d
				}
			}
		}
	})
}
