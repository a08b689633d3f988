package kernels_test

import (
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/stretchr/testify/require"
)

func TestBroadcastParamsValidate(t *testing.T) {
	for _, c := range []struct {
		p    kernels.BroadcastParams
		ok   bool
		last int
	}{
		// b over channels of [2, 3, 4, 5]: one value per channel.
		{kernels.BroadcastParams{Shape: [4]int{2, 3, 4, 5}, BStride: [4]int{0, 1, 0, 0}}, true, 2},
		// b the same shape as a, packed.
		{kernels.BroadcastParams{Shape: [4]int{2, 3, 4, 5}, BStride: [4]int{60, 20, 5, 1}}, true, 119},
		// Strides that make two elements share one of b.
		{kernels.BroadcastParams{Shape: [4]int{1, 3, 4, 1}, BStride: [4]int{0, 2, 1, 0}}, false, 0},
		// Negative sizes and strides.
		{kernels.BroadcastParams{Shape: [4]int{1, -1, 1, 1}}, false, 0},
		{kernels.BroadcastParams{Shape: [4]int{1, 2, 1, 1}, BStride: [4]int{0, -1, 0, 0}}, false, 0},
		// An empty shape reads nothing.
		{kernels.BroadcastParams{Shape: [4]int{0, 3, 1, 1}, BStride: [4]int{0, 1, 0, 0}}, true, 0},
	} {
		err := c.p.Validate()
		if !c.ok {
			require.Error(t, err, "%+v", c.p)
			continue
		}
		require.NoError(t, err, "%+v", c.p)
		require.Equal(t, c.last, c.p.LastB(), "%+v", c.p)
	}
}

func TestCheckLens(t *testing.T) {
	shape := func() string { return "[N=2]" }
	require.NoError(t, kernels.CheckLens(shape, kernels.Arg{Name: "x", Len: 4, Want: 4},
		kernels.Arg{Name: "dx", Len: kernels.Nil, Want: 4, Optional: true},
		kernels.Arg{Name: "e", Len: kernels.Nil, Want: 0}))
	err := kernels.CheckLens(shape, kernels.Arg{Name: "x", Len: 3, Want: 4})
	require.EqualError(t, err, "x has 3 elements, want 4 for [N=2]")
	err = kernels.CheckLens(shape, kernels.Arg{Name: "y", Len: kernels.Nil, Want: 4})
	require.EqualError(t, err, "y is nil, want 4 elements for [N=2]")
}

func TestContracts(t *testing.T) {
	norm := kernels.NormParams{N: 2, C: 3, S: 5, Eps: 1e-5}
	require.NoError(t, norm.CheckForward(30, kernels.Nil, kernels.Nil, 30, 6, 6))
	require.ErrorContains(t, norm.CheckForward(30, 2, kernels.Nil, 30, 6, 6), "gamma has 2 elements, want 3 for [N=2 C=3 S=5]")
	require.Error(t, kernels.NormParams{N: 1, C: 1, S: 1, Eps: -1}.Validate())

	attn := kernels.AttentionParams{Batch: 2, Dk: 3, Dv: 4, Nq: 5, Nk: 6, Scale: 1}
	require.NoError(t, attn.CheckBackward(30, 36, 48, 40, 10, 40, kernels.Nil, kernels.Nil, 48))
	require.ErrorContains(t, attn.CheckBackward(30, 36, 48, 40, 10, 40, 29, kernels.Nil, kernels.Nil), "dq has 29")

	gemm := kernels.GemmParams{M: 2, N: 3, K: 4, Batch: 2, StrideA: 8, StrideB: 0, StrideC: 6, Alpha: 1}
	require.NoError(t, gemm.Check(16, 12, 12))
	require.Error(t, gemm.Check(15, 12, 12))
	require.Error(t, gemm.Check(16, 12, kernels.Nil))
	gemm.StrideC = 5
	require.ErrorContains(t, gemm.Validate(), "overlap")

	require.NoError(t, kernels.SoftmaxParams{Rows: 0, Cols: 3}.CheckForward(kernels.Nil, kernels.Nil))
	require.Error(t, kernels.SoftmaxParams{Rows: -1, Cols: 3}.Validate())

	require.NoError(t, kernels.ReLU.CheckBackward(4, kernels.Nil, 4, 4))
	require.ErrorContains(t, kernels.Tanh.CheckBackward(4, kernels.Nil, 4, 4), "y is nil")
	require.ErrorContains(t, kernels.Sum.CheckBackward(4, kernels.Nil, 1, 4, 4), "db given")
	require.ErrorContains(t, kernels.MeanAbsDiff.CheckForward(4, 3, 1), "b has 3")

	pad := kernels.PadParams{N: 1, C: 1, H: 2, W: 2, Top: 1, Mode: kernels.PadMode(7)}
	require.ErrorContains(t, pad.Validate(), "unknown pad mode")
}
