package cpu

import (
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/kernels/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// foreign is a buffer of some other backend.
type foreign struct{}

func (foreign) Len() int { return 4 }

// TestBackendWrappers goes through kernels.Open("cpu") and calls every
// method once on uploaded buffers, checking each result against the
// slice-level function (whose own tests check the math).
func TestBackendWrappers(t *testing.T) {
	be, err := kernels.Open("cpu")
	require.NoError(t, err)
	require.Equal(t, "cpu", be.Name())
	require.Contains(t, kernels.Names(), "cpu")
	start := be.LiveBytes()
	r := newRand(1)
	var live []kernels.Buffer
	up := func(s []float32) kernels.Buffer {
		b := be.Alloc(len(s))
		be.Upload(b, s)
		live = append(live, b)
		return b
	}
	zeros := func(n int) kernels.Buffer { return up(make([]float32, n)) }
	down := func(b kernels.Buffer) []float32 {
		s := make([]float32, b.Len())
		be.Download(s, b)
		return s
	}

	// Memory.
	b := be.Alloc(5)
	live = append(live, b)
	require.Equal(t, 5, b.Len())
	require.Equal(t, make([]float32, 5), down(b))
	require.Equal(t, start+20, be.LiveBytes())
	be.Fill(b, 2.5)
	require.Equal(t, []float32{2.5, 2.5, 2.5, 2.5, 2.5}, down(b))
	c := zeros(5)
	be.Copy(c, b)
	require.Equal(t, down(b), down(c))
	require.NoError(t, be.Synchronize())

	// GEMM: [2x3] * [3x2].
	gp := kernels.GemmParams{M: 2, N: 2, K: 3, Alpha: 1, Batch: 1}
	gc := zeros(4)
	be.Gemm(gp, up([]float32{1, 2, 3, 4, 5, 6}), up([]float32{1, 0, 0, 1, 1, 1}), gc)
	require.Equal(t, []float32{4, 5, 10, 11}, down(gc))

	// Convolution, forward and both backward passes.
	cp := kernels.ConvParams{N: 1, InC: 2, InH: 4, InW: 5, OutC: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x, w, bias, dy := randSlice(r, cp.XLen()), randSlice(r, cp.WLen()), randSlice(r, 3), randSlice(r, cp.YLen())
	want := make([]float32, cp.YLen())
	ConvForward(cp, x, w, bias, want)
	y := zeros(cp.YLen())
	be.ConvForward(cp, up(x), up(w), up(bias), y)
	require.Equal(t, want, down(y))
	be.ConvForward(cp, up(x), up(w), nil, y)
	ConvForward(cp, x, w, nil, want)
	require.Equal(t, want, down(y))
	wantDx := make([]float32, cp.XLen())
	ConvBackwardData(cp, dy, w, wantDx)
	dx := zeros(cp.XLen())
	be.ConvBackwardData(cp, up(dy), up(w), dx)
	require.Equal(t, wantDx, down(dx))
	wantDw, wantDb := make([]float32, cp.WLen()), make([]float32, 3)
	ConvBackwardFilter(cp, x, dy, wantDw, wantDb)
	dw, db := zeros(cp.WLen()), zeros(3)
	be.ConvBackwardFilter(cp, up(x), up(dy), dw, db)
	require.Equal(t, wantDw, down(dw))
	require.Equal(t, wantDb, down(db))
	be.ConvBackwardFilter(cp, up(x), up(dy), nil, nil)

	// Padding.
	pp := kernels.PadParams{N: 1, C: 1, H: 2, W: 3, Left: 2, Mode: kernels.PadReflect}
	py := zeros(10)
	be.Pad(pp, up([]float32{1, 2, 3, 4, 5, 6}), py)
	require.Equal(t, []float32{3, 2, 1, 2, 3, 6, 5, 4, 5, 6}, down(py))
	pdx := zeros(6)
	be.PadBackward(pp, py, pdx)
	require.Equal(t, []float32{1, 4, 6, 4, 10, 12}, down(pdx))

	// Instance norm.
	np := kernels.NormParams{N: 1, C: 2, S: 3, Eps: 1e-5}
	nx, ndy := randSlice(r, 6), randSlice(r, 6)
	gamma, beta := []float32{1.5, -0.5}, []float32{0.1, 0.2}
	wy, wm, wr := make([]float32, 6), make([]float32, 2), make([]float32, 2)
	InstanceNormForward(np, nx, gamma, beta, wy, wm, wr)
	ny, nm, nr := zeros(6), zeros(2), zeros(2)
	be.InstanceNormForward(np, up(nx), up(gamma), up(beta), ny, nm, nr)
	require.Equal(t, wy, down(ny))
	require.Equal(t, wm, down(nm))
	require.Equal(t, wr, down(nr))
	wdx, wdg, wdb := make([]float32, 6), make([]float32, 2), make([]float32, 2)
	InstanceNormBackward(np, nx, gamma, wm, wr, ndy, wdx, wdg, wdb)
	ndx, ndg, ndb := zeros(6), zeros(2), zeros(2)
	be.InstanceNormBackward(np, up(nx), up(gamma), nm, nr, up(ndy), ndx, ndg, ndb)
	require.Equal(t, wdx, down(ndx))
	require.Equal(t, wdg, down(ndg))
	require.Equal(t, wdb, down(ndb))

	// Attention.
	ap := kernels.AttentionParams{Batch: 1, Dk: 2, Dv: 3, Nq: 4, Nk: 5, Scale: 0.5}
	q, k, v, do := randSlice(r, 8), randSlice(r, 10), randSlice(r, 15), randSlice(r, 12)
	wo, wl := make([]float32, 12), make([]float32, 4)
	AttentionForward(ap, q, k, v, wo, wl)
	ao, al := zeros(12), zeros(4)
	be.AttentionForward(ap, up(q), up(k), up(v), ao, al)
	require.Equal(t, wo, down(ao))
	require.Equal(t, wl, down(al))
	wdq, wdk, wdv := make([]float32, 8), make([]float32, 10), make([]float32, 15)
	AttentionBackward(ap, q, k, v, wo, wl, do, wdq, wdk, wdv)
	adq, adk, adv := zeros(8), zeros(10), zeros(15)
	be.AttentionBackward(ap, up(q), up(k), up(v), ao, al, up(do), adq, adk, adv)
	require.Equal(t, wdq, down(adq))
	require.Equal(t, wdk, down(adk))
	require.Equal(t, wdv, down(adv))

	// Softmax.
	sx, sdy := randSlice(r, 6), randSlice(r, 6)
	wsy, wsdx := make([]float32, 6), make([]float32, 6)
	SoftmaxForward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, sx, wsy)
	SoftmaxBackward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, wsy, sdy, wsdx)
	sy, sdx := zeros(6), zeros(6)
	be.SoftmaxForward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, up(sx), sy)
	be.SoftmaxBackward(kernels.SoftmaxParams{Rows: 2, Cols: 3}, sy, up(sdy), sdx)
	require.Equal(t, wsy, down(sy))
	require.Equal(t, wsdx, down(sdx))

	// Elementwise.
	ex := []float32{-1, 0.5, 2}
	uy := zeros(3)
	be.Unary(kernels.LeakyReLU, 0.1, up(ex), uy)
	require.InDeltaSlice(t, []float32{-0.1, 0.5, 2}, down(uy), 1e-7)
	udx := zeros(3)
	be.UnaryBackward(kernels.LeakyReLU, 0.1, up(ex), uy, up([]float32{1, 1, 1}), udx)
	require.InDeltaSlice(t, []float32{0.1, 1, 1}, down(udx), 1e-7)
	bp := kernels.BroadcastParams{Shape: [4]int{1, 2, 1, 2}, BStride: [4]int{0, 1, 0, 0}}
	ba := up([]float32{1, 2, 3, 4})
	be.Binary(kernels.Mul, bp, ba, up([]float32{10, 100}), ba)
	require.Equal(t, []float32{10, 20, 300, 400}, down(ba))
	st := up([]float32{1, 1})
	be.SumTo(bp, ba, st)
	require.Equal(t, []float32{31, 701}, down(st))
	ay := up([]float32{1, 2})
	be.Axpby(2, up([]float32{3, 4}), -1, ay)
	require.Equal(t, []float32{5, 6}, down(ay))

	// Reductions.
	ra, rb := up([]float32{1, 2, 3, 4}), up([]float32{1, 0, 5, 4})
	out := zeros(1)
	be.Reduce(kernels.MeanAbsDiff, ra, rb, out)
	require.Equal(t, []float32{1}, down(out))
	be.Reduce(kernels.Sum, ra, nil, out)
	require.Equal(t, []float32{10}, down(out))
	da, dbb := zeros(4), zeros(4)
	be.ReduceBackward(kernels.MeanAbsDiff, ra, rb, up([]float32{4}), da, dbb)
	require.Equal(t, []float32{0, 1, -1, 0}, down(da))
	require.Equal(t, []float32{0, -1, 1, 0}, down(dbb))

	// Adam.
	param, grad := up([]float32{1, 1}), up([]float32{0.5, -2})
	m, v2 := zeros(2), zeros(2)
	be.Adam(kernels.AdamParams{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}, param, grad, m, v2)
	require.InDeltaSlice(t, []float32{0.9, 1.1}, down(param), 1e-6)

	// Everything freed: LiveBytes is back where it started.
	require.Greater(t, be.LiveBytes(), start)
	for _, b := range live {
		be.Free(b)
	}
	be.Free(nil)
	require.Equal(t, start, be.LiveBytes())
}

