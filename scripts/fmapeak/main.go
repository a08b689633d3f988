//go:build amd64

// Command fmapeak measures the multiply-add ceiling of this machine's
// cores: a loop of independent fused multiply-adds with nothing else in
// it, in AVX-512 (24 accumulators of 16 floats) and AVX2 (12 of 8), on
// one core and on every core at once. It is the figure the GEMM
// micro-kernels are held against (docs/benchmarks.md).
//
//	go run ./scripts/fmapeak
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/cpu"
)

// fmaLoopAVX512 runs n passes of 24 VFMADD231PS on ZMM registers (768
// float32 multiply-adds per pass); fmaLoopAVX2 runs n passes of 12 on YMM
// registers (96 per pass).
func fmaLoopAVX512(n int)
func fmaLoopAVX2(n int)

// gflops times loop on w goroutines at once, each running passes passes,
// and returns the median over reps of the GFLOP/s of all of them together.
func gflops(loop func(int), flopsPerPass float64, passes, w, reps int) float64 {
	var rates []float64
	for range reps {
		var wg sync.WaitGroup
		start := time.Now()
		for range w {
			wg.Go(func() { loop(passes) })
		}
		wg.Wait()
		rates = append(rates, flopsPerPass*float64(passes*w)/time.Since(start).Seconds()/1e9)
	}
	sort.Float64s(rates)
	return rates[len(rates)/2]
}

func main() {
	cores := runtime.GOMAXPROCS(0)
	type isa struct {
		name  string
		ok    bool
		loop  func(int)
		flops float64 // per pass: 2 per multiply-add
	}
	for _, s := range []isa{
		{"AVX-512", cpu.X86.HasAVX512F, fmaLoopAVX512, 2 * 24 * 16},
		{"AVX2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, fmaLoopAVX2, 2 * 12 * 8},
	} {
		if !s.ok {
			fmt.Printf("%-8s not on this CPU\n", s.name)
			continue
		}
		passes := int(4e9 / s.flops) // about 0.02 s a core
		one := gflops(s.loop, s.flops, passes, 1, 7)
		all := gflops(s.loop, s.flops, passes, cores, 7)
		fmt.Printf("%-8s one core %6.1f GFLOP/s, %d cores %6.1f GFLOP/s (float32 multiply-adds, median of 7)\n",
			s.name, one, cores, all)
	}
}
