package main

import (
	"path/filepath"
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrecisionFlag(t *testing.T) {
	cfg, err := configFrom(t)
	require.NoError(t, err)
	assert.Equal(t, kernels.FP32, cfg.Precision, "auto on the cpu")
	for _, p := range kernels.Precisions {
		cfg, err := configFrom(t, "-precision", p.String())
		require.NoError(t, err)
		assert.Equal(t, p, cfg.Precision)
	}
	_, err = configFrom(t, "-precision", "fp16")
	assert.EqualError(t, err, `-precision "fp16": must be auto, fp32, tf32 or bf16`)

	_, _ = capture(t)
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"train", "-out", out, "-precision", "TF32"},
		{"eval", "-out", out, "-precision", "half"},
		{"translate", "-weights", "w.safetensors", "-in", "x.png", "-out", out, "-precision", "fp64"},
		{"serve", "-out", t.TempDir(), "-precision", "int8"},
	} {
		err := run(args)
		if assert.Error(t, err, "%v", args) {
			assert.Contains(t, err.Error(), "-precision")
			assert.Contains(t, err.Error(), "must be auto, fp32, tf32 or bf16")
		}
	}
	assert.False(t, exists(out), "nothing written")
}

// savedPrecision returns the precision recorded in the checkpoint at path,
// checking that its metadata names it.
func savedPrecision(t *testing.T, path string) kernels.Precision {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	tr, err := gan.LoadCheckpoint(path, 3)
	require.NoError(t, err)
	assert.Contains(t, f.Metadata["config"], `"Precision":"`+tr.Config.Precision.String()+`"`)
	return tr.Config.Precision
}

// TestPrecisionTrainResumeTranslate follows a run's precision: train
// computes every iteration in -precision and records it; -resume keeps it,
// or takes a new one given explicitly and says so; translate uses the
// checkpoint's unless told otherwise.
func TestPrecisionTrainResumeTranslate(t *testing.T) {
	t.Cleanup(tensor.ResetPrecision)
	out, errOut := capture(t)
	var during []kernels.Precision
	stepDone = func(int) { during = append(during, tensor.PrecisionOn(tensor.Default())) }
	t.Cleanup(func() { stepDone = nil })
	steps := func() []kernels.Precision { d := during; during = nil; return d }
	same := func(p kernels.Precision, n int) []kernels.Precision {
		s := make([]kernels.Precision, n)
		for i := range s {
			s[i] = p
		}
		return s
	}

	dir := t.TempDir()
	latest := filepath.Join(dir, "checkpoints", "latest.safetensors")
	require.NoError(t, run(tinyTrain(dir, "-precision", "bf16")))
	assert.Equal(t, same(kernels.BF16, tinyTotal), steps())
	assert.Equal(t, kernels.BF16, savedPrecision(t, latest))
	assert.Contains(t, out.String(), "products in bf16")

	tensor.SetPrecision(kernels.FP32) // what the run set must not linger into a resume
	require.NoError(t, run([]string{"train", "-out", dir, "-resume", "-iters", "5", "-decay", "2"}))
	assert.Equal(t, same(kernels.BF16, 1), steps(), "a resumed run keeps its precision")
	assert.Equal(t, kernels.BF16, savedPrecision(t, latest))
	assert.NotContains(t, errOut.String(), "precision changed")

	require.NoError(t, run([]string{"train", "-out", dir, "-resume", "-iters", "6", "-decay", "2", "-precision", "tf32"}))
	assert.Equal(t, same(kernels.TF32, 1), steps(), "-precision given on resume")
	assert.Equal(t, kernels.TF32, savedPrecision(t, latest))
	assert.Contains(t, errOut.String(), "precision changed from the checkpoint's bf16 to tf32")

	in := filepath.Join(t.TempDir(), "x.png")
	writeImage(t, in, rgb(24, 24))
	for _, c := range []struct {
		extra []string
		want  kernels.Precision
	}{{nil, kernels.TF32}, {[]string{"-precision", "bf16"}, kernels.BF16}, {[]string{"-precision", "auto"}, kernels.FP32}} {
		tensor.ResetPrecision()
		args := append([]string{"translate", "-weights", latest, "-in", in, "-out", t.TempDir()}, c.extra...)
		require.NoError(t, run(args))
		assert.Equal(t, c.want, tensor.PrecisionOn(tensor.Default()), "%v", args)
	}
}
