//go:build unix

package main

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signalAt sends sig to the process n times after iteration step, each
// time waiting until it is delivered, then gives the watcher time to act.
// Our own registration keeps the test process alive whatever the timing of
// train's.
func signalAt(t *testing.T, step, n int, sig syscall.Signal, then func()) {
	t.Helper()
	sigs := make(chan os.Signal, n)
	signal.Notify(sigs, sig)
	t.Cleanup(func() { signal.Stop(sigs); stepDone = nil })
	stepDone = func(s int) {
		if s != step {
			return
		}
		for range n {
			require.NoError(t, syscall.Kill(syscall.Getpid(), sig))
			select {
			case <-sigs:
			case <-time.After(10 * time.Second):
				t.Error("signal not delivered")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if then != nil {
			then()
		}
	}
}

// waitFor polls until cond holds or 5 seconds pass.
func waitFor(cond func() bool) bool {
	for range 100 {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// Probe 11: SIGTERM does what Ctrl-C does: save, then exit 143.
func TestSIGTERMSavesLikeCtrlC(t *testing.T) {
	_, errOut := capture(t)
	signalAt(t, 2, 1, syscall.SIGTERM, nil)
	dir := t.TempDir()
	err := run(tinyTrain(dir))
	require.True(t, errors.Is(err, errInterrupted), "train returned %v", err)
	assert.Equal(t, 143, exitCode(err))
	assert.Contains(t, errOut.String(), "SIGTERM: stopping after iteration")
	stopped := checkpointStep(t, filepath.Join(dir, "checkpoints", "latest.safetensors"))
	assert.GreaterOrEqual(t, stopped, 2)
	assert.Less(t, stopped, tinyTotal)
}

// Probe 12: a signal is acknowledged while the iteration is still running,
// and a second one stops at once, after saying so.
func TestSignalsAcknowledgedAndSecondStopsAtOnce(t *testing.T) {
	_, errOut := capture(t)
	acked := false
	signalAt(t, 2, 1, syscall.SIGINT, func() {
		// Still inside iteration 2's bookkeeping: the notice must not wait
		// for the loop.
		acked = waitFor(func() bool { return strings.Contains(errOut.String(), "SIGINT (Ctrl-C): stopping after iteration") })
	})
	err := run(tinyTrain(t.TempDir()))
	assert.True(t, acked, "no acknowledgement before the iteration ended; stderr:\n%s", errOut)
	assert.Equal(t, 130, exitCode(err))

	var code int
	exitNow = func(c int) { code = c }
	defer func() { exitNow = os.Exit }()
	_, errOut = capture(t)
	dir := t.TempDir()
	signalAt(t, 4, 2, syscall.SIGINT, func() {
		waitFor(func() bool { return code != 0 })
	})
	err = run(tinyTrain(dir))
	assert.Equal(t, 130, code, "the second signal exits at once with 130")
	assert.Contains(t, errOut.String(), "SIGINT (Ctrl-C) again: stopping at once without saving; the last checkpoint is "+
		filepath.Join(dir, "checkpoints", "latest.safetensors")+" (iteration 3)")
	assert.True(t, errors.Is(err, errInterrupted)) // exitNow returned, as the real one does not
}
