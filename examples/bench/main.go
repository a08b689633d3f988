// Command bench times the CPU-speed benchmark cases of semgan (GEMM,
// convolutions, self-attention, generator inference, training iterations)
// and prints a table of median seconds, GFLOP/s where a FLOP count is
// defined, and peak resident memory per case.
//
//	go run ./examples/bench                               # every case
//	go run ./examples/bench -cases 'sgemm|conv' -reps 9   # a selection
//	go run ./examples/bench -json out.json                # also write JSON
//	go run ./examples/bench -list                         # names and FLOPs
//	go run ./examples/bench -precision bf16 -cases sgemm  # products in BF16
//
// -precision sets the precision of every product (tensor.SetPrecision:
// fp32, tf32 or bf16; auto, the default, leaves the device's own), as
// bench_torch.py's --precision bf16 runs PyTorch's cases under bf16
// autocast.
//
// Each case is built once, run -warmup times untimed, then -reps times; the
// reported time is the median repetition. -json writes
// [{"name", "seconds", "gflops", "peak_rss_bytes", "peak_live_bytes"}, ...]
// atomically; gflops is 0 where no FLOP count is defined (whole models).
// peak_live_bytes is the backend's own high-water mark of the buffers it
// handed out (kernels.Backend.PeakLiveBytes), from setup to the end: what
// the tensors took, without the kernels' scratch or the Go runtime.
//
// Peak RSS: before each case the program collects garbage, returns free
// memory to the OS and resets the kernel's high-water mark (writing "5" to
// /proc/self/clear_refs); after the case it reads VmHWM from
// /proc/self/status. Where clear_refs cannot be written, it reports the
// process's lifetime maximum (getrusage) instead and says so.
//
// scripts/bench_torch.py measures the same cases in PyTorch and
// scripts/bench-compare.sh runs both alternately.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/semgan/semgan/kernels"
	// The CUDA backend registers itself when built with -tags cuda (or
	// cudaemu); without a tag the package is empty.
	_ "github.com/semgan/semgan/kernels/cuda"
	"github.com/semgan/semgan/tensor"
)

// options are the command-line settings.
type options struct {
	cases    string
	reps     int
	warmup   int
	device   string
	jsonPath string
	list     bool
	// precision is -precision: "auto" for the device's default, or a
	// kernels.Precision name.
	precision string
	// cpuProfile is -cpuprofile: where to write a CPU profile, "" for none.
	cpuProfile string
}

