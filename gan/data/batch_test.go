package data

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/semgan/semgan/tensor"
)

func TestBatchRoundTrip(t *testing.T) {
	imgs := make([]Image, 3)
	for k := range imgs {
		imgs[k] = NewImage(3, 2, 5)
		for i := range imgs[k].Pix {
			imgs[k].Pix[i] = float32(k*100 + i)
		}
	}
	b := Batch(imgs)
	require.Equal(t, []int{3, 3, 2, 5}, b.Shape())
	assert.Equal(t, float32(100+7), b.Data()[30+7])
	back := Unbatch(b)
	require.Len(t, back, 3)
	for k := range imgs {
		assert.Equal(t, imgs[k], back[k])
	}

	assert.Panics(t, func() { Batch(nil) })
	assert.Panics(t, func() { Batch([]Image{NewImage(3, 2, 2), NewImage(3, 2, 3)}) })
	assert.Panics(t, func() { Unbatch(tensor.Zeros(2, 3)) })
}

// Only batch.go may import the tensor library (and nothing may import
// autograd): the rest of the package works on plain slices.
func TestImportsStayLow(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, "github.com/semgan/semgan/") {
				continue
			}
			if f == "batch.go" && path == "github.com/semgan/semgan/tensor" {
				continue
			}
			t.Errorf("%s imports %s", f, path)
		}
	}
}
