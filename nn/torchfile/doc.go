// Package torchfile reads PyTorch state dicts from the files torch.save
// writes (.pth, .pt), so that weights trained with PyTorch, such as the
// official CycleGAN checkpoints, load into semgan's modules without a
// conversion step. It returns the map[string]*tensor.Tensor that
// nn.LoadStateDict takes; nn.Load uses it for paths with a .pth or .pt
// extension.
//
// # Format
//
// torch.save pickles the object and writes the tensors' storages beside the
// pickle. Since PyTorch 1.6 the file is a zip archive (stored, not
// compressed) of
//
//	ARCHIVE/data.pkl     the pickle
//	ARCHIVE/data/KEY     the raw little-endian bytes of storage KEY
//	ARCHIVE/version      and, in newer versions, byteorder and others
//
// Older versions (and torch.save(..., _use_new_zipfile_serialization=False))
// write the legacy format: five pickles (a magic number, the protocol
// version 1001, system information, the object, the list of storage keys)
// followed by each storage as an int64 element count and its raw bytes.
// Both are read. A tensor in the pickle is a call of
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...):
// several tensors may view one storage with any strides, and the reader
// copies each into a fresh C-order tensor.
//
// # What is read
//
// The pickle must hold a dict (torch.save(model.state_dict(), path)) or a
// dict with the state dict under "state_dict" (a training checkpoint that
// also holds an epoch number or an optimiser). Every tensor in that dict is
// returned, converted to float32: float16 and bfloat16 exactly, float64 by
// rounding to nearest, and integer and bool tensors (such as a BatchNorm's
// num_batches_tracked) by value, as PyTorch's load_state_dict copies them
// into float32 parameters. Entries that are not tensors (numbers, strings,
// nested dicts) are left out. nn.LoadStateDict then ignores the running
// statistics of norm layers and lists missing and mis-shaped keys.
//
// The pickle is interpreted by github.com/nlpodyssey/gopickle, which builds
// plain values and never executes code: a class the reader does not know
// becomes an opaque value. TorchScript archives (torch.jit.save) and whole
// pickled modules (torch.save(model)) are refused with an error that says
// so.
//
// # Hostile input
//
// Read never panics and allocates in proportion to its input: before the
// pickle is interpreted, every length inside it is checked against the
// bytes that remain, storages must have exactly the size their record
// holds, every view must lie inside its storage, and the elements returned
// are limited to the input's size in bytes plus 2^20 (so that a tiny
// storage expanded with zero strides cannot ask for gigabytes). Errors
// start with "torchfile: ", name the file when it is known, and name the
// tensor at fault.
package torchfile
