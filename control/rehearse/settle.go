package rehearse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// Settling before a level: a rehearsal of several levels (or scenarios,
// or candidates) plays them one after another on the same target, and the
// target recovers from a level's faults on real time after their reverts
// (pods restart, deployments become available, the autoscaler scales back).
// A level started before that would have its probes read the damage of the
// level before it: a fault resolved late or never, or resolved at once
// for the wrong reason. So Start first waits until every probe the level
// reads, and every probe the rehearsal before it read, holds, each for its
// stable period, and does not play the level when the target is not
// healthy in time.
const (
	// DefaultSettleTimeout bounds the wait for a healthy target, in real
	// time: the target recovers on real time whatever the drill clock.
	DefaultSettleTimeout = 5 * time.Minute
	// DefaultSettleStable is the least real time every probe must hold
	// before a level starts; a fault's stableFor on the rehearsal's drill
	// clock counts instead when it is longer.
	DefaultSettleStable = 5 * time.Second
	// settlePoll is how often the probes are asked while settling.
	settlePoll = time.Second
)

// SettleOptions ask Start to wait for a healthy target before the drill.
type SettleOptions struct {
	// Timeout bounds the wait, in real time; 0 means DefaultSettleTimeout.
	Timeout time.Duration
	// Stable is the least real time every probe must hold; 0 means
	// DefaultSettleStable.
	Stable time.Duration
	// After is the scenario, as played, of the rehearsal before this one
	// on the same target (nil before the first): its probes must hold too,
	// since its damage is what the target recovers from.
	After *scenarios.Scenario
	// AfterRevert is the wall time of the last revert of the rehearsal
	// before (Report.LastRevertAt): the report says how long after it the
	// target recovered. Zero before the first.
	AfterRevert time.Time
}

// Settle is how the wait for a healthy target went.
type Settle struct {
	// Healthy is true when every probe held for its stable period.
	Healthy bool `json:"healthy"`
	// AfterLevel says whose damage the target recovered from: the
	// rehearsal before this one ("" before the first).
	AfterLevel string `json:"afterLevel,omitempty"`
	// WaitedMs is the real time from the first check to the one that found
	// the target healthy, or to the timeout.
	WaitedMs  int64 `json:"waitedMs"`
	TimeoutMs int64 `json:"timeoutMs"`
	// RecoveredAfterRevertMs is the real time from the last revert of the
	// rehearsal before to when the last probe began to hold for good; when
	// every probe held from the first check it is the time to that check,
	// an upper bound. Absent before the first or when not healthy.
	RecoveredAfterRevertMs *int64 `json:"recoveredAfterRevertMs,omitempty"`
	// Rounds is how many times the probes were asked.
	Rounds int           `json:"rounds"`
	Probes []SettleProbe `json:"probes"`
	// Unchecked names each fault that has no resolvedWhen probe (resolved
	// by hand only): nothing says whether its target recovered, so only
	// the least stable time was waited for it.
	Unchecked []string `json:"unchecked,omitempty"`
}

// SettleProbe is one probe asked while settling, as the last round saw it.
type SettleProbe struct {
	Name string `json:"name"`
	// Faults are the faults whose resolvedWhen has this probe.
	Faults []string `json:"faults"`
	// StableMs is how long, in real time, the probe had to hold.
	StableMs int64 `json:"stableMs"`
	OK       bool  `json:"ok"`
	// HeldMs is how long it had held at the last round (0 when failing).
	HeldMs int64  `json:"heldMs"`
	Detail string `json:"detail,omitempty"`
	// RecoveredMs is when, from the start of the wait, it began to hold
	// for good (absent when it never did).
	RecoveredMs *int64 `json:"recoveredMs,omitempty"`
}

// settleProbe is a probe being watched.
type settleProbe struct {
	probe  scenarios.Probe
	faults []string
	stable time.Duration
	since  *time.Time
	last   control.CheckResult
}

