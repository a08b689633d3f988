package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file follow the probes of docs/cli-reliability.md, in
// its order.

// syncBuffer is a bytes.Buffer that the signal watcher's goroutine may
// write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// capture sends the commands' stdout and stderr to buffers until the test
// ends.
func capture(t *testing.T) (out, errOut *syncBuffer) {
	t.Helper()
	out, errOut = &syncBuffer{}, &syncBuffer{}
	oldOut, oldErr := stdout, stderr
	stdout, stderr = out, errOut
	t.Cleanup(func() { stdout, stderr = oldOut, oldErr })
	return out, errOut
}

// folderData writes a CycleGAN-layout dataset of four 32x32 images per
// folder, plus a text file at the path bad (relative to the root) if bad
// is not empty, and returns the root.
func folderData(t *testing.T, bad string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"trainA", "trainB", "testA", "testB"} {
		require.NoError(t, os.Mkdir(filepath.Join(root, d), 0o755))
		for i := range 4 {
			writeImage(t, filepath.Join(root, d, fmt.Sprintf("img%d.png", i)), rgb(32+i, 32))
		}
	}
	if bad != "" {
		require.NoError(t, os.WriteFile(filepath.Join(root, bad), []byte("not an image"), 0o644))
	}
	return root
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Probe 1: -save-every 0 and -sample-every 0 mean "none", not a division by
// zero.
func TestZeroIntervalsMeanNone(t *testing.T) {
	capture(t)
	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-iters", "2", "-decay", "0", "-save-every", "0", "-sample-every", "0")))
	assert.Equal(t, 2, checkpointStep(t, filepath.Join(dir, "checkpoints", "latest.safetensors")))
	numbered, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "iter_*"))
	assert.Empty(t, numbered, "no numbered checkpoints with -save-every 0")
	grids, _ := filepath.Glob(filepath.Join(dir, "samples", "iter_*"))
	assert.Empty(t, grids, "no sample grids with -sample-every 0")
	assert.True(t, exists(filepath.Join(dir, "samples", "final.png")))
}

