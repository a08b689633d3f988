//go:build cuda || cudaemu

package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestLaunchesAreTyped checks that the hand-written code launches kernels
// only through the typed launchers of launch_gen.go: no call of
// Backend.launch, which takes the kernel's name and its arguments untyped,
// outside that file.
func TestLaunchesAreTyped(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if f == "launch_gen.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "launch" {
				if _, isDriver := sel.X.(*ast.SelectorExpr); !isDriver { // be.drv.launch is the seam itself
					t.Errorf("%s: untyped launch; call a launcher of launch_gen.go", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
}