func TestBackendMemory(t *testing.T) {
	be := New()
	b := be.Alloc(1000)
	be.Fill(b, 7)
	require.Equal(t, int64(4000), be.LiveBytes())
	be.Free(b)
	require.Equal(t, int64(0), be.LiveBytes())
	// A recycled buffer comes back zeroed.
	for range 3 {
		b = be.Alloc(1000)
		require.Equal(t, make([]float32, 1000), Data(b))
		be.Fill(b, 7)
		be.Free(b)
	}
	require.PanicsWithValue(t, "cpu: Free: buffer freed twice", func() { be.Free(b) })
	require.PanicsWithValue(t, "cpu: Fill: buffer used after Free", func() { be.Fill(b, 1) })
	require.Panics(t, func() { be.Alloc(-1) })
	require.Equal(t, 0, be.Alloc(0).Len())

	// Wrap shares memory and is not counted.
	s := []float32{1, 2, 3}
	w := Wrap(s)
	require.Equal(t, int64(0), be.LiveBytes()-0)
	be.Fill(w, 9)
	require.Equal(t, []float32{9, 9, 9}, s)
	Data(w)[0] = 4
	require.Equal(t, float32(4), s[0])
	be.Free(w)
	require.Equal(t, []float32{4, 9, 9}, s, "freeing a wrapped buffer leaves the slice alone")
	require.Nil(t, Data(nil))
}

func TestBackendForeignBuffer(t *testing.T) {
	be := New()
	ok := be.Alloc(4)
	require.PanicsWithValue(t, "cpu: Copy: buffer from another backend (cpu.foreign)", func() { be.Copy(ok, foreign{}) })
	require.PanicsWithValue(t, "cpu: Free: buffer from another backend (cpu.foreign)", func() { be.Free(foreign{}) })
	require.Panics(t, func() { Data(foreign{}) })
	require.Panics(t, func() { be.Upload(ok, make([]float32, 3)) })
	require.Panics(t, func() { be.Download(make([]float32, 5), ok) })
	require.Panics(t, func() { be.Copy(ok, be.Alloc(3)) })
	assert.Panics(t, func() {
		be.Gemm(kernels.GemmParams{M: 2, N: 2, K: 1, Batch: 1}, foreign{}, ok, ok)
	})
}

func TestBackendMethods(t *testing.T) {
	kerneltest.CheckMethods(t, New())
}
