package control

import (
	"context"
	"math"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Retry and polling policy.
const (
	maxInjectAttempts    = 3
	injectRetryBase      = 10 * time.Second // drill time, doubled per attempt
	revertRetryBase      = time.Second      // wall time, doubled per failure
	revertRetryMax       = time.Minute
	defaultProbeInterval = 10 * time.Second
	maxProbeBackoff      = 8 // times the interval
	reconcileStepLimit   = 10000
)

// runtimeState is what the engine keeps in memory about a drill between
// reconcile passes: probe and alert polling, retry backoffs. None of it
// needs to survive a restart: after one, probes start over (stabilisation
// is measured again, conservatively) and retries happen at once.
type runtimeState struct {
	lastEvent time.Time // time of the latest event appended; guarded by drillRun.mu
	// unsure is set, under drillRun.mu, when the drill's last append
	// failed: its next chat messages are streamed once durable, not while
	// committed, until an append succeeds, so that a journal that keeps
	// refusing (a full disk) withdraws one streamed message, not every one.
	unsure  bool
	probes  map[string]*pollState
	alerts  map[string]*pollState
	watches map[string]*watchState
	// rounds are the check rounds in flight or answered and not taken
	// yet, by check key (faultCheckKey, alertCheckKey, watchCheckKey).
	rounds      map[string]*checkRound
	injectRetry map[string]time.Duration // fault → drill time of next attempt
	revertRetry map[string]*backoff      // fault → wall time of next revert or status check
	// endAfter is the wall time before which the natural end is not
	// planned: the end found a scripted message fall due after its pass
	// started, and that message, then the end, are the next pass's work.
	endAfter time.Time
}

type pollState struct {
	next     time.Time      // wall time of the next poll; zero means now
	since    *time.Duration // drill time the probe started holding (faults) or failing (alerts)
	failures int
	detail   string
	// injectedAt is the injection of the fault a probe poll is about: a
	// fault injected again (it came back) is polled afresh (faultPoll).
	injectedAt *time.Duration
}

// failed counts a poll whose call failed and schedules the next one after
// interval doubled per failure in a row, at most maxProbeBackoff times.
func (ps *pollState) failed(d *Drill, now time.Time, interval time.Duration) {
	ps.failures++
	ps.next = d.wallAfter(now, interval*time.Duration(min(1<<ps.failures, maxProbeBackoff)))
}

// faultPoll returns the polling state of fault f's probes for its current
// injection, nil when it has none yet: what the probes saw of an earlier
// injection (one resolved by heal or confirmation) is neither a
// regression nor a head start on stableFor for this one.
func (rt *runtimeState) faultPoll(f *FaultState) *pollState {
	if p := rt.probes[f.ID]; p != nil && sameTime(p.injectedAt, f.InjectedAt) {
		return p
	}
	return nil
}

type backoff struct {
	next  time.Time
	delay time.Duration
}

func newRuntime() runtimeState {
	return runtimeState{probes: map[string]*pollState{}, alerts: map[string]*pollState{}, watches: map[string]*watchState{}, rounds: map[string]*checkRound{}, injectRetry: map[string]time.Duration{}, revertRetry: map[string]*backoff{}}
}

func (b *backoff) fail(now time.Time) {
	if b.delay == 0 {
		b.delay = revertRetryBase
	} else if b.delay *= 2; b.delay > revertRetryMax {
		b.delay = revertRetryMax
	}
	b.next = now.Add(b.delay)
}

// actionKind orders the work due at the same instant: reverts first, then
// the cap, faults, scripted messages, hints, probes and the end.
type actionKind int

const (
	actRevert actionKind = iota
	actSettleIntent
	actCap
	actFault
	actInject
	actFollowUp
	actHint
	actHeal
	actRecur
	actProbe
	actAlert
	actAlertScript
	actWatch
	actAutoEnd
	actAutoRetro
	actBriefing
)

type action struct {
	kind actionKind
	at   time.Time
	idx  int
}

// revertWanted reports whether the fault must be reverted now that the
// drill is where it is.
func (e *Engine) revertWanted(d *Drill, f *FaultState) bool {
	if f.Phase == FaultReverting {
		return true
	}
	switch d.State {
	case StateAborted:
		return true
	case StateEnded, StateRetro, StateClosed:
		if f.Phase == FaultInjecting {
			return true
		}
		for _, sf := range d.Scenario.Faults {
			if sf.ID == f.ID {
				return sf.AutoRevertAtEnd == nil || *sf.AutoRevertAtEnd
			}
		}
		return true
	}
	return false
}

// plan returns the first action due at wall time now, and the wall time of
// the earliest action not yet due. The caller holds r.op and r.mu.
func (e *Engine) plan(r *drillRun, now time.Time) (best *action, wake time.Time, hasWake bool) {
	d := r.d
	el := d.Elapsed(now)
	consider := func(kind actionKind, at time.Time, idx int) {
		if !at.After(now) {
			if best == nil || at.Before(best.at) || at.Equal(best.at) && kind < best.kind {
				best = &action{kind: kind, at: at, idx: idx}
			}
			return
		}
		if !hasWake || at.Before(wake) {
			wake, hasWake = at, true
		}
	}
	toWall := func(due time.Duration) time.Time {
		wall := math.Ceil(float64(due-el) / d.TimeScale)
		return now.Add(time.Duration(wall))
	}
	retryAt := func(id string) time.Time {
		if b := r.rt.revertRetry[id]; b != nil {
			return b.next
		}
		return now
	}

	for i := range d.Faults {
		f := &d.Faults[i]
		switch {
		case f.Phase == FaultInjecting && len(f.Record) == 0:
			consider(actSettleIntent, now, i)
		case f.holdsRecord() && e.revertWanted(d, f):
			// Reverts are planned per object chain below.
		case f.Phase == FaultInjecting && d.Running():
			consider(actSettleIntent, retryAt(f.ID), i)
		}
	}
	if at, ok := e.revertDueAt(r, now); ok {
		consider(actRevert, at, 0)
	}
	if d.State == StateEnded {
		for i := range d.Faults {
			if d.Faults[i].holdsRecord() && e.revertWanted(d, &d.Faults[i]) {
				return best, wake, hasWake
			}
		}
		consider(actAutoRetro, now, 0)
	}
	if d.State == StateScheduled && d.ScheduledAt != nil {
		consider(actBriefing, *d.ScheduledAt, 0)
	}
	if !d.Running() {
		return best, wake, hasWake
	}

	consider(actCap, toWall(d.TimeLimit()), 0)
	for i := range d.Faults {
		if due, ok := d.faultDue(i, el); ok {
			if retry, ok := r.rt.injectRetry[d.Faults[i].ID]; ok && retry > due {
				due = retry
			}
			consider(actFault, toWall(due), i)
		}
	}
	for i := range d.Injects {
		if due, ok := d.injectDue(i, el); ok {
			consider(actInject, toWall(due), i)
		}
		if due, ok := d.followUpDue(i); ok {
			consider(actFollowUp, toWall(due), i)
		}
	}
	for i, h := range d.Hints {
		if h.GivenAt == nil && !h.Skipped {
			consider(actHint, toWall(h.At), i)
		}
	}
	for i := range d.Faults {
		if due, ok := d.healDue(i); ok {
			consider(actHeal, toWall(due), i)
		}
	}
	for i := range d.Faults {
		if due, ok := d.recurDue(i, el); ok {
			consider(actRecur, toWall(due), i)
		}
	}
	for i, f := range d.Faults {
		if f.Phase == FaultInEffect && len(d.Scenario.Faults[i].ResolvedWhen.Probes) > 0 {
			var next time.Time
			if p := r.rt.faultPoll(&d.Faults[i]); p != nil {
				next = p.next
			}
			if at, ok := r.checkDue(faultCheckKey(f.ID), next, now); ok {
				consider(actProbe, at, i)
			}
		}
	}
	for i, a := range d.Alerts {
		if armed, ok := d.alertPolled(i, el); ok {
			var next time.Time
			if p := r.rt.alerts[a.ID]; p != nil {
				next = p.next
			}
			if armed > el {
				next = toWall(armed)
			}
			if at, ok := r.checkDue(alertCheckKey(a.ID), next, now); ok {
				consider(actAlert, at, i)
			}
		}
		if due, step := d.alertDue(i); step != alertNone {
			consider(actAlertScript, toWall(due), i)
		}
	}
	for i := range d.Injects {
		if d.watching(i) {
			var next time.Time
			if w := r.rt.watches[d.Injects[i].ID]; w != nil {
				next = w.next
			}
			if at, ok := r.checkDue(watchCheckKey(d.Injects[i].ID), next, now); ok {
				consider(actWatch, at, i)
			}
		}
	}
	if d.resolvedAndNoticed() {
		consider(actAutoEnd, maxTime(now, r.rt.endAfter), 0)
	}
	return best, wake, hasWake
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// faultDue returns the drill time a pending fault fires (or is skipped, an
// extension whose condition failed). ok is false when its time is not known
// yet because it waits for another fault.
func (d *Drill) faultDue(i int, el time.Duration) (time.Duration, bool) {
	f := &d.Faults[i]
	if f.Phase != FaultPending {
		return 0, false
	}
	if f.FireRequestedAt != nil {
		return *f.FireRequestedAt, true
	}
	if f.RecurAt != nil {
		return *f.RecurAt, true // coming back: injected again at once
	}
	sf := d.Scenario.Faults[i]
	if sf.OnDemand {
		return 0, false // only when the facilitator fires it
	}
	if sf.After == nil {
		at := time.Duration(0)
		if sf.At != nil {
			at = sf.At.D()
		}
		if sf.IfResolvedBefore == nil {
			return at, true
		}
		// A time-triggered extension waits for every earlier fault.
		deadline := sf.IfResolvedBefore.D()
		last := time.Duration(0)
		for j := 0; j < i; j++ {
			p := &d.Faults[j]
			if p.Phase == FaultSkipped {
				continue
			}
			if p.ResolvedAt == nil {
				return deadline, true // skipped at the deadline unless resolved before
			}
			last = max(last, *p.ResolvedAt)
		}
		if last >= deadline {
			return last, true
		}
		return max(at, last), true
	}
	p, _ := d.Fault(sf.After.Fault)
	if p == nil || p.Phase == FaultSkipped || p.Phase == FaultFailed {
		return el, true // skipped now: the predecessor never ran
	}
	var trigger *time.Duration
	if sf.After.Event == scenarios.ChainInjected {
		trigger = p.InjectedAt
	} else if !d.recurPending(d.faultIndex(p.ID)) {
		trigger = p.ResolvedAt // a fix that may not stick is no trigger yet
	}
	if sf.IfResolvedBefore != nil {
		deadline := sf.IfResolvedBefore.D()
		if p.ResolvedAt == nil {
			return deadline, true
		}
		if *p.ResolvedAt >= deadline {
			return el, true
		}
	}
	if trigger == nil {
		return 0, false
	}
	return *trigger + sf.After.Delay.D(), true
}

// faultSkipReason returns why a due fault is skipped instead of injected,
// or "" when it is to be injected.
func (d *Drill) faultSkipReason(i int) string {
	f := &d.Faults[i]
	if f.FireRequestedAt != nil || f.RecurAt != nil {
		return ""
	}
	sf := d.Scenario.Faults[i]
	if c := sf.OnlyIf; c != nil && !d.holds(*c) {
		return "it fires only if " + c.Describe() + ", which was not so"
	}
	if c := sf.Unless; c != nil && d.holds(*c) {
		return "it fires unless " + c.Describe() + ", which was so"
	}
	if sf.After != nil {
		p, _ := d.Fault(sf.After.Fault)
		if p == nil || p.Phase == FaultSkipped || p.Phase == FaultFailed {
			return "its predecessor " + sf.After.Fault + " never ran"
		}
		if sf.IfResolvedBefore != nil && (p.ResolvedAt == nil || *p.ResolvedAt >= sf.IfResolvedBefore.D()) {
			return sf.After.Fault + " was not resolved before " + sf.IfResolvedBefore.String()
		}
		return ""
	}
	if sf.IfResolvedBefore != nil {
		for j := 0; j < i; j++ {
			p := &d.Faults[j]
			if p.Phase != FaultSkipped && (p.ResolvedAt == nil || *p.ResolvedAt >= sf.IfResolvedBefore.D()) {
				return p.ID + " was not resolved before " + sf.IfResolvedBefore.String()
			}
		}
	}
	return ""
}

// waitsOnDemand reports whether fault i is pending on an on-demand fault the
// facilitator has not fired: itself, or the start of its chain. Such a fault
// does not keep the drill from ending resolved.
func (d *Drill) waitsOnDemand(i int) bool {
	for steps := 0; steps <= len(d.Faults); steps++ {
		f := &d.Faults[i]
		if f.Phase != FaultPending || f.FireRequestedAt != nil {
			return false
		}
		sf := d.Scenario.Faults[i]
		if sf.OnDemand {
			return true
		}
		if sf.After == nil {
			return false
		}
		j := -1
		for k := range d.Faults {
			if d.Faults[k].ID == sf.After.Fault {
				j = k
			}
		}
		if j < 0 {
			return false
		}
		i = j
	}
	return false
}

// holds reports whether every part of condition c holds now.
func (d *Drill) holds(c scenarios.Condition) bool {
	if c.FaultActive != "" {
		f, _ := d.Fault(c.FaultActive)
		if f == nil || (f.Phase != FaultInEffect && f.Phase != FaultInjecting) {
			return false
		}
	}
	if c.FaultResolved != "" {
		f, _ := d.Fault(c.FaultResolved)
		if f == nil || f.ResolvedAt == nil {
			return false
		}
	}
	if c.NoticePosted != "" && d.firstNoticeFrom(c.NoticePosted, 0) == nil {
		return false
	}
	return true
}

// healDue returns the drill time an in-effect fault with a duration heals
// by itself.
func (d *Drill) healDue(i int) (time.Duration, bool) {
	f := &d.Faults[i]
	sf := d.Scenario.Faults[i]
	if sf.HealAfter == nil || f.Phase != FaultInEffect || f.InjectedAt == nil {
		return 0, false
	}
	return *f.InjectedAt + sf.HealAfter.D(), true
}

// hintWanted reports whether a hint stage still helps: some fault it is
// about is in effect and not resolved.
func (d *Drill) hintWanted(i int) bool {
	h := d.Scenario.Hints[i]
	for _, f := range d.Faults {
		if len(h.Faults) > 0 && !contains(h.Faults, f.ID) {
			continue
		}
		if f.Phase == FaultInEffect || f.Phase == FaultInjecting {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// scriptDue reports whether a scripted message or a hint is due at drill
// time el and not yet played. The natural end waits for it: the end is
// planned at one moment and journaled a little later, and a message due in
// between belongs to the drill, not after it.
func (d *Drill) scriptDue(el time.Duration) bool {
	for i := range d.Injects {
		if due, ok := d.injectDue(i, el); ok && due <= el {
			return true
		}
	}
	for _, h := range d.Hints {
		if h.GivenAt == nil && !h.Skipped && h.At <= el {
			return true
		}
	}
	return false
}

// resolvedAndNoticed reports the natural end: every fault settled and a
// resolution notice posted after the last fault was injected.
func (d *Drill) resolvedAndNoticed() bool {
	last := d.lastInjected()
	if last == nil {
		return false
	}
	for i := range d.Faults {
		if !d.Faults[i].settled() && !d.waitsOnDemand(i) || d.recurPending(i) {
			return false
		}
	}
	for _, n := range d.Notices {
		if n.Kind == scenarios.NoticeResolution && n.At >= *last {
			return true
		}
	}
	return false
}

// NextWake returns the wall time at which the drill next has work due, if
// any. A manual engine's caller advances the clock to it and calls RunDue.
func (e *Engine) NextWake(id string) (time.Time, bool) {
	e.mu.Lock()
	r, ok := e.drills[id]
	e.mu.Unlock()
	if !ok {
		return time.Time{}, false
	}
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	now := e.clock.Now()
	best, wake, ok := e.plan(r, now)
	if best != nil {
		return now, true
	}
	return wake, ok
}

// RunDue runs all work of the drill that is due at the clock's current
// time. The background loop calls it; so do tests of a manual engine.
func (e *Engine) RunDue(ctx context.Context, id string) error {
	r, err := e.run(ctx, id)
	if err != nil {
		return err
	}
	return e.reconcile(ctx, r)
}

// reconcile performs the actions due when it starts, one at a time, until
// none of them is left. Every action changes what plan returns at the
// pass's start or schedules itself after it (backing off when it fails),
// so a pass ends; the step limit only guards against a bug. Failures
// that are retried later are logged, not returned; a journal write failure
// stops the pass and is returned.
func (e *Engine) reconcile(ctx context.Context, r *drillRun) error {
	r.op.Lock()
	defer r.op.Unlock()
	// A pass does the work due when it starts. Work that falls due during
	// it — a probe polled more often than it answers at a high time scale —
	// is the next pass's, so that every pass ends and whoever waits for
	// r.op (the facilitator firing a fault now) gets it in between.
	start := e.clock.Now()
	for step := 0; step < reconcileStepLimit; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.lockUrgent(r)
		e.sweepChecks(r, e.clock.Now())
		a, _, _ := e.plan(r, start)
		r.mu.Unlock()
		if a == nil {
			return nil
		}
		if err := e.do(ctx, r, a); err != nil {
			return err
		}
	}
	return injectors.Errorf(injectors.EINTERNAL, "drill %s: reconcile did not settle after %d steps", r.d.ID, reconcileStepLimit)
}
