// Command firedrill-dev holds firedrill's development tools that need a
// Kubernetes client of their own: the local control plane (`firedrill
// cluster …`) and the demo's cluster with the sample shop (run by
// `firedrill demo`). firedrill runs it git-style from its own directory, so
// that the firedrill binary that serves the drill room does not link them:
// a process's resident memory is mostly the pages of its binary that its
// package initialisers touch, and the local cluster and the shop bring in
// the typed Kubernetes clientset.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/internal/cliexit"
)

// Version is the firedrill version, set at build time with -ldflags.
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main is the firedrill-dev program. Tests construct one, set its streams
// and environment, and call Run with arguments exactly as firedrill passes
// them.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up environment variables; tests replace it.
	Getenv func(string) string
}

// NewMain returns a Main wired to the process's standard streams and
// environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// ExitError carries a process exit code through cobra; its message has
// already been printed when Code is set without one.
type ExitError = cliexit.ExitError

// Run executes the command line args and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := &cobra.Command{
		Use:           "firedrill-dev",
		Short:         "firedrill's local Kubernetes cluster and the demo's sample shop (run by `firedrill cluster` and `firedrill demo`)",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// firedrill passes its command line on as typed, with its global
	// flags; the cluster does not read firedrill's configuration.
	root.PersistentFlags().String("config", "", "firedrill's config file (not used here)")
	root.PersistentFlags().String("data-dir", "", "firedrill's data directory (not used here)")
	root.PersistentFlags().String("log-level", "", "firedrill's log level (not used here)")
	root.AddCommand(newClusterCmd(m), newDemoClusterCmd(m))
	return cliexit.Run(ctx, root, args, m.Stdin, m.Stdout, m.Stderr)
}
