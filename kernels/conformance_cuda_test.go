//go:build cuda || cudaemu

package kernels_test

// Under tag cuda or cudaemu the conformance test also checks the CUDA
// backend (on the GPU, or on the emulator).
import _ "github.com/semgan/semgan/kernels/cuda"
