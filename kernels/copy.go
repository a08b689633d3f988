package kernels

import "fmt"

// BlockCopyParams describes Count blocks of Len contiguous elements: block
// i is read from src at SrcOffset + i*SrcStride and written to dst at
// DstOffset + i*DstStride. Concatenating NCHW tensors along C copies each
// input's N blocks of C_i*H*W elements into the output at a channel offset;
// the backward pass reads them back out.
type BlockCopyParams struct {
	Count, Len           int
	SrcOffset, SrcStride int
	DstOffset, DstStride int
	// Accumulate adds the blocks into dst instead of overwriting it.
	Accumulate bool
}

// Validate reports a mistake in p given the lengths of src and dst:
// negative sizes, offsets or strides, a block that runs past the end of a
// buffer, or destination blocks that overlap.
func (p BlockCopyParams) Validate(srcLen, dstLen int) error {
	if p.Count < 0 || p.Len < 0 || p.SrcOffset < 0 || p.SrcStride < 0 || p.DstOffset < 0 || p.DstStride < 0 {
		return fmt.Errorf("copy blocks: negative value in %+v", p)
	}
	if p.Count == 0 || p.Len == 0 {
		return nil
	}
	if p.Count > 1 && p.DstStride < p.Len {
		return fmt.Errorf("copy blocks: destination stride %d shorter than the block length %d", p.DstStride, p.Len)
	}
	if end := p.SrcOffset + (p.Count-1)*p.SrcStride + p.Len; end > srcLen {
		return fmt.Errorf("copy blocks: %d blocks of %d at offset %d stride %d need %d source elements, have %d",
			p.Count, p.Len, p.SrcOffset, p.SrcStride, end, srcLen)
	}
	if end := p.DstOffset + (p.Count-1)*p.DstStride + p.Len; end > dstLen {
		return fmt.Errorf("copy blocks: %d blocks of %d at offset %d stride %d need %d destination elements, have %d",
			p.Count, p.Len, p.DstOffset, p.DstStride, end, dstLen)
	}
	return nil
}
