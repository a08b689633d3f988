// Package safetensors reads and writes the safetensors file format used by
// PyTorch and the Hugging Face libraries. It depends on nothing else in
// semgan: a tensor is a shape and a []float32 in C (row-major) order. nn
// uses it for state dicts, gan for checkpoints, and tests for golden data
// written by PyTorch.
//
// # Format
//
// A file is three parts:
//
//	N       8 bytes, little-endian uint64: the length of the header
//	header  N bytes of UTF-8 JSON, possibly padded with trailing spaces
//	data    the tensors' bytes, little-endian, C order, back to back
//
// The header is one JSON object. Each key but one names a tensor and maps to
//
//	{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//
// where begin and end are byte offsets into the data section, end exclusive.
// The optional key "__metadata__" maps to an object of string to string.
// The tensors must cover the data section exactly: no overlap, no holes.
//
// # Reading
//
// Decode, Read and ReadFile accept the dtypes F32, F16, BF16 and F64 and
// convert each to float32 (F16 and BF16 exactly, F64 by rounding to nearest).
// Any other dtype (I64, U8, BOOL, ...) is an error naming the tensor and the
// dtype. Keys may come in any order, and tensors in any order in the data
// section.
//
// The reader treats its input as hostile. It never panics; it checks the
// header length against the input size, and caps it at MaxHeaderSize, before
// allocating; and it rejects duplicate keys, unknown or missing fields (the
// reference reader ignores unknown fields), metadata that is not string to
// string, negative or overflowing shapes, and offsets that are out of range,
// reversed, overlapping, leave holes, or disagree with the shape. The
// float32 data it allocates is at most twice the size of the data section
// (the F16 and BF16 expansion); everything else is proportional to the
// header. Every error starts with the package name and names the tensor at
// fault.
//
// # Writing
//
// Write and WriteFile produce F32 only, and write what the reference
// implementation (the Rust safetensors crate behind the Python package)
// writes for the same float32 tensors: compact JSON with "__metadata__"
// first, tensors in name order, the header padded with spaces to a multiple
// of 8 bytes so that the data section is 8-byte aligned. The output is a
// function of the File alone, so equal Files give equal bytes. WriteFile
// replaces its target atomically.
package safetensors
