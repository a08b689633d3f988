package cpu

import (
	"math"

	"github.com/semgan/semgan/kernels"
)

// normMinWork is the work, in elements, below which planes are not spread
// over goroutines.
const normMinWork = 1 << 14

// InstanceNormForward normalises each (n, c) plane of x [N, C, S] over its S
// elements and writes
//
//	y = (x - mean) * rstd * gamma[c] + beta[c],  rstd = 1/sqrt(var + Eps)
//
// with the biased variance, overwriting y. gamma and beta ([C]) may each be
// nil, meaning 1 and 0. mean and rstd ([N*C]) are written for the backward
// pass. Mean and variance are accumulated in float64, the variance in a
// second pass over (x - mean)^2 so that a large mean cannot cancel it.
// InstanceNormForward panics if p is invalid or a slice has the wrong length.
func InstanceNormForward(p kernels.NormParams, x, gamma, beta, y, mean, rstd []float32) {
	const fn = "InstanceNormForward"
	must(fn, p.CheckForward(ln(x), ln(gamma), ln(beta), ln(y), ln(mean), ln(rstd)))
	nc := p.StatLen()
	parallelFor(nc, max(1, normMinWork/p.S), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			c := pl % p.C
			xp, yp := x[pl*p.S:(pl+1)*p.S], y[pl*p.S:(pl+1)*p.S]
			mu := sum64(xp) / float64(p.S)
			r := 1 / math.Sqrt(sumSqDev64(xp, mu)/float64(p.S)+float64(p.Eps))
			// mean and rstd, kept for backward.
			mean[pl], rstd[pl] = float32(mu), float32(r)
			// y = x*scale + (shift - mu*scale) in float64 from the float64
			// mean: the float32 mean can be off by more than the spread when
			// the mean is large.
			scale, shift := r, 0.0
			if gamma != nil {
				scale *= float64(gamma[c])
			}
			if beta != nil {
				shift = float64(beta[c])
			}
			affine64(xp, yp, scale, shift-mu*scale)
		}
	})
}

// InstanceNormBackward accumulates the gradients of InstanceNormForward
// given x, gamma (nil for 1), the mean and rstd it kept, and dy. With
// xhat = (x - mean)*rstd and g = dy*gamma[c], per plane:
//
//	dx       += rstd * (g - mean(g) - xhat*mean(g*xhat))
//	dgamma[c] += sum over n and the plane of dy*xhat
//	dbeta[c]  += sum over n and the plane of dy
//
// (the two means come from differentiating through mean and rstd). Any of
// dx, dgamma and dbeta may be nil. Planes run on separate goroutines; the
// per-plane sums are added into dgamma and dbeta in order of n afterwards.
// InstanceNormBackward panics if p is invalid or a slice has the wrong
// length.
func InstanceNormBackward(p kernels.NormParams, x, gamma, mean, rstd, dy, dx, dgamma, dbeta []float32) {
	const fn = "InstanceNormBackward"
	must(fn, p.CheckBackward(ln(x), ln(gamma), ln(mean), ln(rstd), ln(dy), ln(dx), ln(dgamma), ln(dbeta)))
	nc := p.StatLen()
	if dx == nil && dgamma == nil && dbeta == nil {
		return
	}
	// Per plane: sum of dy and of dy*xhat.
	sumDy, sumDyXhat := make([]float64, nc), make([]float64, nc)
	parallelFor(nc, max(1, normMinWork/p.S), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, dyp := x[pl*p.S:(pl+1)*p.S], dy[pl*p.S:(pl+1)*p.S]
			mu, r := float64(mean[pl]), float64(rstd[pl])
			sd, sdx := sumDyDyDev64(xp, dyp, mu)
			sdx *= r // the sum of dy*xhat
			sumDy[pl], sumDyXhat[pl] = sd, sdx
			if dx == nil {
				continue
			}
			g := 1.0
			if gamma != nil {
				g = float64(gamma[pl%p.C])
			}
			mg, mgx := sd/float64(p.S), sdx/float64(p.S) // mean(dy), mean(dy*xhat)
			// dx += r*g*(dy - mg - (x - mu)*r*mgx) = a*dy + b*x + c
			a := r * g
			b := -a * r * mgx
			affine2Acc64(dyp, xp, dx[pl*p.S:(pl+1)*p.S], a, b, -a*mg-b*mu)
		}
	})
	for c := range p.C {
		var sg, sb float64
		for n := range p.N {
			sg += sumDyXhat[n*p.C+c]
			sb += sumDy[n*p.C+c]
		}
		if dgamma != nil {
			dgamma[c] += float32(sg)
		}
		if dbeta != nil {
			dbeta[c] += float32(sb)
		}
	}
}

