package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var unaryOps = []kernels.UnaryOp{kernels.ReLU, kernels.LeakyReLU, kernels.Tanh, kernels.Sigmoid,
	kernels.Scale, kernels.AddScalar, kernels.Square, kernels.Exp, kernels.Abs}

// unaryRef returns op(x) and op'(x) in float64.
func unaryRef(op kernels.UnaryOp, alpha float32, x float32) (y, d float64) {
	v, a := float64(x), float64(alpha)
	switch op {
	case kernels.ReLU:
		if v > 0 {
			return v, 1
		}
		return 0, 0
	case kernels.LeakyReLU:
		if v > 0 {
			return v, 1
		}
		return a * v, a
	case kernels.Tanh:
		return math.Tanh(v), 1 - math.Tanh(v)*math.Tanh(v)
	case kernels.Sigmoid:
		s := 1 / (1 + math.Exp(-v))
		return s, s * (1 - s)
	case kernels.Scale:
		return a * v, a
	case kernels.AddScalar:
		return v + a, 1
	case kernels.Square:
		return v * v, 2 * v
	case kernels.Exp:
		return math.Exp(v), math.Exp(v)
	case kernels.Abs:
		switch {
		case v > 0:
			return v, 1
		case v < 0:
			return -v, -1
		}
		return 0, 0
	}
	panic("unknown op")
}

func TestUnary(t *testing.T) {
	for _, n := range []int{1, 5, 2*elemMinChunk + 3} {
		r := newRand(uint64(n))
		x := randSlice(r, n)
		for i := range x {
			x[i] *= 3
		}
		x[0] = 0 // derivatives at 0: ReLU 0, LeakyReLU alpha, Abs 0
		for _, op := range unaryOps {
			alpha := float32(0.2)
			name := fmt.Sprintf("%v n=%d", op, n)
			wantY, wantD := make([]float64, n), make([]float64, n)
			for i, v := range x {
				wantY[i], wantD[i] = unaryRef(op, alpha, v)
			}
			y := guarded(n, randSlice(r, n))
			Unary(op, alpha, x, y)
			kerneltest.CloseTo(t, name+": y", y, wantY, 1e-6, 1e-6)
			checkGuard(t, name+": y", y)
			z := append([]float32(nil), x...)
			Unary(op, alpha, z, z)
			kerneltest.CloseTo(t, name+": in place", z, wantY, 1e-6, 1e-6)

			dy := randSlice(r, n)
			dx0 := randSlice(r, n)
			dx := guarded(n, dx0)
			ref := make([]float64, n)
			for i := range ref {
				ref[i] = wantD[i] * float64(dy[i])
			}
			for times := 1.0; times <= 2; times++ {
				UnaryBackward(op, alpha, x, y, dy, dx)
				kerneltest.CloseTo(t, fmt.Sprintf("%s: dx x%v", name, times), dx, addF64(dx0, ref, times), 1e-6, 1e-5)
			}
			checkGuard(t, name+": dx", dx)
			// Only the operand the derivative reads is needed.
			needX, needY := op.Reads()
			xx, yy := x, y
			if !needX {
				xx = nil
			}
			if !needY {
				yy = nil
			}
			dx2 := make([]float32, n)
			UnaryBackward(op, alpha, xx, yy, dy, dx2)
			kerneltest.CloseTo(t, name+": dx with one operand", dx2, ref, 1e-6, 1e-5)
			UnaryBackward(op, alpha, x, y, dy, nil)
		}
	}
}

func TestUnaryPanics(t *testing.T) {
	x := make([]float32, 4)
	require.PanicsWithValue(t, "cpu: Unary: y has 3 elements, want 4 for relu", func() { Unary(kernels.ReLU, 0, x, x[:3]) })
	require.Panics(t, func() { Unary(kernels.UnaryOp(99), 0, x, x) })
	require.Panics(t, func() { UnaryBackward(kernels.Tanh, 0, x, nil, x, x) }, "tanh needs y")
	require.Panics(t, func() { UnaryBackward(kernels.ReLU, 0, nil, x, x, x) }, "relu needs x")
}

// binaryCase is a broadcast over a full shape; b's strides are derived
// from which dimensions b has (contiguous) unless given.
type binaryCase struct {
	shape   [4]int
	bHas    [4]bool
	strides *[4]int
}

func (c binaryCase) params() kernels.BroadcastParams {
	p := kernels.BroadcastParams{Shape: c.shape}
	if c.strides != nil {
		p.BStride = *c.strides
		return p
	}
	s := 1
	for d := 3; d >= 0; d-- {
		if c.bHas[d] {
			p.BStride[d] = s
			s *= c.shape[d]
		}
	}
	return p
}

