package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyTrain returns the arguments of a training run small enough for tests
// (the paper preset: attention at the end of the generator, semantic loss,
// TTUR) writing to out: 4 iterations at the base rate and 2 of decay, a
// sample every 2, a numbered checkpoint every 3.
func tinyTrain(out string, extra ...string) []string {
	return append([]string{"train", "-out", out, "-size", "24", "-ngf", "8", "-ndf", "4", "-blocks", "1",
		"-iters", "4", "-decay", "2", "-count", "4", "-sample-every", "2", "-save-every", "3"}, extra...)
}

const tinyTotal = 6 // iterations of tinyTrain

var (
	trainOnce sync.Once
	trainDir  string
	trainErr  error
)

// trained returns the output folder of one tinyTrain run shared by the
// tests that only read it.
func trained(t *testing.T) string {
	t.Helper()
	trainOnce.Do(func() {
		if trainDir, trainErr = os.MkdirTemp("", "horse2zebra-test-"); trainErr == nil {
			trainErr = run(tinyTrain(trainDir))
		}
	})
	require.NoError(t, trainErr)
	return trainDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if trainDir != "" {
		os.RemoveAll(trainDir)
	}
	os.Exit(code)
}

// readLossLog returns loss_log.csv's header and rows, checking that every
// value is a finite number.
func readLossLog(t *testing.T, dir string) ([]string, [][]float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "loss_log.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	var rows [][]float64
	for _, rec := range recs[1:] {
		row := make([]float64, len(rec))
		for i, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v in %v", recs[0][i], v, rec)
			row[i] = v
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func imageSize(t *testing.T, path string) (w, h int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	require.NoError(t, err, path)
	return cfg.Width, cfg.Height
}

func checkpointStep(t *testing.T, path string) int {
	t.Helper()
	tr, err := gan.LoadCheckpoint(path, 3)
	require.NoError(t, err)
	return tr.Step
}

func TestTrainWritesEverything(t *testing.T) {
	dir := trained(t)

	header, rows := readLossLog(t, dir)
	assert.Equal(t, []string{"iter", "seconds"}, header[:2])
	require.Len(t, rows, tinyTotal)
	for i, r := range rows {
		assert.Equal(t, float64(i+1), r[0], "iteration column")
	}
	moved := false
	for c := 2; c < len(header); c++ {
		moved = moved || rows[0][c] != rows[len(rows)-1][c]
	}
	assert.True(t, moved, "losses change during training")

	for _, name := range []string{"iter_000002.png", "iter_000004.png", "iter_000006.png", "final.png"} {
		// input | translated | reconstructed for 3 test images each way,
		// 24x24 with a padding of 2
		w, h := imageSize(t, filepath.Join(dir, "samples", name))
		assert.Equal(t, [2]int{3*26 + 2, 6*26 + 2}, [2]int{w, h}, name)
	}
	imageSize(t, filepath.Join(dir, "loss_curve.png"))

	assert.Equal(t, tinyTotal, checkpointStep(t, filepath.Join(dir, "checkpoints", "latest.safetensors")))
	assert.Equal(t, 3, checkpointStep(t, filepath.Join(dir, "checkpoints", "iter_000003.safetensors")))
	assert.Equal(t, 6, checkpointStep(t, filepath.Join(dir, "checkpoints", "iter_000006.safetensors")))

	html, err := os.ReadFile(filepath.Join(dir, "results", "index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "<table>")
	assert.Contains(t, string(html), "images/")

	checkMetrics(t, dir, tinyTotal)
}

// checkMetrics checks that metrics.json has every documented key with a
// finite value, for a run at iteration iter.
func checkMetrics(t *testing.T, dir string, iter int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	require.NoError(t, err)
	var m map[string]float64
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"images", "iteration", "psnr", "ssim", "psnr_background", "translation_score", "psnr_gt", "ssim_gt", "psnr_gt_identity"} {
		v, ok := m[k]
		if assert.True(t, ok, "metrics.json has %q", k) {
			assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", k, v)
		}
	}
	assert.Equal(t, float64(iter), m["iteration"])
	assert.Positive(t, m["images"])
	assert.True(t, m["ssim"] > -1 && m["ssim"] <= 1, "ssim %v", m["ssim"])
}

func TestEvalRewritesResults(t *testing.T) {
	dir := trained(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "metrics.json")))
	require.NoError(t, os.Remove(filepath.Join(dir, "results", "index.html")))
	require.NoError(t, run([]string{"eval", "-out", dir, "-size", "24"}))
	checkMetrics(t, dir, tinyTotal)
	_, err := os.Stat(filepath.Join(dir, "results", "index.html"))
	assert.NoError(t, err)
}

// writeImage writes img as PNG, or as JPEG for a .jpg path.
func writeImage(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(f, img, nil)
	} else {
		err = png.Encode(f, img)
	}
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func grey(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	return img
}

func rgb(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(9 * x), uint8(13 * y), uint8(x * y), 255})
		}
	}
	return img
}

