package rehearse

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// Report statuses and check outcomes.
const (
	StatusRunning = "running"
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	// StatusSkipped is a rehearsal not played: the target was not healthy
	// before it (see Runner.Settle), so its checks could not be trusted.
	StatusSkipped = "skipped"

	OutcomePassed  = "passed"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// Report is what a rehearsal proved: one check per promise of the scenario
// (every fault injected, detected, resolved and reverted; every chain and
// extension fired or why not; every inject and hint at its time; every
// robot step carried out; the end and the cap; nothing left marked; the
// record). Status is failed when any check failed.
type Report struct {
	Status     string               `json:"status"`
	DrillID    string               `json:"drillId,omitempty"`
	Scenario   string               `json:"scenario,omitempty"`
	Difficulty scenarios.Difficulty `json:"difficulty,omitempty"`
	// Candidate is the candidate rehearsed, for a scenario that keeps
	// candidates.
	Candidate string  `json:"candidate,omitempty"`
	TimeScale float64 `json:"timeScale,omitempty"`
	Checks    []Check `json:"checks"`
	// Error says why a rehearsal could not run at all (failed before its
	// checks).
	Error string `json:"error,omitempty"`
	// Interrupted says why the rehearsal was stopped before its drill
	// ended (the server shut down, its time bound passed); its drill was
	// aborted and every fault reverted.
	Interrupted string `json:"interrupted,omitempty"`
	// Settle is how the wait for a healthy target before the drill went,
	// when the rehearsal waited (see Runner.Settle).
	Settle *Settle `json:"settle,omitempty"`
	// Skipped says why the rehearsal was not played (status skipped).
	Skipped string `json:"skipped,omitempty"`
	// LastRevertAt is the wall time of the drill's last fault revert: the
	// target recovers from it before the next rehearsal (see
	// SettleOptions.AfterRevert).
	LastRevertAt time.Time `json:"lastRevertAt,omitzero"`
}

// Check is one line of the report.
type Check struct {
	What    string `json:"what"`
	Outcome string `json:"outcome"`
	Message string `json:"message,omitempty"`
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Outcome == OutcomeFailed {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(what, outcome, format string, args ...any) {
	r.Checks = append(r.Checks, Check{What: what, Outcome: outcome, Message: fmt.Sprintf(format, args...)})
}

// at formats a drill time in minutes, as the practice counts them: 8m,
// 20m30s, 90m.
func at(t time.Duration) string {
	t = t.Round(time.Second)
	m, s := int(t/time.Minute), int(t%time.Minute/time.Second)
	if s == 0 {
		return fmt.Sprintf("%dm", m)
	}
	if m == 0 {
		return fmt.Sprintf("%ds", s)
	}
	return fmt.Sprintf("%dm%ds", m, s)
}

func atp(t *time.Duration) string {
	if t == nil {
		return "never"
	}
	return at(*t)
}

// Report checks the drill against the scenario once it is over.
func (h *Rehearsal) Report(ctx context.Context) (*Report, error) {
	d, err := h.r.Engine.Drill(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	evs, err := h.r.Engine.Events(ctx, h.ID, 0)
	if err != nil {
		return nil, err
	}
	rep := &Report{DrillID: d.ID, Scenario: d.Scenario.Metadata.Name, Difficulty: d.Difficulty, Candidate: d.Candidate, TimeScale: d.TimeScale}
	if h.stopped != nil {
		rep.Interrupted = h.stopped.Error()
	}
	for _, e := range evs {
		if e.Type == control.EventFaultReverted && e.Time.After(rep.LastRevertAt) {
			rep.LastRevertAt = e.Time
		}
	}
	if h.settle != nil {
		rep.Settle = h.settle
		rep.Checks = append(rep.Checks, settleCheck(h.settle))
	}
	h.faultChecks(rep, d)
	injectChecks(rep, d)
	hintChecks(rep, d, evs)
	alertChecks(rep, d)
	h.stepChecks(rep, d)
	endChecks(rep, d, evs, h.stopped)
	h.leftoverCheck(ctx, rep, d)
	h.recordCheck(ctx, rep)
	rep.Status = StatusPassed
	if len(rep.Failed()) > 0 {
		rep.Status = StatusFailed
	}
	return rep, nil
}

// fixStep returns the robot step that fixes the fault, if any: the latest
// one carried out by the time the fault was resolved (a fault that came
// back is fixed again), else the first.
func (h *Rehearsal) fixStep(faultID string, resolvedAt *time.Duration) *step {
	var first, last *step
	for _, st := range h.steps {
		if st.Spec.Fix != faultID {
			continue
		}
		if first == nil {
			first = st
		}
		if st.Done && (resolvedAt == nil || st.At <= *resolvedAt) && (last == nil || st.At > last.At) {
			last = st
		}
	}
	if last != nil {
		return last
	}
	return first
}

func (h *Rehearsal) faultChecks(rep *Report, d *control.Drill) {
	for i, f := range d.Faults {
		sf := d.Scenario.Faults[i]
		what := "fault " + f.ID
		kind := "injected"
		switch {
		case sf.IfResolvedBefore != nil:
			kind = "extension injected"
		case sf.After != nil:
			kind = "chain injected"
		}
		switch {
		case f.InjectedAt != nil && f.Recurrences > 0:
			rep.add(what+" "+kind, OutcomePassed, "injected%s; came back %d time(s), last injected at %s", chainWords(sf, d), f.Recurrences, at(*f.InjectedAt))
		case f.InjectedAt != nil:
			rep.add(what+" "+kind, OutcomePassed, "injected at %s%s", at(*f.InjectedAt), chainWords(sf, d))
		case sf.OnDemand && f.Phase != control.FaultFailed:
			// Before the skip: the end marks a never-fired on-demand fault
			// skipped, "the drill stopped before it fired", which reads as
			// if it were due. One a facilitator fired that failed to
			// inject is a failure, below.
			rep.add(what+" "+kind, OutcomeSkipped, "on demand: fired only by the facilitator, and no one did")
			continue
		case f.Phase == control.FaultSkipped:
			rep.add(what+" "+kind, OutcomeSkipped, "not fired: %s", f.SkipReason)
			continue
		case f.Phase == control.FaultFailed:
			rep.add(what+" "+kind, OutcomeFailed, "inject failed after %d attempts: %s", f.Attempts, f.LastError)
			continue
		default:
			rep.add(what+" "+kind, OutcomeFailed, "never fired (%s)%s", f.Phase, waitWords(sf, d))
			continue
		}
		// A comeback is a new incident to notice: its detection counts from
		// its own injection.
		injected := "was injected"
		if f.Recurrences > 0 {
			injected = "last came back"
		}
		if f.DetectedAt != nil {
			rep.add(what+" detected", OutcomePassed, "first participant message in the incident channel at %s, %s after it %s", at(*f.DetectedAt), at(*f.DetectedAt-*f.InjectedAt), injected)
		} else {
			rep.add(what+" detected", OutcomeFailed, "no participant wrote in the incident channel after it %s at %s", injected, at(*f.InjectedAt))
		}
		h.resolvedCheck(rep, d, f)
		recurCheck(rep, sf, f)
		switch {
		case f.Phase == control.FaultReverted:
			rep.add(what+" reverted", OutcomePassed, "reverted at %s", atp(f.RevertedAt))
		case sf.AutoRevertAtEnd != nil && !*sf.AutoRevertAtEnd:
			rep.add(what+" reverted", OutcomeSkipped, "autoRevertAtEnd is false: left as the participants fixed it")
		default:
			rep.add(what+" reverted", OutcomeFailed, "still %s after the drill: %s", f.Phase, f.LastError)
		}
	}
}

func (h *Rehearsal) resolvedCheck(rep *Report, d *control.Drill, f control.FaultState) {
	what := "fault " + f.ID + " resolved"
	fix := h.fixStep(f.ID, f.ResolvedAt)
	fixed := "no robot fixed it"
	if fix != nil && fix.Done {
		fixed = fmt.Sprintf("robot %s fixed it at %s", fix.Robot, at(fix.At))
		if fix.Err != nil {
			fixed = fmt.Sprintf("robot %s's fix at %s failed: %v", fix.Robot, at(fix.At), fix.Err)
		}
	} else if fix != nil {
		fixed = fmt.Sprintf("robot %s's fix (%s) never came due before the end", fix.Robot, fix.Spec.Describe())
	}
	if f.ResolvedAt != nil {
		rep.add(what, OutcomePassed, "resolved by %s at %s (%s)", f.ResolvedBy, at(*f.ResolvedAt), fixed)
		return
	}
	var failing []string
	for _, c := range f.Checks {
		if !c.OK {
			failing = append(failing, fmt.Sprintf("%s: %s", c.Name, c.Detail))
		}
	}
	why := fixed
	if fix == nil {
		why = "no robot step fixes it at this difficulty"
	}
	if len(failing) > 0 {
		why += "; probes still failing: " + strings.Join(failing, "; ")
	} else if f.RecoveringAt != nil {
		why += fmt.Sprintf("; probes held from %s but not for the whole stabilisation window before the end", at(*f.RecoveringAt))
	}
	rep.add(what, OutcomeFailed, "not resolved: %s", why)
}

func chainWords(sf scenarios.Fault, d *control.Drill) string {
	if sf.After == nil {
		return ""
	}
	ev := sf.After.Event
	if ev == "" {
		ev = scenarios.ChainResolved
	}
	out := fmt.Sprintf(", chained %s after %s %s", sf.After.Delay, sf.After.Fault, ev)
	if sf.IfResolvedBefore != nil {
		out += fmt.Sprintf(", extension since everything before was resolved by %s", sf.IfResolvedBefore)
	}
	return out
}

func waitWords(sf scenarios.Fault, d *control.Drill) string {
	if sf.After == nil {
		return ""
	}
	pred, ok := d.Fault(sf.After.Fault)
	if !ok {
		return ""
	}
	if sf.After.Event == scenarios.ChainInjected {
		return fmt.Sprintf(": it waits for %s to be injected, which is %s", pred.ID, pred.Phase)
	}
	if pred.ResolvedAt == nil {
		return fmt.Sprintf(": it waits for %s to be resolved, which never was", pred.ID)
	}
	return fmt.Sprintf(": %s was resolved at %s, the drill ended before %s later", pred.ID, at(*pred.ResolvedAt), sf.After.Delay)
}

func injectChecks(rep *Report, d *control.Drill) {
	end := endTime(d)
	for i, in := range d.Injects {
		si := d.Scenario.Injects[i]
		what := "inject " + in.ID
		switch {
		case in.PostedAt != nil:
			msg := "posted at " + at(*in.PostedAt)
			if in.FollowedAt != nil {
				msg += ", follow-up at " + at(*in.FollowedAt)
			}
			rep.add(what, OutcomePassed, "%s", msg)
		case si.To != nil && si.To.Claim != "":
			// Robots claim no response role: a briefing for a role holder
			// waits for someone who never comes.
			when := ""
			switch {
			case si.On != nil:
				when = "on " + si.On.Describe()
			case si.At != nil:
				when = "due at " + si.At.String()
			}
			rep.add(what, OutcomeSkipped, "a private briefing for %s (%s); robots claim no roles, so it waits for nobody", si.To.Describe(), when)
		case si.At != nil && si.At.D() < end:
			rep.add(what, OutcomeFailed, "due at %s, never posted (the drill ended at %s)", si.At, at(end))
		case si.At != nil:
			rep.add(what, OutcomeSkipped, "due at %s, after the drill ended at %s", si.At, at(end))
		default:
			rep.add(what, OutcomeSkipped, "its event never happened: %s", si.On.Describe())
		}
	}
}

func hintChecks(rep *Report, d *control.Drill, evs []control.Event) {
	end := endTime(d)
	for _, hs := range d.Hints {
		what := "hint " + hs.ID
		switch {
		case hs.GivenAt != nil:
			rep.add(what, OutcomePassed, "given at %s (staged at %s) by %s", at(*hs.GivenAt), at(hs.At), hs.By)
		case hs.Skipped:
			rep.add(what, OutcomeSkipped, "skipped at its stage %s: %s", at(hs.At), hs.Reason)
		case hs.At >= end:
			rep.add(what, OutcomeSkipped, "staged at %s, after the drill ended at %s", at(hs.At), at(end))
		default:
			rep.add(what, OutcomeFailed, "staged at %s, neither given nor skipped before the end at %s", at(hs.At), at(end))
		}
	}
}

func (h *Rehearsal) stepChecks(rep *Report, d *control.Drill) {
	for _, st := range h.steps {
		what := fmt.Sprintf("robot %s: %s", st.Robot, st.Spec.Describe())
		switch {
		case !st.Done:
			rep.add(what, OutcomeSkipped, "never came due before the drill ended at %s", at(endTime(d)))
		case st.Err != nil:
			rep.add(what, OutcomeFailed, "at %s: %v", at(st.At), st.Err)
		case st.Spec.Answer != "" && st.AnsweredAfter > st.Spec.AnswerWithin().D():
			rep.add(what, OutcomeFailed, "answered %s after the inject, later than %s", at(st.AnsweredAfter), st.Spec.AnswerWithin())
		case st.Did != "":
			rep.add(what, OutcomePassed, "done at %s: %s", at(st.At), st.Did)
		default:
			rep.add(what, OutcomePassed, "done at %s", at(st.At))
		}
	}
}

func endTime(d *control.Drill) time.Duration {
	if d.EndDrill != nil {
		return *d.EndDrill
	}
	return d.TimeLimit()
}

func endChecks(rep *Report, d *control.Drill, evs []control.Event, stopped error) {
	nudges := 0
	for _, e := range evs {
		if e.Type == control.EventNudge {
			nudges++
			var n struct {
				Kind    string `json:"kind"`
				Channel string `json:"channel"`
			}
			_ = json.Unmarshal(e.Payload, &n) // a nudge we cannot read is still counted
			rep.add("nudge", OutcomePassed, "at %s in #%s: %s", at(e.DrillTime), n.Channel, n.Kind)
		}
	}
	if nudges == 0 {
		rep.add("nudges", OutcomePassed, "none were needed (the room bot nudges when nobody claims a role or a notice is late)")
	}
	switch {
	case stopped != nil:
		rep.add("drill end", OutcomeFailed, "the rehearsal was stopped: %v", stopped)
	case d.State == control.StateAborted:
		rep.add("drill end", OutcomeFailed, "aborted at %s: %s", atp(d.EndDrill), d.Why)
	case d.EndReason == "cap":
		rep.add("drill end", OutcomePassed, "the %s cap ended the drill", at(d.TimeLimit()))
	default:
		rep.add("drill end", OutcomePassed, "ended %s at %s, before the %s cap", d.EndReason, atp(d.EndDrill), at(d.TimeLimit()))
	}
}

func (h *Rehearsal) leftoverCheck(ctx context.Context, rep *Report, d *control.Drill) {
	if h.r.Leftovers == nil {
		rep.add("nothing left marked", OutcomeSkipped, "no cluster to look in")
		return
	}
	left, err := h.r.Leftovers(ctx, d.ID)
	switch {
	case err != nil:
		rep.add("nothing left marked", OutcomeFailed, "could not look: %v", err)
	case len(left) > 0:
		rep.add("nothing left marked", OutcomeFailed, "still marked by drill %s: %s", d.ID, strings.Join(left, ", "))
	default:
		rep.add("nothing left marked", OutcomePassed, "no object carries drill %s's marks", d.ID)
	}
}

func (h *Rehearsal) recordCheck(ctx context.Context, rep *Report) {
	rec, err := h.record(ctx)
	switch {
	case err != nil:
		rep.add("record", OutcomeFailed, "%v", err)
	case !rec.Rehearsal():
		rep.add("record", OutcomeFailed, "the record is not marked as a rehearsal")
	default:
		rep.add("record", OutcomePassed, "%d events, head %.12s, verified, marked as a rehearsal (kept out of the history)", rec.Chain.Count, rec.Chain.Head)
	}
}

// WriteText writes the report for people: one line per check, the failed
// ones first marked.
func (r *Report) WriteText(w io.Writer) error {
	mark := map[string]string{OutcomePassed: "ok  ", OutcomeFailed: "FAIL", OutcomeSkipped: "skip"}
	name := r.Scenario
	if r.Candidate != "" {
		name += " (candidate " + r.Candidate + ")"
	}
	if r.Difficulty != "" {
		name += " at " + string(r.Difficulty)
	}
	if r.Status == StatusSkipped {
		fmt.Fprintf(w, "Rehearsal of %s (not played, clock ×%g)\n", name, r.TimeScale)
	} else {
		fmt.Fprintf(w, "Rehearsal of %s (drill %s, clock ×%g)\n", name, r.DrillID, r.TimeScale)
	}
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %s %s — %s\n", mark[c.Outcome], c.What, c.Message)
	}
	if r.Status == StatusSkipped {
		_, err := fmt.Fprintf(w, "SKIPPED: %s\n", r.Skipped)
		return err
	}
	failed := r.Failed()
	if len(failed) == 0 {
		_, err := fmt.Fprintf(w, "PASSED: %d checks\n", len(r.Checks))
		return err
	}
	_, err := fmt.Fprintf(w, "FAILED: %d of %d checks failed\n", len(failed), len(r.Checks))
	return err
}

// recurCheck says how often a fault with recurs came back while its cause
// persisted. Not coming back is no failure: the robots may fix the cause
// first.
func recurCheck(rep *Report, sf scenarios.Fault, f control.FaultState) {
	if sf.Recurs == nil {
		return
	}
	what := "fault " + f.ID + " came back"
	if f.Recurrences == 0 {
		rep.add(what, OutcomeSkipped, "never: it was not fixed while %s", sf.Recurs.While.Describe())
		return
	}
	after := "and stays fixed"
	if !f.StaysFixed {
		after = "and was not fixed for good before the end"
	}
	rep.add(what, OutcomePassed, "%d of at most %d times because %s, %s", f.Recurrences, sf.Recurs.Times, sf.Recurs.While.Describe(), after)
}
