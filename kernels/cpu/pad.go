package cpu

import (
	"github.com/semgan/semgan/kernels"
)

// padIndex returns, for each of the n+lo+hi padded positions, the position of
// the input it copies, or -1 for a zero. Reflection mirrors without repeating
// the edge, as PyTorch's ReflectionPad2d: -1 maps to 1, n maps to n-2.
func padIndex(n, lo, hi int, mode kernels.PadMode) []int {
	idx := make([]int, n+lo+hi)
	for o := range idx {
		i := o - lo
		switch {
		case i >= 0 && i < n:
		case mode == kernels.PadZero:
			i = -1
		case i < 0:
			i = -i
		default:
			i = 2*(n-1) - i
		}
		idx[o] = i
	}
	return idx
}

// Pad writes x [N, C, H, W] padded by p into y [N, C, H+Top+Bottom,
// W+Left+Right], overwriting y, with zeros or by reflection (p.Mode). Planes
// are spread over goroutines. Pad panics if p is invalid or a slice has the
// wrong length.
func Pad(p kernels.PadParams, x, y []float32) {
	must("Pad", p.CheckForward(ln(x), ln(y)))
	rows, cols := padIndex(p.H, p.Top, p.Bottom, p.Mode), padIndex(p.W, p.Left, p.Right, p.Mode)
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	parallelFor(p.N*p.C, max(1, (1<<14)/outPlane), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*inPlane:(pl+1)*inPlane], y[pl*outPlane:(pl+1)*outPlane]
			for oh, ih := range rows {
				yr := yp[oh*outW : (oh+1)*outW]
				if ih < 0 {
					clear(yr)
					continue
				}
				xr := xp[ih*p.W : (ih+1)*p.W]
				// The interior is a copy; only the borders look up cols.
				copy(yr[p.Left:p.Left+p.W], xr)
				for _, ow := range [2][2]int{{0, p.Left}, {p.Left + p.W, outW}} {
					for o := ow[0]; o < ow[1]; o++ {
						if iw := cols[o]; iw >= 0 {
							yr[o] = xr[iw]
						} else {
							yr[o] = 0
						}
					}
				}
			}
		}
	})
}

// PadBackward accumulates into dx [N, C, H, W] the gradient of Pad given dy
// [N, C, OutH, OutW]: every element of dy is added to the input element Pad
// copied it from, so with reflection an input element near the border
// receives the sum of its own gradient and its mirror images'; zeros of the
// border contribute nothing. PadBackward panics if p is invalid or a slice
// has the wrong length.
func PadBackward(p kernels.PadParams, dy, dx []float32) {
	must("PadBackward", p.CheckBackward(ln(dy), ln(dx)))
	rows, cols := padIndex(p.H, p.Top, p.Bottom, p.Mode), padIndex(p.W, p.Left, p.Right, p.Mode)
	inPlane, outW := p.H*p.W, p.OutW()
	outPlane := p.OutH() * outW
	parallelFor(p.N*p.C, max(1, (1<<14)/outPlane), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp, dyp := dx[pl*inPlane:(pl+1)*inPlane], dy[pl*outPlane:(pl+1)*outPlane]
			for oh, ih := range rows {
				if ih < 0 {
					continue
				}
				dyr, dxr := dyp[oh*outW:(oh+1)*outW], dxp[ih*p.W:(ih+1)*p.W]
				axpy(dxr, 1, dyr[p.Left:p.Left+p.W])
				for _, ow := range [2][2]int{{0, p.Left}, {p.Left + p.W, outW}} {
					for o := ow[0]; o < ow[1]; o++ {
						if iw := cols[o]; iw >= 0 {
							dxr[iw] += dyr[o]
						}
					}
				}
			}
		}
	})
}