func TestTranslateKeepsImageSizes(t *testing.T) {
	ckpt := filepath.Join(trained(t), "checkpoints", "latest.safetensors")
	in := t.TempDir()
	sizes := map[string][2]int{"grey.png": {37, 23}, "wide.jpg": {21, 6}, "square.png": {16, 16}, "five.png": {5, 5}}
	writeImage(t, filepath.Join(in, "grey.png"), grey(37, 23))
	writeImage(t, filepath.Join(in, "wide.jpg"), rgb(21, 6))
	writeImage(t, filepath.Join(in, "square.png"), rgb(16, 16))
	writeImage(t, filepath.Join(in, "tiny.png"), rgb(3, 3)) // too small: skipped with a warning
	writeImage(t, filepath.Join(in, "thin.png"), rgb(4, 9)) // too small as well
	writeImage(t, filepath.Join(in, "five.png"), rgb(5, 5)) // the smallest that translates
	require.NoError(t, os.WriteFile(filepath.Join(in, "notes.txt"), []byte("not an image"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(in, "broken.png"), []byte("not a png"), 0o644))

	for _, dir := range []string{"AtoB", "BtoA"} {
		out := filepath.Join(t.TempDir(), "out")
		require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out, "-direction", dir}))
		entries, err := os.ReadDir(out)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.ElementsMatch(t, []string{"grey.png", "wide.png", "square.png", "five.png"}, names)
		for name, size := range sizes {
			w, h := imageSize(t, filepath.Join(out, strings.TrimSuffix(name, filepath.Ext(name))+".png"))
			assert.Equal(t, size, [2]int{w, h}, name)
		}
	}

	out := t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", filepath.Join(in, "grey.png"), "-out", out}))
	w, h := imageSize(t, filepath.Join(out, "grey.png"))
	assert.Equal(t, [2]int{37, 23}, [2]int{w, h})
}

func TestTranslateWithPyTorchWeights(t *testing.T) {
	// A CycleGAN ResnetGenerator state dict saved by torch.save; translate
	// infers ngf 4 and 2 blocks from its keys.
	in := filepath.Join(t.TempDir(), "photo.png")
	writeImage(t, in, rgb(19, 11))
	out := t.TempDir()
	weights := filepath.Join(golden.Dir(t), "pth_generator.pth")
	require.NoError(t, run([]string{"translate", "-weights", weights, "-in", in, "-out", out}))
	w, h := imageSize(t, filepath.Join(out, "photo.png"))
	assert.Equal(t, [2]int{19, 11}, [2]int{w, h})

	g, _, err := loadGenerator(weights, "AtoB")
	require.NoError(t, err)
	assert.Equal(t, gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 4, Blocks: 2}, g.Config)
}

