package autograd_test

import (
	"testing"

	. "github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInstanceNormActMatchesTwoOps checks the fused op against the two ops it
// replaces, values and every gradient, for ReLU and LeakyReLU, with and
// without affine parameters. The composition itself is gradient-checked by
// TestGradInstanceNorm and TestGradUnary.
func TestInstanceNormActMatchesTwoOps(t *testing.T) {
	rng := tensor.NewRNG(21)
	x0 := tensor.Normal(rng, 0.3, 2, 2, 3, 5, 7)
	g0, b0 := tensor.Normal(rng, 1, 0.5, 3), tensor.Normal(rng, 0, 1, 3)
	dy := tensor.Normal(rng, 0, 1, 2, 3, 5, 7)
	for _, slope := range []float32{0, 0.2} {
		for _, affine := range []bool{false, true} {
			run := func(fused bool) (y []float32, grads [][]float32) {
				x := Param(x0.Clone())
				var g, b *Var
				inputs := []*Var{x}
				if affine {
					g, b = Param(g0.Clone()), Param(b0.Clone())
					inputs = append(inputs, g, b)
				}
				var out *Var
				switch {
				case fused:
					out = InstanceNormAct(x, g, b, 1e-5, slope)
				case slope == 0:
					out = ReLU(InstanceNorm(x, g, b, 1e-5))
				default:
					out = LeakyReLU(InstanceNorm(x, g, b, 1e-5), slope)
				}
				y = out.Value.Data()
				BackwardWith(out, dy)
				for _, in := range inputs {
					grads = append(grads, in.Grad.Data())
				}
				return y, grads
			}
			wantY, wantGrads := run(false)
			gotY, gotGrads := run(true)
			assert.Equal(t, wantY, gotY, "slope %v affine %v: values", slope, affine)
			require.Len(t, gotGrads, len(wantGrads))
			for i := range wantGrads {
				assert.InDeltaSlice(t, wantGrads[i], gotGrads[i], 1e-5, "slope %v affine %v: gradient %d", slope, affine, i)
			}
		}
	}
}

func TestInstanceNormActRejectsNegativeSlope(t *testing.T) {
	x := Param(tensor.Zeros(1, 1, 2, 2))
	assert.PanicsWithValue(t, "autograd: InstanceNormAct: slope -0.1 must be at least 0", func() {
		InstanceNormAct(x, nil, nil, 1e-5, -0.1)
	})
}
