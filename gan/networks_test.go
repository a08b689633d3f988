package gan_test

import (
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

func tensorOf(t *testing.T, c *golden.Case, key string) *tensor.Tensor {
	x := c.Get(t, key)
	return tensor.FromSlice(x.Data, x.Shape...)
}

// runModuleGolden loads the case's weights under the official key names,
// runs "x" forward, back-propagates "dy" and compares every result.
func runModuleGolden(t *testing.T, c *golden.Case, m nn.Module) {
	t.Helper()
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	require.Equal(t, c.Keys(), names, "parameter names follow the official CycleGAN model")
	sd := map[string]*tensor.Tensor{}
	for _, k := range c.Keys() {
		sd[k] = tensorOf(t, c, "param."+k)
	}
	require.NoError(t, nn.LoadStateDict(m, sd))
	x := autograd.Param(tensorOf(t, c, "x"))
	y := m.Forward(x)
	c.Compare(t, "y", y.Shape(), y.Value.Data(), goldenRtol)
	autograd.BackwardWith(y, tensorOf(t, c, "dy"))
	c.Compare(t, "dx", x.Shape(), x.Grad.Data(), goldenRtol)
	for _, p := range m.Parameters() {
		c.Compare(t, "grad."+p.Name, p.Var.Value.Shape(), p.Var.Grad.Data(), goldenRtol)
	}
}

func TestGoldenResnetBlock(t *testing.T) {
	runModuleGolden(t, golden.Load(t, "resnet_block"), gan.NewResnetBlock(tensor.NewRNG(1), 8))
}

func TestGoldenGenerator(t *testing.T) {
	for _, name := range []string{"resnet_generator", "resnet_generator_b2"} {
		t.Run(name, func(t *testing.T) {
			g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 2})
			runModuleGolden(t, golden.Load(t, name), g)
		})
	}
}

func TestGoldenPatchGAN(t *testing.T) {
	d := gan.NewDiscriminator(tensor.NewRNG(1), gan.DiscriminatorConfig{InC: 3, NDF: 8, Layers: 3})
	runModuleGolden(t, golden.Load(t, "patchgan"), d)
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