// settleProbes returns the resolvedWhen probes of the faults of the
// scenarios, each once (the same probe of several faults must hold for
// the longest of their stable periods), with its stable period in real
// time: the fault's stableFor on the drill clock of the given scale, and
// at least floor. unchecked says which faults have no probe.
func settleProbes(scale float64, floor time.Duration, ss ...*scenarios.Scenario) (out []*settleProbe, unchecked []string, err error) {
	byKey := map[string]*settleProbe{}
	for _, s := range ss {
		if s == nil {
			continue
		}
		for _, f := range s.Faults {
			if len(f.ResolvedWhen.Probes) == 0 {
				msg := fmt.Sprintf("fault %s has no resolvedWhen probe: not checked", f.ID)
				if !slices.Contains(unchecked, msg) {
					unchecked = append(unchecked, msg)
				}
				continue
			}
			stable := max(stableReal(f, scale), floor)
			for _, p := range f.ResolvedWhen.Probes {
				spec, err := control.NewProbeSpec(p)
				if err != nil {
					return nil, nil, fmt.Errorf("fault %s: %w", f.ID, err)
				}
				b, _ := json.Marshal(spec) // a spec is plain data
				sp := byKey[string(b)]
				if sp == nil {
					sp = &settleProbe{probe: p, stable: stable}
					byKey[string(b)] = sp
					out = append(out, sp)
				}
				sp.stable = max(sp.stable, stable)
				if !slices.Contains(sp.faults, f.ID) {
					sp.faults = append(sp.faults, f.ID)
				}
			}
		}
	}
	return out, unchecked, nil
}

// stableReal is the fault's stableFor on a drill clock of the given
// scale, in real time.
func stableReal(f scenarios.Fault, scale float64) time.Duration {
	return time.Duration(float64(f.ResolvedWhen.StableFor.D()) / scale)
}

// CheckSettle returns an error when the target could never be found
// healthy before the rehearsal of played at the given scale: a fault's
// stableFor, in real time, is not shorter than the settle timeout, so the
// wait would always run to the timeout and skip the level. It names the
// fault and both durations.
func CheckSettle(played *scenarios.Scenario, scale float64, timeout time.Duration) error {
	if scale == 0 {
		scale = DefaultTimeScale
	}
	if timeout <= 0 {
		timeout = DefaultSettleTimeout
	}
	for _, f := range played.Faults {
		if st := stableReal(f, scale); len(f.ResolvedWhen.Probes) > 0 && st >= timeout {
			return fmt.Errorf("fault %s of %s: its stableFor %s at time scale %g is %s of real time, not shorter than the settle timeout %s: the target could never be found healthy in time and every level would be skipped; raise the settle timeout above %s or the time scale",
				f.ID, levelName(played), f.ResolvedWhen.StableFor.D(), scale, st, timeout, st)
		}
	}
	return nil
}

