package cpu

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// span is the part of one window inside the input along one axis: input
// positions [lo, hi), and count, that axis's factor of the average's
// divisor.
type span struct{ lo, hi, count int }

// poolSpans returns the span of each of the out windows of size k, moved by
// stride over n positions padded by pad on both sides.
func poolSpans(n, k, stride, pad, out int, countPad bool) []span {
	s := make([]span, out)
	for o := range s {
		lo := o*stride - pad
		hi := min(lo+k, n+pad) // the window within the padded input
		count := hi - lo
		lo, hi = max(lo, 0), min(hi, n)
		if !countPad {
			count = hi - lo
		}
		s[o] = span{lo, hi, count}
	}
	return s
}

// poolPlanes calls fn for every plane index of p, spread over goroutines,
// with the row and column spans of p's windows.
func poolPlanes(p kernels.PoolParams, fn func(pl int, rows, cols []span)) {
	oh, ow := p.OutH(), p.OutW()
	rows := poolSpans(p.H, p.KH, p.StrideH, p.PadH, oh, p.CountIncludePad)
	cols := poolSpans(p.W, p.KW, p.StrideW, p.PadW, ow, p.CountIncludePad)
	work := max(1, oh*ow*p.KH*p.KW)
	parallelFor(p.N*p.C, max(1, (1<<15)/work), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			fn(pl, rows, cols)
		}
	})
}

// argmax returns the index in xp (a plane of width w) of the maximum over
// rows r and columns c, and the maximum: the first one in row-major order
// among equal values, or the last NaN if there is one, as PyTorch's CPU
// kernel picks it.
func argmax(xp []float32, w int, r, c span) (int, float32) {
	best, at := float32(math.Inf(-1)), r.lo*w+c.lo
	for ih := r.lo; ih < r.hi; ih++ {
		row := xp[ih*w : (ih+1)*w]
		for iw := c.lo; iw < c.hi; iw++ {
			if v := row[iw]; v > best || v != v {
				best, at = v, ih*w+iw
			}
		}
	}
	return at, best
}

// MaxPoolForward writes into y [N, C, OutH, OutW] the maximum of each window
// of x [N, C, H, W] (see kernels.PoolParams), overwriting y:
//
//	y[n,c,oh,ow] = max x[n,c,ih,iw] over the window's input elements
//
// Planes are spread over goroutines. It panics if p is invalid or a slice
// has the wrong length.
func MaxPoolForward(p kernels.PoolParams, x, y []float32) {
	must("MaxPoolForward", p.CheckForward(ln(x), ln(y)))
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	poolPlanes(p, func(pl int, rows, cols []span) {
		xp, yp := x[pl*inPlane:(pl+1)*inPlane], y[pl*outPlane:(pl+1)*outPlane]
		for oh, r := range rows {
			for ow, c := range cols {
				_, yp[oh*outW+ow] = argmax(xp, p.W, r, c)
			}
		}
	})
}

// MaxPoolBackward accumulates into dx [N, C, H, W] the gradient of
// MaxPoolForward given dy [N, C, OutH, OutW]: each dy element is added to
// the input element its window's maximum came from, found again from x.
// Overlapping windows with the same maximum add into the same element. It
// panics if p is invalid or a slice has the wrong length.
func MaxPoolBackward(p kernels.PoolParams, x, dy, dx []float32) {
	must("MaxPoolBackward", p.CheckMaxBackward(ln(x), ln(dy), ln(dx)))
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	poolPlanes(p, func(pl int, rows, cols []span) {
		xp, dxp := x[pl*inPlane:(pl+1)*inPlane], dx[pl*inPlane:(pl+1)*inPlane]
		dyp := dy[pl*outPlane : (pl+1)*outPlane]
		for oh, r := range rows {
			for ow, c := range cols {
				at, _ := argmax(xp, p.W, r, c)
				dxp[at] += dyp[oh*outW+ow]
			}
		}
	})
}

// AvgPoolForward writes into y [N, C, OutH, OutW] the average of each window
// of x [N, C, H, W], overwriting y:
//
//	y[n,c,oh,ow] = (sum x[n,c,ih,iw] over the window's input elements) / divisor
//
// where divisor counts the padded elements of the window too when
// p.CountIncludePad is set (see kernels.PoolParams). Planes are spread over
// goroutines. It panics if p is invalid or a slice has the wrong length.
func AvgPoolForward(p kernels.PoolParams, x, y []float32) {
	must("AvgPoolForward", p.CheckForward(ln(x), ln(y)))
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	poolPlanes(p, func(pl int, rows, cols []span) {
		xp, yp := x[pl*inPlane:(pl+1)*inPlane], y[pl*outPlane:(pl+1)*outPlane]
		for oh, r := range rows {
			for ow, c := range cols {
				var s float32
				for ih := r.lo; ih < r.hi; ih++ {
					for _, v := range xp[ih*p.W+c.lo : ih*p.W+c.hi] {
						s += v
					}
				}
				yp[oh*outW+ow] = s / float32(r.count*c.count)
			}
		}
	})
}

// AvgPoolBackward accumulates into dx [N, C, H, W] the gradient of
// AvgPoolForward given dy [N, C, OutH, OutW]:
//
//	dx[n,c,ih,iw] += dy[n,c,oh,ow] / divisor  for every window (oh, ow) holding (ih, iw)
//
// It panics if p is invalid or a slice has the wrong length.
func AvgPoolBackward(p kernels.PoolParams, dy, dx []float32) {
	must("AvgPoolBackward", p.CheckAvgBackward(ln(dy), ln(dx)))
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	poolPlanes(p, func(pl int, rows, cols []span) {
		dxp, dyp := dx[pl*inPlane:(pl+1)*inPlane], dy[pl*outPlane:(pl+1)*outPlane]
		for oh, r := range rows {
			for ow, c := range cols {
				g := dyp[oh*outW+ow] / float32(r.count*c.count)
				for ih := r.lo; ih < r.hi; ih++ {
					row := dxp[ih*p.W+c.lo : ih*p.W+c.hi]
					for i := range row {
						row[i] += g
					}
				}
			}
		}
	})
}

// MaxPoolForward calls MaxPoolForward on the buffers' slices.
func (*Backend) MaxPoolForward(p kernels.PoolParams, x, y kernels.Buffer) {
	MaxPoolForward(p, unwrap("MaxPoolForward", x), unwrap("MaxPoolForward", y))
}

// MaxPoolBackward calls MaxPoolBackward on the buffers' slices.
func (*Backend) MaxPoolBackward(p kernels.PoolParams, x, dy, dx kernels.Buffer) {
	const m = "MaxPoolBackward"
	MaxPoolBackward(p, unwrap(m, x), unwrap(m, dy), unwrap(m, dx))
}

// AvgPoolForward calls AvgPoolForward on the buffers' slices.
func (*Backend) AvgPoolForward(p kernels.PoolParams, x, y kernels.Buffer) {
	AvgPoolForward(p, unwrap("AvgPoolForward", x), unwrap("AvgPoolForward", y))
}

// AvgPoolBackward calls AvgPoolBackward on the buffers' slices.
func (*Backend) AvgPoolBackward(p kernels.PoolParams, dy, dx kernels.Buffer) {
	AvgPoolBackward(p, unwrap("AvgPoolBackward", dy), unwrap("AvgPoolBackward", dx))
}
