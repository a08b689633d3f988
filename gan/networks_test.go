package gan_test

import (
	"math"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goldenRtol = 1e-4

func TestGoldenResnetBlock(t *testing.T) {
	golden.Load(t, "resnet_block").RunModule(t, gan.NewResnetBlock(tensor.NewRNG(1), 8), goldenRtol)
}

func TestGoldenGenerator(t *testing.T) {
	for _, name := range []string{"resnet_generator", "resnet_generator_b2"} {
		t.Run(name, func(t *testing.T) {
			g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 2})
			c := golden.Load(t, name)
			var names []string
			for _, p := range g.Parameters() {
				names = append(names, p.Name)
			}
			require.Equal(t, c.Keys(), names, "parameters in the official CycleGAN order")
			c.RunModule(t, g, goldenRtol)
		})
	}
}

func TestGoldenPatchGAN(t *testing.T) {
	d := gan.NewDiscriminator(tensor.NewRNG(1), gan.DiscriminatorConfig{InC: 3, NDF: 8, Layers: 3})
	golden.Load(t, "patchgan").RunModule(t, d, goldenRtol)
}

func TestOfficialParameterCounts(t *testing.T) {
	g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 64, Blocks: 9})
	d := gan.NewDiscriminator(tensor.NewRNG(1), gan.DiscriminatorConfig{InC: 3, NDF: 64, Layers: 3})
	assert.Equal(t, 11378179, nn.CountParameters(g))
	assert.Equal(t, 2764737, nn.CountParameters(d))
	last := g.Parameters()[len(g.Parameters())-1]
	assert.Equal(t, "model.26.bias", last.Name)
}

func TestGeneratorAttentionPlaces(t *testing.T) {
	rng := tensor.NewRNG(2)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 1, 3, 16, 12))
	for _, place := range []gan.AttentionPlace{gan.AfterResBlocks, gan.AfterFirstUp, gan.AfterLastUp} {
		g := gan.NewGenerator(rng, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 1, Attention: place})
		h := g.Encode(x)
		assert.Equal(t, []int{1, 32, 4, 3}, h.Shape())
		y := g.Decode(h)
		assert.Equal(t, []int{1, 3, 16, 12}, y.Shape())
		// With gamma 0 the block is the identity, so attention must not
		// change the output of the plain generator with the same weights.
		plain := *g
		plain.Attn = nil
		assert.Equal(t, plain.Forward(x).Value.Data(), y.Value.Data())
		assert.Equal(t, "attn.gamma", g.Parameters()[len(g.Parameters())-1].Name)
	}
}

// TestGeneratorCannotSeeGlobalGain pins down why the built-in data keeps the
// light's strength fixed: the first convolution is followed by instance
// norm, so a gain L on the colours (x+1 -> L(x+1) in [-1, 1] pixels) only
// scales and shifts each feature plane, which the norm removes. A tint that
// differs between channels is visible; a colour offset over the whole
// picture is not, so each scene's absolute colours must be guessed from
// their differences (scripts/background_error.py measures how well).
func TestGeneratorCannotSeeGlobalGain(t *testing.T) {
	rng := tensor.NewRNG(4)
	g := gan.NewGenerator(rng, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 1, Attention: gan.AfterResBlocks})
	x := tensor.Uniform(rng, -0.9, 0.6, 1, 3, 16, 16)
	relit := func(gain [3]float32) []float32 {
		d := x.Data()
		plane := len(d) / 3
		for i := range d {
			d[i] = gain[i/plane]*(d[i]+1) - 1
		}
		return g.Forward(autograd.Const(tensor.FromSlice(d, x.Shape()...))).Value.Data()
	}
	base := relit([3]float32{1, 1, 1})
	maxDiff := func(a, b []float32) float64 {
		var m float64
		for i := range a {
			m = max(m, math.Abs(float64(a[i]-b[i])))
		}
		return m
	}
	for _, gain := range []float32{0.78, 1.12} {
		assert.Less(t, maxDiff(base, relit([3]float32{gain, gain, gain})), 1e-4, "gain %v", gain)
	}
	assert.Greater(t, maxDiff(base, relit([3]float32{1.06, 1, 0.94})), 1e-3, "a tint must change the output")

	// Nor can it see a colour added to the whole picture: x + c for a
	// constant c per channel adds the constant (sum of w)*c to every
	// feature plane of the first convolution, which the norm subtracts.
	shifted := x.Data()
	plane := len(shifted) / 3
	for i := range shifted {
		shifted[i] += []float32{0.1, -0.05, 0.08}[i/plane]
	}
	moved := g.Forward(autograd.Const(tensor.FromSlice(shifted, x.Shape()...))).Value.Data()
	assert.Less(t, maxDiff(base, moved), 1e-4, "a colour offset")
}

// TestGeneratorInferenceFreesActivations checks that a generator run
// without gradients leaves only its output allocated, wherever the
// attention sits, and computes what it computes with a graph.
func TestGeneratorInferenceFreesActivations(t *testing.T) {
	for _, place := range []gan.AttentionPlace{gan.NoAttention, gan.AfterResBlocks, gan.AfterFirstUp, gan.AfterLastUp} {
		rng := tensor.NewRNG(5)
		g := gan.NewGenerator(rng, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 2, Attention: place})
		x := tensor.Uniform(rng, -1, 1, 2, 3, 16, 16)
		want := g.Forward(autograd.Const(x)).Value.Data() // parameters require gradients: a graph
		dev := tensor.Default()
		scope := tensor.OpenScope()
		before := dev.LiveBytes()
		var y *autograd.Var
		autograd.NoGrad(func() { y = g.Forward(autograd.Const(x)) })
		assert.Equal(t, int64(4*y.Value.Len()), dev.LiveBytes()-before, "%v: bytes alive after inference", place)
		assert.Equal(t, want, y.Value.Data(), "%v", place)
		scope.Close()
	}
}
