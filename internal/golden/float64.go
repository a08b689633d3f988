package golden

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// Float64Tolerance says how far a float32 result may stray from a float64
// reference: Factor times what PyTorch float32 reaches on the same
// tensors, and never less than Floor (relative errors).
type Float64Tolerance struct {
	Factor, Floor float64
}

func (tol Float64Tolerance) of(torch32 float64) float64 { return max(tol.Factor*torch32, tol.Floor) }

// GradSummary is what a float64 case keeps of a gradient: its norm and its
// dot products with hashed vectors (ProjectionStream).
type GradSummary struct {
	Norm float64
	Dots []float64
}

// Summarize computes the summary of gradient j, in float64.
func Summarize(g []float32, j, projections int) GradSummary {
	s := GradSummary{Dots: make([]float64, projections)}
	for _, v := range g {
		s.Norm += float64(v) * float64(v)
	}
	s.Norm = math.Sqrt(s.Norm)
	for k := range s.Dots {
		for i, v := range HashedUniform(ProjectionStream(j, k), len(g), 1) {
			s.Dots[k] += float64(g[i]) * float64(v)
		}
	}
	return s
}

// ErrorFrom estimates the relative L2 error |g - ref| / |ref| of the
// gradient summarised by s: a dot product with a vector of uniform +-1
// values moves by about |e|/sqrt(3) for an error e, so each projection
// sees the error whatever its direction. With ref zero it is the absolute
// error. golden.py's summary_error computes the same for PyTorch float32.
func (s GradSummary) ErrorFrom(ref GradSummary) float64 {
	est := math.Abs(s.Norm - ref.Norm)
	for k, d := range s.Dots {
		est = max(est, math.Abs(d-ref.Dots[k])*math.Sqrt(3))
	}
	if ref.Norm > 0 {
		return est / ref.Norm
	}
	return est
}

// Float64Result is what RunFloat64 measured of one gradient.
type Float64Result struct {
	Key     string      // "dx" or "grad.<parameter>"
	Got     GradSummary // of the module's gradient
	Err     float64     // relative error against float64, with the flips
	Torch32 float64     // PyTorch float32's relative error on the same tensors
	Limit   float64     // the tolerance Err is held to
}

