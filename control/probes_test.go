package control_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// hangingProbes is the fake injector whose probe calls hang, as on an API
// server too busy to answer, until the test lets one answer: each token on
// release lets one call answer that its fault is healthy. A call does not
// heed its context, the way a plugin that answers late does not.
type hangingProbes struct {
	*controltest.Injector
	calls   atomic.Int32
	release chan struct{}
}

func (p *hangingProbes) Probe(ctx context.Context, spec control.ProbeSpec) (injectors.ProbeResult, error) {
	p.calls.Add(1)
	<-p.release
	return injectors.ProbeResult{OK: true, Detail: "healthy (a late answer)"}, nil
}

// loopHarness runs an engine with its drills' own loops (not Manual) on a
// fake clock over the injector inj; configure adjusts it before Open.
func loopHarness(t *testing.T, inj control.Injector, fake *controltest.Injector, configure func(*control.Engine)) *controltest.Harness {
	t.Helper()
	clk := clocktesting.NewFakeClock(controltest.Start)
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/firedrill.db")
	if err != nil {
		t.Fatal(err)
	}
	e := control.NewEngine(db, inj, clk)
	if configure != nil {
		configure(e)
	}
	if err := e.Open(context.Background()); err != nil {
		db.Close()
		t.Fatal(err)
	}
	h := &controltest.Harness{T: t, Ctx: context.Background(), Clock: clk, Injector: fake, DB: db, Engine: e}
	t.Cleanup(h.Close)
	return h
}

// A probe that hangs holds up nothing else of the drill: with the fault's
// resolution probe and the alert's check hanging from the start, the
// engine's own loop posts the inquiry at 5m, gives the first hint at 70m
// and ends the drill at its 90m cap, each on time, and reverts the faults.
// The probes' answers, when they come after the end, change nothing.
func TestProbes_aHangingProbeHoldsUpNothingElse(t *testing.T) {
	inj := &hangingProbes{Injector: controltest.NewInjector(), release: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, func(e *control.Engine) { e.ProbeTimeout = 3 * time.Hour })
	t.Cleanup(func() { close(inj.release) }) // before the engine closes: its Close waits for the calls
	id := startDrill(t, h, controltest.PaymentScenario())

	waitFor(t, "the layered faults are injected", func() bool { return inj.BrokenFaults() == 2 })
	// db-config's resolution probe and the payment-5xx alert's check.
	waitFor(t, "both checks are in flight", func() bool { return h.Engine.ChecksInFlight(id) == 2 && inj.calls.Load() == 2 })

	for _, step := range []struct {
		at        time.Duration
		what, typ string
		match     string
	}{
		{5 * m, "the customer-center inquiry", control.EventInjectPosted, `"injectId":"cc-inquiry"`},
		{70 * m, "the first hint", control.EventHintGiven, `"hintId":"h1"`},
		{90 * m, "the cap", control.EventDrillEnded, `"reason":"cap"`},
	} {
		h.Clock.SetTime(controltest.Start.Add(step.at))
		waitFor(t, step.what+" at "+step.at.String(), func() bool { return len(h.EventTimes(id, step.typ, step.match)) > 0 })
		at(t, h, id, step.typ, step.match, step.at)
	}
	waitFor(t, "the faults are reverted", func() bool { return inj.BrokenFaults() == 0 })
	waitFor(t, "the retro opens", func() bool { return h.Drill(id).State == control.StateRetro })
	if n := inj.calls.Load(); n != 2 {
		t.Fatalf("%d probe calls, want 2: a check has at most one round in flight", n)
	}

	before := len(h.Events(id))
	inj.release <- struct{}{}
	inj.release <- struct{}{}
	waitFor(t, "the loop took the late answers back", func() bool { return h.Engine.ChecksInFlight(id) == 0 })
	if evs := h.Events(id); len(evs) != before {
		t.Fatalf("the late answers appended %d events to the ended drill: %s", len(evs)-before, evs[before].Type)
	}
	if f := fault(t, h.Drill(id), "db-config"); f.Phase != control.FaultReverted || f.ResolvedAt != nil || f.RecoveringAt != nil || len(f.Checks) > 0 {
		t.Fatalf("db-config is %s (resolved at %v, recovering at %v, checks %v): a late answer changed it", f.Phase, f.ResolvedAt, f.RecoveringAt, f.Checks)
	}
	if got := h.EventTimes(id, control.EventAlertFiring, ""); len(got) > 0 {
		t.Fatalf("the alert fired at %v on a check that never answered in the drill", got)
	}
}

