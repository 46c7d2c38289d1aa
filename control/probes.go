package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Checks — a fault's resolvedWhen probes, an alert's check, the check of
// a cluster.changed inject — ask the plugin, which may be slow or hang on a
// busy API server. They run off the drill's loop: the loop starts a round
// of a check and goes on with the rest of the drill (scheduled faults,
// persona messages, hints, the cap), and the round's answer comes back to
// the loop as an input it takes like any other, when it still applies to
// the drill as the drill is then. At most one round of a check is in
// flight; stopping, pausing or ending the drill, and the fault or alert
// leaving the state the round was about, cancel it, and its answer is
// dropped.
const (
	// DefaultProbeConcurrency bounds the probe calls in flight across all
	// drills of an engine.
	DefaultProbeConcurrency = 16
	// DefaultProbeTimeout bounds one probe call, on the engine's clock. A
	// call that does not answer in time counts as a failed poll, retried
	// with the poll's backoff.
	DefaultProbeTimeout = 10 * time.Second
)

// checkRound is one round of a check in flight or answered. The fields
// below done are written by the round's goroutine before it closes done.
type checkRound struct {
	// current reports whether an answer of this round still applies to
	// drill d at wall time now: the drill runs and what the check is about
	// is still in the state the round began in.
	current func(d *Drill, now time.Time) bool
	cancel  context.CancelFunc
	// stale is set, under drillRun.op, once the round no longer applies:
	// its answer is dropped.
	stale bool
	done  chan struct{}

	at     time.Time // when the answer came, on the engine's clock
	ok     bool
	detail string
	checks []CheckResult
	err    error
}

func (c *checkRound) finished() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Keys of a drill's check rounds (runtimeState.rounds).
func faultCheckKey(id string) string { return "fault/" + id }
func alertCheckKey(id string) string { return "alert/" + id }
func watchCheckKey(id string) string { return "watch/" + id }

// startCheck starts a round of the probes ps under key, unless one is in
// flight, and returns at once: the round's goroutine pokes the drill's
// loop when it answered. The caller holds r.op.
func (e *Engine) startCheck(r *drillRun, key string, ps []scenarios.Probe, current func(*Drill, time.Time) bool) {
	if r.rt.rounds[key] != nil {
		return
	}
	parent := e.ctx
	if parent == nil {
		parent = context.Background()
	}
	// A pause between the round's start and its answer (the clock stood
	// still, then ran again) makes the answer late too.
	r.mu.Lock()
	run := r.d.ClockSince
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(parent)
	c := &checkRound{cancel: cancel, done: make(chan struct{}), current: func(d *Drill, now time.Time) bool {
		return d.ClockSince.Equal(run) && current(d, now)
	}}
	r.rt.rounds[key] = c
	r.checks.Add(1)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		c.ok, c.detail, c.checks, c.err = e.runProbes(ctx, ps)
		c.at = e.clock.Now()
		cancel()
		close(c.done)
		r.poke()
	}()
}

