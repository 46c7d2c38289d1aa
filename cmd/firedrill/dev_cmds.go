package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
)

// devExecutable is the executable of firedrill's development tools (the
// local cluster, the demo's sample shop): they link the typed Kubernetes
// clientset, which the drill room's binary does without.
const devExecutable = "firedrill-dev"

// devPath returns firedrill-dev beside this executable, or a clear error
// saying how to build it.
func devPath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", devExecutable, err)
	}
	p := filepath.Join(filepath.Dir(self), devExecutable)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("this command runs %s, which is not beside firedrill (%s): build both with `make build` (or `go build -o DIR ./cmd/firedrill ./cmd/firedrill-dev`, or `go install ./cmd/...`)", devExecutable, p)
	}
	return p, nil
}

// newClusterCmd is `firedrill cluster …`, run by firedrill-dev.
func newClusterCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "cluster build|up|down|status",
		Short: "Run a local Kubernetes control plane (etcd, apiserver, controllers, scheduler, kwok fake nodes) for demos and tests",
		Long: `cluster runs a real Kubernetes control plane on loopback ports, without Docker
(see firedrill cluster --help for its commands). It is run by the
firedrill-dev executable beside firedrill.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runDev(cmd, append([]string{"cluster"}, args...))
		},
	}
}

// runDev runs firedrill-dev with args on m's streams, in its own process
// group: a stop signal to firedrill is passed on to it once, and firedrill
// waits for it to finish (the cluster stops cleanly) and exits with its
// status.
func (m *Main) runDev(cmd *cobra.Command, args []string) error {
	exe, err := devPath()
	if err != nil {
		return err
	}
	c := exec.Command(exe, args...)
	c.Stdin, c.Stdout, c.Stderr = m.Stdin, m.Stdout, m.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return fmt.Errorf("run %s: %w", exe, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-cmd.Context().Done():
		_ = c.Process.Signal(os.Interrupt)
		err = <-done
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code := exit.ExitCode()
		if code < 0 { // killed by a signal
			code = 1
		}
		return &ExitError{Code: code}
	}
	return err
}
