package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/headless"
	"github.com/firedrill/firedrill/scenarios"
)

// databaseFile is the name of the drill database in the data directory.
const databaseFile = "firedrill.db"

// runOptions are the flags of firedrill run.
type runOptions struct {
	resume     bool
	drillID    string
	difficulty string
	candidate  string
	output     string
}

func newRunCmd(m *Main) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [SCENARIO.yaml]",
		Short: "Run one drill headless: print its timeline, read commands as JSON lines on stdin",
		Long: `run starts a drill of the scenario with the real engine, the drill database
in the data directory and the injector plugins, and prints the drill's timeline
as it happens. It is for rehearsing a scenario from a terminal.

Commands are read from stdin, one JSON object per line, with an optional "id"
that is echoed in the acknowledgement. An acknowledgement is printed only
after the command is durable in the journal:

  {"id":"1","cmd":"join","person":"alice","name":"Alice","role":"participant"}
  {"id":"2","cmd":"message","channel":"incident","author":"alice","text":"on it"}
  {"id":"3","cmd":"persona","channel":"cs","persona":"cs","text":"any ETA?"}
  {"id":"4","cmd":"notice","kind":"incident","author":"alice","fields":{"impact":"..."}}
  {"id":"5","cmd":"resolve","fault":"db-config"}
  {"cmd":"pause","why":"real incident"}  {"cmd":"resume"}
  {"cmd":"hint-next"}  {"cmd":"hint-skip"}  {"cmd":"fire","fault":"web-squeezed"}
  {"cmd":"end","why":"..."}  {"cmd":"abort","why":"..."}  {"cmd":"status"}

The drill survives the process: run --resume picks up the open drills (the
one given by --drill-id, or the only one), re-arms their schedule from the
drill clock and reconciles their faults. The command exits when the drill
has ended and every fault is reverted.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.resume && len(args) > 0:
				return &ExitError{Code: 2, Err: errors.New("run: give a scenario or --resume, not both")}
			case !o.resume && len(args) == 0:
				return &ExitError{Code: 2, Err: errors.New("run: a scenario file is required (or --resume to continue open drills)")}
			}
			switch o.output {
			case "text", "json":
			default:
				return &ExitError{Code: 2, Err: fmt.Errorf("run: --output %q is not a format, expected text or json", o.output)}
			}
			return m.run(cmd, args, o)
		},
	}
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the open drills in the data directory instead of starting one")
	cmd.Flags().StringVar(&o.drillID, "drill-id", "", "id of the new drill, or of the drill to follow with --resume")
	cmd.Flags().StringVar(&o.difficulty, "difficulty", "", "difficulty chosen for the people present: hard, medium or easy (default: the scenario's)")
	cmd.Flags().StringVar(&o.candidate, "candidate", "", "candidate chosen on the day, required for a scenario that keeps candidates (no default)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "timeline format: text or json (one event per line)")
	addSettingFlag(cmd, "plugins.dir")
	addSettingFlag(cmd, "drill.timeScale")
	return cmd
}

// run wires the engine over the data directory's database and the plugins,
// starts (or picks up) the drill, and follows it headless.
func (m *Main) run(cmd *cobra.Command, args []string, o runOptions) error {
	ctx := cmd.Context()
	db, err := m.openJournal(ctx)
	if err != nil {
		return err
	}
	h, err := m.openPluginHost(ctx, cmd)
	if err != nil {
		return err
	}
	var s *scenarios.Scenario
	if !o.resume {
		if s, err = scenarios.Load(args[0], scenarios.WithCatalog(h)); err != nil {
			for _, e := range fieldErrors(args[0], err) {
				fmt.Fprintln(m.Stderr, e.Error())
			}
			return &ExitError{Code: 1}
		}
		if _, err := s.ForCandidate(o.candidate); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("run %s: %w (--candidate)", args[0], err)}
		}
	}
	lost, err := m.leadHeadless(ctx)
	if err != nil {
		return err
	} else if ctx.Err() != nil {
		return nil
	}
	e, err := m.openEngine(ctx, db, h)
	if err != nil {
		return err
	}
	id := o.drillID
	if o.resume {
		if id, err = pickOpen(ctx, e, id); err != nil {
			return err
		}
	} else if id, err = headless.Start(ctx, e, control.DrillRequest{ID: id, Scenario: s, Difficulty: scenarios.Difficulty(o.difficulty), Candidate: o.candidate}); err != nil {
		return err
	}
	sess := &headless.Session{Engine: e, DrillID: id, Out: m.Stdout, Log: m.Stderr, JSON: o.output == "json"}
	fctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if lost != nil {
		go func() {
			select {
			case <-lost:
				stop(errLostLease)
			case <-fctx.Done():
			}
		}()
	}
	err = sess.Follow(fctx, m.Stdin)
	if errors.Is(context.Cause(fctx), errLostLease) {
		return &ExitError{Code: 1, Err: fmt.Errorf("run: %w %s: this process stopped acting on faults; their revert records stay in namespace %s for firedrill run --resume or firedrill sweep", errLostLease, m.Config.HA.Lease, m.Config.HA.Namespace)}
	}
	return err
}

// errLostLease is why a headless run stops when it cannot renew its Lease.
var errLostLease = errors.New("lost the leader Lease")

// leadHeadless makes a headless run a controller like serve when
// ha.namespace is set: it waits to hold the Lease (the heartbeat the sweep
// watches; one controller of a Lease acts at a time), its plugin calls are
// fenced by it, and every fault's revert record is kept in the cluster
// before the fault is injected, so that firedrill sweep restores beta if
// the process dies. lost is closed when it stops leading; nil without
// ha.namespace.
func (m *Main) leadHeadless(ctx context.Context) (lost <-chan struct{}, err error) {
	st, err := m.openClusterState()
	if err != nil || st == nil {
		return nil, err
	}
	lost, _, err = m.lead(ctx, st, m.Stderr)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return lost, nil
}

// pickOpen returns the drill --resume follows, as a usage error when there
// is no single one.
func pickOpen(ctx context.Context, e *control.Engine, id string) (string, error) {
	id, err := headless.PickOpen(ctx, e, id)
	var many *headless.ManyOpenError
	switch {
	case errors.Is(err, headless.ErrNoOpenDrill):
		return "", &ExitError{Code: 1, Err: fmt.Errorf("run --resume: %w", err)}
	case errors.As(err, &many):
		return "", &ExitError{Code: 2, Err: fmt.Errorf("run --resume: %w", err)}
	}
	return id, err
}
