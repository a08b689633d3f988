package main

import (
	"flag"
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configFrom parses args as train's flags and returns the resulting config.
func configFrom(t *testing.T, args ...string) (gan.Config, error) {
	t.Helper()
	o := &options{}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	o.register(fs)
	require.NoError(t, fs.Parse(args))
	return o.config()
}

func TestEveryConfigFieldHasAFlag(t *testing.T) {
	preset, err := gan.Preset("paper")
	require.NoError(t, err)
	got, err := configFrom(t)
	require.NoError(t, err)
	assert.Equal(t, preset, got, "no flags: the preset")

	got, err = configFrom(t, "-ngf", "8", "-ndf", "16", "-blocks", "2", "-dlayers", "2", "-attn", "up1",
		"-lambda-cycle", "5", "-lambda-idt", "0", "-lambda-sem", "2", "-lr-g", "0.0003", "-lr-d", "0.0004",
		"-beta1", "0", "-beta2", "0.99", "-iters", "7", "-decay", "3", "-batch", "2", "-pool", "0",
		"-d-steps", "2", "-seed", "9")
	require.NoError(t, err)
	assert.Equal(t, gan.Config{
		NGF: 8, NDF: 16, Blocks: 2, DLayers: 2, Attention: gan.AfterFirstUp,
		LambdaCycle: 5, LambdaIdentity: 0, LambdaSem: 2, LRG: 0.0003, LRD: 0.0004,
		Beta1: 0, Beta2: 0.99, Iters: 7, DecayIters: 3, Batch: 2, PoolSize: 0, DSteps: 2, Seed: 9,
	}, got)

	_, err = configFrom(t, "-beta2", "1")
	assert.EqualError(t, err, "gan: Adam betas must be in [0, 1) (beta1 0.5, beta2 1)")
}

// TestQuickDemoFlags checks that the quick demo's flags make a valid
// configuration for its 64x64 images: the paper preset with its additions
// on, at the demo's size and rates.
func TestQuickDemoFlags(t *testing.T) {
	cfg, err := configFrom(t, quickDemo...)
	require.NoError(t, err)
	require.NoError(t, checkSize(64, cfg.DLayers))
	assert.NotEqual(t, gan.NoAttention, cfg.Attention)
	assert.Greater(t, cfg.LambdaSem, float32(0))
	assert.Equal(t, 2*cfg.LRG, cfg.LRD, "TTUR: the discriminators learn twice as fast")
	assert.Equal(t, 1400, cfg.Iters+cfg.DecayIters)
}
