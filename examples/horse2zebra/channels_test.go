package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// greyData writes a CycleGAN-layout dataset of four grey 32x32 PNGs per
// folder and returns the root.
func greyData(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"trainA", "trainB", "testA", "testB"} {
		require.NoError(t, os.Mkdir(filepath.Join(root, d), 0o755))
		for i := range 4 {
			writeImage(t, filepath.Join(root, d, fmt.Sprintf("g%d.png", i)), grey(32, 32+i))
		}
	}
	return root
}

// pngModel returns the colour model of the PNG at path.
func pngModel(t *testing.T, path string) color.Model {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	require.NoError(t, err, path)
	return cfg.ColorModel
}

// The channels follow the data: grey images train a 1-channel model, whose
// outputs are grey PNGs; -channels overrides; the checkpoint keeps them,
// and resume, eval and translate take them from its weights.
func TestChannelsFollowTheData(t *testing.T) {
	root := greyData(t)
	capture(t)
	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-data", root, "-iters", "2", "-decay", "0")))
	latest := filepath.Join(dir, "checkpoints", "latest.safetensors")
	c, err := checkpointChannels(latest)
	require.NoError(t, err)
	assert.Equal(t, 1, c, "all grey: a 1-channel model")
	assert.Equal(t, color.GrayModel, pngModel(t, filepath.Join(dir, "results", "images", "g0_fake.png")), "grey outputs are grey PNGs")
	assert.Equal(t, color.GrayModel, pngModel(t, filepath.Join(dir, "samples", "final.png")))

	require.NoError(t, run(tinyTrain(dir, "-data", root, "-iters", "3", "-decay", "0", "-resume")))
	assert.Equal(t, 3, checkpointStep1(t, latest))
	require.NoError(t, run([]string{"eval", "-out", dir}))
	err = run([]string{"eval", "-out", dir, "-channels", "3"})
	require.ErrorContains(t, err, "-channels 3: the checkpoint "+latest+" takes 1-channel images")

	in := t.TempDir()
	writeImage(t, filepath.Join(in, "photo.jpg"), rgb(20, 12)) // colour: converted
	writeImage(t, filepath.Join(in, "scan.png"), grey(9, 7))
	out := t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", latest, "-in", in, "-out", out, "-direction", "BtoA"}))
	for _, name := range []string{"photo.png", "scan.png"} {
		assert.Equal(t, color.GrayModel, pngModel(t, filepath.Join(out, name)), name)
	}

	rgbRun := t.TempDir()
	require.NoError(t, run(tinyTrain(rgbRun, "-data", root, "-iters", "1", "-decay", "0", "-channels", "3")))
	c, err = checkpointChannels(filepath.Join(rgbRun, "checkpoints", "latest.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 3, c, "-channels 3 overrides the data")

	err = run(tinyTrain(t.TempDir(), "-channels", "2"))
	require.ErrorContains(t, err, "-channels 2: must be 1 (grey) or 3 (RGB)")
}

// Colour data trains a 3-channel model, and the built-in data a 1-channel
// one with -channels 1.
func TestChannelsOfColourAndBuiltInData(t *testing.T) {
	capture(t)
	c, err := checkpointChannels(filepath.Join(trained(t), "checkpoints", "latest.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 3, c)

	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-iters", "1", "-decay", "0", "-channels", "1")))
	c, err = checkpointChannels(filepath.Join(dir, "checkpoints", "latest.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 1, c)
}

// checkpointStep1 is checkpointStep for a 1-channel checkpoint.
func checkpointStep1(t *testing.T, path string) int {
	t.Helper()
	c, err := checkpointChannels(path)
	require.NoError(t, err)
	require.Equal(t, 1, c)
	tr, err := gan.LoadCheckpoint(path, 1)
	require.NoError(t, err)
	return tr.Step
}
