// Package cpu is the reference backend of semgan: every primitive of
// kernels.Backend written in plain Go over []float32, split across cores
// with goroutines. Every other backend is tested against it.
//
// Each primitive is an exported slice-level function (Gemm, ConvForward,
// Pad, ...) that checks its arguments and then computes; the Backend methods
// only unwrap buffers and call them. Images are NCHW:
//
//	N  batch          C  channels
//	H  height         W  width
//	S  spatial size H*W, used where only the product matters
//	K  reduction length of a matrix product (for a convolution C*KH*KW)
//
// As everywhere behind kernels.Backend, forward functions overwrite their
// outputs, backward functions accumulate (dx += ...) and skip nil gradient
// slices, and argument mistakes panic with a message that starts with
// "cpu: <Function>:".
//
// Convolutions are computed as im2col on tiles of output pixels followed by
// the package's blocked GEMM, so no full-image column matrix is ever held;
// attention works on blocks of queries and never holds the Nq x Nk matrix.
package cpu
