// Package tensor holds float32 tensors in NCHW layout on a kernels.Backend
// and the eager operations that the layers need.
//
// A Tensor is a shape and a contiguous buffer on one device. Operations check
// shapes, allocate their result on the operands' device and call one kernel.
// Forward operations return new tensors; the *Backward functions accumulate
// into gradient tensors the caller passes (nil means "not wanted"), which is
// what the autograd package needs.
//
// Shape mistakes are programmer errors and panic with the operation's name
// and the shapes involved, for example
//
//	tensor: Conv2d: input [1 3 64 64] vs weight [64 4 7 7]
//
// Dimension letters: N batch, C channels, H height, W width, S = H*W.
package tensor