var binaryCases = []binaryCase{
	{[4]int{2, 3, 5, 7}, [4]bool{true, true, true, true}, nil},    // same shape
	{[4]int{2, 3, 5, 7}, [4]bool{false, true, false, false}, nil}, // per channel (bias)
	{[4]int{3, 4, 5, 6}, [4]bool{true, true, false, false}, nil},  // per (n, c): instance statistics
	{[4]int{2, 3, 5, 7}, [4]bool{false, false, true, true}, nil},  // per pixel
	{[4]int{4, 3, 5, 7}, [4]bool{true, false, false, false}, nil}, // per sample
	{[4]int{2, 3, 5, 7}, [4]bool{}, nil},                          // scalar
	{[4]int{1, 1, 9, 11}, [4]bool{false, false, true, false}, nil},
	{[4]int{1, 2, 3, 1}, [4]bool{true, true, true, true}, nil}, // trailing 1
	{[4]int{3, 1, 70000, 1}, [4]bool{false, false, true, false}, nil},
	// b stored transposed: [7, 5] read as [5, 7].
	{[4]int{2, 1, 5, 7}, [4]bool{}, &[4]int{0, 0, 1, 5}},
	{[4]int{2, 0, 5, 7}, [4]bool{false, true, false, false}, nil}, // empty
}

// bIndex is where element (i0, i1, i2, i3) reads b.
func bIndex(p kernels.BroadcastParams, e int) int {
	idx := 0
	for d := 3; d >= 0; d-- {
		idx += (e % p.Shape[d]) * p.BStride[d]
		e /= p.Shape[d]
	}
	return idx
}

func TestBinary(t *testing.T) {
	for ci, c := range binaryCases {
		p := c.params()
		for _, op := range []kernels.BinaryOp{kernels.Add, kernels.Sub, kernels.Mul, kernels.Div} {
			name := fmt.Sprintf("%v shape %v strides %v", op, p.Shape, p.BStride)
			r := newRand(uint64(ci))
			a, b := randSlice(r, p.Len()), randSlice(r, p.BLen())
			for i := range b {
				b[i] += 3 // keep Div away from 0
			}
			want := make([]float64, p.Len())
			for e := range want {
				av, bv := float64(a[e]), float64(b[bIndex(p, e)])
				switch op {
				case kernels.Add:
					want[e] = av + bv
				case kernels.Sub:
					want[e] = av - bv
				case kernels.Mul:
					want[e] = av * bv
				case kernels.Div:
					want[e] = av / bv
				}
			}
			y := guarded(p.Len(), randSlice(r, p.Len()))
			Binary(op, p, a, b, y)
			kerneltest.CloseTo(t, name, y, want, 1e-6, 1e-6)
			checkGuard(t, name+": y", y)
			Binary(op, p, a, b, a) // y = a
			kerneltest.CloseTo(t, name+": in place", a, want, 1e-6, 1e-6)
		}
	}
}

func TestSumTo(t *testing.T) {
	for ci, c := range binaryCases {
		p := c.params()
		name := fmt.Sprintf("shape %v strides %v", p.Shape, p.BStride)
		r := newRand(uint64(ci))
		x := randSlice(r, p.Len())
		y0 := randSlice(r, p.BLen())
		want := make([]float64, p.BLen())
		for e, v := range x {
			want[bIndex(p, e)] += float64(v)
		}
		y := guarded(p.BLen(), y0)
		for times := 1.0; times <= 2; times++ {
			SumTo(p, x, y)
			kerneltest.CloseTo(t, fmt.Sprintf("%s x%v", name, times), y, addF64(y0, want, times), 1e-5, 1e-6)
		}
		checkGuard(t, name+": y", y)

		// Adjoint of broadcasting: <a + bcast(b) - a, x> = <b, SumTo(x)>.
		b := randSlice(r, p.BLen())
		zero, bc := make([]float32, p.Len()), make([]float32, p.Len())
		Binary(kernels.Add, p, zero, b, bc)
		st := make([]float32, p.BLen())
		SumTo(p, x, st)
		assert.InDelta(t, dot(bc, x), dot(b, st), 1e-3, name+": adjoint")
	}
}

func TestBroadcastPanics(t *testing.T) {
	p := kernels.BroadcastParams{Shape: [4]int{1, 2, 3, 4}, BStride: [4]int{0, 1, 0, 0}}
	a := make([]float32, 24)
	require.PanicsWithValue(t, "cpu: Binary: b has 3 elements, want 2 for shape [1 2 3 4] with b strides [0 1 0 0]",
		func() { Binary(kernels.Add, p, a, a[:3], a) })
	require.Panics(t, func() { Binary(kernels.Add, p, a[:23], a[:2], a) })
	require.Panics(t, func() { Binary(kernels.BinaryOp(7), p, a, a[:2], a) })
	require.Panics(t, func() { SumTo(p, a, a[:3]) })
	// Overlapping strides: two elements of b at one index.
	over := kernels.BroadcastParams{Shape: [4]int{1, 1, 2, 2}, BStride: [4]int{0, 0, 1, 1}}
	require.Panics(t, func() { SumTo(over, a[:4], a[:4]) })
	require.Panics(t, func() {
		Binary(kernels.Add, kernels.BroadcastParams{Shape: [4]int{1, 1, 2, 2}, BStride: [4]int{0, 0, -2, 1}}, a[:4], a[:4], a[:4])
	})
}

