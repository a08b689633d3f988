package gan_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyConfig is the paper preset shrunk to train at 16x16 in a test.
func tinyConfig() gan.Config {
	cfg, err := gan.Preset("paper")
	if err != nil {
		panic(err)
	}
	cfg.NGF, cfg.NDF, cfg.Blocks, cfg.DLayers = 8, 8, 1, 2
	cfg.Attention = gan.AfterFirstUp
	cfg.Iters, cfg.DecayIters, cfg.Batch, cfg.PoolSize = 4, 4, 2, 3
	return cfg
}

// batches returns the images of iteration step: a function of the step
// alone, as the program's data sampler is.
func batches(tr *gan.Trainer) (a, b *tensor.Tensor) {
	rng := tr.SampleRNG(tr.Step)
	a = tensor.Uniform(rng, -1, 1, tr.Config.Batch, 3, 16, 16)
	b = tensor.Uniform(rng, -1, 0.5, tr.Config.Batch, 3, 16, 16)
	return a, b
}

func train(t *testing.T, tr *gan.Trainer, steps int) []gan.Losses {
	var out []gan.Losses
	for range steps {
		a, b := batches(tr)
		l, err := tr.TrainStep(a, b)
		require.NoError(t, err)
		out = append(out, l)
	}
	return out
}

func TestTrainStepLossesFiniteAndMoving(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	losses := train(t, tr, 4)
	for _, l := range losses {
		for i, v := range l.Values() {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "%s = %v", l.Names()[i], v)
		}
		assert.Greater(t, l.Sem, float32(0), "the semantic loss is on in the paper preset")
	}
	assert.NotEqual(t, losses[0].Values(), losses[3].Values())
	assert.Equal(t, 4, tr.Step)
	assert.Len(t, tr.PoolA.Images, 3)
}

// TestTrainStepMemoryIsFlat checks that a step gives back everything it
// allocates except what outlives it: once the pools are full and the
// optimiser state exists, the device's live bytes do not grow.
func TestTrainStepMemoryIsFlat(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	dev := tensor.Default()
	var live []int64
	for range 6 {
		a, b := batches(tr)
		_, err := tr.TrainStep(a, b)
		require.NoError(t, err)
		a.Free()
		b.Free()
		live = append(live, dev.LiveBytes())
	}
	// Steps 1 and 2 fill the pools (3 images each at batch 2); from then on
	// nothing more is kept.
	for i := 3; i < len(live); i++ {
		assert.Equal(t, live[2], live[i], "live bytes after step %d (all: %v)", i+1, live)
	}
}

func params(m nn.Module) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.Parameters() {
		out[p.Name] = p.Var.Value.Data()
	}
	return out
}

func TestCheckpointRoundTripIsExact(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	train(t, tr, 2)
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	require.NoError(t, tr.SaveCheckpoint(path))
	back, err := gan.LoadCheckpoint(path, 3)
	require.NoError(t, err)
	assert.Equal(t, tr.Step, back.Step)
	assert.Equal(t, tr.Config, back.Config)
	for _, pair := range [][2]nn.Module{{tr.GA, back.GA}, {tr.GB, back.GB}, {tr.DA, back.DA}, {tr.DB, back.DB}} {
		assert.Equal(t, params(pair[0]), params(pair[1]))
	}
	assert.Equal(t, tr.OptG.StateDict()["0.G_A.model.1.weight.exp_avg"].Data(), back.OptG.StateDict()["0.G_A.model.1.weight.exp_avg"].Data())
}

func TestResumeMatchesUninterruptedRun(t *testing.T) {
	straight, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	want := train(t, straight, 4)

	first, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	got := train(t, first, 2)
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	require.NoError(t, first.SaveCheckpoint(path))
	resumed, err := gan.LoadCheckpoint(path, 3)
	require.NoError(t, err)
	got = append(got, train(t, resumed, 2)...)

	assert.Equal(t, want, got, "losses of 2 + resume + 2 steps equal 4 straight steps")
	assert.Equal(t, params(straight.GA), params(resumed.GA))
	assert.Equal(t, params(straight.DB), params(resumed.DB))
}

func TestTrainStepStopsOnNaN(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	before := params(tr.GA)
	a, b := batches(tr)
	bad := a.Data()
	bad[5] = float32(math.NaN())
	a.SetData(bad)
	_, err = tr.TrainStep(a, b)
	require.ErrorContains(t, err, "generator loss is NaN")
	assert.Equal(t, before, params(tr.GA), "no update after a NaN loss")
}

