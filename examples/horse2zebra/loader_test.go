package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/semgan/semgan/gan/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepRNG is a per-step source like the trainer's.
func stepRNG(step int) *rand.Rand { return rand.New(rand.NewPCG(uint64(step)*977, 7)) }

// The loader's batches are a function of the step alone: the same with any
// number of workers, and from any step a run resumes at.
func TestLoaderDrawsTheSameWithAndWithoutWorkers(t *testing.T) {
	a, b := data.SyntheticDomains(data.SyntheticConfig{Size: 16, Count: 20, Seed: 3})
	const end = 12
	want := map[int][]float32{}
	plain := newLoader(a, b, 2, stepRNG, 0, end)
	for step := range end {
		x, y, err := plain.get(step)
		require.NoError(t, err)
		want[step] = append(x.Data(), y.Data()...)
	}
	plain.stop()
	for _, workers := range []int{1, 3} {
		for _, from := range []int{0, 5} { // 5: a resumed run
			l := newLoader(a, b, 2, stepRNG, workers, end)
			for step := from; step < end; step++ {
				x, y, err := l.get(step)
				require.NoError(t, err)
				if !slices.Equal(want[step], append(x.Data(), y.Data()...)) {
					t.Errorf("%d workers, from step %d: step %d differs", workers, from, step)
				}
			}
			l.stop()
		}
	}
}

// A run trains bit for bit the same with images drawn ahead by workers,
// with or without the cache, as with none, on a folder that holds a file
// whose header reads but whose pixels do not.
func TestPrefetchGivesTheSameRun(t *testing.T) {
	root := folderData(t, "")
	var png bytes.Buffer
	raw, err := os.ReadFile(filepath.Join(root, "trainA", "img0.png"))
	require.NoError(t, err)
	png.Write(raw[:len(raw)/2]) // truncated: the header is whole
	require.NoError(t, os.WriteFile(filepath.Join(root, "trainA", "half.png"), png.Bytes(), 0o644))
	capture(t)
	var latest []string
	for _, extra := range [][]string{{"-workers", "0", "-cache-mb", "0"}, {"-workers", "3", "-cache-mb", "0"}, {"-workers", "2"}} {
		dir := t.TempDir()
		require.NoError(t, run(tinyTrain(dir, append([]string{"-data", root, "-iters", "6", "-decay", "0", "-sample-every", "0", "-save-every", "0"}, extra...)...)), "%v", extra)
		latest = append(latest, filepath.Join(dir, "checkpoints", "latest.safetensors"))
	}
	sameCheckpoints(t, latest[0], latest[1])
	sameCheckpoints(t, latest[0], latest[2])
	assert.FileExists(t, latest[0])
}