func TestAxpby(t *testing.T) {
	for _, n := range []int{0, 3, 2*elemMinChunk + 1} {
		for _, ab := range [][2]float32{{2, 0}, {0.5, -1}, {0, 1}, {1, 1}} {
			name := fmt.Sprintf("n=%d alpha=%v beta=%v", n, ab[0], ab[1])
			r := newRand(uint64(n))
			x, y0 := randSlice(r, n), randSlice(r, n)
			if ab[1] == 0 {
				for i := range y0 {
					y0[i] = float32(math.NaN())
				}
			}
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(ab[0]) * float64(x[i])
				if ab[1] != 0 {
					want[i] += float64(ab[1]) * float64(y0[i])
				}
			}
			y := guarded(n, y0)
			Axpby(ab[0], x, ab[1], y)
			kerneltest.CloseTo(t, name, y, want, 1e-6, 1e-6)
			checkGuard(t, name, y)
		}
	}
	require.Panics(t, func() { Axpby(1, make([]float32, 3), 1, make([]float32, 2)) })
}

func BenchmarkElementwise(b *testing.B) {
	n := 1 << 20
	r := newRand(1)
	x, y, dy, dx := randSlice(r, n), make([]float32, n), randSlice(r, n), make([]float32, n)
	gbs := func(b *testing.B, bytes float64) {
		b.ReportMetric(bytes*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	}
	for _, op := range []kernels.UnaryOp{kernels.ReLU, kernels.Tanh} {
		b.Run("unary-"+op.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Unary(op, 0, x, y)
			}
			gbs(b, 8)
		})
		b.Run("unary-backward-"+op.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				UnaryBackward(op, 0, x, y, dy, dx)
			}
			gbs(b, 16)
		})
	}
	p := kernels.BroadcastParams{Shape: [4]int{4, 64, 64, 64}, BStride: [4]int{0, 1, 0, 0}}
	bias := randSlice(r, 64)
	b.Run("binary-bias", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Binary(kernels.Add, p, x, bias, y)
		}
		gbs(b, 8)
	})
	b.Run("sumto-bias", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SumTo(p, x, bias)
		}
		gbs(b, 4)
	})
}

// TestReLUNaN checks where NaNs and -0 go in ReLU and LeakyReLU and their
// backward passes, in the assembly's blocks and in the Go tail alike:
// both keep a NaN x, ReLU turns -0 into +0 as Go's max does; in backward, ReLU adds nothing where
// x <= 0 or x is NaN, even a NaN dy, and LeakyReLU adds alpha*dy there,
// NaN included.
func TestReLUNaN(t *testing.T) {
	const n = 37
	nan := float32(math.NaN())
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		switch i % 3 {
		case 0:
			x[i], dy[i] = -1, nan // x < 0 with a NaN gradient
		case 1:
			x[i], dy[i] = 2, 3
		case 2:
			x[i], dy[i] = nan, 5
		}
	}
	x[4] = float32(math.Copysign(0, -1)) // -0: ReLU gives +0, as Go's max
	y := make([]float32, n)
	Unary(kernels.ReLU, 0, x, y)
	for i, v := range x {
		if want := max(v, 0); math.Float32bits(y[i]) != math.Float32bits(want) && !sameFloat(y[i], nan) {
			t.Errorf("[%d] ReLU(%v) = %v, want %v", i, v, y[i], want)
		} else if sameFloat(want, nan) != sameFloat(y[i], nan) {
			t.Errorf("[%d] ReLU(%v) = %v, want NaN", i, v, y[i])
		}
	}
	x[4] = 2
	Unary(kernels.LeakyReLU, 0.5, x, y)
	for i, v := range x {
		if want := map[bool]float32{true: v, false: v / 2}[v > 0]; !sameFloat(y[i], want) {
			t.Errorf("[%d] LeakyReLU(%v) = %v, want %v", i, v, y[i], want)
		}
	}
	relu, leaky := make([]float32, n), make([]float32, n)
	UnaryBackward(kernels.ReLU, 0, x, nil, dy, relu)
	UnaryBackward(kernels.LeakyReLU, 0.5, x, nil, dy, leaky)
	for i := range x {
		wantReLU, wantLeaky := float32(0), float32(0)
		switch i % 3 {
		case 0:
			wantLeaky = nan
		case 1:
			wantReLU, wantLeaky = 3, 3
		case 2:
			wantLeaky = 2.5
		}
		if !sameFloat(relu[i], wantReLU) || !sameFloat(leaky[i], wantLeaky) {
			t.Errorf("[%d] x %v dy %v: relu dx %v, leaky dx %v; want %v, %v", i, x[i], dy[i], relu[i], leaky[i], wantReLU, wantLeaky)
		}
	}
}

// sameFloat reports whether a and b are equal or both NaN.
func sameFloat(a, b float32) bool { return a == b || (a != a && b != b) }