// The plane passes below run in float64. Where the CPU has them
// (instancenorm_amd64.go), kernels take the leading multiple of 16
// elements; Go does the rest. The Go sums are kept in several independent
// partial sums: with one, every addition waits for the one before it (a
// floating-point add takes 4 cycles), and the loops ran 3 to 4 times
// slower.
var (
	sum64Kernel        func(x *float32, n int) float64
	sumSqDev64Kernel   func(x *float32, n int, mu float64) float64
	affine64Kernel     func(x, y *float32, n int, s, t float64)
	sumDyDyDev64Kernel func(x, dy *float32, n int, mu float64) (sd, sdx float64)
	affine2Acc64Kernel func(dy, x, dx *float32, n int, a, b, c float64)
)

// sum64 returns the sum of x in float64.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	if k := kernelLen(sum64Kernel != nil, len(x)); k > 0 {
		s0, x = sum64Kernel(&x[0], k), x[k:]
	}
	for ; len(x) >= 4; x = x[4:] {
		s0 += float64(x[0])
		s1 += float64(x[1])
		s2 += float64(x[2])
		s3 += float64(x[3])
	}
	for _, v := range x {
		s0 += float64(v)
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDev64 returns the sum of (x - mu)^2 in float64.
func sumSqDev64(x []float32, mu float64) float64 {
	var s0, s1, s2, s3 float64
	if k := kernelLen(sumSqDev64Kernel != nil, len(x)); k > 0 {
		s0, x = sumSqDev64Kernel(&x[0], k, mu), x[k:]
	}
	for ; len(x) >= 4; x = x[4:] {
		d0, d1, d2, d3 := float64(x[0])-mu, float64(x[1])-mu, float64(x[2])-mu, float64(x[3])-mu
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for _, v := range x {
		d := float64(v) - mu
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// affine64 writes y[i] = float32(x[i]*s + t) for i < len(x), in float64;
// y must be at least as long as x.
func affine64(x, y []float32, s, t float64) {
	y = y[:len(x)]
	if k := kernelLen(affine64Kernel != nil, len(x)); k > 0 {
		affine64Kernel(&x[0], &y[0], k, s, t)
		x, y = x[k:], y[k:]
	}
	for i, v := range x {
		y[i] = float32(float64(v)*s + t)
	}
}

// sumDyDyDev64 returns the sums of dy and of dy*(x - mu) in float64; dy
// must be at least as long as x.
func sumDyDyDev64(x, dy []float32, mu float64) (sd, sdx float64) {
	dy = dy[:len(x)]
	var a0, a1, b0, b1 float64
	if k := kernelLen(sumDyDyDev64Kernel != nil, len(x)); k > 0 {
		a0, b0 = sumDyDyDev64Kernel(&x[0], &dy[0], k, mu)
		x, dy = x[k:], dy[k:]
	}
	for ; len(x) >= 2; x, dy = x[2:], dy[2:] {
		d0, d1 := float64(dy[0]), float64(dy[1])
		a0 += d0
		a1 += d1
		b0 += d0 * (float64(x[0]) - mu)
		b1 += d1 * (float64(x[1]) - mu)
	}
	for i, v := range x {
		a0 += float64(dy[i])
		b0 += float64(dy[i]) * (float64(v) - mu)
	}
	return a0 + a1, b0 + b1
}

// affine2Acc64 adds float32(a*dy[i] + b*x[i] + c) to dx[i] for i <
// len(x), the right-hand side in float64; dy and dx must be at least as
// long as x.
func affine2Acc64(dy, x, dx []float32, a, b, c float64) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	if k := kernelLen(affine2Acc64Kernel != nil, len(x)); k > 0 {
		affine2Acc64Kernel(&dy[0], &x[0], &dx[0], k, a, b, c)
		dy, x, dx = dy[k:], x[k:], dx[k:]
	}
	for i, v := range x {
		dx[i] += float32(a*float64(dy[i]) + b*float64(v) + c)
	}
}
