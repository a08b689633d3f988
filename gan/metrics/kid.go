package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// KIDOptions set how KID draws its subsets. The zero value means
// torch-fidelity's defaults: 100 subsets of 1000 vectors (fewer when a set
// is smaller), seed 0.
type KIDOptions struct {
	// Subsets is the number of subset pairs averaged (0: 100).
	Subsets int
	// SubsetSize is the number of vectors drawn from each set for each
	// subset, capped at the size of the smaller set (0: 1000).
	SubsetSize int
	// Seed seeds the subset draws.
	Seed uint64
}

// toMat copies feature vectors into an N x D float64 matrix.
func toMat(feats [][]float32) *mat.Dense {
	x := mat.NewDense(len(feats), len(feats[0]), nil)
	for i, f := range feats {
		row := x.RawRowView(i)
		for j, v := range f {
			row[j] = float64(v)
		}
	}
	return x
}

// polyKernel returns the matrix k(x_i, y_j) = (x_i . y_j / d + 1)^3 of the
// rows of x and y, the cubic polynomial kernel of the KID paper.
func polyKernel(x, y *mat.Dense) *mat.Dense {
	_, d := x.Dims()
	var k mat.Dense
	k.Mul(x, y.T())
	k.Apply(func(_, _ int, v float64) float64 {
		t := v/float64(d) + 1
		return t * t * t
	}, &k)
	return &k
}

// mmd2 returns the unbiased MMD^2 estimate from kernel matrices kxx (m x m),
// kyy (n x n) and kxy (m x n): the off-diagonal means of kxx and kyy minus
// twice the mean of kxy.
func mmd2(kxx, kyy, kxy mat.Matrix) float64 {
	offDiagMean := func(k mat.Matrix) float64 {
		n, _ := k.Dims()
		var s float64
		for i := range n {
			for j := range n {
				if i != j {
					s += k.At(i, j)
				}
			}
		}
		return s / float64(n*(n-1))
	}
	m, n := kxy.Dims()
	var sxy float64
	for i := range m {
		for j := range n {
			sxy += kxy.At(i, j)
		}
	}
	return offDiagMean(kxx) + offDiagMean(kyy) - 2*sxy/float64(m*n)
}

// MMD2Unbiased returns the unbiased estimate of the squared maximum mean
// discrepancy between the distributions of x (m vectors) and y (n vectors)
// with the kernel k(u, v) = (u.v/d + 1)^3 (Binkowski et al., "Demystifying
// MMD GANs", 2018):
//
//	sum_{i!=j} k(x_i,x_j)/(m(m-1)) + sum_{i!=j} k(y_i,y_j)/(n(n-1)) - 2 sum_{i,j} k(x_i,y_j)/(mn)
//
// For m = n it is torch-fidelity's KID estimate of one subset pair. It is
// computed in float64 and may be negative. It panics on fewer than two
// vectors in a set or vectors of different lengths.
func MMD2Unbiased(x, y [][]float32) float64 {
	dx, dy := checkFeatures("MMD2Unbiased", x), checkFeatures("MMD2Unbiased", y)
	if dx != dy {
		panic(fmt.Sprintf("metrics: MMD2Unbiased: features of %d and %d values", dx, dy))
	}
	mx, my := toMat(x), toMat(y)
	return mmd2(polyKernel(mx, mx), polyKernel(my, my), polyKernel(mx, my))
}

// KID returns the Kernel Inception Distance between two sets of features
// (from Inception.Features) as torch-fidelity computes it: the mean and the
// standard deviation (normalised by the count) of MMD2Unbiased over
// o.Subsets pairs of subsets of m = min(o.SubsetSize, len(a), len(b))
// vectors, each drawn without replacement. Unlike FID it is unbiased, so
// it can be compared across test sets of different sizes; torch-fidelity
// and the KID paper report it as is (often times 1000). The kernel matrix
// of both whole sets is computed once when they hold at most 2048 vectors
// together; larger sets cost three m x m x D products per subset. It
// panics on fewer than two vectors in a set or vectors of different
// lengths.
func KID(a, b [][]float32, o KIDOptions) (mean, std float64) {
	da, db := checkFeatures("KID", a), checkFeatures("KID", b)
	if da != db {
		panic(fmt.Sprintf("metrics: KID: features of %d and %d values", da, db))
	}
	if o.Subsets <= 0 {
		o.Subsets = 100
	}
	if o.SubsetSize <= 0 {
		o.SubsetSize = 1000
	}
	m := min(o.SubsetSize, len(a), len(b))
	rng := rand.New(rand.NewPCG(o.Seed, 0x6b6964))
	// kernel returns the three kernel matrices of the subsets at ia of a
	// and ib of b.
	kernel := func(ia, ib []int) (kxx, kyy, kxy mat.Matrix) {
		xa, xb := toMat(rows(a, ia)), toMat(rows(b, ib))
		return polyKernel(xa, xa), polyKernel(xb, xb), polyKernel(xa, xb)
	}
	if len(a)+len(b) <= kidWholeKernelMax {
		// One kernel matrix of a's vectors followed by b's, looked into.
		z := toMat(append(append([][]float32(nil), a...), b...))
		k := polyKernel(z, z)
		kernel = func(ia, ib []int) (mat.Matrix, mat.Matrix, mat.Matrix) {
			jb := make([]int, len(ib))
			for i, j := range ib {
				jb[i] = len(a) + j
			}
			return pick{k, ia, ia}, pick{k, jb, jb}, pick{k, ia, jb}
		}
	}
	mmds := make([]float64, o.Subsets)
	for s := range mmds {
		ia := rng.Perm(len(a))[:m]
		ib := rng.Perm(len(b))[:m]
		mmds[s] = mmd2(kernel(ia, ib))
	}
	for _, v := range mmds {
		mean += v
	}
	mean /= float64(len(mmds))
	for _, v := range mmds {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(mmds)))
}

// kidWholeKernelMax is the most vectors, both sets together, for which KID
// computes the whole kernel matrix once (2048: 32 MiB).
var kidWholeKernelMax = 2048

// rows returns the vectors of feats at idx.
func rows(feats [][]float32, idx []int) [][]float32 {
	out := make([][]float32, len(idx))
	for i, j := range idx {
		out[i] = feats[j]
	}
	return out
}

// pick is the submatrix of k at rows r and columns c.
type pick struct {
	k    *mat.Dense
	r, c []int
}

func (p pick) Dims() (int, int)    { return len(p.r), len(p.c) }
func (p pick) At(i, j int) float64 { return p.k.At(p.r[i], p.c[j]) }
func (p pick) T() mat.Matrix       { return mat.Transpose{Matrix: p} }
