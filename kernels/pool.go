package kernels

import "fmt"

// PoolParams describes 2-D max or average pooling of x [N, C, H, W] into
// y [N, C, OutH, OutW] with a KH x KW window moved by StrideH, StrideW over
// the input padded by PadH rows and PadW columns on each side, as PyTorch's
// max_pool2d and avg_pool2d without ceil mode or dilation:
//
//	OutH = (H + 2*PadH - KH)/StrideH + 1   (rounded down), likewise OutW.
//
// Output (oh, ow) covers input rows oh*StrideH-PadH ... oh*StrideH-PadH+KH-1
// and the matching columns. Max pooling never picks a padded element (the
// padding acts as -Inf). Average pooling sums the input elements of the
// window (padding adds 0) and divides by the window's size within the padded
// image when CountIncludePad is set (PyTorch's default), or by the number of
// input elements in the window when it is not (count_include_pad=False, as
// TensorFlow and the FID Inception network average).
type PoolParams struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	// CountIncludePad counts padded elements in the divisor of average
	// pooling; max pooling ignores it.
	CountIncludePad bool
}

// OutH returns the height of the pooled output.
func (p PoolParams) OutH() int { return (p.H+2*p.PadH-p.KH)/p.StrideH + 1 }

// OutW returns the width of the pooled output.
func (p PoolParams) OutW() int { return (p.W+2*p.PadW-p.KW)/p.StrideW + 1 }

// XLen returns the element count of the input.
func (p PoolParams) XLen() int { return p.N * p.C * p.H * p.W }

// YLen returns the element count of the output.
func (p PoolParams) YLen() int { return p.N * p.C * p.OutH() * p.OutW() }

// Validate reports a mistake in p: a non-positive size or stride, a
// negative padding, a padding of more than half the window (PyTorch's
// rule, which guarantees that every window holds an input element), or a
// window larger than the padded input.
func (p PoolParams) Validate() error {
	if p.N < 1 || p.C < 1 || p.H < 1 || p.W < 1 {
		return fmt.Errorf("pool: bad input size [N=%d C=%d H=%d W=%d]", p.N, p.C, p.H, p.W)
	}
	if p.KH < 1 || p.KW < 1 || p.StrideH < 1 || p.StrideW < 1 {
		return fmt.Errorf("pool: bad window %dx%d or stride %dx%d", p.KH, p.KW, p.StrideH, p.StrideW)
	}
	if p.PadH < 0 || p.PadW < 0 || 2*p.PadH > p.KH || 2*p.PadW > p.KW {
		return fmt.Errorf("pool: padding %dx%d must be between 0 and half the window %dx%d", p.PadH, p.PadW, p.KH, p.KW)
	}
	if p.H+2*p.PadH < p.KH || p.W+2*p.PadW < p.KW {
		return fmt.Errorf("pool: window %dx%d larger than the padded input %dx%d", p.KH, p.KW, p.H+2*p.PadH, p.W+2*p.PadW)
	}
	return nil
}
