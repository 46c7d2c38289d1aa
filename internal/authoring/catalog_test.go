package authoring_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/authoring"
	"github.com/firedrill/firedrill/scenarios"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestValidate_builtinCatalog validates each scenario of testdata/catalog
// against the real catalog of the built-in Kubernetes injector, as plain
// `firedrill validate` does, and compares the report with its golden file.
func TestValidate_builtinCatalog(t *testing.T) {
	catalog := scenarios.StaticCatalog{
		authoring.PluginInfo(kubernetes.Describe(), kubernetes.AlwaysProtectedNamespaces(), kubernetes.ChangedField),
	}
	tests := []struct {
		file  string
		valid bool
	}{
		{"wrong-types-kinds-params", false},
		{"external-plugin-not-checked", true},
		{"overlapping-fields", true},
		{"overlapping-fields-as-played", true},
		{"pod-slow-mistakes", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "catalog", tt.file+".yaml")
			rep := authoring.Validate(context.Background(), []string{path}, nil, scenarios.WithCatalog(catalog))
			if rep.Valid != tt.valid {
				t.Errorf("valid = %v, want %v", rep.Valid, tt.valid)
			}
			var b bytes.Buffer
			if err := rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "oneOf") || strings.Contains(b.String(), "^[") {
				t.Errorf("JSON Schema wording leaks:\n%s", b.String())
			}
			golden := filepath.Join("testdata", "catalog", tt.file+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (go test -update creates it): %v", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("report differs from %s\n--- got\n%s--- want\n%s", golden, b.Bytes(), want)
			}
		})
	}
}

// TestValidate_incidentsAreClean validates the real incidents written as
// drills (scenarios/examples/incidents) against the built-in catalog: each
// is valid, with no warning.
func TestValidate_incidentsAreClean(t *testing.T) {
	catalog := scenarios.StaticCatalog{
		authoring.PluginInfo(kubernetes.Describe(), kubernetes.AlwaysProtectedNamespaces(), kubernetes.ChangedField),
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "examples", "incidents", "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("incident scenarios: %v %v", files, err)
	}
	rep := authoring.Validate(context.Background(), files, nil, scenarios.WithCatalog(catalog))
	for _, f := range rep.Files {
		t.Run(filepath.Base(f.File), func(t *testing.T) {
			if !f.Valid || len(f.Warnings) > 0 {
				var b bytes.Buffer
				_ = authoring.Report{Files: []authoring.FileReport{f}}.WriteText(&b)
				t.Fatalf("not clean:\n%s", b.String())
			}
		})
	}
}
