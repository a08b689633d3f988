package metrics

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/semgan/semgan/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statsCase is testdata/fid/stats.safetensors: feature sets made by
// make_golden.py and their distances computed with NumPy and SciPy.
type statsCase struct {
	*golden.Case
	t *testing.T
}

func loadStats(t *testing.T) statsCase { return statsCase{fidCase(t, "stats"), t} }

// feats returns the feature set named name as vectors.
func (c statsCase) feats(name string) [][]float32 {
	x := c.Get(c.t, "feat."+name)
	n, d := x.Shape[0], x.Shape[1]
	out := make([][]float32, n)
	for i := range out {
		out[i] = x.Data[i*d : (i+1)*d]
	}
	return out
}

// num returns the float64 written in the metadata entry key.
func (c statsCase) num(key string) float64 {
	v, err := strconv.ParseFloat(c.Meta(key), 64)
	require.NoError(c.t, err, key)
	return v
}

// fidPairs are the pairs of stats.safetensors: full-rank covariances
// (a, b), fewer vectors than dimensions (c, d: ranks 19 and 24 of 32), many
// vectors in a 10-dimensional subspace (e, f: rank 10), and mixtures.
var fidPairs = [][2]string{{"a", "b"}, {"c", "d"}, {"e", "f"}, {"a", "e"}, {"c", "a"}}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func TestFrechetDistanceMatchesSciPy(t *testing.T) {
	c := loadStats(t)
	deficient := 0
	for _, p := range fidPairs {
		x, y := c.feats(p[0]), c.feats(p[1])
		key := p[0] + "." + p[1]
		scipy, exact, svd := c.num("fid."+key), c.num("fid_exact."+key), c.num("fid_svd."+key)
		for _, name := range []string{p[0], p[1]} {
			if rank, _ := strconv.Atoi(c.Meta("rank." + name)); rank < len(x[0]) {
				deficient++
			}
		}
		viaCov := FrechetDistance(FitGaussian(x), FitGaussian(y))
		viaSamples := fidFromSamples(x, y)
		t.Logf("%s (ranks %s, %s): pytorch-fid %.12g, NumPy SVD route %.12g; covariance route %.12g (rel. err. %.2g against pytorch-fid), sample route %.12g (%.2g against pytorch-fid, %.2g against NumPy's SVD route)",
			key, c.Meta("rank."+p[0]), c.Meta("rank."+p[1]), scipy, svd,
			viaCov, relErr(viaCov, scipy), viaSamples, relErr(viaSamples, scipy), relErr(viaSamples, svd))
		// With (nearly) singular covariances, every route through the
		// covariances (SciPy's sqrtm, the eigenvalues of S1^1/2 S2 S1^1/2 in
		// NumPy or here) meets eigenvalues of S1 S2 at round-off level, whose
		// square roots are about 1e-8 of the largest: they are off by a few
		// 1e-8 relative. The singular values of A B^T are accurate to
		// round-off.
		assert.InDelta(t, svd, viaSamples, 1e-10*svd, "%s: sample route against NumPy's", key)
		assert.InDelta(t, exact, svd, 5e-8*svd, "%s: NumPy's two routes", key)
		for _, got := range []float64{viaCov, viaSamples, FID(x, y)} {
			assert.InDelta(t, svd, got, 5e-8*svd, "%s: against NumPy's SVD route", key)
			assert.InDelta(t, scipy, got, 5e-8*scipy, "%s: against pytorch-fid", key)
		}
	}
	assert.Positive(t, deficient, "the cases include rank-deficient covariances")
}