// Closing a drill while its checks are still out (their calls hang) leaves
// none of them counted: the closed drill's loop stops, and with it what
// would have taken their answers back.
func TestProbes_aClosedDrillHasNoChecksInFlight(t *testing.T) {
	inj := &hangingProbes{Injector: controltest.NewInjector(), release: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, func(e *control.Engine) { e.ProbeTimeout = 3 * time.Hour })
	t.Cleanup(func() { close(inj.release) })
	id := startDrill(t, h, controltest.PaymentScenario())
	waitFor(t, "both checks are in flight", func() bool { return h.Engine.ChecksInFlight(id) == 2 && inj.calls.Load() == 2 })

	if err := h.Engine.End(h.Ctx, id, "fiona", "enough"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the faults are reverted", func() bool { return inj.BrokenFaults() == 0 })
	waitFor(t, "the retro opens", func() bool { return h.Drill(id).State == control.StateRetro })
	if err := h.Engine.CloseDrill(h.Ctx, id, "fiona"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no check of the closed drill is counted", func() bool { return h.Engine.ChecksInFlight(id) == 0 })
}

// An answer of a round begun before a pause is dropped: the drill's clock
// stood still while it was out. The round that follows it, after the
// resume, is the one whose answer counts.
func TestProbes_anAnswerFromBeforeAPauseIsDropped(t *testing.T) {
	inj := &hangingProbes{Injector: controltest.NewInjector(), release: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, func(e *control.Engine) { e.ProbeTimeout = 3 * time.Hour })
	t.Cleanup(func() { close(inj.release) })
	s := controltest.PaymentScenario()
	s.Alerts = nil // one check: db-config's probe
	id := startDrill(t, h, s)
	waitFor(t, "db-config's probe is in flight", func() bool { return h.Engine.ChecksInFlight(id) == 1 && inj.calls.Load() == 1 })

	h.Clock.SetTime(controltest.Start.Add(m))
	if err := h.Engine.Pause(h.Ctx, id, "fiona", "a real incident"); err != nil {
		t.Fatal(err)
	}
	h.Clock.SetTime(controltest.Start.Add(11 * m))
	if err := h.Engine.Resume(h.Ctx, id, "fiona"); err != nil {
		t.Fatal(err)
	}
	if n := inj.calls.Load(); n != 1 {
		t.Fatalf("%d probe calls, want 1: the paused round is still out", n)
	}
	inj.release <- struct{}{} // the round from before the pause answers
	waitFor(t, "a new round starts", func() bool { return inj.calls.Load() == 2 })
	if got := h.EventTimes(id, control.EventFaultRecovering, ""); len(got) > 0 {
		t.Fatalf("fault.recovering at %v from a round begun before the pause", got)
	}
	inj.release <- struct{}{} // the round after the resume answers
	waitFor(t, "its answer is taken", func() bool { return len(h.EventTimes(id, control.EventFaultRecovering, "")) == 1 })
	at(t, h, id, control.EventFaultRecovering, `"faultId":"db-config"`, m)
}

// A probe call that does not answer is cut at the probe deadline on the
// engine's clock, counted as a failed poll and tried again.
func TestProbes_aHangingCallIsCutAtItsDeadline(t *testing.T) {
	fake := controltest.NewInjector()
	inj := &deadlineProbes{Injector: fake}
	var logs controltest.SyncBuffer
	h := loopHarness(t, inj, fake, func(e *control.Engine) {
		e.ProbeTimeout = 20 * time.Second
		e.Logf = func(format string, args ...any) {
			logs.Write([]byte(strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n"))
		}
	})
	s := controltest.PaymentScenario()
	s.Alerts = nil
	id := startDrill(t, h, s)
	waitFor(t, "db-config's probe is in flight", func() bool { return h.Engine.ChecksInFlight(id) == 1 && inj.calls.Load() == 1 })
	h.Clock.SetTime(controltest.Start.Add(20 * time.Second))
	waitFor(t, "the cut call is logged", func() bool { return strings.Contains(logs.String(), "no answer within 20s") })
	// Backoff: twice the 10s interval after the first failure.
	h.Clock.SetTime(controltest.Start.Add(40 * time.Second))
	waitFor(t, "the probe is tried again", func() bool { return inj.calls.Load() == 2 })
}

// deadlineProbes is the fake injector whose probe calls answer only when
// their context ends.
type deadlineProbes struct {
	*controltest.Injector
	calls atomic.Int32
}

func (p *deadlineProbes) Probe(ctx context.Context, spec control.ProbeSpec) (injectors.ProbeResult, error) {
	p.calls.Add(1)
	<-ctx.Done()
	return injectors.ProbeResult{}, ctx.Err()
}

// ProbeConcurrency bounds the probe calls in flight: with one slot, the
// alert's check waits for the fault's probe to answer before it is sent.
func TestProbes_concurrencyIsBounded(t *testing.T) {
	inj := &hangingProbes{Injector: controltest.NewInjector(), release: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, func(e *control.Engine) {
		e.ProbeConcurrency = 1
		e.ProbeTimeout = 3 * time.Hour
	})
	t.Cleanup(func() { close(inj.release) })
	id := startDrill(t, h, controltest.PaymentScenario())
	waitFor(t, "both checks are started", func() bool { return h.Engine.ChecksInFlight(id) == 2 && inj.calls.Load() == 1 })
	// Nothing answers without a token: one call is out, the other waits.
	if n := inj.calls.Load(); n != 1 {
		t.Fatalf("%d probe calls in flight, want 1 (ProbeConcurrency)", n)
	}
	inj.release <- struct{}{}
	waitFor(t, "the waiting check is sent once the slot is free", func() bool { return inj.calls.Load() == 2 })
}

// gatedProbes answers its first probe call with what it saw when asked,
// but only once the test releases it: an answer that comes late.
type gatedProbes struct {
	*controltest.Injector
	calls   atomic.Int32
	release chan struct{}
}

func (p *gatedProbes) Probe(ctx context.Context, spec control.ProbeSpec) (injectors.ProbeResult, error) {
	res, err := p.Injector.Probe(ctx, spec)
	if p.calls.Add(1) == 1 {
		<-p.release
	}
	return res, err
}

// watchScenario is the payment drill whose only check is the one of a
// cluster.changed inject "who", which looks every interval at what fault
// breaks.
func watchScenario(fault string, interval time.Duration) *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Alerts = nil
	for i := range s.Faults {
		s.Faults[i].ResolvedWhen = scenarios.ResolvedWhen{Manual: true}
	}
	watch := scenarios.Probe{Probe: scenarios.InjectorRef{Plugin: "fake", Type: "state"}, Params: map[string]any{"fault": fault}, Interval: scenarios.Duration(interval)}
	s.Injects = append(s.Injects, scenarios.Inject{ID: "who", On: &scenarios.EventTrigger{Event: scenarios.OnClusterChanged, Check: &watch}, Persona: "cto", Channel: "incident", Text: "Who changed " + fault + "?"})
	return s
}

// A cluster.changed check that looked before the drill itself changed the
// cluster (a fault fired while the check was out) answers what the
// participants did not do: the answer is dropped, the baseline is taken
// again after the change, and no persona asks who changed it.
func TestProbes_aWatchThatLookedBeforeAFaultFiredIsDropped(t *testing.T) {
	inj := &gatedProbes{Injector: controltest.NewInjector(), release: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, nil)
	t.Cleanup(func() { close(inj.release) })
	s := watchScenario("cache-evict", 10*time.Second)
	id := startDrill(t, h, s)
	waitFor(t, "the watch's first look is out", func() bool { return inj.calls.Load() == 1 && h.Engine.ChecksInFlight(id) == 1 })

	if err := h.Engine.FireFaultNow(h.Ctx, id, "cache-evict", "fiona"); err != nil {
		t.Fatal(err)
	}
	inj.release <- struct{}{} // "cache-evict is healthy", seen before the fire
	waitFor(t, "the watch looks again and takes its baseline", func() bool { return inj.calls.Load() == 2 && h.Engine.ChecksInFlight(id) == 0 })
	h.Clock.SetTime(controltest.Start.Add(10 * time.Second))
	waitFor(t, "the watch compares with its baseline", func() bool { return inj.calls.Load() == 3 && h.Engine.ChecksInFlight(id) == 0 })
	if got := h.EventTimes(id, control.EventInjectTriggered, `"injectId":"who"`); len(got) > 0 {
		t.Fatalf("inject.triggered at %v: the drill's own fire was taken for a participant's change", got)
	}
}

// revertPeek is the fake injector whose gated probe call, once armed,
// looks at the world only when the drill reverts a fault, and answers only
// when the test releases it: a slow check that saw a fault reverted
// before it was injected again.
type revertPeek struct {
	*controltest.Injector
	armed  atomic.Bool
	calls  atomic.Int32
	look   chan struct{} // the revert lets the gated call look
	looked chan struct{} // the gated call looked
	answer chan struct{} // the test lets it answer
}

func (p *revertPeek) Probe(ctx context.Context, spec control.ProbeSpec) (injectors.ProbeResult, error) {
	p.calls.Add(1)
	if !p.armed.CompareAndSwap(true, false) {
		return p.Injector.Probe(ctx, spec)
	}
	<-p.look
	res, err := p.Injector.Probe(ctx, spec)
	p.looked <- struct{}{}
	<-p.answer
	return res, err
}

func (p *revertPeek) Revert(ctx context.Context, plugin string, rec []byte) error {
	if err := p.Injector.Revert(ctx, plugin, rec); err != nil {
		return err
	}
	select {
	case p.look <- struct{}{}:
		<-p.looked
	default: // no gated call waits
	}
	return nil
}

// A cluster.changed check that looked while a fault which comes back was
// reverted, and answered once the drill had injected it again, saw the
// drill's own doing: its answer is dropped, though the fault had been
// injected and reverted before. (The drill's loop cancels the round as
// soon as the revert begins; the round's own epoch guard would drop it
// too.)
func TestProbes_aWatchThatLookedAcrossAComebackIsDropped(t *testing.T) {
	inj := &revertPeek{Injector: controltest.NewInjector(), look: make(chan struct{}), looked: make(chan struct{}), answer: make(chan struct{})}
	h := loopHarness(t, inj, inj.Injector, nil)
	t.Cleanup(func() { close(inj.answer) })
	s := watchScenario("coupon-flag", time.Minute)
	// coupon-flag heals 4m30s after each injection and comes back 20s
	// later, twice, while db-config is active: healed at 4m30s, back at
	// 4m50s, healed at 9m20s, back at 9m40s.
	heal := scenarios.Duration(4*time.Minute + 30*time.Second)
	s.Faults[1].HealAfter = &heal
	s.Faults[1].Recurs = &scenarios.Recurrence{While: scenarios.Condition{FaultActive: "db-config"}, After: scenarios.Duration(20 * time.Second), Times: 2}
	id := startDrill(t, h, s)
	// set moves the clock to drill time d and waits for what the loop did
	// there.
	set := func(d time.Duration, what string, done func() bool) {
		t.Helper()
		h.Clock.SetTime(controltest.Start.Add(d))
		waitFor(t, what+" at "+d.String(), done)
	}
	looks := func(n int32) func() bool {
		return func() bool { return inj.calls.Load() == n && h.Engine.ChecksInFlight(id) == 0 }
	}
	events := func(typ string, n int) func() bool {
		return func() bool { return len(h.EventTimes(id, typ, `"faultId":"coupon-flag"`)) == n }
	}
	// One look a minute, each answered at once; the heal and the comeback
	// between two looks.
	for n := 0; n <= 4; n++ {
		set(time.Duration(n)*time.Minute, "the watch's look", looks(int32(n+1)))
	}
	set(4*time.Minute+30*time.Second, "the heal", events(control.EventFaultReverted, 1))
	set(4*time.Minute+50*time.Second, "the comeback", events(control.EventFaultInjected, 2))
	for n := 5; n <= 8; n++ {
		set(time.Duration(n)*time.Minute, "the watch's look", looks(int32(n+1)))
	}

	inj.armed.Store(true)
	set(9*time.Minute, "the watch's look is out", func() bool { return inj.calls.Load() == 10 && h.Engine.ChecksInFlight(id) == 1 })
	set(9*time.Minute+20*time.Second, "the heal, looked at while reverted", events(control.EventFaultReverted, 2))
	set(9*time.Minute+40*time.Second, "the second comeback", events(control.EventFaultInjected, 3))
	inj.answer <- struct{}{} // "coupon-flag is healthy", seen while reverted
	waitFor(t, "the loop took the answer back", func() bool { return h.Engine.ChecksInFlight(id) == 0 })
	h.Engine.NextWake(id) // waits for the loop's pass that took it
	if got := h.EventTimes(id, control.EventInjectTriggered, `"injectId":"who"`); len(got) > 0 {
		t.Fatalf("inject.triggered at %v (%s): the drill's own heal and comeback were taken for a participant's change", got, h.Drill(id).Injects[len(s.Injects)-1].TriggerDetail)
	}
}

// CheckProbes asks probes outside any drill, in order: one that holds, one
// whose fault is in effect, and one whose call failed, which counts as
// failing with the reason rather than ending the check; a probe the engine
// cannot build is an error.
func TestProbes_checkProbesOutsideADrill(t *testing.T) {
	h := controltest.NewHarness(t)
	s := controltest.PaymentScenario()
	ps := []scenarios.Probe{s.Faults[0].ResolvedWhen.Probes[0], s.Faults[0].ResolvedWhen.Probes[0], s.Faults[0].ResolvedWhen.Probes[0]}
	ps[1].Params = map[string]any{"fault": "cache-evict"}
	ps[1].Name = ""
	h.Injector.Break("cache-evict")
	ps[2].Params = map[string]any{"fault": "late-batch"}
	h.Injector.FailNextFor("probe", "late-batch", fmt.Errorf("the API server is away"))
	got, err := h.Engine.CheckProbes(h.Ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	want := []control.CheckResult{
		{Name: "db-config-healthy", OK: true, Detail: "db-config is healthy"},
		{Name: "fake/healthy", OK: false, Detail: "cache-evict is broken"},
		{Name: "db-config-healthy", OK: false, Detail: "no answer: the API server is away", NoAnswer: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	bad := []scenarios.Probe{{Probe: scenarios.InjectorRef{Plugin: "fake", Type: "healthy"}, Params: map[string]any{"x": func() {}}}}
	if _, err := h.Engine.CheckProbes(h.Ctx, bad); err == nil {
		t.Fatal("a probe whose params cannot be encoded was asked")
	}
}

// CheckProbes with a probe whose call hangs is bounded by the engine's
// probe deadline on its clock: the call is cut there and counts as a
// failed poll (NoAnswer) with the reason, and the probes after it are
// still asked.
func TestProbes_checkProbesCutsAHangingCallAtTheDeadline(t *testing.T) {
	fake := controltest.NewInjector()
	inj := &deadlineProbes{Injector: fake}
	h := loopHarness(t, inj, fake, func(e *control.Engine) { e.ProbeTimeout = 20 * time.Second })
	s := controltest.PaymentScenario()
	ps := []scenarios.Probe{s.Faults[0].ResolvedWhen.Probes[0], s.Faults[0].ResolvedWhen.Probes[0]}
	type answer struct {
		res []control.CheckResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := h.Engine.CheckProbes(h.Ctx, ps)
		done <- answer{res, err}
	}()
	for i := int32(1); i <= 2; i++ {
		waitFor(t, fmt.Sprintf("probe call %d is out", i), func() bool { return inj.calls.Load() == i && h.Clock.HasWaiters() })
		h.Clock.Step(20 * time.Second)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	for _, r := range a.res {
		if r.OK || !r.NoAnswer || !strings.Contains(r.Detail, "no answer within 20s") {
			t.Errorf("%+v, want a failed poll cut at the 20s deadline", r)
		}
	}
	if len(a.res) != 2 {
		t.Fatalf("%d results, want 2", len(a.res))
	}
}
