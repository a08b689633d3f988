package kernels

// Buffer is a contiguous array of float32 owned by one Backend. On the CPU it
// wraps a Go slice; on a GPU it is device memory that only its backend can
// read. A Buffer must only be passed to the backend that allocated it.
type Buffer interface {
	// Len returns the number of float32 elements in the buffer.
	Len() int
}

// Backend is the set of primitives a device implements. See the package
// documentation for the conventions (overwrite in forward, accumulate in
// backward, nil means skip). Every method may run asynchronously on devices
// that queue work; Download and Synchronize wait for queued work.
type Backend interface {
	// Name returns the registry name of the backend, such as "cpu".
	Name() string

	// Alloc returns a zero-filled buffer of n elements.
	Alloc(n int) Buffer
	// Free returns b to the backend's allocation cache. b must not be used afterwards.
	// Freeing nil is a no-op.
	Free(b Buffer)
	// Upload copies src into dst; len(src) must equal dst.Len().
	Upload(dst Buffer, src []float32)
	// Download copies src into dst; len(dst) must equal src.Len().
	Download(dst []float32, src Buffer)
	// Copy copies src into dst; both must have the same length.
	Copy(dst, src Buffer)
	// Fill sets every element of dst to v.
	Fill(dst Buffer, v float32)
	// Synchronize waits for all queued work and reports a device error if one
	// occurred since the last call.
	Synchronize() error
	// LiveBytes returns the bytes currently allocated and not freed.
	LiveBytes() int64
	// PeakLiveBytes returns the most LiveBytes has been since the backend
	// was opened or ResetPeakLiveBytes last ran: a training step's memory
	// high-water mark.
	PeakLiveBytes() int64
	// ResetPeakLiveBytes starts PeakLiveBytes again from the bytes live now.
	ResetPeakLiveBytes()
	// DefaultPrecision returns the precision of products where the caller
	// chooses none: FP32 on the CPU, TF32 on a GPU with tensor cores (as
	// PyTorch runs CUDA convolutions). Every backend computes every
	// precision; this is only the default.
	DefaultPrecision() Precision

	// Gemm computes C = alpha*op(A)*op(B) + beta*C for each batch entry.
	Gemm(p GemmParams, a, b, c Buffer)

	// ConvForward computes y = conv(x, w) + bias. bias may be nil.
	ConvForward(p ConvParams, x, w, bias, y Buffer)
	// ConvBackwardData accumulates dx += conv^T(dy, w). It is also the
	// forward pass of a transposed convolution.
	ConvBackwardData(p ConvParams, dy, w, dx Buffer)
	// ConvBackwardFilter accumulates dw += dL/dw and dbias += dL/dbias.
	// Either may be nil.
	ConvBackwardFilter(p ConvParams, x, dy, dw, dbias Buffer)

	// Pad writes x padded by p into y.
	Pad(p PadParams, x, y Buffer)
	// PadBackward accumulates into dx the gradient of Pad from dy.
	PadBackward(p PadParams, dy, dx Buffer)

	// CopyBlocks copies (or, with p.Accumulate, adds) the blocks p
	// describes from src into dst: strided copies between parts of two
	// buffers, which Copy (whole buffers only) cannot do. src and dst must
	// be different buffers.
	CopyBlocks(p BlockCopyParams, src, dst Buffer)

	// MaxPoolForward writes into y the maximum of each window of x. A NaN
	// in a window makes its maximum NaN.
	MaxPoolForward(p PoolParams, x, y Buffer)
	// MaxPoolBackward accumulates dy into dx at the element each window's
	// maximum came from (the first one, in row-major order, among equal
	// maxima), found again from x.
	MaxPoolBackward(p PoolParams, x, dy, dx Buffer)
	// AvgPoolForward writes into y the average of each window of x (see
	// PoolParams for the divisor).
	AvgPoolForward(p PoolParams, x, y Buffer)
	// AvgPoolBackward accumulates into dx the gradient of AvgPoolForward:
	// each dy element divided by its window's divisor, added to the
	// window's input elements.
	AvgPoolBackward(p PoolParams, dy, dx Buffer)

	// InstanceNormForward normalises each (n, c) plane of x over its S
	// elements: y = (x-mean)*rstd*gamma[c] + beta[c]. gamma and beta are nil
	// without affine parameters. mean and rstd (N*C each) are written for the
	// backward pass.
	InstanceNormForward(p NormParams, x, gamma, beta, y, mean, rstd Buffer)
	// InstanceNormBackward accumulates dx, dgamma and dbeta (the last two may
	// be nil) from dy, using the mean and rstd kept by the forward pass.
	InstanceNormBackward(p NormParams, x, gamma, mean, rstd, dy, dx, dgamma, dbeta Buffer)

	// AttentionForward computes o = V softmax(scale * K^T Q) column by column
	// (see AttentionParams for the layout) and writes lse, the log-sum-exp of
	// each query's scores, for the backward pass.
	AttentionForward(p AttentionParams, q, k, v, o, lse Buffer)
	// AttentionBackward accumulates dq, dk, dv from do, recomputing the
	// attention weights from q, k and lse.
	AttentionBackward(p AttentionParams, q, k, v, o, lse, do, dq, dk, dv Buffer)

	// SoftmaxForward writes into y the softmax of each of the rows of x.
	SoftmaxForward(p SoftmaxParams, x, y Buffer)
	// SoftmaxBackward accumulates dx from y = softmax(x) and dy.
	SoftmaxBackward(p SoftmaxParams, y, dy, dx Buffer)

	// Unary computes y = op(x) elementwise; x and y may be the same buffer.
	Unary(op UnaryOp, alpha float32, x, y Buffer)
	// UnaryBackward accumulates dx += op'(x) * dy, given x and y = op(x).
	// Only the operand the derivative reads is needed (x for ReLU,
	// LeakyReLU, Square and Abs; y for Tanh, Sigmoid and Exp; neither for
	// Scale and AddScalar); the other may be nil.
	UnaryBackward(op UnaryOp, alpha float32, x, y, dy, dx Buffer)
	// Binary computes y = a op b, where b is broadcast over a's shape as p
	// describes. y may be a.
	Binary(op BinaryOp, p BroadcastParams, a, b, y Buffer)
	// Axpby computes y = alpha*x + beta*y.
	Axpby(alpha float32, x Buffer, beta float32, y Buffer)
	// SumTo accumulates x into y, summing over the dimensions that p
	// broadcasts: the reverse of Binary's broadcast of b. For both, b (or
	// y) must hold exactly BLen() elements and distinct indices of the
	// non-broadcast dimensions must address distinct elements.
	SumTo(p BroadcastParams, x, y Buffer)

	// Reduce writes op(a, b) into out[0]. b is nil for Sum and Mean.
	Reduce(op ReduceOp, a, b, out Buffer)
	// ReduceBackward accumulates da and db (either may be nil) given the
	// gradient dout[0] of the reduced value.
	ReduceBackward(op ReduceOp, a, b, dout, da, db Buffer)

	// Adam applies one Adam step to param using grad, updating the moment
	// buffers m and v in place.
	Adam(p AdamParams, param, grad, m, v Buffer)
}
