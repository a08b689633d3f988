package cpu

import "math"

// expFlush is the argument below which exp is taken as 0: exp(-87.3) is the
// smallest normal float32, and denormal weights would make the products
// that follow many times slower on x86 while adding nothing to a sum of
// at least 1.
const expFlush = -87

// The float32 exponential of Cephes' expf: exp(x) = 2^n * exp(r) with
// n = round(x/ln 2) and |r| <= ln(2)/2, r computed with ln 2 split in two
// (expC1 exact in a few bits, expC2 the rest) and exp(r) by a degree-7
// polynomial; relative error about 1e-7. The assembly in exp_amd64.s uses
// the same constants, so both paths agree to the rounding of an FMA.
const (
	expMax   = 88 // arguments are clamped here so that 2^n stays finite
	expLog2e = 1.44269504088896341
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// exp32 returns exp(x) in float32, 0 below expFlush.
func exp32(x float32) float32 {
	if x < expFlush {
		return 0
	}
	x = min(x, expMax)
	n := float32(math.Floor(float64(x*expLog2e + 0.5)))
	r := x - n*expC1
	r -= n * expC2
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// expShiftKernel, where the CPU has one, is expShift in assembly for a
// length that is a multiple of 8.
var expShiftKernel func(x *float32, n int, shift float32) float64

// expShift replaces every x[i] by exp32(x[i] - shift) and returns their sum
// in float64.
func expShift(x []float32, shift float32) float64 {
	var sum float64
	head := 0
	if expShiftKernel != nil && len(x) >= 8 {
		head = len(x) &^ 7
		sum = expShiftKernel(&x[0], head, shift)
	}
	for i := head; i < len(x); i++ {
		e := exp32(x[i] - shift)
		x[i] = e
		sum += float64(e)
	}
	return sum
}
