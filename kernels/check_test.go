package kernels_test

import (
	"testing"

	"github.com/semgan/semgan/kernels"
)

// TestChecksDoNotAllocate: a passing check formats nothing and keeps its
// arguments on the stack, so it costs a backend call a few comparisons.
func TestChecksDoNotAllocate(t *testing.T) {
	p := kernels.NormParams{N: 2, C: 3, S: 5, Eps: 1e-5}
	a := kernels.AttentionParams{Batch: 2, Dk: 3, Dv: 4, Nq: 5, Nk: 6, Scale: 1}
	c := kernels.ConvParams{N: 1, InC: 1, InH: 3, InW: 3, OutC: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1}
	n := testing.AllocsPerRun(100, func() {
		_ = p.CheckForward(30, kernels.Nil, kernels.Nil, 30, 6, 6)
		_ = a.CheckBackward(30, 36, 48, 40, 10, 40, kernels.Nil, kernels.Nil, 48)
		_ = c.CheckForward(9, 1, 1, 9)
		_ = kernels.ReLU.CheckBackward(4, kernels.Nil, 4, 4)
	})
	if n != 0 {
		t.Errorf("a passing check allocates %v times", n)
	}
}
