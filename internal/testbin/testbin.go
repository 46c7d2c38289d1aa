// Package testbin builds firedrill's executables for the tests that run
// them as real processes: the firedrill binary and, beside it in the same
// directory, every other command under cmd/ (the built-in plugins, which
// firedrill launches from its own directory). Tests use it instead of
// calling `go build` themselves, so that every test runs the full set of
// executables a user installs.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Commands is the package pattern of the shipped executables.
const Commands = "github.com/firedrill/firedrill/cmd/..."

// Options says how to build.
type Options struct {
	// Shipped builds the way `make build` and the Dockerfile do
	// (ShippedEnv, ShippedFlags), for measurements that must see what users
	// run (the RSS benchmark). Off, the build uses go test's defaults and
	// shares its build cache, which is faster.
	Shipped bool
}

// ShippedEnv and ShippedFlags are how `make build` builds the executables:
// statically linked (no libc mapped into each process) with reproducible
// paths. The Makefile's build target says the same; keep them in step.
var (
	ShippedEnv   = []string{"CGO_ENABLED=0"}
	ShippedFlags = []string{"-trimpath"}
)

// Build builds every command under cmd/ into dir and returns the path of
// the firedrill executable in it.
func Build(dir string, opts Options) (string, error) {
	args := []string{"build"}
	if opts.Shipped {
		args = append(args, ShippedFlags...)
	}
	args = append(args, "-o", dir+string(filepath.Separator), Commands)
	cmd := exec.Command("go", args...)
	if root, err := ModuleRoot(); err == nil {
		cmd.Dir = root
	}
	if opts.Shipped {
		cmd.Env = append(os.Environ(), ShippedEnv...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return filepath.Join(dir, "firedrill"), nil
}

// Firedrill builds the executables into a fresh temporary directory of t
// and returns the path of firedrill; the built-in plugins are its siblings.
// It fails t when the build fails.
func Firedrill(t testing.TB) string {
	t.Helper()
	bin, err := Build(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// ModuleRoot returns the directory of firedrill's go.mod, found from the
// working directory (a test runs in its package's directory).
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the firedrill module")
	}
	return filepath.Dir(mod), nil
}