// Settle waits on the runner's clock until the target is healthy for the
// rehearsal o: every resolvedWhen probe of the faults it plays and of the
// ones played before it (o.Settle.After) holds continuously for its stable
// period, or o.Settle.Timeout passed. It is level-triggered: it looks at
// the target as it is, not at what was reverted, so a target that starts
// unhealthy is waited for before the first level too.
func (r *Runner) Settle(ctx context.Context, o Options) (*Settle, error) {
	so := SettleOptions{}
	if o.Settle != nil {
		so = *o.Settle
	}
	if so.Timeout <= 0 {
		so.Timeout = DefaultSettleTimeout
	}
	if so.Stable <= 0 {
		so.Stable = DefaultSettleStable
	}
	scale := o.TimeScale
	if scale == 0 {
		scale = DefaultTimeScale
	}
	played, err := o.Scenario.ForPlay(o.Candidate, o.Difficulty)
	if err != nil {
		return nil, fmt.Errorf("settle before %s: %w", o.Scenario.Metadata.Name, err)
	}
	ps, unchecked, err := settleProbes(scale, so.Stable, so.After, played)
	if err != nil {
		return nil, fmt.Errorf("settle before %s: %w", o.Scenario.Metadata.Name, err)
	}
	specs := make([]scenarios.Probe, len(ps))
	for i, p := range ps {
		specs[i] = p.probe
	}
	st := &Settle{TimeoutMs: so.Timeout.Milliseconds(), Unchecked: unchecked}
	if so.After != nil {
		st.AfterLevel = levelName(so.After)
	}
	start := r.Clock.Now()
	deadline := start.Add(so.Timeout)
	for {
		res, cut, err := r.settleRound(ctx, specs, deadline)
		if err != nil {
			return nil, fmt.Errorf("settle before %s: %w", o.Scenario.Metadata.Name, err)
		}
		// As in a drill, a probe holds from when the round's answer came,
		// and a call that gave no answer is a failed poll: it neither
		// resets the time held nor counts as holding.
		now := r.Clock.Now()
		st.Rounds++
		// Without a probe the target is still given the least stable time
		// (a fault resolved by hand only is not checked at all).
		healthy := !cut && now.Sub(start) >= so.Stable
		for i, p := range ps {
			if cut {
				p.last = control.CheckResult{Name: p.last.Name, NoAnswer: true, Detail: "no answer before the settle timeout"}
				continue
			}
			p.last = res[i]
			switch {
			case res[i].NoAnswer:
			case !res[i].OK:
				p.since = nil
			case p.since == nil:
				t := now
				p.since = &t
			}
			if !res[i].OK || p.since == nil || now.Sub(*p.since) < p.stable {
				healthy = false
			}
		}
		if healthy || !now.Before(deadline) {
			st.Healthy = healthy
			st.WaitedMs = now.Sub(start).Milliseconds()
			st.Probes = settleReport(ps, start, now)
			if healthy && !so.AfterRevert.IsZero() {
				rec := start
				for _, p := range ps {
					if p.since.After(rec) {
						rec = *p.since
					}
				}
				ms := rec.Sub(so.AfterRevert).Milliseconds()
				st.RecoveredAfterRevertMs = &ms
			}
			return st, nil
		}
		wait := min(settlePoll, deadline.Sub(now))
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-r.Clock.After(wait):
		}
	}
}

// errSettleDeadline is the cause of a settle round cut at the timeout.
var errSettleDeadline = errors.New("no answer before the settle timeout")

// settleRound asks the probes once, the round cut at the deadline on the
// runner's clock (cut true, no results), so that a probe that hangs does
// not stretch the wait past the settle timeout by its probe deadline.
func (r *Runner) settleRound(ctx context.Context, specs []scenarios.Probe, deadline time.Time) (res []control.CheckResult, cut bool, err error) {
	if len(specs) == 0 {
		return nil, false, nil
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	left := deadline.Sub(r.Clock.Now())
	var t clock.Timer
	if c, ok := r.Clock.(clock.WithDelayedExecution); ok {
		t = c.AfterFunc(left, func() { cancel(errSettleDeadline) })
	} else {
		t = r.Clock.NewTimer(left)
		go func() {
			select {
			case <-t.C():
				cancel(errSettleDeadline)
			case <-rctx.Done():
			}
		}()
	}
	defer t.Stop()
	res, err = r.Engine.CheckProbes(rctx, specs)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), errSettleDeadline) {
		return nil, true, nil
	}
	return res, false, err
}

func settleReport(ps []*settleProbe, start, now time.Time) []SettleProbe {
	out := make([]SettleProbe, len(ps))
	for i, p := range ps {
		sp := SettleProbe{Name: describeProbe(p.probe), Faults: p.faults, StableMs: p.stable.Milliseconds(), OK: p.last.OK, Detail: p.last.Detail}
		if p.since != nil {
			sp.HeldMs = now.Sub(*p.since).Milliseconds()
			rec := p.since.Sub(start).Milliseconds()
			sp.RecoveredMs = &rec
		}
		out[i] = sp
	}
	return out
}

// describeProbe names a probe for the report: its name or type, and its
// target ("Deployment shop/web", "Pod selector app=web in shop").
func describeProbe(p scenarios.Probe) string {
	name := p.Name
	if name == "" {
		name = p.Probe.String()
	}
	t := p.Target
	var obj string
	switch {
	case t.Name != "" && t.Namespace != "":
		obj = t.Namespace + "/" + t.Name
	case t.Name != "":
		obj = t.Name
	case len(t.Selector) > 0:
		var sel []string
		for k, v := range t.Selector {
			sel = append(sel, k+"="+v)
		}
		slices.Sort(sel)
		obj = "selector " + strings.Join(sel, ",")
		if t.Namespace != "" {
			obj += " in " + t.Namespace
		}
	default:
		obj = t.Namespace
	}
	target := strings.TrimSpace(t.Kind + " " + obj)
	if target == "" {
		return name
	}
	return fmt.Sprintf("%s (%s)", name, target)
}

