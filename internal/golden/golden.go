// Package golden loads the PyTorch reference files of testdata/golden (see
// testdata/README.md for their layout) and compares results against them,
// for the tests of tensor, autograd, nn and gan.
package golden

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semgan/semgan/nn/safetensors"
)

// Case is one golden file.
type Case struct {
	Name string
	File *safetensors.File
}

// Dir returns the testdata/golden directory, found by walking up from the
// working directory to the module root.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "golden")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("golden: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads testdata/golden/<name>.safetensors and checks its format tag.
func Load(t testing.TB, name string) *Case {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join(Dir(t), name+".safetensors"))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if f.Metadata["format"] != "semgan-golden" || f.Metadata["version"] != "1" {
		t.Fatalf("golden: %s: format %q version %q, want semgan-golden 1", name, f.Metadata["format"], f.Metadata["version"])
	}
	return &Case{Name: name, File: f}
}

// Has reports whether the case holds a tensor named key.
func (c *Case) Has(key string) bool {
	_, ok := c.File.Tensors[key]
	return ok
}

// Get returns the tensor named key; a missing key fails the test.
func (c *Case) Get(t testing.TB, key string) safetensors.Tensor {
	t.Helper()
	x, ok := c.File.Tensors[key]
	if !ok {
		t.Fatalf("golden: %s has no tensor %q (has %v)", c.Name, key, c.File.Names())
	}
	return x
}

// Meta returns the metadata entry key ("" if absent).
func (c *Case) Meta(key string) string { return c.File.Metadata[key] }

// ZeroGrads returns the gradient keys ("grad.<name>") the case marks as
// mathematically zero.
func (c *Case) ZeroGrads() []string {
	if s := c.Meta("zero_grads"); s != "" {
		return strings.Split(s, ",")
	}
	return nil
}

// Keys returns the state-dict keys of a module case, in PyTorch's order.
func (c *Case) Keys() []string { return strings.Split(c.Meta("keys"), ",") }

// Compare checks got against the golden tensor key element by element:
// |got - want| <= rtol*(|want| + max|want|), a relative tolerance with a
// floor at rtol times the tensor's scale, so elements near zero in a tensor
// of large values are not held to a tighter bound than float32 sums allow.
// It logs the largest absolute error and the largest error relative to the
// scale, and reports the first mismatches with t.Errorf.
func (c *Case) Compare(t testing.TB, key string, shape []int, got []float32, rtol float64) {
	t.Helper()
	want := c.Get(t, key)
	if !slices.Equal(shape, want.Shape) {
		t.Errorf("%s/%s: shape %v, want %v", c.Name, key, shape, want.Shape)
		return
	}
	if len(got) != len(want.Data) {
		t.Errorf("%s/%s: %d elements, want %d", c.Name, key, len(got), len(want.Data))
		return
	}
	scale := 0.0
	for _, w := range want.Data {
		scale = max(scale, math.Abs(float64(w)))
	}
	if slices.Contains(c.ZeroGrads(), key) {
		// A mathematically zero gradient holds round-off: compare absolutely.
		checkAbs(t, c.Name+"/"+key, got, 1e-3)
		return
	}
	maxAbs, maxRel, bad := 0.0, 0.0, 0
	for i, g := range got {
		w := float64(want.Data[i])
		d := math.Abs(float64(g) - w)
		maxAbs = max(maxAbs, d)
		if scale > 0 {
			maxRel = max(maxRel, d/scale)
		}
		if !(d <= rtol*(math.Abs(w)+scale)) {
			if bad < 5 {
				t.Errorf("%s/%s[%d]: got %.7g, want %.7g", c.Name, key, i, g, w)
			}
			bad++
		}
	}
	t.Logf("%s/%s: max abs err %.3g, max err/scale %.3g (scale %.3g)", c.Name, key, maxAbs, maxRel, scale)
	if bad > 0 {
		t.Errorf("%s/%s: %d of %d elements differ beyond rtol %g", c.Name, key, bad, len(got), rtol)
	}
}

func checkAbs(t testing.TB, what string, got []float32, atol float32) {
	t.Helper()
	for i, g := range got {
		if !(g <= atol && g >= -atol) {
			t.Errorf("%s[%d]: got %g, want 0 (within %g)", what, i, g, atol)
			return
		}
	}
}

// String describes the case.
func (c *Case) String() string {
	return fmt.Sprintf("golden case %s (%d tensors)", c.Name, len(c.File.Tensors))
}
