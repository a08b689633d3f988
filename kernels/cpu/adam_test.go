package cpu

import (
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/require"
)

func TestAdam(t *testing.T) {
	p := kernels.AdamParams{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
	n := 1000
	r := newRand(1)
	param := randSlice(r, n)
	m, v := make([]float32, n), make([]float32, n)
	pm, mm, vm := f64(param), make([]float64, n), make([]float64, n)
	for step := 1; step <= 5; step++ {
		p.Step = step
		g := randSlice(r, n)
		g[0] = 0
		before := append([]float32(nil), param...)
		Adam(p, param, g, m, v)
		// The same step in float64, as torch.optim.Adam writes it.
		b1, b2 := float64(p.Beta1), float64(p.Beta2)
		bc1, bc2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
		for i := range n {
			gi := float64(g[i])
			mm[i] = b1*mm[i] + (1-b1)*gi
			vm[i] = b2*vm[i] + (1-b2)*gi*gi
			pm[i] -= float64(p.LR) / bc1 * mm[i] / (math.Sqrt(vm[i])/math.Sqrt(bc2) + float64(p.Eps))
		}
		kerneltest.CloseTo(t, "m", m, mm, 1e-7, 1e-5)
		kerneltest.CloseTo(t, "v", v, vm, 1e-9, 1e-5)
		kerneltest.CloseTo(t, "param", param, pm, 1e-7, 1e-6)
		if step == 1 {
			// The first step moves every parameter by LR against the sign
			// of its gradient (m/bc1 = g, sqrt(v/bc2) = |g|), except where
			// g is 0.
			for i := range n {
				want := float64(before[i]) - float64(p.LR)*float64(sign32(g[i]))
				require.InDelta(t, want, float64(param[i]), 2e-7, "element %d", i)
			}
		}
	}
}

func sign32(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// TestAdamKernelMatchesGo checks that the assembly loop, where the CPU has
// one, leaves the same bits in param, m and v as the Go loop.
func TestAdamKernelMatchesGo(t *testing.T) {
	if adamKernel == nil {
		t.Skip("no Adam kernel on this CPU")
	}
	n := 1003 // blocks of 8 and a tail
	r := newRand(4)
	p := kernels.AdamParams{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
	param := randSlice(r, n)
	asm := [][]float32{append([]float32(nil), param...), make([]float32, n), make([]float32, n)}
	gol := [][]float32{param, make([]float32, n), make([]float32, n)}
	kernel := adamKernel
	defer func() { adamKernel = kernel }()
	for step := 1; step <= 4; step++ {
		p.Step = step
		g := randSlice(r, n)
		for i := range g {
			g[i] *= float32(math.Pow(10, float64(i%9-6))) // 1e-6 .. 1e2
		}
		g[3] = 0
		adamKernel = kernel
		Adam(p, asm[0], g, asm[1], asm[2])
		adamKernel = nil
		Adam(p, gol[0], g, gol[1], gol[2])
		for k, name := range []string{"param", "m", "v"} {
			for i := range n {
				if math.Float32bits(asm[k][i]) != math.Float32bits(gol[k][i]) {
					t.Fatalf("step %d: %s[%d] = %v with the kernel, %v in Go", step, name, i, asm[k][i], gol[k][i])
				}
			}
		}
	}
}

func TestAdamPanics(t *testing.T) {
	x := make([]float32, 3)
	p := kernels.AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 0}
	require.Panics(t, func() { Adam(p, x, x, x, x) }, "step 0")
	p.Step = 1
	require.PanicsWithValue(t, "cpu: Adam: v has 2 elements, want 3 for 3 parameters", func() { Adam(p, x, x, x, x[:2]) })
	p.Beta2 = 1
	require.Panics(t, func() { Adam(p, x, x, x, x) }, "beta2 1")
}

func BenchmarkAdam(b *testing.B) {
	n := 1 << 20
	r := newRand(1)
	param, g, m, v := randSlice(r, n), randSlice(r, n), make([]float32, n), make([]float32, n)
	p := kernels.AdamParams{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, Step: 10}
	b.ReportAllocs()
	for b.Loop() {
		Adam(p, param, g, m, v)
	}
	b.ReportMetric(28*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}