// levelName names a played scenario as the report does: its name, the
// candidate and the difficulty.
func levelName(s *scenarios.Scenario) string {
	name := s.Metadata.Name
	if s.Candidate != nil {
		name += " (candidate " + s.Candidate.ID + ")"
	}
	if s.Difficulty != "" {
		name += " at " + string(s.Difficulty)
	}
	return name
}

// Settled returns how the wait for a healthy target before the drill
// went, or nil when Start did not wait.
func (h *Rehearsal) Settled() *Settle { return h.settle }

// settleCheck is the report's line for the wait.
func settleCheck(st *Settle) Check {
	after := "before the rehearsal"
	if st.AfterLevel != "" {
		after = "after " + st.AfterLevel
	}
	waited := msWords(st.WaitedMs)
	if st.Healthy {
		last := ""
		var latest int64 = -1
		for _, p := range st.Probes {
			if p.RecoveredMs != nil && *p.RecoveredMs > latest {
				latest, last = *p.RecoveredMs, p.Name+" of "+strings.Join(p.Faults, ", ")
			}
		}
		msg := fmt.Sprintf("%s, the target was healthy after %s of real time: %d probe(s) of the faults held for their stable period", after, waited, len(st.Probes))
		if len(st.Unchecked) > 0 {
			msg += "; " + strings.Join(st.Unchecked, "; ")
		}
		if latest > 0 {
			msg += fmt.Sprintf("; the last to recover was %s, %s into the wait", last, msWords(latest))
		}
		switch {
		case st.RecoveredAfterRevertMs != nil && latest > 0:
			msg += fmt.Sprintf(", %s after the last revert", msWords(*st.RecoveredAfterRevertMs))
		case st.RecoveredAfterRevertMs != nil:
			msg += fmt.Sprintf("; every probe held from the first check, %s after the last revert", msWords(*st.RecoveredAfterRevertMs))
		}
		return Check{What: "target settled", Outcome: OutcomePassed, Message: msg}
	}
	var failing []string
	for _, p := range st.Probes {
		switch {
		case !p.OK:
			failing = append(failing, fmt.Sprintf("%s of %s: %s", p.Name, strings.Join(p.Faults, ", "), p.Detail))
		case p.HeldMs < p.StableMs:
			failing = append(failing, fmt.Sprintf("%s of %s held only %s of its %s", p.Name, strings.Join(p.Faults, ", "), msWords(p.HeldMs), msWords(p.StableMs)))
		}
	}
	msg := fmt.Sprintf("%s, the target was not healthy within the %s settle timeout; still failing: %s", after, msWords(st.TimeoutMs), strings.Join(failing, "; "))
	if len(st.Unchecked) > 0 {
		msg += "; " + strings.Join(st.Unchecked, "; ")
	}
	return Check{What: "target settled", Outcome: OutcomeFailed, Message: msg}
}

// msWords formats a real-time duration in milliseconds: 41.2s, 5m0s.
func msWords(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}

// NotSettledError is Start's answer when the target was not healthy in
// time: the rehearsal was not played, and Report says so.
type NotSettledError struct {
	Report *Report
}

func (e *NotSettledError) Error() string {
	return "the target was not healthy before the rehearsal: " + e.Report.Checks[0].Message
}

// skippedReport is the report of a level not played because the target
// did not settle: its probes would have read the damage left before it.
func skippedReport(o Options, st *Settle) *Report {
	scale := o.TimeScale
	if scale == 0 {
		scale = DefaultTimeScale
	}
	d := o.Difficulty
	if d == "" {
		d = o.Scenario.Difficulty
	}
	c := settleCheck(st)
	return &Report{Status: StatusSkipped, Scenario: o.Scenario.Metadata.Name, Difficulty: d, Candidate: o.Candidate, TimeScale: scale,
		Settle: st, Checks: []Check{c},
		Skipped: fmt.Sprintf("not played: the target was not healthy within %s (see target settled), so its checks would have read a target still damaged (by the level before, or from the start)", msWords(st.TimeoutMs))}
}