// Probe 2: an unreadable test image among the first three is skipped in the
// sample grids with one warning; with -strict it stops training, after
// saving the state.
func TestBadTestImageIsSkipped(t *testing.T) {
	root := folderData(t, filepath.Join("testA", "0bad.jpg"))
	_, errOut := capture(t)
	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-data", root)))
	assert.Equal(t, tinyTotal, checkpointStep(t, filepath.Join(dir, "checkpoints", "latest.safetensors")))
	warnings := strings.Count(errOut.String(), "0bad.jpg")
	assert.Equal(t, 1, warnings, "one warning for the bad file; stderr:\n%s", errOut)
	w, h := imageSize(t, filepath.Join(dir, "samples", "iter_000002.png"))
	assert.Equal(t, [2]int{3*26 + 2, 6*26 + 2}, [2]int{w, h}, "three readable images each way")
	assert.True(t, exists(filepath.Join(dir, "results", "images", "img1_fake.png")), "results named after the file's stem")
	assert.False(t, exists(filepath.Join(dir, "results", "images", "img1.png_fake.png")))

	strict := t.TempDir()
	err := run(tinyTrain(strict, "-data", root, "-strict"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0bad.jpg")
	assert.Contains(t, err.Error(), "nothing was trained")
	assert.False(t, exists(filepath.Join(strict, "checkpoints")), "-strict fails before training")
}

// Every file's header is read before the first iteration: the unreadable
// ones are listed once, with -strict the run fails there, and a domain left
// without images is an error naming its folder.
func TestDataCheckedBeforeTraining(t *testing.T) {
	root := folderData(t, filepath.Join("trainA", "150x.jpg"))
	for i := range 5 {
		require.NoError(t, os.WriteFile(filepath.Join(root, "trainB", fmt.Sprintf("junk%d.png", i)), []byte("text"), 0o644))
	}
	_, errOut := capture(t)
	dir := t.TempDir()
	stepDone = func(step int) {
		if step == 1 {
			assert.Contains(t, errOut.String(), "150x.jpg", "reported before the first iteration ends")
		}
	}
	t.Cleanup(func() { stepDone = nil })
	require.NoError(t, run(tinyTrain(dir, "-data", root)))
	stepDone = nil
	assert.Equal(t, 1, strings.Count(errOut.String(), "cannot be read"), "listed once:\n%s", errOut)
	assert.Contains(t, errOut.String(), "6 of the 22 image files of "+root+" cannot be read: "+filepath.Join("trainA", "150x.jpg"))
	assert.Contains(t, errOut.String(), "and 3 more")
	assert.Equal(t, 1, strings.Count(errOut.String(), "150x.jpg"), "named once:\n%s", errOut)

	strict := t.TempDir()
	err := run(tinyTrain(strict, "-data", root, "-strict"))
	require.ErrorContains(t, err, "150x.jpg")
	assert.False(t, exists(filepath.Join(strict, "loss_log.csv")), "nothing trained")

	for i := range 4 {
		require.NoError(t, os.Remove(filepath.Join(root, "trainB", fmt.Sprintf("img%d.png", i))))
	}
	err = run(tinyTrain(t.TempDir(), "-data", root))
	require.ErrorContains(t, err, filepath.Join(root, "trainB"))
	require.ErrorContains(t, err, "none of its 5 image files can be read")
}

// Probe 3: a NaN names a checkpoint that exists, holding the last state
// with finite losses; an explosion without NaN is warned about.
func TestNaNGuardSavesAndDivergenceIsWarned(t *testing.T) {
	_, errOut := capture(t)
	dir := t.TempDir()
	err := run(tinyTrain(dir, "-attn", "none", "-lr-g", "1e30", "-lr-d", "1e30"))
	var nf *gan.NonFiniteError
	require.ErrorAs(t, err, &nf)
	latest := filepath.Join(dir, "checkpoints", "latest.safetensors")
	assert.Contains(t, err.Error(), fmt.Sprintf("saved the last state with finite losses, after iteration %d, to %s", nf.Step, latest))
	assert.Contains(t, err.Error(), "diverged")
	assert.Equal(t, nf.Step, checkpointStep(t, latest))

	dir = t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-attn", "none", "-lr-g", "1e9", "-lr-d", "1e9")))
	assert.Contains(t, errOut.String(), "warning: training is diverging")
	assert.Contains(t, errOut.String(), "warning: this run diverged")

	errOut2 := capture2(t)
	require.NoError(t, run(tinyTrain(t.TempDir())))
	assert.NotContains(t, errOut2.String(), "diverg", "a healthy run is not warned about")
}

// capture2 is capture for a second part of a test, returning only stderr.
func capture2(t *testing.T) *syncBuffer {
	_, errOut := capture(t)
	return errOut
}

// Probe 4: translate fails when the file it is given, or every image of
// the folder, cannot be read.
func TestTranslateFailsWhenNothingIsWritten(t *testing.T) {
	capture(t)
	ckpt := filepath.Join(trained(t), "checkpoints", "latest.safetensors")
	in := t.TempDir()
	text := filepath.Join(in, "photo.jpg")
	require.NoError(t, os.WriteFile(text, []byte("not a jpeg"), 0o644))

	out := t.TempDir()
	err := run([]string{"translate", "-weights", ckpt, "-in", text, "-out", out})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "photo.jpg")
	assert.Equal(t, 1, exitCode(err))

	err = run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out})
	require.ErrorContains(t, err, "none of the 1 images")
	assert.Equal(t, 1, exitCode(err))
	entries, _ := os.ReadDir(out)
	assert.Empty(t, entries)

	// -strict stops at the first bad image of a folder.
	writeImage(t, filepath.Join(in, "good.png"), rgb(8, 8))
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out}))
	require.ErrorContains(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out, "-strict"}), "photo.jpg")
}

// Probe 5: inputs whose names differ only in the extension get distinct
// outputs.
func TestTranslateNeverOverwritesItsOwnOutput(t *testing.T) {
	capture(t)
	ckpt := filepath.Join(trained(t), "checkpoints", "latest.safetensors")
	in := t.TempDir()
	writeImage(t, filepath.Join(in, "x.jpg"), rgb(8, 8))
	writeImage(t, filepath.Join(in, "x.png"), rgb(12, 8))
	writeImage(t, filepath.Join(in, "x_jpg.png"), rgb(16, 8))
	out := t.TempDir()
	require.NoError(t, run([]string{"translate", "-weights", ckpt, "-in", in, "-out", out}))
	sizes := map[string]int{}
	for _, name := range []string{"x_jpg.png", "x_png.png", "x_jpg_2.png"} {
		w, _ := imageSize(t, filepath.Join(out, name))
		sizes[name] = w
	}
	assert.Equal(t, map[string]int{"x_jpg.png": 8, "x_png.png": 12, "x_jpg_2.png": 16}, sizes)

	assert.Equal(t, []string{"a.png", "b.png"}, outputNames([]string{"d/a.jpg", "d/b.png"}, func(string) {}))
	assert.Equal(t, []string{"X_JPG.png", "x_png.png"}, outputNames([]string{"d/X.JPG", "d/x.png"}, func(string) {}), "letter case")
}

