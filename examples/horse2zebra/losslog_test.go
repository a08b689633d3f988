package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semgan/semgan/gan"
	"github.com/stretchr/testify/require"
)

// TestLossLogResumeDropsRowsAfterCheckpoint: a run that crashed after
// logging iterations past its last checkpoint logs them again when
// resumed, so the log keeps one row per iteration.
func TestLossLogResumeDropsRowsAfterCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss_log.csv")
	l, err := openLossLog(path, -1, func(msg string) { t.Log(msg) })
	require.NoError(t, err)
	for it := 1; it <= 5; it++ {
		require.NoError(t, l.Write(it, time.Second, gan.Losses{GA: float32(it)}))
	}
	require.NoError(t, l.Close())

	l, err = openLossLog(path, 3, func(msg string) { t.Log(msg) }) // the checkpoint was taken after iteration 3
	require.NoError(t, err)
	require.NoError(t, l.Write(4, time.Second, gan.Losses{GA: 40}))
	require.NoError(t, l.Close())
	_, rows := readLossLog(t, filepath.Dir(path))
	require.Len(t, rows, 4)
	for i, r := range rows {
		require.Equal(t, float64(i+1), r[0])
	}
	require.Equal(t, 40.0, rows[3][2], "iteration 4 is the resumed run's")

	// Resuming without a log starts one.
	fresh := filepath.Join(t.TempDir(), "loss_log.csv")
	l, err = openLossLog(fresh, 7, func(msg string) { t.Log(msg) })
	require.NoError(t, err)
	require.NoError(t, l.Close())
	b, err := os.ReadFile(fresh)
	require.NoError(t, err)
	require.Contains(t, string(b), "iter,seconds")
}
