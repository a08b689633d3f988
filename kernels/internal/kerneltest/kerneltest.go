// Package kerneltest holds what the tests of every backend share: the
// comparison of a kernel's output with a reference.
package kerneltest

import (
	"fmt"
	"math"
	"testing"
)

// CloseTo reports, with t.Errorf, the elements of got farther from want
// than atol + rtol*|want| (NaN matches only NaN): the first five, then a
// count, and the largest error. It logs the largest error when all match.
// It does not stop the test, and returns whether every element matched.
func CloseTo[T float32 | float64](t testing.TB, name string, got []float32, want []T, atol, rtol float64) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: length %d, want %d", name, len(got), len(want))
		return false
	}
	bad, maxErr, at := 0, 0.0, -1
	var first string
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		e := math.Abs(g - w)
		if math.IsNaN(g) != math.IsNaN(w) {
			e = math.Inf(1)
		} else if math.IsNaN(g) {
			e = 0
		}
		if e > maxErr {
			maxErr, at = e, i
		}
		if e > atol+rtol*math.Abs(w) {
			if bad < 5 {
				first += fmt.Sprintf("\n  [%d] got %.8g want %.8g (err %.3g)", i, g, w, e)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements off (atol %g rtol %g), max error %.3g at %d:%s",
			name, bad, len(want), atol, rtol, maxErr, at, first)
		return false
	}
	t.Logf("%s: %d elements, max error %.3g", name, len(want), maxErr)
	return true
}