// Probe 6: a value out of a flag's range is refused, naming the flag,
// before anything is written.
func TestFlagsOutOfRangeAreRefused(t *testing.T) {
	capture(t)
	for _, c := range []struct{ flag, value, want string }{
		{"ngf", "-5", "-ngf -5: must be from 2 to 1024 (or 0 for the preset's)"},
		{"ndf", "-1", "-ndf -1"},
		{"blocks", "-2", "-blocks -2"},
		{"batch", "-3", "-batch -3: must be from 1 to 1024"},
		{"iters", "-5", "-iters -5: must be from 1 to 100000000 (or 0 for the preset's)"},
		{"decay", "-5", "-decay -5: must be from 0 to 100000000 (or -1 for as many as -iters)"},
		{"lr-g", "-1", "-lr-g -1: must be above 0"},
		{"lr-d", "NaN", "-lr-d NaN"},
		{"lr-g", "+Inf", "-lr-g +Inf"},
		{"pool", "-7", "-pool -7: must be from 0 to 10000 (or -1 for the preset's)"},
		{"lambda-cycle", "-3", "-lambda-cycle -3: must be from 0 to 1000000"},
		{"lambda-sem", "-0.5", "-lambda-sem -0.5"},
		{"beta1", "1", "-beta1 1"},
		{"count", "0", "-count 0: must be from 1 to 1000000"},
		{"count", "-5", "-count -5"},
		{"size", "-8", "-size -8"},
		{"dlayers", "9", "-dlayers 9"},
		{"d-steps", "-1", "-d-steps -1"},
		{"minutes", "-1", "-minutes -1: must be at least 0"},
		{"sample-every", "-1", "-sample-every -1"},
		{"save-every", "-2", "-save-every -2"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		for _, cmd := range []string{"train", "eval"} {
			err := run([]string{cmd, "-out", out, "-" + c.flag, c.value})
			if assert.Error(t, err, "%s -%s %s", cmd, c.flag, c.value) {
				assert.Contains(t, err.Error(), c.want)
			}
		}
		assert.False(t, exists(out), "-%s %s: nothing written", c.flag, c.value)
	}
}

// TestEveryNumericFlagStatesItsRange: the help text of each int and float
// flag says what values it takes.
func TestEveryNumericFlagStatesItsRange(t *testing.T) {
	o := &options{}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	o.register(fs)
	checked := map[string]bool{}
	for _, b := range o.bounds {
		checked[b.name] = true
	}
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.(flag.Getter).Get().(type) {
		case int, float64:
			assert.True(t, checked[f.Name], "-%s has no checked range", f.Name)
			assert.Regexp(t, `(from|at least|above) `, f.Usage, "-%s states its range", f.Name)
		}
	})
}

// Probe 7: -resume extends the schedule with -iters and -decay and refuses
// flags it cannot honour, naming them. Probe 9: it removes the temporary
// files of a killed run. Probe 10: it drops a torn last row of the loss
// log. Probe 13: the seconds column goes on from where it was.
func TestResumeExtendsRefusesAndRepairs(t *testing.T) {
	_, errOut := capture(t)
	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir)))
	latest := filepath.Join(dir, "checkpoints", "latest.safetensors")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-iters", "200", "-ngf", "32"}, "resume: -ngf would change NGF from the checkpoint's 8 to 32"},
		{[]string{"-attn", "none"}, "-attn would change Attention from the checkpoint's up2 to none"},
		{[]string{"-lr-g", "0.1"}, "-lr-g would change LRG"},
		{[]string{"-seed", "7"}, "-seed would change Seed"},
		{[]string{"-preset", "cyclegan"}, "-preset cyclegan would change"},
		{[]string{"-iters", "3"}, "resume: -iters 3 is below the run's 4"},
		{[]string{"-decay", "1"}, "resume: -decay 1 is below the run's 2"},
	} {
		err := run(append([]string{"train", "-out", dir, "-resume"}, c.args...))
		require.Error(t, err, "%v", c.args)
		assert.Contains(t, err.Error(), c.want)
	}
	assert.Equal(t, tinyTotal, checkpointStep(t, latest), "a refused resume changes nothing")

	// Resuming a finished run without new flags trains nothing and says so.
	require.NoError(t, run([]string{"train", "-out", dir, "-resume"}))
	assert.Contains(t, errOut.String(), "nothing to train: the run has done its 6 iterations")

	// A killed run's leftovers.
	temps := []string{filepath.Join("checkpoints", ".iter_000003.safetensors.tmp123"),
		filepath.Join("checkpoints", ".latest.safetensors.tmp9"), ".tmp-77", filepath.Join("samples", ".iter_000002.png.tmp5")}
	for _, p := range temps {
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte("partial"), 0o600))
	}
	// A torn last row, as a crash in the middle of a write leaves.
	logPath := filepath.Join(dir, "loss_log.csv")
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("7,12.5,0.3")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, before := readLossLog(t, dirWithoutTornRow(t, logPath))
	lastSeconds := before[len(before)-1][1]

	require.NoError(t, run([]string{"train", "-out", dir, "-resume", "-iters", "4", "-decay", "4"}))
	assert.Contains(t, errOut.String(), "schedule extended from 4+2 to 4+4 iterations")
	assert.Contains(t, errOut.String(), "dropped its last row")
	assert.Equal(t, 8, checkpointStep(t, latest))
	for _, p := range temps {
		assert.False(t, exists(filepath.Join(dir, p)), "%s removed", p)
	}
	_, rows := readLossLog(t, dir)
	require.Len(t, rows, 8)
	for i, r := range rows {
		assert.Equal(t, float64(i+1), r[0], "iteration column")
	}
	assert.GreaterOrEqual(t, rows[6][1], lastSeconds, "seconds go on after a resume")
	checkMetrics(t, dir, 8)
}

