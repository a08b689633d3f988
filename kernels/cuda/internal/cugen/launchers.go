package main

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"regexp"
	"strings"
)

// The typed launchers: for every kernel of the .cu files (not those of
// testdata/, which the emulator's tests launch on the driver), a method
//
//	func (be *Backend) launchName(method string, grid, block dim3, shared int, params...)
//
// with one Go parameter per kernel parameter, typed after its C type, that
// puts the arguments into their slots and calls Backend.launch. A group of
// parameters that a .cu file declares by a macro (#define CONV_ARGS int N,
// int InC, ...) becomes one struct (convArgs) with a field per parameter. A
// launch with the wrong number or type of arguments then fails to compile.

// kernelSig matches a kernel's declaration and captures its name and
// parameter list.
var kernelSig = regexp.MustCompile(`extern "C" __global__ void (\w+)\s*\(([^)]*)\)`)

// paramMacro matches a #define (with line continuations) and captures its
// name and body.
var paramMacro = regexp.MustCompile(`(?m)^#define (\w+)[ \t]+((?:[^\n]*\\\n)*[^\n]*)`)

// cParam is one kernel parameter.
type cParam struct {
	name  string
	goTyp string // the Go type of the launcher's parameter
	slot  string // the Go expression of its 8-byte slot, given the name
}

// kernelDef is a kernel's signature: its parameters, some grouped.
type kernelDef struct {
	name   string
	params []paramOrGroup
}

// paramOrGroup is a parameter, or a macro's group of them.
type paramOrGroup struct {
	p     *cParam
	group string // the macro's name when p is nil
}

// group is a macro's parameters.
type group struct {
	macro  string
	params []cParam
}

// parseParam parses one C parameter declaration.
func parseParam(decl string) (cParam, error) {
	decl = strings.Join(strings.Fields(decl), " ")
	i := strings.LastIndexAny(decl, " *")
	if i < 0 {
		return cParam{}, fmt.Errorf("parameter %q has no type", decl)
	}
	name, typ := decl[i+1:], strings.TrimSpace(decl[:i+1])
	typ = strings.NewReplacer("__restrict__", "", "const", "", "volatile", "").Replace(typ)
	typ = strings.Join(strings.Fields(strings.ReplaceAll(typ, "*", " * ")), " ")
	p := cParam{name: name}
	switch typ {
	case "float *", "int *":
		p.goTyp, p.slot = "devPtr", "argPtr(%s)"
	case "int":
		p.goTyp, p.slot = "int", "argInt(%s)"
	case "long long":
		p.goTyp, p.slot = "int64", "argI64(%s)"
	case "float":
		p.goTyp, p.slot = "float32", "argF32(%s)"
	default:
		return cParam{}, fmt.Errorf("parameter %q: no Go type for C type %q", decl, typ)
	}
	return p, nil
}

// splitParams splits a parameter list at its commas.
func splitParams(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseKernels returns the kernels of src and the parameter groups its
// macros declare, adding the groups to groups.
func parseKernels(file string, src []byte, groups map[string]*group) ([]kernelDef, error) {
	macros := map[string]string{}
	for _, m := range paramMacro.FindAllSubmatch(src, -1) {
		macros[string(m[1])] = strings.ReplaceAll(string(m[2]), "\\\n", " ")
	}
	var defs []kernelDef
	for _, m := range kernelSig.FindAllSubmatch(src, -1) {
		k := kernelDef{name: string(m[1])}
		for _, decl := range splitParams(string(m[2])) {
			if body, ok := macros[decl]; ok {
				if groups[decl] == nil {
					g := &group{macro: decl}
					for _, d := range splitParams(body) {
						p, err := parseParam(d)
						if err != nil {
							return nil, fmt.Errorf("%s: macro %s: %w", file, decl, err)
						}
						g.params = append(g.params, p)
					}
					groups[decl] = g
				}
				k.params = append(k.params, paramOrGroup{group: decl})
				continue
			}
			p, err := parseParam(decl)
			if err != nil {
				return nil, fmt.Errorf("%s: kernel %s: %w", file, k.name, err)
			}
			k.params = append(k.params, paramOrGroup{p: &p})
		}
		defs = append(defs, k)
	}
	return defs, nil
}

// camel turns snake_case into camelCase, upper-casing the first letter if
// upper is set.
func camel(s string, upper bool) string {
	var b strings.Builder
	for i, w := range strings.Split(s, "_") {
		if w == "" {
			continue
		}
		if i > 0 || upper {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

// launcherName is the Go name of the launcher of kernel: launch and the
// kernel's name in camel case, without the _f32 suffix.
func launcherName(kernel string) string {
	return "launch" + camel(strings.TrimSuffix(kernel, "_f32"), true)
}

// groupType is the Go struct type of a macro's parameter group.
func groupType(macro string) string { return camel(strings.ToLower(macro), false) }

// goName returns a C parameter's name as a Go parameter that clashes
// neither with a keyword nor with the launcher's own parameters.
func goName(c string) string {
	switch {
	case token.IsKeyword(c), c == "be", c == "method", c == "grid", c == "block", c == "shared":
		return c + "_"
	}
	return c
}

// writeLaunchers returns the Go source of the launchers of defs.
func writeLaunchers(defs []kernelDef, groups map[string]*group, order []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by cugen from the .cu files; DO NOT EDIT.\n\n")
	b.WriteString("//go:build cuda || cudaemu\n\npackage cuda\n")
	for _, name := range order {
		g := groups[name]
		fmt.Fprintf(&b, "\n// %s holds the parameters that the kernels declare as %s.\ntype %s struct {\n", groupType(name), name, groupType(name))
		for _, p := range g.params {
			fmt.Fprintf(&b, "\t%s %s\n", p.name, p.goTyp)
		}
		b.WriteString("}\n")
	}
	for _, k := range defs {
		var names, types, slots []string
		for _, pg := range k.params {
			if pg.p != nil {
				n := goName(camel(pg.p.name, false))
				names, types = append(names, n), append(types, pg.p.goTyp)
				slots = append(slots, fmt.Sprintf(pg.p.slot, n))
				continue
			}
			n := goName(camel(strings.ToLower(strings.TrimSuffix(pg.group, "_ARGS")), false))
			names, types = append(names, n), append(types, groupType(pg.group))
			for _, p := range groups[pg.group].params {
				slots = append(slots, fmt.Sprintf(p.slot, n+"."+p.name))
			}
		}
		// Parameters of one type in a row share it: x, y devPtr.
		var params []string
		for i, n := range names {
			if i+1 < len(names) && types[i+1] == types[i] {
				params = append(params, n)
			} else {
				params = append(params, n+" "+types[i])
			}
		}
		fmt.Fprintf(&b, "\n// %s launches %s; method names the caller in errors.\n// be.mu is held.\n", launcherName(k.name), k.name)
		fmt.Fprintf(&b, "func (be *Backend) %s(method string, grid, block dim3, shared int,\n\t%s) {\n", launcherName(k.name), strings.Join(params, ", "))
		fmt.Fprintf(&b, "\tbe.launch(method, %q, grid, block, shared,\n\t\t%s)\n}\n", k.name, strings.Join(slots, ", "))
	}
	return format.Source(b.Bytes())
}
