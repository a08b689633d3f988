// Package kerneltest holds what the tests of every backend share: the
// comparison of a kernel's output with a reference, and the check that a
// backend offers its ops through kernels.Backend alone.
package kerneltest

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/semgan/semgan/kernels"
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

// Ops returns the names of the methods of kernels.Backend: every primitive a
// backend implements, sorted.
func Ops() []string {
	it := reflect.TypeFor[kernels.Backend]()
	names := make([]string, it.NumMethod())
	for i := range names {
		names[i] = it.Method(i).Name
	}
	return names // reflect lists methods sorted by name
}

// CheckMethods reports, with t.Errorf, every exported method of be's type
// that is neither in kernels.Backend nor in extras (the backend's own
// methods, such as statistics): an op offered outside the interface, as an
// optional extra that callers must test for, would show up here. It logs
// the ops be implements.
func CheckMethods(t testing.TB, be kernels.Backend, extras ...string) {
	t.Helper()
	ops := Ops()
	bt := reflect.TypeOf(be)
	for i := range bt.NumMethod() {
		name := bt.Method(i).Name
		if !slices.Contains(ops, name) && !slices.Contains(extras, name) {
			t.Errorf("%s: method %s is not part of kernels.Backend", be.Name(), name)
		}
	}
	t.Logf("%s implements %d ops: %v", be.Name(), len(ops), ops)
}
