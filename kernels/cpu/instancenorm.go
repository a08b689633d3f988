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
			// y in float64 from the float64 mean: the float32 mean can be off
			// by more than the spread when the mean is large.
			scale, shift := r, 0.0
			if gamma != nil {
				scale *= float64(gamma[c])
			}
			if beta != nil {
				shift = float64(beta[c])
			}
			yp = yp[:len(xp)]
			for i, v := range xp {
				yp[i] = float32((float64(v)-mu)*scale + shift)
			}
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
			sd, sdx := sumDyDyXhat64(xp, dyp, mu, r)
			sumDy[pl], sumDyXhat[pl] = sd, sdx
			if dx == nil {
				continue
			}
			g := 1.0
			if gamma != nil {
				g = float64(gamma[pl%p.C])
			}
			mg, mgx := sd/float64(p.S), sdx/float64(p.S) // mean(dy), mean(dy*xhat)
			dxp := dx[pl*p.S : (pl+1)*p.S]
			dxp = dxp[:len(xp)]
			for i, v := range xp {
				xhat := (float64(v) - mu) * r
				dxp[i] += float32(r * g * (float64(dyp[i]) - mg - xhat*mgx))
			}
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

// The plane sums below are accumulated in float64 in several independent
// partial sums: with one, every addition waits for the one before it (a
// floating-point add takes 4 cycles), and the loops ran 3 to 4 times
// slower.

// sum64 returns the sum of x in float64.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
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

// sumDyDyXhat64 returns the sums of dy and of dy*xhat, xhat = (x - mu)*r, in
// float64; dy must be at least as long as x.
func sumDyDyXhat64(x, dy []float32, mu, r float64) (sd, sdx float64) {
	dy = dy[:len(x)]
	var a0, a1, b0, b1 float64
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
	return a0 + a1, (b0 + b1) * r
}
