package testbin_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/internal/testbin"
)

// TestBuild_putsEveryCommandBesideFiredrill builds the executables and
// finds one for every main package under cmd/, in firedrill's directory.
func TestBuild_putsEveryCommandBesideFiredrill(t *testing.T) {
	bin := testbin.Firedrill(t)
	out, err := exec.Command("go", "list", "-f", "{{if eq .Name \"main\"}}{{.ImportPath}}{{end}}", testbin.Commands).Output()
	if err != nil {
		t.Fatal(err)
	}
	cmds := strings.Fields(string(out))
	if len(cmds) == 0 {
		t.Fatal("go list found no commands")
	}
	for _, pkg := range cmds {
		exe := filepath.Join(filepath.Dir(bin), filepath.Base(pkg))
		st, err := os.Stat(exe)
		if err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("%s: no executable %s: %v", pkg, exe, err)
		}
	}
	if v, err := exec.Command(bin, "--version").CombinedOutput(); err != nil {
		t.Fatalf("firedrill --version: %v\n%s", err, v)
	}
}
