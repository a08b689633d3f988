package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Helpers shared by the tests of every kernel family.

// newRand returns a deterministic generator for a test.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5e6a9)) }

// randSlice returns n values uniform in [-1, 1).
func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// f64 converts a slice to float64.
func f64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// guardLen is the number of sentinel elements on each side of a guarded
// slice; guardVal is their value.
const guardLen = 13

var guardVal = float32(math.Float32frombits(0x7fc0beef)) // a NaN with a payload

// guarded returns a slice of n elements holding init (or zeros when init is
// nil) that sits inside a larger array whose extra elements hold guardVal.
// checkGuard verifies they were not written.
func guarded(n int, init []float32) []float32 {
	full := make([]float32, n+2*guardLen)
	for i := range full {
		full[i] = guardVal
	}
	s := full[guardLen : guardLen+n : guardLen+n]
	if init != nil {
		copy(s, init)
	} else {
		clear(s)
	}
	return s
}

// checkGuard reports writes outside a non-empty slice made by guarded.
func checkGuard(t *testing.T, name string, s []float32) {
	t.Helper()
	if len(s) == 0 {
		return
	}
	// The backing array of s starts guardLen elements before it.
	start := unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), -4*guardLen)
	full := unsafe.Slice((*float32)(start), len(s)+2*guardLen)
	for i, v := range full {
		if i >= guardLen && i < guardLen+len(s) {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(guardVal) {
			t.Errorf("%s: guard element %d (index %d relative to the slice) overwritten with %v", name, i, i-guardLen, v)
			return
		}
	}
}

// dot returns sum a[i]*b[i] in float64.
func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// relClose reports whether a and b agree to rel relative to the larger.
func relClose(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*max(math.Abs(a), math.Abs(b), 1e-30)
}

// scaled returns s*x as float64.
func scaled(x []float64, s float64) []float64 {
	d := make([]float64, len(x))
	for i, v := range x {
		d[i] = s * v
	}
	return d
}

// checkNoDenormals reports elements of s that are denormal (non-zero and
// smaller in magnitude than the smallest normal float32).
func checkNoDenormals(t *testing.T, name string, s []float32) {
	t.Helper()
	for i, v := range s {
		if v != 0 && math.Abs(float64(v)) < 0x1p-126 {
			t.Errorf("%s: element %d is denormal: %g", name, i, v)
			return
		}
	}
}
