//go:build unix

package main

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInterruptSavesAndResumeFinishes sends the process a real SIGINT in
// the middle of a run: train must save a checkpoint and return
// errInterrupted (exit status 130); -resume must then continue to the same
// iteration count and end where an uninterrupted run with the same flags
// ends, bit for bit.
func TestInterruptSavesAndResumeFinishes(t *testing.T) {
	// Our own registration keeps the test process alive whatever the timing
	// of train's signal.NotifyContext.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	stepDone = func(step int) {
		if step != 2 {
			return
		}
		require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGINT))
		select {
		case <-sigs:
		case <-time.After(10 * time.Second):
			t.Error("SIGINT not delivered")
		}
		// Let train's NotifyContext goroutine cancel its context before the
		// next iteration checks it.
		time.Sleep(100 * time.Millisecond)
	}
	defer func() { stepDone = nil }()

	dir := t.TempDir()
	err := run(tinyTrain(dir))
	require.True(t, errors.Is(err, errInterrupted), "train returned %v", err)
	assert.Equal(t, 130, exitCode(err))
	latest := filepath.Join(dir, "checkpoints", "latest.safetensors")
	stopped := checkpointStep(t, latest)
	assert.GreaterOrEqual(t, stopped, 2)
	assert.Less(t, stopped, tinyTotal)
	_, rows := readLossLog(t, dir)
	assert.Len(t, rows, stopped, "one loss row per saved iteration")
	_, err = os.Stat(filepath.Join(dir, "metrics.json"))
	assert.True(t, os.IsNotExist(err), "an interrupted run does not evaluate")

	stepDone = nil
	// The data flags (-size 24 -count 4) come from the interrupted run.
	require.NoError(t, run([]string{"train", "-out", dir, "-resume", "-sample-every", "2", "-save-every", "3"}))
	assert.Equal(t, tinyTotal, checkpointStep(t, latest))
	_, rows = readLossLog(t, dir)
	require.Len(t, rows, tinyTotal)
	for i, r := range rows {
		assert.Equal(t, float64(i+1), r[0], "iteration column after resume")
	}
	checkMetrics(t, dir, tinyTotal)

	// The same flags without the interruption end in the same state.
	sameCheckpoints(t, filepath.Join(trained(t), "checkpoints", "latest.safetensors"), latest)
	_, straight := readLossLog(t, trained(t))
	for i := range rows {
		assert.Equal(t, straight[i][2:], rows[i][2:], "losses of iteration %d", i+1)
	}
}
