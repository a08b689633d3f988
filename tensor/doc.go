// Package tensor holds float32 tensors in NCHW layout on a kernels.Backend
// and the eager operations that the layers need.
//
// A Tensor is a shape and a contiguous buffer on one device. Operations check
// shapes, allocate their result on the operands' device and call one kernel.
//
// A function's name says what it writes:
//
//   - a plain name (Conv2d, MatMul, Apply) returns a new tensor;
//   - the suffix Acc (MatMulAcc, SumToAcc, AddScaledAcc, Conv2dBackwardAcc)
//     adds (+=) into tensors the caller passes, which come last; a
//     *BackwardAcc function accumulates the gradients of its forward op,
//     which is what the autograd package needs, and a nil gradient there
//     means "not wanted" (its name in the doc comment says which may be nil);
//   - the suffix InPlace (ApplyInPlace, ScaleInPlace) overwrites its operand.
//
// Shape mistakes are programmer errors and panic with the operation's name
// and the shapes involved, for example
//
//	tensor: Conv2d: input [1 3 64 64] vs weight [64 4 7 7]
//
// The products (convolutions, attention, MatMul) use the precision that
// PrecisionOn returns for their device: SetPrecision's, process-wide, or
// the device's default.
//
// Dimension letters: N batch, C channels, H height, W width, S = H*W.
package tensor
