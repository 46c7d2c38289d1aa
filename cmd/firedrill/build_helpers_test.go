package main_test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// goBuild builds the Go package pkg into the executable out.
func goBuild(t testing.TB, pkg, out string) {
	t.Helper()
	if o, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, o)
	}
}

// buildFiredrill builds the real firedrill binary and returns its path.
func buildFiredrill(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "firedrill")
	goBuild(t, "github.com/firedrill/firedrill/cmd/firedrill", bin)
	return bin
}

// buildFlagfile builds the flagfile example plugin into a fresh plugin
// directory, as firedrill-injector-flagfile, and returns the directory.
func buildFlagfile(t testing.TB) (pluginDir string) {
	t.Helper()
	pluginDir = t.TempDir()
	goBuild(t, "github.com/firedrill/firedrill/injectors/examples/flagfile", filepath.Join(pluginDir, "firedrill-injector-flagfile"))
	return pluginDir
}
