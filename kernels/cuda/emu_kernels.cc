//go:build cudaemu

// emu_kernels.cc: every .cu file of kernels/cuda, compiled as C++ for the
// cudaemu emulator (SEMGAN_EMU is defined by the cgo flags of
// driver_emu.go), and the table through which emu.cc finds them by name.
// Both come from emu_kernels.inc, which cugen generates.

#include "common.cuh"

#include "emu_kernels.inc"