// dirWithoutTornRow copies the complete rows of the log at path into a new
// folder, for readLossLog.
func dirWithoutTornRow(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loss_log.csv"), b, 0o644))
	return dir
}

// Probe 10: only a last row may be torn.
func TestLossLogTornRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "loss_log.csv")
	head := "iter,seconds,a\n1,0.5,3\n"
	for _, c := range []struct {
		name, text string
		rows       int
		torn       bool
		err        string
	}{
		{"whole", head + "2,1.0,4\n", 3, false, ""},
		{"no final newline", head + "2,1.0,4", 2, true, ""},
		{"too few fields", head + "2,1.0\n", 2, true, ""},
		{"bad middle row", head + "2,1.0\n3,1.5,5\n", 0, false, "line 3 has 2 fields, want 3"},
	} {
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		rows, torn, err := readLossRows(path)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		assert.Len(t, rows, c.rows, c.name)
		assert.Equal(t, c.torn, torn, c.name)
	}
	require.NoError(t, os.WriteFile(path, []byte(head+"2,1.0,4\n3,1.5"), 0o644))
	var warned []string
	offset, err := truncateLossLog(path, 5, func(msg string) { warned = append(warned, msg) })
	require.NoError(t, err)
	assert.Equal(t, time.Second, offset, "the seconds of the last whole row")
	assert.Len(t, warned, 1)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, head+"2,1.0,4\n", string(b))
}

// Probe 8: -direction is checked whatever the weights are.
func TestTranslateChecksDirection(t *testing.T) {
	capture(t)
	in := filepath.Join(t.TempDir(), "photo.png")
	writeImage(t, in, rgb(8, 8))
	weights := filepath.Join(golden.Dir(t), "pth_generator.pth")
	err := run([]string{"translate", "-weights", weights, "-in", in, "-out", t.TempDir(), "-direction", "sideways"})
	require.ErrorContains(t, err, `-direction "sideways" is not AtoB or BtoA`)
}

// Probe 13: warnings start on a line of their own, not after the bar.
func TestNoticesStartOnTheirOwnLine(t *testing.T) {
	var term bytes.Buffer // stdout and stderr on one terminal
	c := newConsole(&term, &term)
	c.plain = false // as on a terminal
	fmt.Fprint(c.barWriter(), "\rtraining  50% |####    |")
	c.warn("testA/0bad.jpg: not a JPEG (skipped)")
	fmt.Fprint(c.barWriter(), "\rtraining  60% |#####   |")
	c.notice("second line")
	assert.Equal(t, "\rtraining  50% |####    |\nwarning: testA/0bad.jpg: not a JPEG (skipped)\n\rtraining  60% |#####   |\nsecond line\n", term.String())
}

// Probe 13: horse2zebra -h lists the commands; a flag error is printed
// once; translate -device cuda says how to build it in.
func TestHelpAndFlagErrors(t *testing.T) {
	_, errOut := capture(t)
	err := run([]string{"-h"})
	assert.True(t, errors.Is(err, flag.ErrHelp))
	assert.Equal(t, 0, exitCode(err))
	assert.Contains(t, errOut.String(), "commands:")
	assert.Contains(t, errOut.String(), "translate")
	assert.NotContains(t, errOut.String(), "Usage of train")

	errOut = capture2(t)
	assert.Equal(t, 1, exitCode(run([]string{"train", "-nosuch"})))
	assert.Equal(t, 1, strings.Count(errOut.String(), "flag provided but not defined"), "printed once:\n%s", errOut)

	err = run([]string{"translate", "-device", "cuda", "-weights", "w", "-in", "i"})
	if err != nil && strings.Contains(err.Error(), `no backend "cuda"`) {
		assert.Contains(t, err.Error(), "build with -tags cuda")
	}
}