// RunFloat64 checks m against a float64 reference case of golden.py's
// float64_networks: it sets m's parameters and the input from the hash,
// runs m forward, back-propagates the hashed loss weights, and checks the
// output element by element and every gradient by its summary, each
// within tol of what PyTorch float32 reaches. Gradients the case marks as
// mathematically zero are held to tol.Factor times PyTorch float32's norm.
//
// A few activation inputs lie within float32 rounding of a kink (see
// golden.py): the comparison allows the case's max_flips of its listed
// near-kink activations to have taken their other branch, choosing the
// set that fits best, and logs it. It logs every error beside PyTorch
// float32's and returns the gradients' results, in the case's key order.
func (c *Case) RunFloat64(t testing.TB, m nn.Module, tol Float64Tolerance) []Float64Result {
	t.Helper()
	keys := c.Keys()
	params := m.Parameters()
	byName := map[string]nn.Param{}
	var names []string
	for _, p := range params {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	require.Equal(t, keys, names, "%s: parameters in the reference's order", c.Name)
	for i, k := range keys {
		w := byName[k[:strings.LastIndexByte(k, '.')]+".weight"]
		p := byName[k].Var.Value
		p.SetData(HashedUniform(uint64(100+i), p.Len(), FanInBound(w.Var.Value.Shape())))
	}
	xShape := c.metaInts(t, "x_shape")
	projections, maxFlips := c.metaInts(t, "projections")[0], c.metaInts(t, "max_flips")[0]

	x := autograd.Param(tensor.FromSlice(HashedUniform(0, shapeLen(xShape), 1), xShape...))
	y := m.Forward(x)
	c.compareMaxRel(t, "y", y.Value.Data(), tol.of(c.scalar(t, "y.torch32_err")))
	r := tensor.FromSlice(HashedUniform(1, y.Value.Len(), 1), y.Shape()...)
	autograd.BackwardWith(y, r)

	zero := map[string]bool{}
	for _, k := range c.ZeroGrads() {
		zero[k] = true
	}
	kinks := strings.Split(c.Meta("kinks"), ",")
	var results []Float64Result
	var refs []GradSummary
	var deltas [][]GradSummary // deltas[j][f]: how flip f moves gradient j's summary
	for j, key := range append([]string{"dx"}, prefixed("grad.", keys)...) {
		g := x.Grad
		if j > 0 {
			g = byName[keys[j-1]].Var.Grad
		}
		require.NotNil(t, g, "%s: no gradient %s", c.Name, key)
		res := Float64Result{Key: key, Got: Summarize(g.Data(), j, projections),
			Torch32: c.scalar(t, key+".torch32_err")}
		res.Limit = tol.of(res.Torch32)
		if zero[key] {
			res.Limit = tol.Factor * c.scalar(t, key+".torch32_norm")
		}
		results = append(results, res)
		refs = append(refs, GradSummary{Norm: c.scalar(t, key+".norm"), Dots: c.floats(t, key+".dots")})
		d := c.Get(t, key+".kink_deltas")
		require.Equal(t, []int{len(kinks), 1 + projections}, d.Shape, "%s/%s.kink_deltas", c.Name, key)
		var dj []GradSummary
		for f := range kinks {
			row := d.Data[f*(1+projections) : (f+1)*(1+projections)]
			s := GradSummary{Norm: float64(row[0])}
			for _, v := range row[1:] {
				s.Dots = append(s.Dots, float64(v))
			}
			dj = append(dj, s)
		}
		deltas = append(deltas, dj)
	}

	// errors returns every gradient's error against the reference moved by
	// the flips in set, and the worst error over its limit.
	errors := func(set []int) ([]float64, float64) {
		errs, worst := make([]float64, len(results)), 0.0
		for j, res := range results {
			ref := GradSummary{Norm: refs[j].Norm, Dots: append([]float64(nil), refs[j].Dots...)}
			for _, f := range set {
				ref.Norm += deltas[j][f].Norm
				for k, v := range deltas[j][f].Dots {
					ref.Dots[k] += v
				}
			}
			if zero[res.Key] {
				errs[j] = res.Got.Norm
			} else {
				errs[j] = res.Got.ErrorFrom(ref)
			}
			worst = max(worst, errs[j]/res.Limit)
		}
		return errs, worst
	}
	best, bestWorst := errors(nil)
	var bestSet []int
	for _, set := range subsets(len(kinks), maxFlips) {
		if errs, worst := errors(set); worst < bestWorst {
			best, bestWorst, bestSet = errs, worst, set
		}
	}
	for _, f := range bestSet {
		t.Logf("%s: float32 took the other branch at %s (one of the %d activation inputs nearest 0)", c.Name, kinks[f], len(kinks))
	}
	for j := range results {
		res := &results[j]
		res.Err = best[j]
		if zero[res.Key] {
			// Mathematically zero: only round-off, held to PyTorch's.
			t.Logf("%s/%s: zero gradient, norm %.2e (torch float32 %.2e)", c.Name, res.Key, res.Err, res.Limit/tol.Factor)
			if !(res.Err <= res.Limit) {
				t.Errorf("%s/%s: a zero gradient of norm %.3g, more than %g times torch float32's", c.Name, res.Key, res.Err, tol.Factor)
			}
			continue
		}
		t.Logf("%s/%s: relative error %.2e (torch float32 %.2e)", c.Name, res.Key, res.Err, res.Torch32)
		if !(res.Err <= res.Limit) {
			t.Errorf("%s/%s: relative error %.3g against float64, beyond %.3g (torch float32: %.3g)",
				c.Name, res.Key, res.Err, res.Limit, res.Torch32)
		}
	}
	return results
}

// subsets returns every non-empty subset of [0, n) with at most k elements.
func subsets(n, k int) [][]int {
	var out [][]int
	var grow func(set []int, next int)
	grow = func(set []int, next int) {
		for i := next; i < n; i++ {
			s := append(append([]int(nil), set...), i)
			out = append(out, s)
			if len(s) < k {
				grow(s, i+1)
			}
		}
	}
	if k > 0 {
		grow(nil, 0)
	}
	return out
}

// metaInts parses the metadata entry key, a comma list of integers.
func (c *Case) metaInts(t testing.TB, key string) []int {
	t.Helper()
	var out []int
	for _, d := range strings.Split(c.Meta(key), ",") {
		n, err := strconv.Atoi(d)
		require.NoError(t, err, "%s: metadata %s", c.Name, key)
		out = append(out, n)
	}
	return out
}

// compareMaxRel checks max|got - want| / max|want| <= limit.
func (c *Case) compareMaxRel(t testing.TB, key string, got []float32, limit float64) {
	t.Helper()
	want := c.Get(t, key).Data
	require.Len(t, got, len(want), "%s/%s", c.Name, key)
	maxErr, scale := 0.0, 0.0
	for i, w := range want {
		maxErr = max(maxErr, math.Abs(float64(got[i])-float64(w)))
		scale = max(scale, math.Abs(float64(w)))
	}
	t.Logf("%s/%s: max error / max |want| %.2e (limit %.2e)", c.Name, key, maxErr/scale, limit)
	if !(maxErr <= limit*scale) {
		t.Errorf("%s/%s: max error %.3g is %.3g of the scale %.3g, beyond %.3g", c.Name, key, maxErr, maxErr/scale, scale, limit)
	}
}

func (c *Case) scalar(t testing.TB, key string) float64 {
	t.Helper()
	d := c.Get(t, key).Data
	require.Len(t, d, 1, "%s/%s", c.Name, key)
	return float64(d[0])
}

func (c *Case) floats(t testing.TB, key string) []float64 {
	t.Helper()
	var out []float64
	for _, v := range c.Get(t, key).Data {
		out = append(out, float64(v))
	}
	return out
}

func prefixed(prefix string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = prefix + k
	}
	return out
}

func shapeLen(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
