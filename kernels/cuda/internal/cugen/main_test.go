package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestGeneratedFilesMatch regenerates what cugen writes without nvcc and
// compares it with the committed files, so that a .cu change without
// go generate fails here, without nvcc or the CUDA tags.
func TestGeneratedFilesMatch(t *testing.T) {
	t.Chdir("../..")
	srcs, _ := filepath.Glob("*.cu")
	tests, _ := filepath.Glob("testdata/*.cu")
	sort.Strings(srcs)
	sort.Strings(tests)
	files, err := generated(srcs, tests)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("kernels/cuda/%s differs from what the .cu files generate; run go generate ./kernels/cuda", name)
		}
	}
}

func TestParseParam(t *testing.T) {
	for decl, want := range map[string]cParam{
		"const float *__restrict__ x": {"x", "devPtr", "argPtr(%s)"},
		"float *y":                    {"y", "devPtr", "argPtr(%s)"},
		"volatile float *flag":        {"flag", "devPtr", "argPtr(%s)"},
		"int n":                       {"n", "int", "argInt(%s)"},
		"long long strideA":           {"strideA", "int64", "argI64(%s)"},
		"float  alpha":                {"alpha", "float32", "argF32(%s)"},
	} {
		got, err := parseParam(decl)
		if err != nil || got != want {
			t.Errorf("parseParam(%q) = %+v, %v; want %+v", decl, got, err, want)
		}
	}
	if _, err := parseParam("double x"); err == nil {
		t.Error("parseParam(double x): no error")
	}
}