func TestPresets(t *testing.T) {
	for _, name := range []string{"cyclegan", "paper"} {
		cfg, err := gan.Preset(name)
		require.NoError(t, err)
		require.NoError(t, cfg.Validate())
	}
	_, err := gan.Preset("pix2pix")
	require.ErrorContains(t, err, `no preset "pix2pix"`)

	// The paper reports 6.5M parameters for its generator; the layout with
	// NGF 48 has about 6.4M before attention.
	g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 48, Blocks: 9})
	assert.InDelta(t, 6.4e6, nn.CountParameters(g), 0.05e6)
}

// TestTrainStepDiscriminatorNaNChangesNothing: when the first
// discriminator loss is not finite, the generators' update of the same
// iteration is not applied either and the pools are as they were, so the
// trainer still holds the state after its last completed iteration.
func TestTrainStepDiscriminatorNaNChangesNothing(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	train(t, tr, 1)
	// Poison the history the discriminators are shown, not the images the
	// generators see.
	for _, p := range []*gan.ImagePool{tr.PoolA, tr.PoolB} {
		for len(p.Images) < p.Size {
			p.Images = append(p.Images, p.Images[0].Clone())
		}
		for _, img := range p.Images {
			v := img.Data()
			v[0] = float32(math.NaN())
			img.SetData(v)
		}
	}
	pool := func(p *gan.ImagePool) [][]float32 {
		var out [][]float32
		for _, img := range p.Images {
			out = append(out, img.Data())
		}
		return out
	}
	gA, dA, poolA, poolB := params(tr.GA), params(tr.DA), pool(tr.PoolA), pool(tr.PoolB)
	a, b := batches(tr)
	_, err = tr.TrainStep(a, b)
	var nf *gan.NonFiniteError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "discriminator", nf.Part)
	assert.False(t, nf.Updated)
	assert.Equal(t, 1, nf.Step)
	assert.Equal(t, 1, tr.Step)
	assert.True(t, reflect.DeepEqual(gA, params(tr.GA)), "no generator update after a NaN discriminator loss")
	assert.True(t, reflect.DeepEqual(dA, params(tr.DA)), "no discriminator update")
	assert.Equal(t, len(poolA), len(tr.PoolA.Images))
	assert.Equal(t, fmt.Sprint(poolA), fmt.Sprint(pool(tr.PoolA)), "pool A as it was")
	assert.Equal(t, fmt.Sprint(poolB), fmt.Sprint(pool(tr.PoolB)), "pool B as it was")
}

func TestMaxAbsWeight(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	w, name := tr.MaxAbsWeight()
	assert.Greater(t, w, 0.0)
	assert.Less(t, w, 1.0, "N(0, 0.02) init")
	assert.NotEmpty(t, name)
	p := tr.DB.Parameters()[0].Var.Value
	v := p.Data()
	v[1] = -6.5e33
	p.SetData(v)
	w, name = tr.MaxAbsWeight()
	assert.Equal(t, float32(6.5e33), float32(w))
	assert.Equal(t, "D_B."+tr.DB.Parameters()[0].Name, name)
}

// TestCheckpointKeepsPrecision checks that a checkpoint's metadata records
// the run's precision by name and that loading restores it, and that a
// checkpoint's config written before there was a precision reads as FP32.
func TestCheckpointKeepsPrecision(t *testing.T) {
	cfg := tinyConfig()
	cfg.Precision = kernels.BF16
	tr, err := gan.NewTrainer(cfg, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	require.NoError(t, tr.SaveCheckpoint(path))
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, f.Metadata["config"], `"Precision":"bf16"`)
	back, err := gan.LoadCheckpoint(path, 3)
	require.NoError(t, err)
	assert.Equal(t, kernels.BF16, back.Config.Precision)

	var old gan.Config
	require.NoError(t, json.Unmarshal([]byte(`{"NGF":8,"Seed":3}`), &old))
	assert.Equal(t, kernels.FP32, old.Precision)
	assert.Error(t, json.Unmarshal([]byte(`{"Precision":"fp8"}`), &old))
	cfg.Precision = 9
	assert.ErrorContains(t, cfg.Validate(), "unknown precision 9")
}

// generatorGrads returns the gradients of every generator parameter, by
// name, and frees them.
func generatorGrads(tr *gan.Trainer) map[string][]float32 {
	out := map[string][]float32{}
	for prefix, g := range map[string]*gan.Generator{"GA.": tr.GA, "GB.": tr.GB} {
		for _, p := range g.Parameters() {
			out[prefix+p.Name] = p.Var.Grad.Data()
			p.Var.ZeroGrad()
		}
	}
	return out
}