// takeCheck returns the answered round under key and forgets it. It
// returns nil while the round is in flight, when there is none, and when
// its answer no longer applies (then the check is polled again when due).
// A manual engine (tests stepping a fake clock) waits for the answer, so
// that a round's answer is taken in the pass that started it. The caller
// holds r.op.
func (e *Engine) takeCheck(ctx context.Context, r *drillRun, key string) (*checkRound, error) {
	c := r.rt.rounds[key]
	if c == nil {
		return nil, nil
	}
	if e.Manual {
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if !c.finished() {
		return nil, nil
	}
	e.forgetCheck(r, key)
	if c.stale {
		return nil, nil
	}
	return c, nil
}

func (e *Engine) forgetCheck(r *drillRun, key string) {
	delete(r.rt.rounds, key)
	r.checks.Add(-1)
}

// sweepChecks cancels the rounds that no longer apply to the drill (it
// stopped or paused, the fault was resolved or reverted, the alert is
// over) and forgets those that answered. The caller holds r.op and r.mu.
func (e *Engine) sweepChecks(r *drillRun, now time.Time) {
	for key, c := range r.rt.rounds {
		if !c.stale && !c.current(r.d, now) {
			c.stale = true
			c.cancel()
		}
		if c.stale && c.finished() {
			e.forgetCheck(r, key)
		}
	}
}

// dropChecks cancels and forgets every round of a closed drill, answered
// or not: its loop stops, and nothing is left to take their answers. It
// takes r.op.
func (e *Engine) dropChecks(r *drillRun) {
	r.op.Lock()
	defer r.op.Unlock()
	for key, c := range r.rt.rounds {
		c.stale = true
		c.cancel()
		e.forgetCheck(r, key)
	}
}

// checkDue returns when the check under key is to be polled (or its
// answer taken): its next poll, now when it answered, and ok false while
// a round is in flight — its answer wakes the loop. The caller holds r.op.
func (r *drillRun) checkDue(key string, next, now time.Time) (time.Time, bool) {
	if c := r.rt.rounds[key]; c != nil {
		return now, c.finished()
	}
	if next.IsZero() {
		return now, true
	}
	return next, true
}

// ChecksInFlight returns how many checks of the drill (fault probes,
// alert checks, cluster watches) were started and not yet taken back by
// the drill's loop: 0 once every answer is in.
func (e *Engine) ChecksInFlight(id string) int {
	e.mu.Lock()
	r, ok := e.drills[id]
	e.mu.Unlock()
	if !ok {
		return 0
	}
	return int(r.checks.Load())
}

// probeInterval returns the polling interval of a set of probes in drill
// time: the shortest one, 10s by default.
func probeInterval(ps []scenarios.Probe) time.Duration {
	iv := time.Duration(0)
	for _, p := range ps {
		if d := p.Interval.D(); d > 0 && (iv == 0 || d < iv) {
			iv = d
		}
	}
	if iv == 0 {
		iv = defaultProbeInterval
	}
	return iv
}

func (d *Drill) wallAfter(now time.Time, drill time.Duration) time.Time {
	return now.Add(time.Duration(float64(drill) / d.TimeScale))
}

// errProbeDeadline is the cause of a probe call cancelled at its deadline.
var errProbeDeadline = errors.New("no answer before the probe deadline")

// runProbes evaluates every probe, each call bounded by the engine's
// probe deadline and concurrency; ok is true when all hold. checks holds
// each probe's result, in the scenario's order.
func (e *Engine) runProbes(ctx context.Context, ps []scenarios.Probe) (ok bool, detail string, checks []CheckResult, err error) {
	ok = true
	for _, p := range ps {
		spec, err := NewProbeSpec(p)
		if err != nil {
			return false, "", nil, err
		}
		res, err := e.probe(ctx, spec)
		if err != nil {
			return false, "", nil, fmt.Errorf("probe %s: %w", p.Probe, err)
		}
		name := p.Name
		if name == "" {
			name = p.Probe.String()
		}
		checks = append(checks, CheckResult{Name: name, OK: res.OK, Detail: res.Detail})
		if !res.OK {
			ok = false
			detail = name + ": " + res.Detail
		} else if ok {
			detail = name + ": " + res.Detail
		}
	}
	return ok, detail, checks, nil
}

// CheckProbes asks each probe once, as a drill's check does (bounded by
// the engine's probe deadline and concurrency), outside any drill: a
// rehearsal asks whether the target is healthy before it plays the next
// level. A probe that gives no answer counts as failing (NoAnswer, a
// failed poll), with the reason in its detail; the error is for a probe the engine cannot build or a
// context that ended. Results are in the order of ps, with no CheckedAt.
func (e *Engine) CheckProbes(ctx context.Context, ps []scenarios.Probe) ([]CheckResult, error) {
	out := make([]CheckResult, 0, len(ps))
	for _, p := range ps {
		spec, err := NewProbeSpec(p)
		if err != nil {
			return nil, err
		}
		name := p.Name
		if name == "" {
			name = p.Probe.String()
		}
		res, err := e.probe(ctx, spec)
		switch {
		case ctx.Err() != nil:
			return nil, context.Cause(ctx)
		case err != nil:
			out = append(out, CheckResult{Name: name, Detail: fmt.Sprintf("no answer: %v", err), NoAnswer: true})
		default:
			out = append(out, CheckResult{Name: name, OK: res.OK, Detail: res.Detail})
		}
	}
	return out, nil
}

// probe makes one probe call once a slot of the engine's probe
// concurrency is free, cancelled at the probe deadline on the engine's
// clock.
func (e *Engine) probe(ctx context.Context, spec ProbeSpec) (res injectors.ProbeResult, err error) {
	if e.probeSlots != nil {
		select {
		case e.probeSlots <- struct{}{}:
			defer func() { <-e.probeSlots }()
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	timeout := e.ProbeTimeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var t clock.Timer
	if c, ok := e.clock.(clock.WithDelayedExecution); ok {
		t = c.AfterFunc(timeout, func() { cancel(errProbeDeadline) })
	} else {
		t = e.clock.NewTimer(timeout)
		go func() {
			select {
			case <-t.C():
				cancel(errProbeDeadline)
			case <-pctx.Done():
			}
		}()
	}
	defer t.Stop()
	res, err = e.injector.Probe(pctx, spec)
	if err != nil && errors.Is(context.Cause(pctx), errProbeDeadline) {
		err = fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return res, err
}

// probeFault polls a fault's resolvedWhen probes: it starts a round, or
// takes the answer of the round in flight. The fault is resolved once
// they have held continuously for stableFor.
func (e *Engine) probeFault(ctx context.Context, r *drillRun, i int) error {
	r.mu.Lock()
	f := r.d.Faults[i]
	rw := r.d.Scenario.Faults[i].ResolvedWhen
	r.mu.Unlock()
	key := faultCheckKey(f.ID)
	injectedAt := dup(f.InjectedAt)
	e.startCheck(r, key, rw.Probes, func(d *Drill, _ time.Time) bool {
		g := &d.Faults[i]
		return d.Running() && g.Phase == FaultInEffect && sameTime(g.InjectedAt, injectedAt)
	})
	c, err := e.takeCheck(ctx, r, key)
	if c == nil {
		return err
	}
	return e.faultChecked(ctx, r, i, c)
}

func sameTime(a, b *time.Duration) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// faultChecked takes the answer of a round of fault i's probes: it
// records what they saw and whether the fault recovers, regressed or is
// resolved. The caller holds r.op.
func (e *Engine) faultChecked(ctx context.Context, r *drillRun, i int, c *checkRound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	fs := &d.Faults[i]
	rw := d.Scenario.Faults[i].ResolvedWhen
	ps := r.rt.faultPoll(fs)
	if ps == nil {
		ps = &pollState{injectedAt: dup(fs.InjectedAt)}
		r.rt.probes[fs.ID] = ps
	}
	interval := probeInterval(rw.Probes)
	now := c.at
	if !c.current(d, e.clock.Now()) {
		return nil // stopped, paused or settled since: the answer is late
	}
	if c.err != nil {
		ps.failed(d, now, interval)
		ps.detail = c.err.Error()
		e.logf("drill %s: fault %s: %v", d.ID, fs.ID, c.err)
		return nil
	}
	ps.failures, ps.detail = 0, c.detail
	el := d.Elapsed(now)
	checks := c.checks
	for j := range checks {
		checks[j].CheckedAt = el
	}
	fs.Checks = checks
	ps.next = d.wallAfter(now, interval)
	if !c.ok {
		regressed := ps.since != nil || fs.RecoveringAt != nil
		ps.since = nil
		if regressed {
			_, err := e.appendLocked(ctx, r, pending{Type: EventFaultRegressed, Actor: ActorEngine, Payload: FaultEvent{FaultID: fs.ID, Detail: c.detail}})
			return err
		}
		return nil
	}
	var evs []pending
	if ps.since == nil {
		t := el
		ps.since = &t
		if fs.RecoveringAt == nil {
			evs = append(evs, pending{Type: EventFaultRecovering, Actor: ActorEngine, Payload: FaultEvent{FaultID: fs.ID, Detail: c.detail}})
		}
	}
	stable := rw.StableFor.D()
	// With the probes satisfied, a resolution that needs a participant's
	// confirmation waits for it, checking on.
	unconfirmed := rw.NeedsConfirmation() && fs.ConfirmedAt == nil
	if el-*ps.since >= stable && !unconfirmed {
		evs = append(evs, pending{Type: EventFaultResolved, Actor: ActorEngine, Payload: FaultEvent{FaultID: fs.ID, By: "probe", Detail: c.detail}})
		delete(r.rt.probes, fs.ID)
	} else if left := *ps.since + stable - el; left > 0 && left < interval {
		ps.next = d.wallAfter(now, left)
	}
	if len(evs) == 0 {
		return nil
	}
	_, err := e.appendLocked(ctx, r, evs...)
	return err
}

// evalAlert polls an alert's check — it starts a round, or takes the
// answer of the round in flight — and posts firing and resolved messages
// as the alerting persona, the way monitoring tells participants.
func (e *Engine) evalAlert(ctx context.Context, r *drillRun, i int) error {
	r.mu.Lock()
	a := r.d.Scenario.Alerts[i]
	r.mu.Unlock()
	key := alertCheckKey(a.ID)
	e.startCheck(r, key, []scenarios.Probe{a.Probe}, func(d *Drill, now time.Time) bool {
		el := d.Elapsed(now)
		armed, polled := d.alertPolled(i, el)
		return d.Running() && polled && armed <= el
	})
	c, err := e.takeCheck(ctx, r, key)
	if c == nil {
		return err
	}
	return e.alertChecked(ctx, r, i, c)
}

// alertChecked takes the answer of a round of alert i's check. The caller
// holds r.op.
func (e *Engine) alertChecked(ctx context.Context, r *drillRun, i int, c *checkRound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	a := d.Scenario.Alerts[i]
	ps := r.rt.alerts[a.ID]
	if ps == nil {
		ps = &pollState{}
		r.rt.alerts[a.ID] = ps
	}
	interval := probeInterval([]scenarios.Probe{a.Probe})
	now := c.at
	if !c.current(d, e.clock.Now()) {
		return nil // stopped or paused since, or its until event came
	}
	if c.err != nil {
		ps.failed(d, now, interval)
		e.logf("drill %s: alert %s: %v", d.ID, a.ID, c.err)
		return nil
	}
	ps.failures = 0
	ps.next = d.wallAfter(now, interval)
	st := d.Alerts[i]
	el := d.Elapsed(now)
	if c.ok {
		ps.since = nil
		if !st.Firing {
			return nil
		}
		_, err := e.appendLocked(ctx, r, e.alertResolved(d, i, "", c.detail)...)
		return err
	}
	if ps.since == nil {
		t := el
		ps.since = &t
	}
	if st.Firing {
		return nil
	}
	if left := *ps.since + a.For.D() - el; left > 0 {
		if left < interval {
			ps.next = d.wallAfter(now, left)
		}
		return nil
	}
	_, err := e.appendLocked(ctx, r,
		pending{Type: EventAlertFiring, Actor: ActorEngine, Payload: AlertEvent{AlertID: a.ID, Detail: c.detail}},
		e.personaMessage(d, a.Persona, a.Channel, firingText(a, c.detail), "alert:"+a.ID))
	return err
}
