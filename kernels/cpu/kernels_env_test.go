package cpu

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseKernelLevel(t *testing.T) {
	for v, want := range map[string]int{"": levelAVX512BF16, "all": levelAVX512BF16, "generic": levelGeneric,
		"avx2": levelAVX2, "avx512": levelAVX512, "avx512bf16": levelAVX512BF16} {
		got, err := parseKernelLevel(v)
		require.NoError(t, err, v)
		require.Equal(t, want, got, v)
	}
	_, err := parseKernelLevel("avx-512")
	require.ErrorContains(t, err, `SEMGAN_CPU_KERNELS="avx-512": want generic`)
}

// childLevelEnv tells a test binary started by TestKernelsEnv which level
// its SEMGAN_CPU_KERNELS names, so that TestKernelsEnvChild checks it.
const childLevelEnv = "SEMGAN_TEST_KERNEL_LEVEL"

// TestKernelsEnv runs this test binary again with each value of
// SEMGAN_CPU_KERNELS (TestKernelsEnvChild checks what it chose), and with a
// value it does not know, which must stop it at start.
func TestKernelsEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the test binary once per level")
	}
	if runtime.GOARCH != "amd64" {
		// The levels choose amd64 assembly; elsewhere the binary may also
		// run under an emulator that cannot start it again (qemu-user).
		t.Skip("the kernel levels are amd64's")
	}
	for level, name := range kernelLevels {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKernelsEnvChild$", "-test.v")
		cmd.Env = append(os.Environ(), kernelsEnv+"="+name, childLevelEnv+"="+strconv.Itoa(level))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s=%s:\n%s", kernelsEnv, name, out)
		require.Contains(t, string(out), "--- PASS: TestKernelsEnvChild", "%s=%s:\n%s", kernelsEnv, name, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), kernelsEnv+"=sse")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "%s=sse must stop the program", kernelsEnv)
	require.True(t, strings.Contains(string(out), `SEMGAN_CPU_KERNELS="sse"`), "%s", out)
}

// TestKernelsEnvChild checks, in a binary started by TestKernelsEnv, that
// no kernel above the level SEMGAN_CPU_KERNELS names was chosen.
func TestKernelsEnvChild(t *testing.T) {
	v := os.Getenv(childLevelEnv)
	if v == "" {
		t.Skip("run by TestKernelsEnv")
	}
	level, err := strconv.Atoi(v)
	require.NoError(t, err)
	require.Equal(t, level, kernelLevel)
	if level < levelAVX512BF16 {
		require.Nil(t, microKernelBF16Wide, "the BF16 micro-kernel")
	} else if len(asmBF16Kernels()) > 0 {
		require.NotNil(t, microKernelBF16Wide, "the BF16 micro-kernel, on a CPU with AVX512_BF16")
	}
	if level < levelAVX512 {
		require.Nil(t, microKernelWide, "the 12x32 micro-kernel")
	}
	if level < levelAVX2 {
		require.Nil(t, microKernel, "the micro-kernel")
		require.Nil(t, axpyKernel, "axpy")
		require.Nil(t, transpose8Kernel, "transpose8")
		require.Nil(t, expShiftKernel, "expShift")
	}
	t.Logf("level %d: micro %v, wide %v, bf16 %v", level, microKernel != nil, microKernelWide != nil, microKernelBF16Wide != nil)
}
