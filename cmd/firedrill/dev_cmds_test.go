package main_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill"
)

// TestDevCommands_withoutFiredrillDevSayHowToBuildIt runs the commands that
// firedrill-dev serves from a firedrill that has no firedrill-dev beside it
// (the test binary): each fails with what is missing and how to build it.
func TestDevCommands_withoutFiredrillDevSayHowToBuildIt(t *testing.T) {
	for _, args := range [][]string{{"cluster", "status"}, {"demo", "--data-dir", t.TempDir()}} {
		t.Run(args[0], func(t *testing.T) {
			var out, errb bytes.Buffer
			m := main.NewMain()
			m.Stdout, m.Stderr = &out, &errb
			m.Getenv = func(string) string { return "" }
			code := m.Run(context.Background(), args)
			_ = m.Close()
			if code == 0 || !strings.Contains(errb.String(), "runs firedrill-dev, which is not beside firedrill") || !strings.Contains(errb.String(), "make build") {
				t.Fatalf("exit %d, stderr %q; want a failure naming firedrill-dev and how to build it", code, errb.String())
			}
		})
	}
}

// TestCluster_runsFiredrillDevBesideFiredrill runs the real firedrill,
// installed with firedrill-dev beside it: `firedrill cluster status` is
// answered by firedrill-dev, with its exit status (3: no cluster running).
func TestCluster_runsFiredrillDevBesideFiredrill(t *testing.T) {
	bin := buildFiredrill(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "cluster", "status", "--work-dir", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(errb.String(), filepath.Join(dir, "state.json")) {
		t.Fatalf("cluster status: %v, stderr %q; want exit 3 saying no cluster runs from %s", err, errb.String(), dir)
	}
	// firedrill's global flags, before or after the command, are accepted
	// as they were when firedrill ran the cluster itself.
	for _, args := range [][]string{{"--config", "none.yaml", "cluster", "status", "--work-dir", dir}, {"cluster", "status", "--work-dir", dir, "--log-level", "debug"}} {
		b, err := exec.Command(bin, args...).CombinedOutput()
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Errorf("firedrill %v: %v\n%s; want exit 3", args, err, b)
		}
	}
	help, err := exec.Command(bin, "cluster", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "firedrill-dev cluster [command]") {
		t.Fatalf("cluster --help: %v\n%s", err, help)
	}
}