func TestErrorsAreClear(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "img.png")
	writeImage(t, img, rgb(8, 8))
	corrupt := filepath.Join(dir, "corrupt.pth")
	require.NoError(t, os.WriteFile(corrupt, []byte("PK\x03\x04 truncated"), 0o644))
	views := filepath.Join(golden.Dir(t), "pth_views.pth")
	noImages := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(noImages, "a.txt"), nil, 0o644))
	missing := filepath.Join(dir, "missing.safetensors")

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"train", "-nosuch"}, "flag provided but not defined: -nosuch"},
		{[]string{"train", "-size", "big"}, `invalid value "big" for flag -size`},
		{[]string{"train", "-out", dir, "stray"}, "train: unexpected arguments [stray]"},
		{[]string{"train", "-out", dir, "-preset", "nosuch"}, `no preset "nosuch"`},
		{[]string{"train", "-out", dir, "-attn", "sideways"}, `attention place "sideways"`},
		{[]string{"train", "-out", dir, "-ngf", "4"}, "NGF 4 too small for attention"},
		{[]string{"train", "-out", dir, "-size", "16"}, "-size 16 is too small for the 3-layer PatchGAN discriminator: at least 24"},
		{[]string{"train", "-out", dir, "-size", "30"}, "-size 30: must be a positive multiple of 4"},
		{[]string{"train", "-out", dir, "-device", "abacus"}, "abacus"},
		{[]string{"train", "-out", dir, "-data", filepath.Join(dir, "nowhere")}, "nowhere"},
		{[]string{"train", "-out", t.TempDir(), "-resume"}, "resume:"},
		{[]string{"eval", "-out", t.TempDir()}, "latest.safetensors"},
		{[]string{"translate", "-in", img}, "-weights and -in are required"},
		{[]string{"translate", "-weights", missing, "-in", img, "-out", dir}, missing},
		{[]string{"translate", "-weights", corrupt, "-in", img, "-out", dir}, "torchfile: " + corrupt},
		{[]string{"translate", "-weights", views, "-in", img, "-out", dir}, "not a ResnetGenerator state dict"},
		{[]string{"translate", "-weights", filepath.Join(golden.Dir(t), "pth_generator.pth"), "-in", noImages, "-out", dir}, "no .png, .jpg or .jpeg files"},
		{[]string{"translate", "-weights", filepath.Join(golden.Dir(t), "pth_generator.pth"), "-in", filepath.Join(dir, "nope.png"), "-out", dir}, "nope.png"},
	}
	for _, c := range cases {
		name := strings.Join(c.args, " ")
		name = strings.ReplaceAll(strings.ReplaceAll(name, dir, "DIR"), golden.Dir(t), "GOLDEN")
		t.Run(name, func(t *testing.T) {
			err := run(c.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Equal(t, 1, exitCode(err))
		})
	}
}

func TestTranslateDirectionNeedsCheckpoint(t *testing.T) {
	ckpt := filepath.Join(trained(t), "checkpoints", "latest.safetensors")
	err := run([]string{"translate", "-weights", ckpt, "-in", ckpt, "-out", t.TempDir(), "-direction", "sideways"})
	require.ErrorContains(t, err, `-direction "sideways" is not AtoB or BtoA`)
}

func TestHelpAndExitCodes(t *testing.T) {
	for _, cmd := range []string{"train", "eval", "translate"} {
		err := run([]string{cmd, "-h"})
		assert.True(t, errors.Is(err, flag.ErrHelp), "%s -h: %v", cmd, err)
		assert.Equal(t, 0, exitCode(err))
	}
	assert.NoError(t, run([]string{"help"}))
	assert.Equal(t, 0, exitCode(nil))
	assert.Equal(t, 1, exitCode(errors.New("boom")))
	assert.Equal(t, 130, exitCode(errInterrupted))
}

// sameCheckpoints checks that two checkpoints hold the same tensors, bit
// for bit, and the same step.
func sameCheckpoints(t *testing.T, a, b string) {
	t.Helper()
	fa, err := safetensors.ReadFile(a)
	require.NoError(t, err)
	fb, err := safetensors.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, fa.Names(), fb.Names())
	assert.Equal(t, fa.Metadata["step"], fb.Metadata["step"])
	for _, k := range fa.Names() {
		if !slices.Equal(fa.Tensors[k].Data, fb.Tensors[k].Data) {
			t.Errorf("%s differs", k)
		}
	}
}

// TestOutputsAreReadable: files written through a temporary file keep the
// usual mode 0644, not the temporary file's 0600.
func TestOutputsAreReadable(t *testing.T) {
	dir := trained(t)
	for _, rel := range []string{"metrics.json", "data_flags.json", "loss_curve.png",
		filepath.Join("results", "index.html"), filepath.Join("samples", "iter_000002.png"),
		filepath.Join("checkpoints", "latest.safetensors")} {
		st, err := os.Stat(filepath.Join(dir, rel))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), st.Mode().Perm(), rel)
	}
}
