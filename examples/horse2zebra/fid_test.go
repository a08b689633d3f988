package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/semgan/semgan/gan/metrics"
	"github.com/semgan/semgan/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureStdout returns what fn prints on the commands' standard output.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	var b bytes.Buffer
	old := stdout
	stdout = &b
	defer func() { stdout = old }()
	fn()
	return b.String()
}

func readMetrics(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestEvalFID(t *testing.T) {
	dir := trained(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)

	// Without weights, FID is skipped and the message says where to get them.
	var err error
	out := captureStdout(t, func() { err = run([]string{"eval", "-out", dir, "-size", "24"}) })
	require.NoError(t, err)
	assert.Contains(t, out, metrics.FIDWeightsURL)
	assert.NotContains(t, readMetrics(t, dir), "fid")

	// With the narrow test network of testdata/fid (the real weights are
	// not shipped), fid, kid and kid_std are written.
	weights := filepath.Join(filepath.Dir(golden.Dir(t)), "fid", "inception_w16.pth")
	out = captureStdout(t, func() { err = run([]string{"eval", "-out", dir, "-size", "24", "-fid-weights", weights}) })
	require.NoError(t, err)
	assert.Contains(t, out, "computed and cached in")
	m := readMetrics(t, dir)
	for _, k := range []string{"fid", "kid", "kid_std"} {
		v, ok := m[k].(float64)
		require.True(t, ok, "%s in %v", k, m)
		assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", k, v)
	}
	assert.Positive(t, m["fid"])
	cached, err := filepath.Glob(filepath.Join(cache, "semgan", "fid-features", "*.safetensors"))
	require.NoError(t, err)
	assert.Len(t, cached, 1, "the real test set's features are cached")

	// Again: the real features come from the cache and the numbers agree.
	out = captureStdout(t, func() { err = run([]string{"eval", "-out", dir, "-size", "24", "-fid-weights", weights}) })
	require.NoError(t, err)
	assert.Contains(t, out, "read from the cache in")
	again := readMetrics(t, dir)
	assert.Equal(t, m["fid"], again["fid"])
	assert.Equal(t, m["kid"], again["kid"])

	// A weights file that is not the network is a clear error.
	bad := filepath.Join(filepath.Dir(golden.Dir(t)), "golden", "pth_generator.pth")
	err = run([]string{"eval", "-out", dir, "-size", "24", "-fid-weights", bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-fid-weights")
	assert.Contains(t, err.Error(), "not the weights of the FID Inception network")
}
