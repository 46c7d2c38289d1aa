package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/kubeconn"
	"github.com/firedrill/firedrill/scenarios"
)

// rehearseOptions are the flags of firedrill rehearse.
type rehearseOptions struct {
	candidate  string
	difficulty string
	timeScale  float64
	output     string
	// settleTimeout and settleStable bound the wait for a healthy target
	// before each rehearsal (see rehearse.SettleOptions).
	settleTimeout time.Duration
	settleStable  time.Duration
}

// allDifficulties is the --difficulty value that rehearses every level.
const allDifficulties = "all"

func newRehearseCmd(m *Main) *cobra.Command {
	var o rehearseOptions
	cmd := &cobra.Command{
		Use:   "rehearse FILE...",
		Short: "Play a scenario's whole drill with its robot participants and report what fired, what was fixed and what was reverted",
		Long: `rehearse plays each scenario with the robot participants of its rehearsal
section, on the cluster of the configuration (kubernetes.context, which must be
allowed), with the drill database in the data directory: real faults, the
robots' notices, answers and fixes (through the cluster API, as a participant
does; firedrill learns of them from the probes), chains, extensions, injects,
hints, the cap and the reverts. It prints a report per scenario and
difficulty: every fault injected, detected, resolved and reverted, every chain
and extension fired or why not, every inject and hint at its time, every robot
step, the end, that nothing is left marked, and the record, which is marked
as a rehearsal and never counts in the history or the awards.

The drill clock runs --time-scale times real time (600: a 90-minute drill in
nine seconds). --difficulty all rehearses every level in one run, one after
another on the same target. A scenario that keeps candidates is rehearsed as
every candidate, or as --candidate.

Before each rehearsal (the first too) firedrill waits until the target is
healthy: every resolvedWhen probe of the faults it plays, and of the
rehearsal before it, holds continuously for its stable period (the fault's
stableFor on the drill clock, and at least --settle-stable of real time).
The target recovers from the previous level's reverts on real time, whatever
--time-scale: restarted pods, deployments becoming available, the
autoscaler scaling back. The report's "target settled" line says how long
that took. When the target is not healthy within --settle-timeout (real
time), the level is not played and is reported as skipped, naming the
probes still failing: its checks would have read the previous level's
damage. A fault whose stableFor at --time-scale is not shorter than
--settle-timeout could never be found healthy in time: it is refused before
the cluster is touched. Exit status 0 when every rehearsal passed, 1 when
one failed or was skipped, 2 for flags or a settle refused.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output); err != nil {
				return err
			}
			switch scenarios.Difficulty(o.difficulty) {
			case "", allDifficulties, scenarios.Hard, scenarios.Medium, scenarios.Easy:
			default:
				return &ExitError{Code: 2, Err: fmt.Errorf("rehearse: --difficulty %q is not a level, expected hard, medium, easy or all", o.difficulty)}
			}
			if o.timeScale <= 0 || o.timeScale > control.MaxTimeScale {
				return &ExitError{Code: 2, Err: fmt.Errorf("rehearse: --time-scale %v is out of range, expected above 0 and at most %d", o.timeScale, control.MaxTimeScale)}
			}
			if o.settleTimeout <= 0 {
				return &ExitError{Code: 2, Err: fmt.Errorf("rehearse: --settle-timeout %s is out of range, expected a real-time duration above 0 (e.g. 5m)", o.settleTimeout)}
			}
			if o.settleStable <= 0 || o.settleStable >= o.settleTimeout {
				return &ExitError{Code: 2, Err: fmt.Errorf("rehearse: --settle-stable %s is out of range, expected a real-time duration above 0 and below --settle-timeout %s", o.settleStable, o.settleTimeout)}
			}
			return m.rehearse(cmd, args, o)
		},
	}
	cmd.Flags().StringVar(&o.candidate, "candidate", "", "candidate to rehearse, for a scenario that keeps candidates (default: every candidate)")
	cmd.Flags().StringVar(&o.difficulty, "difficulty", "", "difficulty to rehearse: hard, medium, easy or all (default: the scenario's)")
	cmd.Flags().Float64Var(&o.timeScale, "time-scale", rehearse.DefaultTimeScale, "drill clock speed-up (600 = a 90-minute drill in nine seconds)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "report format: text or json")
	cmd.Flags().DurationVar(&o.settleTimeout, "settle-timeout", rehearse.DefaultSettleTimeout, "longest real time to wait for a healthy target before each rehearsal; past it the level is skipped")
	cmd.Flags().DurationVar(&o.settleStable, "settle-stable", rehearse.DefaultSettleStable, "least real time every probe must hold before a rehearsal starts (a fault's stableFor at --time-scale counts when longer)")
	addSettingFlag(cmd, "plugins.dir")
	return cmd
}

// rehearse wires the runner over the data directory's database, the
// plugins and a participant on the configured cluster, and plays every
// file at every difficulty asked.
func (m *Main) rehearse(cmd *cobra.Command, files []string, o rehearseOptions) error {
	ctx := cmd.Context()
	h, err := m.openPluginHost(ctx, cmd)
	if err != nil {
		return err
	}
	var list []*scenarios.Scenario
	for _, f := range files {
		s, err := scenarios.Load(f, scenarios.WithCatalog(h))
		if err != nil {
			for _, e := range fieldErrors(f, err) {
				fmt.Fprintln(m.Stderr, e.Error())
			}
			return &ExitError{Code: 1}
		}
		list = append(list, s)
	}
	// Refuse before any cluster is touched a level whose target could
	// never be found healthy in time: every level would wait the whole
	// timeout and be skipped.
	var levels []rehearse.Level
	for _, s := range list {
		for _, run := range runsOf(s, o) {
			played, err := s.ForPlay(run.candidate, run.difficulty)
			if err != nil {
				return fmt.Errorf("rehearse %s at %s: %w", s.Source, run.difficulty, err)
			}
			if err := rehearse.CheckSettle(played, o.timeScale, o.settleTimeout); err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("rehearse: %s: %w (--settle-timeout, --time-scale)", s.Source, err)}
			}
			levels = append(levels, rehearse.Level{Scenario: s, Candidate: run.candidate, Difficulty: run.difficulty})
		}
	}
	db, err := m.openJournal(ctx)
	if err != nil {
		return err
	}
	e, err := m.openEngine(ctx, db, h)
	if err != nil {
		return err
	}
	r, k, err := m.rehearsalRunner(e)
	if err != nil {
		return err
	}
	// Fail before the first drill when the robots cannot work on the
	// cluster.
	if _, err := k.client(ctx); err != nil {
		return fmt.Errorf("rehearse: the robots cannot work on the cluster: %w", err)
	}
	reports, err := rehearse.PlayLevels(ctx, levels, o.timeScale, rehearse.SettleOptions{Timeout: o.settleTimeout, Stable: o.settleStable}, r.Run,
		func(rep *rehearse.Report) error {
			if o.output == "text" {
				return rep.WriteText(m.Stdout)
			}
			return nil
		})
	if err != nil {
		return err
	}
	if o.output == "json" {
		if err := writeReports(m.Stdout, reports); err != nil {
			return err
		}
	}
	return rehearseOutcome(reports, o.settleTimeout)
}

// rehearseOutcome is the command's exit: 1 when a rehearsal failed or was
// skipped, saying how many.
func rehearseOutcome(reports []*rehearse.Report, settleTimeout time.Duration) error {
	failed, skipped := 0, 0
	for _, rep := range reports {
		switch rep.Status {
		case rehearse.StatusPassed:
		case rehearse.StatusSkipped:
			skipped++
		default:
			failed++
		}
	}
	switch {
	case failed > 0 && skipped > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("rehearse: %d of %d rehearsals failed and %d were skipped (the target was not healthy before them)", failed, len(reports), skipped)}
	case failed > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("rehearse: %d of %d rehearsals failed", failed, len(reports))}
	case skipped > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("rehearse: %d of %d rehearsals were skipped: the target was not healthy before them within --settle-timeout %s", skipped, len(reports), settleTimeout)}
	}
	return nil
}

func writeReports(w io.Writer, reports []*rehearse.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(reports)
}

// rehearsalRun is one rehearsal of a scenario: a candidate at a level.
type rehearsalRun struct {
	candidate  string
	difficulty scenarios.Difficulty
}

// runsOf returns the rehearsals of s asked for: every candidate it keeps
// (or the one asked) at every level asked.
func runsOf(s *scenarios.Scenario, o rehearseOptions) []rehearsalRun {
	candidates := s.PlayableCandidates()
	if o.candidate != "" {
		candidates = []string{o.candidate}
	}
	var out []rehearsalRun
	for _, c := range candidates {
		for _, d := range difficultiesOf(s, o.difficulty) {
			out = append(out, rehearsalRun{c, d})
		}
	}
	return out
}

// difficultiesOf returns the levels to rehearse s at: the one asked, every
// level for "all", or the scenario's default.
func difficultiesOf(s *scenarios.Scenario, asked string) []scenarios.Difficulty {
	switch asked {
	case allDifficulties:
		return []scenarios.Difficulty{scenarios.Hard, scenarios.Medium, scenarios.Easy}
	case "":
		return []scenarios.Difficulty{s.Difficulty}
	}
	return []scenarios.Difficulty{scenarios.Difficulty(asked)}
}

// rehearsalRunner returns a runner over the engine whose robots fix faults
// on the configured cluster as a participant does, and which looks for
// leftovers there, and the helper process the robots work through (started
// at the first rehearsal and kept until firedrill stops). A configuration
// that cannot allow any cluster turns rehearsals off; one the kubeconfig
// refuses (its current context not allowed) fails at the first rehearsal,
// saying so: serve does not start the helper before it is needed.
func (m *Main) rehearsalRunner(e *control.Engine) (*rehearse.Runner, *kubeHelper, error) {
	kc := m.Config.Kubernetes
	switch {
	case len(kc.AllowedContexts) == 0:
		return nil, nil, errors.New("rehearse: the robots cannot work on the cluster: kubernetes.allowedContexts is empty, so firedrill touches no cluster")
	case kc.Context != "" && !slices.Contains(kc.AllowedContexts, kc.Context):
		return nil, nil, fmt.Errorf("rehearse: the robots cannot work on the cluster: %w", kubeconn.NotAllowed(kc.Context, kc.AllowedContexts))
	}
	k := m.newKubeHelper()
	return &rehearse.Runner{Engine: e, Clock: clock.RealClock{}, Fixer: kubeFixer{k},
		Leftovers: func(ctx context.Context, drillID string) ([]string, error) {
			c, err := k.client(ctx)
			if err != nil {
				return nil, err
			}
			ls, err := c.FindLeftovers(ctx, drillID)
			var out []string
			for _, l := range ls {
				out = append(out, fmt.Sprintf("%s %s/%s (fault %s)", l.Kind, l.Namespace, l.Name, l.FaultID))
			}
			return out, err
		}}, k, nil
}

// kubeFixer is the robots' kubectl: the helper's participant fixing the
// scenario's faults by their targets.
type kubeFixer struct{ k *kubeHelper }

func faultTarget(f scenarios.Fault) injectors.Target {
	return injectors.Target{Namespace: f.Target.Namespace, Kind: f.Target.Kind, Name: f.Target.Name, Selector: f.Target.Selector}
}

// Baseline notes every fault's target before the drill.
func (k kubeFixer) Baseline(ctx context.Context, s *scenarios.Scenario) error {
	c, err := k.k.client(ctx)
	if err != nil {
		return err
	}
	ts := make([]injectors.Target, len(s.Faults))
	for i, f := range s.Faults {
		ts[i] = faultTarget(f)
	}
	return c.Baseline(ctx, ts)
}

// Fix puts the fault's target back; for a key fault, only its key; for a
// network fault, the policies the manifests do not have are deleted; a
// slow pod is isolated, not deleted, to keep the evidence.
func (k kubeFixer) Fix(ctx context.Context, f scenarios.Fault) (string, error) {
	c, err := k.k.client(ctx)
	if err != nil {
		return "", err
	}
	if f.Injector.Type == "pod-slow" {
		did, err := c.Isolate(ctx, faultTarget(f))
		return strings.Join(did, "; "), err
	}
	key, _ := f.Params["key"].(string)
	did, err := c.Fix(ctx, faultTarget(f), key, f.Injector.Type == "network-isolate")
	return strings.Join(did, "; "), err
}
