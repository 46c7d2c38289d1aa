package main_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/internal/testbin"
)

// goBuild builds the Go package pkg into the executable out.
func goBuild(t testing.TB, pkg, out string) {
	t.Helper()
	if o, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, o)
	}
}

// buildFiredrill builds the real firedrill binary, with its built-in
// plugins beside it, and returns its path.
func buildFiredrill(t testing.TB) string {
	t.Helper()
	return testbin.Firedrill(t)
}

// buildFlagfile builds the flagfile example plugin into a fresh plugin
// directory, as firedrill-injector-flagfile, and returns the directory.
func buildFlagfile(t testing.TB) (pluginDir string) {
	t.Helper()
	pluginDir = t.TempDir()
	goBuild(t, "github.com/firedrill/firedrill/injectors/examples/flagfile", filepath.Join(pluginDir, "firedrill-injector-flagfile"))
	return pluginDir
}