// TestGeneratorGradientsAreThoseOfTheWholeLoss checks the generator step,
// which runs its loss part by part, against the paper's objective written
// out as one expression and differentiated in one backward pass: the same
// loss values and the same gradients in every generator parameter.
func TestGeneratorGradientsAreThoseOfTheWholeLoss(t *testing.T) {
	cfg := tinyConfig()
	require.Positive(t, cfg.LambdaIdentity*cfg.LambdaSem, "every term is on in the paper preset")
	ref, err := gan.NewTrainer(cfg, 3)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(cfg, 3)
	require.NoError(t, err)
	ta, tb := batches(tr)

	// The reference: every term in one graph, with frozen discriminators.
	nn.SetRequiresGrad(ref.DA, false)
	nn.SetRequiresGrad(ref.DB, false)
	a, b := autograd.Const(ta), autograd.Const(tb)
	hA := ref.GA.Encode(a)
	fakeB := ref.GA.Decode(hA)
	hFakeB := ref.GB.Encode(fakeB)
	hB := ref.GB.Encode(b)
	fakeA := ref.GB.Decode(hB)
	hFakeA := ref.GA.Encode(fakeA)
	l1 := func(x, y *autograd.Var, w float32) *autograd.Var { return autograd.Scale(nn.L1Loss(x, y), w) }
	terms := []*autograd.Var{
		nn.MSEToConstant(ref.DA.Forward(fakeB), 1),
		nn.MSEToConstant(ref.DB.Forward(fakeA), 1),
		l1(ref.GB.Decode(hFakeB), a, cfg.LambdaCycle),
		l1(ref.GA.Decode(hFakeA), b, cfg.LambdaCycle),
		l1(ref.GA.Forward(b), b, cfg.LambdaCycle*cfg.LambdaIdentity),
		l1(ref.GB.Forward(a), a, cfg.LambdaCycle*cfg.LambdaIdentity),
		autograd.Scale(autograd.Add(nn.L1Loss(hA, hFakeB), nn.L1Loss(hB, hFakeA)), cfg.LambdaSem),
	}
	total := terms[0]
	for _, term := range terms[1:] {
		total = autograd.Add(total, term)
	}
	autograd.Backward(total)
	want := generatorGrads(ref)

	// The trainer's step leaves the generators' gradients in place after
	// applying them, and the discriminator step does not touch them.
	l, err := tr.TrainStep(ta, tb)
	require.NoError(t, err)
	got := generatorGrads(tr)
	for i, term := range terms {
		assert.InDelta(t, term.Item(), l.Values()[i], 1e-5*float64(abs(term.Item())), "loss %s", l.Names()[i])
	}
	require.Len(t, got, len(want))
	for name, w := range want {
		scale := float32(0)
		for _, v := range w {
			scale = max(scale, abs(v))
		}
		for i, v := range got[name] {
			if abs(v-w[i]) > 1e-4*scale {
				t.Fatalf("%s[%d]: gradient %v, the whole loss's %v (largest %v)", name, i, v, w[i], scale)
			}
		}
	}
}

func abs(v float32) float32 { return max(v, -v) }

// TestTrainStepHoldsOneCycleAtATime checks the generator step's memory:
// its peak, above what lives between steps, stays within three generator
// passes' activations (one cycle is two passes), where a single backward
// pass of the whole loss would hold all six.
func TestTrainStepHoldsOneCycleAtATime(t *testing.T) {
	tr, err := gan.NewTrainer(tinyConfig(), 3)
	require.NoError(t, err)
	train(t, tr, 2) // the optimiser state exists from here on
	dev := tensor.Default()
	a, b := batches(tr)

	before := dev.LiveBytes()
	scope := tensor.OpenScope()
	tr.GA.Forward(autograd.Const(a))
	pass := dev.LiveBytes() - before
	scope.Close()

	before = dev.LiveBytes()
	dev.ResetPeakLiveBytes()
	_, err = tr.TrainStep(a, b)
	require.NoError(t, err)
	peak := dev.PeakLiveBytes() - before
	t.Logf("one generator pass %d bytes, step peak %d bytes above the %d before it (%.1f passes)", pass, peak, before, float64(peak)/float64(pass))
	assert.Less(t, peak, 3*pass)
}
