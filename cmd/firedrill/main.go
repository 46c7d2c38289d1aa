// Command firedrill is the incident-drill orchestrator: it validates and plans
// scenarios, serves the drill room, runs the drill engine, and serves the
// built-in Kubernetes injector plugin. All wiring of adapters to the core
// happens here.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/internal/cliexit"
	"github.com/firedrill/firedrill/internal/gctune"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/internal/metrics"
)

// Version is the firedrill version, set at build time with -ldflags.
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	returned := make(chan struct{})
	go m.stopOnSignal(ctx, returned, os.Exit)
	code := m.Run(ctx, os.Args[1:])
	close(returned)
	stop()
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "firedrill: close:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Stop graces: how long a command may take to stop after SIGINT or SIGTERM
// before firedrill exits anyway. Commands that revert faults on the way out
// (serve, demo, run, rehearse) get longer; a second signal exits at once.
const (
	stopGrace     = 5 * time.Second
	stopGraceLong = 3 * time.Minute
)

// revertsOnStop are the commands whose stop may revert faults (and
// cluster, whose firedrill-dev stops the local control plane). rehearse
// aborts the level being played and reverts its faults, which may take up
// to rehearse.AbortTimeout.
var revertsOnStop = map[string]bool{"serve": true, "demo": true, "run": true, "rehearse": true, "sweep": true, "cluster": true}

// stopOnSignal makes the first SIGINT or SIGTERM stop firedrill whatever the
// command is doing: once ctx ends (the command is told to stop), a command
// still running after its grace, or a second signal, exits the process with
// status 130. A command that returns in time (closing returned) exits
// normally.
func (m *Main) stopOnSignal(ctx context.Context, returned <-chan struct{}, exit func(int)) {
	select {
	case <-ctx.Done():
	case <-returned:
		return
	}
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	m.mu.Lock()
	grace := m.stopGrace
	m.mu.Unlock()
	if grace == 0 {
		grace = stopGrace
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-returned:
		return
	case <-again:
		fmt.Fprintln(m.Stderr, "firedrill: second signal: exiting now")
	case <-timer.C:
		fmt.Fprintf(m.Stderr, "firedrill: still running %s after the signal: exiting\n", grace)
	}
	exit(130)
}

// ExitError carries a process exit code through cobra; its message has
// already been printed when Code is set without one.
type ExitError = cliexit.ExitError

// Main is the firedrill program. Tests construct one, set its streams and
// environment, and call Run with arguments exactly as a user would type them.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up environment variables; tests replace it.
	Getenv func(string) string

	// Config is the loaded configuration, available to commands after the
	// root command's pre-run has read the config file, environment and flags.
	Config Config

	// guard wraps the engine's injector: fence and record book (see
	// clusterState); zero when firedrill keeps no state in the cluster.
	guard guard.Options
	// metrics, when set (serve), measures the engine's plugin calls and
	// journal appends.
	metrics *metrics.Metrics
	// elector is the leader election of a replica (ha.namespace).
	elector *ha.Elector
	// journalHealth, when set (serve on SQLite), says why the journal
	// takes no appends (see ready).
	journalHealth func() error
	// journalFailed is set once ready has logged the journal's failure.
	journalFailed atomic.Bool
	// gc is serve's garbage collector tuner (see gcTuner).
	gc *gctune.Tuner
	// lowPriority has the SQLite journal commit shown chat messages on a
	// lowered thread (sqlite.DB.LowPriority): serve sets it when it gave
	// the runtime a processor for it (lowprio.Processors).
	lowPriority bool

	mu      sync.Mutex
	closers []func() error
	// stopGrace is the running command's grace after a stop signal.
	stopGrace time.Duration
}

// NewMain returns a Main wired to the process's standard streams and
// environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// OnClose registers fn to run when Close is called, in reverse order of
// registration. Commands use it for servers, databases and plugin clients.
func (m *Main) OnClose(fn func() error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closers = append(m.closers, fn)
}

// Close releases everything the program opened.
func (m *Main) Close() error {
	m.mu.Lock()
	closers := m.closers
	m.closers = nil
	m.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run executes the command line args and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	return cliexit.Run(ctx, m.rootCommand(), args, m.Stdin, m.Stdout, m.Stderr)
}

// commands are every subcommand of firedrill, each built by its file's
// constructor over the package that does the work.
func (m *Main) commands() []*cobra.Command {
	return []*cobra.Command{
		newValidateCmd(m), newSchemaCmd(m), newPlanCmd(m), newInjectsCmd(m),
		newRunCmd(m), newRehearseCmd(m), newServeCmd(m), newDemoCmd(m),
		newExportCmd(m), newVerifyCmd(m), newHistoryCmd(m), newReportCmd(m),
		newConfigCmd(m), newStoreCmd(m), newDoctorCmd(m), newSweepCmd(m), newClusterCmd(m), newPluginsCmd(m),
	}
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "firedrill",
		Short: "Rehearse incidents: real faults in a beta Kubernetes environment, a live drill room, a retrospective",
		Long: `firedrill runs incident drills ("mock outage training") the way experienced
teams run them: a designer writes a scenario, the controller injects its faults
into a beta Kubernetes environment, participants recover and propagate in a
drill channel under customer-center and executive pressure, and a retrospective
measures what people learned.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			m.mu.Lock()
			if revertsOnStop[cmd.Name()] {
				m.stopGrace = stopGraceLong
			}
			m.mu.Unlock()
			cfg, err := LoadConfig(cmd, m.Getenv)
			if err != nil {
				return err
			}
			m.Config = cfg
			return nil
		},
	}
	addConfigFlags(root)
	root.AddCommand(m.commands()...)
	return root
}