func TestFrechetDistanceProperties(t *testing.T) {
	c := loadStats(t)
	for _, name := range []string{"a", "c", "e"} {
		x := c.feats(name)
		g := FitGaussian(x)
		assert.InDelta(t, 0, FrechetDistance(g, g), 1e-9, "%s against itself", name)
		assert.InDelta(t, 0, FID(x, x), 1e-9, "%s against itself", name)
	}
	// A shift of the mean by v adds |v|^2.
	x := c.feats("a")
	shifted := make([][]float32, len(x))
	for i, f := range x {
		shifted[i] = make([]float32, len(f))
		for j, v := range f {
			shifted[i][j] = v + 0.5
		}
	}
	assert.InDelta(t, 0.25*float64(len(x[0])), FID(x, shifted), 1e-5)

	g := FitGaussian(x)
	bad := Gaussian{Mu: g.Mu, Sigma: append([]float64(nil), g.Sigma...)}
	bad.Sigma[3] = math.NaN()
	assert.True(t, math.IsNaN(FrechetDistance(g, bad)), "NaN in, NaN out")
	require.Panics(t, func() { FID(x[:1], x) })
	require.Panics(t, func() { FID(x, [][]float32{{1, 2}, {3, 4}}) })
	require.Panics(t, func() { FrechetDistance(g, Gaussian{Mu: g.Mu}) })
}

func TestKIDMatchesNumPy(t *testing.T) {
	c := loadStats(t)
	for _, p := range fidPairs {
		key := p[0] + "." + p[1]
		got, want := MMD2Unbiased(c.feats(p[0]), c.feats(p[1])), c.num("mmd."+key)
		assert.InDelta(t, want, got, 1e-9*math.Abs(want)+1e-12, "MMD^2 %s", key)
	}
	// torch-fidelity's estimate on the subsets the script drew.
	a, b := c.feats("a"), c.feats("b")
	ia, ib := c.Get(t, "kid.idx.a"), c.Get(t, "kid.idx.b")
	size := ia.Shape[1]
	var mmds []float64
	for s, w := range strings.Split(c.Meta("kid.mmds"), ",") {
		pick := func(feats [][]float32, idx []float32) [][]float32 {
			var out [][]float32
			for _, i := range idx[s*size : (s+1)*size] {
				out = append(out, feats[int(i)])
			}
			return out
		}
		want, err := strconv.ParseFloat(w, 64)
		require.NoError(t, err)
		got := MMD2Unbiased(pick(a, ia.Data), pick(b, ib.Data))
		assert.InDelta(t, want, got, 1e-9*math.Abs(want), "subset %d", s)
		mmds = append(mmds, got)
	}
	t.Logf("KID over the script's %d subsets of %d: %.9g (NumPy %.9g)", len(mmds), size, Mean(mmds), c.num("kid.mean"))

	// With subsets as large as both sets, every subset is the whole set.
	mean, std := KID(a[:100], b, KIDOptions{Subsets: 3})
	assert.InDelta(t, c.num("mmd_equal.a100.b"), mean, 1e-9)
	assert.InDelta(t, 0, std, 1e-9)
}

func TestKIDSubsets(t *testing.T) {
	c := loadStats(t)
	a, b := c.feats("a"), c.feats("b")
	o := KIDOptions{Subsets: 20, SubsetSize: 30, Seed: 3}
	mean, std := KID(a, b, o)
	again, _ := KID(a, b, o)
	assert.Equal(t, mean, again, "the seed decides the subsets")
	assert.Positive(t, std)
	// The same subsets, each kernel computed on its own.
	defer func(v int) { kidWholeKernelMax = v }(kidWholeKernelMax)
	kidWholeKernelMax = 0
	slow, slowStd := KID(a, b, o)
	assert.InDelta(t, mean, slow, 1e-12)
	assert.InDelta(t, std, slowStd, 1e-12)
	// Samples of one distribution: KID near 0 (it is unbiased), far below
	// KID between the two.
	same, _ := KID(a[:75], a[75:], KIDOptions{Subsets: 20, SubsetSize: 50})
	assert.Less(t, math.Abs(same), 0.2*mean)
	t.Logf("KID a-b %.4g +- %.2g, a-a %.4g", mean, std, same)
	require.Panics(t, func() { KID(a[:1], b, o) })
}
