package autograd_test

import (
	"fmt"
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

// TestPadConv2dMatchesTwoOps checks the fused pad-and-convolve op against
// Conv2d(Pad2d(x)), values and every gradient, for reflection and zero
// padding, strides 1 and 2, with and without a bias, and with an input that
// needs no gradient. The two ops are gradient-checked by TestGradConv2d and
// TestGradPad2d.
func TestPadConv2dMatchesTwoOps(t *testing.T) {
	rng := tensor.NewRNG(22)
	x0 := tensor.Normal(rng, 0, 1, 2, 3, 6, 5)
	w0, b0 := tensor.Normal(rng, 0, 0.3, 4, 3, 3, 3), tensor.Normal(rng, 0, 1, 4)
	for _, reflect := range []bool{true, false} {
		for _, stride := range []int{1, 2} {
			for _, variant := range []string{"bias", "no bias", "constant input"} {
				name := fmt.Sprintf("reflect %v stride %d %s", reflect, stride, variant)
				pd := tensor.Padding{Left: 1, Right: 2, Top: 2, Bottom: 1, Reflect: reflect}
				o := tensor.ConvOpts{Stride: stride}
				run := func(fused bool) (y []float32, grads [][]float32) {
					x, w := Param(x0.Clone()), Param(w0.Clone())
					if variant == "constant input" {
						x = Const(x0.Clone())
					}
					var b *Var
					if variant != "no bias" {
						b = Param(b0.Clone())
					}
					var out *Var
					if fused {
						out = PadConv2d(x, pd, w, b, o)
					} else {
						out = Conv2d(Pad2d(x, pd), w, b, o)
					}
					y = out.Value.Data()
					dy := tensor.Normal(tensor.NewRNG(23), 0, 1, out.Shape()...)
					BackwardWith(out, dy)
					for _, in := range []*Var{x, w, b} {
						if in != nil && in.Grad != nil {
							grads = append(grads, in.Grad.Data())
						}
					}
					return y, grads
				}
				wantY, wantGrads := run(false)
				gotY, gotGrads := run(true)
				assert.Equal(t, wantY, gotY, "%s: values", name)
				require.Len(t, gotGrads, len(wantGrads), name)
				for i := range wantGrads {
					assert.Equal(t, wantGrads[i], gotGrads[i], "%s: gradient %d", name, i)
				}
			}
		}
	}
}

// TestPadConv2dKeepsNoPaddedTensor checks what the fusion is for: after the
// forward pass the fused op holds only its output, while the two ops also
// hold the padded input; and backward gives back what it allocates.
func TestPadConv2dKeepsNoPaddedTensor(t *testing.T) {
	dev := tensor.Default()
	rng := tensor.NewRNG(24)
	x, w := Param(tensor.Normal(rng, 0, 1, 1, 2, 8, 8)), Param(tensor.Normal(rng, 0, 1, 3, 2, 3, 3))
	pd := tensor.Padding{Left: 1, Right: 1, Top: 1, Bottom: 1, Reflect: true}
	padded := int64(4 * 2 * 10 * 10)
	before := dev.LiveBytes()
	two := Conv2d(Pad2d(x, pd), w, nil, tensor.ConvOpts{})
	twoBytes := dev.LiveBytes() - before
	mid := dev.LiveBytes()
	fused := PadConv2d(x, pd, w, nil, tensor.ConvOpts{})
	fusedBytes := dev.LiveBytes() - mid
	assert.Equal(t, twoBytes-padded, fusedBytes, "the fused op keeps the padded tensor")
	// Backward gives back everything it allocates but the gradients it
	// keeps: out's (for inspection), x's and w's (freed here).
	for _, c := range []struct {
		name string
		out  *Var
	}{{"two ops", two}, {"fused", fused}} {
		name, out := c.name, c.out
		seed := tensor.ZerosLike(out.Value)
		seed.Fill(1)
		start := dev.LiveBytes()
		BackwardWith(out, seed)
		x.ZeroGrad()
		w.ZeroGrad()
		assert.Equal(t, start+4*int64(out.Value.Len()), dev.LiveBytes(), "%s: backward left scratch behind", name)
	}
}
