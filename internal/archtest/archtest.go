// Package archtest keeps the house's floors apart: it reads the import graph
// of the module with `go list` and finds the import chains that cross a line
// drawn in docs/architecture.md. Its test runs in `make test`.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Module is the import path of the firedrill module; "ours" means a package
// under it.
const Module = "github.com/firedrill/firedrill"

// Graph is the production import graph (test files left out) of the
// module's packages and of everything they depend on: each package's path
// maps to the paths it imports.
type Graph map[string][]string

// Load runs `go list -deps -json` on the module's packages from dir (any
// directory inside the module) and returns their import graph.
func Load(dir string) (Graph, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-deps", "-json=ImportPath,Imports,Error", Module+"/...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseList(bytes.NewReader(out))
}

// parseList reads the stream of JSON objects `go list -json` prints.
func parseList(r io.Reader) (Graph, error) {
	g := Graph{}
	dec := json.NewDecoder(r)
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Error      *struct{ Err string }
		}
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return g, nil
		}
		if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list: package %s: %s", p.ImportPath, p.Error.Err)
		}
		g[p.ImportPath] = p.Imports
	}
}

// Ours reports whether path is a package of the module.
func Ours(path string) bool {
	return path == Module || strings.HasPrefix(path, Module+"/")
}

// Under returns a predicate matching the package rel of the module (e.g.
// "control") and the packages below it.
func Under(rel string) func(string) bool {
	return Within(Module + "/" + rel)
}

// Exactly returns a predicate matching the package rel of the module only.
func Exactly(rel string) func(string) bool {
	return func(p string) bool { return p == Module+"/"+rel }
}

// Within returns a predicate matching the import path root and the paths
// below it, e.g. Within("k8s.io/client-go").
func Within(root string) func(string) bool {
	return func(p string) bool { return p == root || strings.HasPrefix(p, root+"/") }
}

// Any matches a path that any of preds matches.
func Any(preds ...func(string) bool) func(string) bool {
	return func(p string) bool {
		for _, f := range preds {
			if f(p) {
				return true
			}
		}
		return false
	}
}

// All matches a path that every one of preds matches.
func All(preds ...func(string) bool) func(string) bool {
	return func(p string) bool {
		for _, f := range preds {
			if !f(p) {
				return false
			}
		}
		return true
	}
}

// Not matches a path that pred does not match.
func Not(pred func(string) bool) func(string) bool {
	return func(p string) bool { return !pred(p) }
}

// Rule is one line of the house: no package matched by From may reach a
// package matched by Forbidden through its imports. Imports are followed
// through every package except those matched by Through being false: a
// package that may use the forbidden thing (an adapter) is not looked into,
// so that wiring it in does not count as using what it wraps.
type Rule struct {
	// From selects the packages of ours the rule is about.
	From func(string) bool
	// Forbidden selects what they must not reach.
	Forbidden func(string) bool
	// Through, when set, says which packages the search may look into;
	// nil means all of them.
	Through func(string) bool
}

// Violation is a package of ours that reaches a forbidden one, with the
// shortest import chain from one to the other.
type Violation struct {
	Chain []string
}

func (v Violation) String() string {
	return strings.Join(v.Chain, " → ")
}

// Check returns every package that breaks r in g, each with its shortest
// offending import chain, sorted by package. It fails when r selects no
// package at all, since a rule about nothing proves nothing.
func (g Graph) Check(r Rule) ([]Violation, error) {
	var from []string
	for p := range g {
		if Ours(p) && r.From(p) {
			from = append(from, p)
		}
	}
	if len(from) == 0 {
		return nil, errors.New("the rule selects no package of the module")
	}
	sort.Strings(from)
	var out []Violation
	for _, p := range from {
		if chain := g.chain(p, r); chain != nil {
			out = append(out, Violation{Chain: chain})
		}
	}
	return out, nil
}

// chain returns the shortest import chain from start to a forbidden
// package, breadth first, or nil.
func (g Graph) chain(start string, r Rule) []string {
	parent := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p != start && r.Through != nil && !r.Through(p) {
			continue
		}
		imports := append([]string(nil), g[p]...)
		sort.Strings(imports)
		for _, q := range imports {
			if _, seen := parent[q]; seen {
				continue
			}
			parent[q] = p
			if r.Forbidden(q) {
				var chain []string
				for x := q; x != ""; x = parent[x] {
					chain = append([]string{x}, chain...)
				}
				return chain
			}
			queue = append(queue, q)
		}
	}
	return nil
}
