package gan_test

import (
	"fmt"
	"math"
	"strings"
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

// float64Tolerance: within ten times PyTorch float32's error on the same
// tensors, and never held tighter than 2e-5.
var float64Tolerance = golden.Float64Tolerance{Factor: 10, Floor: 2e-5}

// TestFloat64Networks checks the full-size networks (the official
// generator, ngf 64 and 9 blocks, and the 70x70 PatchGAN, ndf 64, at
// 64x64) against float64: the output, the input gradient and every
// parameter gradient.
func TestFloat64Networks(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size networks")
	}
	t.Run("generator", func(t *testing.T) {
		g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 64, Blocks: 9})
		golden.Load(t, "f64_resnet_generator").RunFloat64(t, g, float64Tolerance)
	})
	t.Run("patchgan", func(t *testing.T) {
		d := gan.NewDiscriminator(tensor.NewRNG(1), gan.DiscriminatorConfig{InC: 3, NDF: 64, Layers: 3})
		golden.Load(t, "f64_patchgan").RunFloat64(t, d, float64Tolerance)
	})
}

// TestFloat64CheckCatchesAWrongGradient shows that the float64 check fails
// on a gradient that is wrong by 1e-4 of its norm while the forward pass
// stays exact: a term z - detach(z) added to the output, with z linear in
// one weight, changes nothing but that weight's gradient.
func TestFloat64CheckCatchesAWrongGradient(t *testing.T) {
	c := golden.Load(t, "f64_patchgan")
	const key = "grad.model.5.weight"
	d := gan.NewDiscriminator(tensor.NewRNG(1), gan.DiscriminatorConfig{InC: 3, NDF: 64, Layers: 3})
	var w *autograd.Var
	for _, p := range d.Parameters() {
		if "grad."+p.Name == key {
			w = p.Var
		}
	}
	require.NotNil(t, w)
	// The planted error is sum(r) * dir, r the loss weights (6x6 outputs).
	var sumR float64
	for _, v := range golden.HashedUniform(1, 36, 1) {
		sumR += float64(v)
	}
	dir := golden.HashedUniform(99, w.Value.Len(), 1)
	var dirNorm float64
	for _, v := range dir {
		dirNorm += float64(v) * float64(v)
	}
	scale := 1e-4 * float64(c.Get(t, key+".norm").Data[0]) / (math.Sqrt(dirNorm) * math.Abs(sumR))
	for i := range dir {
		dir[i] *= float32(scale)
	}
	planted := plantedGradient{d, w, tensor.FromSlice(dir, w.Shape()...)}

	rec := &errorRecorder{TB: t}
	c.RunFloat64(rec, planted, float64Tolerance)
	require.NotEmpty(t, rec.errors, "a gradient wrong by 1e-4 of its norm passed the float64 check")
	for _, e := range rec.errors {
		assert.Contains(t, e, key, "only the planted gradient is wrong")
	}
	t.Logf("caught: %s", strings.Join(rec.errors, "; "))
}

// plantedGradient is a module whose output is its inner module's plus
// z - detach(z), z = sum(w * dir): the same values, and dw off by
// sum(dL/dy) * dir.
type plantedGradient struct {
	nn.Module
	w   *autograd.Var
	dir *tensor.Tensor
}

func (p plantedGradient) Forward(x *autograd.Var) *autograd.Var {
	z := autograd.Sum(autograd.Mul(p.w, autograd.Const(p.dir)))
	return autograd.Add(p.Module.Forward(x), autograd.Sub(z, z.Detach()))
}

// errorRecorder keeps the errors a check reports instead of failing the
// test, so that a test can assert that the check fails.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) Helper() {}
