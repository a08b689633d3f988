package cpu

import (
	"fmt"
	"os"
)

// kernelsEnv names the environment variable that limits the instruction
// sets the package's assembly may use (see the package documentation).
const kernelsEnv = "SEMGAN_CPU_KERNELS"

// Levels of SEMGAN_CPU_KERNELS, each allowing the ones before it.
const (
	levelGeneric    = iota // pure Go only
	levelAVX2              // AVX2 (and FMA) kernels
	levelAVX512            // AVX-512F kernels
	levelAVX512BF16        // the AVX512_BF16 micro-kernel: everything
)

// kernelLevels are the values SEMGAN_CPU_KERNELS takes, by level.
var kernelLevels = []string{"generic", "avx2", "avx512", "avx512bf16"}

// parseKernelLevel returns the level a value of SEMGAN_CPU_KERNELS names;
// the empty string and "all" allow everything.
func parseKernelLevel(v string) (int, error) {
	if v == "" || v == "all" {
		return levelAVX512BF16, nil
	}
	for level, name := range kernelLevels {
		if v == name {
			return level, nil
		}
	}
	return 0, fmt.Errorf("cpu: %s=%q: want generic, avx2, avx512, avx512bf16 or all", kernelsEnv, v)
}

// kernelLevel is the highest level of assembly the package may use, read
// from SEMGAN_CPU_KERNELS once, before the init functions choose the
// kernels. A value it does not know stops the program: a switch meant for
// tests and debugging must not be ignored quietly.
var kernelLevel = func() int {
	level, err := parseKernelLevel(os.Getenv(kernelsEnv))
	if err != nil {
		panic(err)
	}
	return level
}()

// winogradEnv names the environment variable that turns the Winograd
// convolutions off (see the package documentation).
const winogradEnv = "SEMGAN_CPU_WINOGRAD"

// parseWinograd returns whether a value of SEMGAN_CPU_WINOGRAD allows the
// Winograd convolutions: "on" and the empty string do, "off" does not.
func parseWinograd(v string) (bool, error) {
	switch v {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("cpu: %s=%q: want on or off", winogradEnv, v)
}

// winogradOn says whether 3x3 stride-1 convolutions in FP32 may take the
// Winograd path (winograd.go). It is read from SEMGAN_CPU_WINOGRAD once,
// when the package starts, and a value it does not know stops the
// program; tests set it directly.
var winogradOn = func() bool {
	on, err := parseWinograd(os.Getenv(winogradEnv))
	if err != nil {
		panic(err)
	}
	return on
}()