// result is one case's line of the table and of the JSON file.
type result struct {
	Name         string  `json:"name"`
	Seconds      float64 `json:"seconds"`
	GFLOPs       float64 `json:"gflops"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	PeakLive     int64   `json:"peak_live_bytes"`

	all []float64 // every timed repetition, in seconds
}

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr, allCases()))
}

// cli parses args, runs the selected cases and returns the exit status:
// 0 on success, 1 if a case failed, 2 on bad usage.
func cli(args []string, stdout, stderr io.Writer, cases []benchCase) int {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cases, "cases", "", "run only the cases whose names match this regular expression")
	fs.IntVar(&o.reps, "reps", 5, "timed repetitions per case (the median is reported)")
	fs.IntVar(&o.warmup, "warmup", 1, "untimed repetitions before the timed ones")
	fs.StringVar(&o.device, "device", "cpu", "backend to run on ("+fmt.Sprint(kernels.Names())+")")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&o.list, "list", false, "list the cases and their FLOP counts, then exit")
	fs.StringVar(&o.precision, "precision", "auto", "precision of the products: auto (the device's default), fp32, tf32 or bf16")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (set-up, warm-up and timed repetitions of every selected case) to this file, for go tool pprof")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if o.reps < 1 || o.warmup < 0 {
		fmt.Fprintf(stderr, "bench: -reps must be at least 1 and -warmup at least 0\n")
		return 2
	}
	var prec kernels.Precision
	if o.precision != "auto" {
		var err error
		if prec, err = kernels.ParsePrecision(o.precision); err != nil {
			fmt.Fprintf(stderr, "bench: -precision %q: must be auto, fp32, tf32 or bf16\n", o.precision)
			return 2
		}
	}
	re, err := regexp.Compile(o.cases)
	if err != nil {
		fmt.Fprintf(stderr, "bench: -cases: %v\n", err)
		return 2
	}
	sel, err := selectCases(cases, re.MatchString)
	if err != nil {
		fmt.Fprintf(stderr, "bench: -cases %q: %v\n", o.cases, err)
		return 2
	}
	if o.list {
		for _, c := range sel {
			fmt.Fprintf(stdout, "%s\t%.6g\n", c.name, c.flops)
		}
		return 0
	}
	dev, err := tensor.Open(o.device)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	tensor.SetDefault(dev)
	if o.precision != "auto" {
		tensor.SetPrecision(prec)
		defer tensor.ResetPrecision()
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench: -cpuprofile: %v\n", err)
			return 1
		}
		defer stop()
	}

	rss := newPeakRSS()
	fmt.Fprintf(stdout, "device %s, products in %v, GOMAXPROCS %d, %d warm-up + %d timed repetitions per case; %s\n",
		dev.Name(), tensor.PrecisionOn(dev), runtime.GOMAXPROCS(0), o.warmup, o.reps, rss.method())
	var results []result
	status := 0
	for _, c := range sel {
		r, err := runCase(c, dev, o, rss)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", c.name, err)
			status = 1
			continue
		}
		fmt.Fprintf(stderr, "bench: %s: %s\n", c.name, formatReps(r.all))
		results = append(results, r)
	}
	printTable(stdout, results)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, results); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
	}
	return status
}

// runCase builds c, runs its warm-up and timed repetitions and measures its
// peak RSS, from just before setup to the end. A panic inside the case is
// returned as an error.
func runCase(c benchCase, dev kernels.Backend, o options, rss *peakRSS) (r result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	// Start every case from the same clean heap: two collections empty the
	// backend's sync.Pools, and FreeOSMemory hands the pages back.
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	rss.reset()
	dev.ResetPeakLiveBytes()

	run, done := c.setup(dev)
	defer done()
	step := func() (float64, error) {
		t0 := time.Now()
		if err := run(); err != nil {
			return 0, err
		}
		if err := dev.Synchronize(); err != nil {
			return 0, err
		}
		return time.Since(t0).Seconds(), nil
	}
	for range o.warmup {
		if _, err := step(); err != nil {
			return r, err
		}
	}
	r = result{Name: c.name}
	for range o.reps {
		s, err := step()
		if err != nil {
			return r, err
		}
		r.all = append(r.all, s)
	}
	r.Seconds = median(r.all)
	if c.flops > 0 && r.Seconds > 0 {
		r.GFLOPs = c.flops / r.Seconds / 1e9
	}
	r.PeakRSSBytes = rss.read()
	r.PeakLive = dev.PeakLiveBytes()
	return r, nil
}

// median returns the middle value of xs (the mean of the two middle values
// for an even count). xs must not be empty.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func formatReps(xs []float64) string {
	out := "repetitions (s):"
	for _, x := range xs {
		out += fmt.Sprintf(" %.4g", x)
	}
	return out
}

func printTable(w io.Writer, results []result) {
	if len(results) == 0 {
		return
	}
	// Names are padded to one width so that they read left-aligned in a
	// right-aligned table.
	width := len("case")
	for _, r := range results {
		width = max(width, len(r.Name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tmedian s\tmin s\tmax s\tGFLOP/s\tpeak RSS MiB\tpeak live MiB\t\n", width, "case")
	for _, r := range results {
		gf := "-"
		if r.GFLOPs > 0 {
			gf = fmt.Sprintf("%.1f", r.GFLOPs)
		}
		rss := "-"
		if r.PeakRSSBytes > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.PeakRSSBytes)/(1<<20))
		}
		fmt.Fprintf(tw, "%-*s\t%.4g\t%.4g\t%.4g\t%s\t%s\t%.0f\t\n", width, r.Name, r.Seconds, slices.Min(r.all), slices.Max(r.all), gf, rss, float64(r.PeakLive)/(1<<20))
	}
	tw.Flush()
}

// writeJSON writes results to path atomically: to a temporary file in the
// same directory, synced, then renamed over path.
func writeJSON(path string, results []result) (err error) {
	if results == nil {
		results = []result{}
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
