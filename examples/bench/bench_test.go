package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// TestJSON runs a tiny test-only GEMM case and checks the JSON file.
func TestJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr bytes.Buffer
	cases := []benchCase{sgemmCase("sgemm_64", 64), sgemmCase("sgemm_32", 32)}
	if code := cli([]string{"-cases", "^sgemm_64$", "-reps", "3", "-json", path}, &stdout, &stderr, cases); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
	}
	t.Logf("stdout:\n%s", stdout.String())
	if !strings.Contains(stdout.String(), "sgemm_64") || strings.Contains(stdout.String(), "sgemm_32") {
		t.Errorf("table should list sgemm_64 alone:\n%s", stdout.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in\n%s", err, data)
	}
	if len(got) != 1 {
		t.Fatalf("want one result, got %d:\n%s", len(got), data)
	}
	r := got[0]
	var keys []string
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"gflops", "name", "peak_live_bytes", "peak_rss_bytes", "seconds"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if r["name"] != "sgemm_64" {
		t.Errorf("name %v, want sgemm_64", r["name"])
	}
	sec, _ := r["seconds"].(float64)
	gf, _ := r["gflops"].(float64)
	rss, _ := r["peak_rss_bytes"].(float64)
	if sec <= 0 || gf <= 0 {
		t.Errorf("seconds %v and gflops %v should be positive", r["seconds"], r["gflops"])
	}
	if want := gemmFLOPs(64, 64, 64) / sec / 1e9; gf < want*0.999 || gf > want*1.001 {
		t.Errorf("gflops %v, want flops/seconds = %v", gf, want)
	}
	if runtime.GOOS == "linux" && rss <= 0 {
		t.Errorf("peak_rss_bytes %v should be positive on Linux", r["peak_rss_bytes"])
	}
	if live, _ := r["peak_live_bytes"].(float64); live < 3*64*64*4 {
		t.Errorf("peak_live_bytes %v, want at least the three 64x64 matrices", r["peak_live_bytes"])
	}
	if rss != float64(int64(rss)) {
		t.Errorf("peak_rss_bytes %v is not an integer", rss)
	}
	// Nothing but the file itself is left in its directory.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the JSON file", len(entries))
	}
}

// TestUsage checks the exit status of bad command lines.
func TestUsage(t *testing.T) {
	cases := []benchCase{sgemmCase("sgemm_8", 8)}
	for _, args := range [][]string{
		{"-cases", "nothing"},
		{"-cases", "("},
		{"-reps", "0"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cli(args, &stdout, &stderr, cases); code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := cli([]string{"-device", "no-such-device"}, &stdout, &stderr, cases); code != 1 {
		t.Errorf("unknown device: exit status %d, want 1", code)
	}
}

// TestCaseNames pins the case names shared with scripts/bench_torch.py.
func TestCaseNames(t *testing.T) {
	var names []string
	for _, c := range allCases() {
		names = append(names, c.name)
	}
	want := []string{
		"sgemm_2048", "sgemm_4096", "conv3x3_256_64_fwd", "conv3x3_256_64_fwdbwd",
		"convT_256_128_64_fwdbwd", "attn_256_64_fwdbwd", "gen_infer_256_cyclegan",
		"gen_infer_256_paper_res", "train_iter_128_paper_res", "train_iter_256_paper_res",
		"train_iter_256_paper_up2", "fid_features_100",
	}
	if !slices.Equal(names, want) {
		t.Errorf("cases %v, want %v", names, want)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	var stdout, stderr bytes.Buffer
	if code := cli([]string{"-reps", "2", "-cpuprofile", path}, &stdout, &stderr, []benchCase{sgemmCase("sgemm_64", 64)}); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
	}
	// A pprof profile is a gzipped protocol buffer.
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("%s is not a gzipped profile (%d bytes, %v)", path, len(data), err)
	}
	bad := filepath.Join(t.TempDir(), "no-such-dir", "cpu.prof")
	stderr.Reset()
	if code := cli([]string{"-cpuprofile", bad}, &stdout, &stderr, []benchCase{sgemmCase("sgemm_8", 8)}); code != 1 || !strings.Contains(stderr.String(), "-cpuprofile") {
		t.Errorf("unwritable profile: exit status %d, stderr %q", code, stderr.String())
	}
}

// TestPrecisionFlag checks that -precision reaches the products, says so
// in the header, is undone when cli returns, and that a bad value is a
// usage error naming the flag.
func TestPrecisionFlag(t *testing.T) {
	var seen kernels.Precision
	probe := benchCase{name: "probe", setup: func(dev kernels.Backend) (func() error, func()) {
		return func() error { seen = tensor.PrecisionOn(dev); return nil }, func() {}
	}}
	var stdout, stderr bytes.Buffer
	if code := cli([]string{"-precision", "bf16", "-reps", "1", "-warmup", "0"}, &stdout, &stderr, []benchCase{probe}); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
	}
	if seen != kernels.BF16 || !strings.Contains(stdout.String(), "products in bf16") {
		t.Errorf("products in %v, want bf16; stdout:\n%s", seen, stdout.String())
	}
	if p := tensor.PrecisionOn(tensor.Default()); p != kernels.FP32 {
		t.Errorf("after cli the CPU computes in %v, want its default fp32", p)
	}
	stderr.Reset()
	if code := cli([]string{"-precision", "fp16"}, &stdout, &stderr, []benchCase{probe}); code != 2 ||
		!strings.Contains(stderr.String(), `-precision "fp16": must be auto, fp32, tf32 or bf16`) {
		t.Errorf("-precision fp16: exit status %d, stderr %q", code, stderr.String())
	}
}
