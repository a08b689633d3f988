package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is the fit FID makes to a set of feature vectors: their mean Mu
// (D values) and covariance Sigma (D x D, row-major, normalised by N-1 as
// NumPy's np.cov).
type Gaussian struct {
	Mu    []float64
	Sigma []float64
}

// checkFeatures panics unless feats holds at least two vectors of one
// positive length, and returns that length.
func checkFeatures(op string, feats [][]float32) int {
	if len(feats) < 2 {
		panic(fmt.Sprintf("metrics: %s: %d feature vectors, need at least 2", op, len(feats)))
	}
	d := len(feats[0])
	for i, f := range feats {
		if len(f) != d || d == 0 {
			panic(fmt.Sprintf("metrics: %s: feature vector %d has %d values, vector 0 has %d", op, i, len(f), d))
		}
	}
	return d
}

// centred returns feats minus their mean as an N x D matrix scaled by
// 1/sqrt(N-1), so that its Gram matrix X^T X is the covariance, and the
// mean.
func centred(feats [][]float32) (*mat.Dense, []float64) {
	n, d := len(feats), len(feats[0])
	mu := make([]float64, d)
	for _, f := range feats {
		for j, v := range f {
			mu[j] += float64(v)
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	x := mat.NewDense(n, d, nil)
	s := 1 / math.Sqrt(float64(n-1))
	for i, f := range feats {
		row := x.RawRowView(i)
		for j, v := range f {
			row[j] = (float64(v) - mu[j]) * s
		}
	}
	return x, mu
}

// FitGaussian returns the mean and covariance of feats, in float64, as
// pytorch-fid's np.mean and np.cov(rowvar=False) compute them. It panics
// on fewer than two vectors or vectors of different lengths.
func FitGaussian(feats [][]float32) Gaussian {
	d := checkFeatures("FitGaussian", feats)
	x, mu := centred(feats)
	var s mat.SymDense
	s.SymOuterK(1, x.T())
	sigma := make([]float64, d*d)
	for i := range d {
		for j := range d {
			sigma[i*d+j] = s.At(i, j)
		}
	}
	return Gaussian{Mu: mu, Sigma: sigma}
}

// FrechetEps is the offset added to the diagonals of both covariances when
// the square root of their product cannot be computed, as pytorch-fid does.
const FrechetEps = 1e-6

// FrechetDistance returns the Frechet distance between two Gaussians,
//
//	|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2),
//
// the quantity pytorch-fid's calculate_frechet_distance computes.
//
// tr sqrt(S1 S2) is computed through gonum as the sum of the square roots of
// the eigenvalues of the symmetric matrix S1^1/2 S2 S1^1/2, which has the
// eigenvalues of S1 S2: S1^1/2 comes from a symmetric eigendecomposition of
// S1, and both decompositions are of symmetric matrices, so singular
// (rank-deficient) covariances need no special care and the result is
// real. Eigenvalues of the product at round-off level (below D times the
// float64 epsilon times the largest, including those round-off makes
// slightly negative, whose square roots scipy's sqrtm makes imaginary and
// pytorch-fid drops with the real part) count as 0: their square roots
// would add noise of about 1e-8 of the largest each; either way, with
// singular covariances the distance is accurate to about 1e-8 relative (as
// is pytorch-fid's), which FID avoids for sets smaller than D. If a
// decomposition fails to converge or the result is not finite, FrechetEps
// is added to both diagonals and the computation repeated, as pytorch-fid
// does when sqrtm fails; if that fails too, the result is NaN. Non-finite
// inputs give NaN. It panics if the dimensions do not agree.
func FrechetDistance(a, b Gaussian) float64 {
	d := len(a.Mu)
	if d == 0 || len(b.Mu) != d || len(a.Sigma) != d*d || len(b.Sigma) != d*d {
		panic(fmt.Sprintf("metrics: FrechetDistance: means of %d and %d values, covariances of %d and %d",
			len(a.Mu), len(b.Mu), len(a.Sigma), len(b.Sigma)))
	}
	var dist, tr float64
	for i := range d {
		diff := a.Mu[i] - b.Mu[i]
		dist += diff * diff
		tr += a.Sigma[i*d+i] + b.Sigma[i*d+i]
	}
	root, ok := traceSqrtProduct(a.Sigma, b.Sigma, d, 0)
	if !ok || math.IsNaN(root) || math.IsInf(root, 0) {
		if root, ok = traceSqrtProduct(a.Sigma, b.Sigma, d, FrechetEps); !ok {
			return math.NaN()
		}
	}
	return dist + tr - 2*root
}

// traceSqrtProduct returns tr sqrt((S1+eps I)(S2+eps I)) for d x d
// symmetric S1 and S2, and false if an eigendecomposition failed.
func traceSqrtProduct(s1, s2 []float64, d int, eps float64) (float64, bool) {
	sym := func(s []float64) *mat.SymDense {
		m := mat.NewSymDense(d, nil)
		for i := range d {
			for j := i; j < d; j++ {
				m.SetSym(i, j, (s[i*d+j]+s[j*d+i])/2)
			}
			m.SetSym(i, i, s[i*d+i]+eps)
		}
		return m
	}
	// S1^1/2 = V diag(sqrt(max(l, 0))) V^T
	var e1 mat.EigenSym
	if !e1.Factorize(sym(s1), true) {
		return 0, false
	}
	l := e1.Values(nil)
	var v mat.Dense
	e1.VectorsTo(&v)
	var vs mat.Dense
	vs.Apply(func(_, j int, x float64) float64 { return x * math.Sqrt(max(l[j], 0)) }, &v)
	var root mat.Dense
	root.Mul(&vs, v.T())
	// M = S1^1/2 S2 S1^1/2, symmetric positive semi-definite.
	var tmp, m mat.Dense
	tmp.Mul(&root, sym(s2))
	m.Mul(&tmp, &root)
	ms := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var e2 mat.EigenSym
	if !e2.Factorize(ms, false) {
		return 0, false
	}
	// Eigenvalues at round-off level (below d*epsilon times the largest)
	// are zeros of a singular product: their square roots, about 1e-8 of
	// the largest each, would be noise, so they count as 0.
	vals := e2.Values(nil)
	tol := float64(d) * 0x1p-52 * max(vals[len(vals)-1], 0)
	var sum float64
	for _, x := range vals {
		if x > tol {
			sum += math.Sqrt(x)
		}
	}
	return sum, true
}

// FID returns the Frechet Inception Distance between two sets of features
// (from Inception.Features): FrechetDistance(FitGaussian(a),
// FitGaussian(b)), computed without forming the covariances when both sets
// are smaller than the feature dimension, as FID test sets of a few hundred
// images at 2048 features are: with a and b the centred features scaled by
// 1/sqrt(N-1), S1 = A^T A and S2 = B^T B, the non-zero eigenvalues of S1 S2
// are the squared singular values of A B^T, so tr sqrt(S1 S2) is the sum of
// the singular values of that Na x Nb matrix (exact in exact arithmetic,
// singular covariances and all). It panics on fewer than two vectors in a
// set or on vectors of different lengths.
func FID(a, b [][]float32) float64 {
	da, db := checkFeatures("FID", a), checkFeatures("FID", b)
	if da != db {
		panic(fmt.Sprintf("metrics: FID: features of %d and %d values", da, db))
	}
	if max(len(a), len(b)) >= da {
		return FrechetDistance(FitGaussian(a), FitGaussian(b))
	}
	return fidFromSamples(a, b)
}

// fidFromSamples is FID through the singular values of A B^T.
func fidFromSamples(a, b [][]float32) float64 {
	xa, mua := centred(a)
	xb, mub := centred(b)
	var dist float64
	for j := range mua {
		diff := mua[j] - mub[j]
		dist += diff * diff
	}
	tr := frob2(xa) + frob2(xb) // tr(A^T A) + tr(B^T B)
	var k mat.Dense
	k.Mul(xa, xb.T())
	var svd mat.SVD
	if !svd.Factorize(&k, mat.SVDNone) {
		return FrechetDistance(FitGaussian(a), FitGaussian(b))
	}
	var nuclear float64
	for _, s := range svd.Values(nil) {
		nuclear += s
	}
	return dist + tr - 2*nuclear
}

// frob2 returns the sum of the squares of x's elements.
func frob2(x *mat.Dense) float64 {
	r, c := x.Dims()
	var s float64
	for i := range r {
		for _, v := range x.RawRowView(i)[:c] {
			s += v * v
		}
	}
	return s
}
