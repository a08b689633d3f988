// Package kernels is the device seam of semgan: the small, cuDNN-like set of
// float32 primitives that every backend implements, and the registry through
// which backends are found by name.
//
// A kernel never sees a tensor. It receives opaque Buffers and the explicit
// dimensions of what they hold, described by a parameter struct
// (ConvParams, NormParams, ...). Images are NCHW:
//
//	N  batch          C  channels
//	H  height         W  width
//	S  spatial size H*W, used where only the product matters
//
// Conventions shared by all backends:
//
//   - Forward kernels overwrite their outputs.
//   - Backward kernels accumulate: dx += ..., so several uses of one value
//     sum their gradients without an extra pass. A nil gradient buffer means
//     "not wanted" and is skipped.
//   - Shape and argument mistakes are programmer errors: backends panic with a
//     message prefixed by the backend and the primitive. Callers above this
//     package (the tensor package) check shapes before calling, so such a panic
//     means a bug in semgan, not in the user's program.
//
// The CPU backend (kernels/cpu) is the reference every other backend is tested
// against.
package kernels
