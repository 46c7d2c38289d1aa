package rehearse_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

func chained(t *testing.T) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load("testdata/chained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Faults resolved by hand only have no probe to read: the target is still
// given the least stable time (--settle-stable) before the level, and the
// report names each fault not checked instead of claiming "0 probe(s)
// held" after 0s.
func TestSettle_faultsWithoutProbesStillWaitTheStableTime(t *testing.T) {
	s := chained(t)
	for i := range s.Faults {
		s.Faults[i].ResolvedWhen = scenarios.ResolvedWhen{Manual: true}
	}
	h := controltest.NewHarness(t)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	reh, err := startSettled(t, r, h, rehearse.Options{DrillID: "manual", Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
		Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	st := reh.Settled()
	if !st.Healthy || st.WaitedMs != 5000 {
		t.Fatalf("settle %+v, want healthy after the 5s least stable time", st)
	}
	want := []string{"fault web-down has no resolvedWhen probe: not checked", "fault cron-off has no resolvedWhen probe: not checked"}
	if strings.Join(st.Unchecked, "|") != strings.Join(want, "|") {
		t.Fatalf("unchecked %q, want %q", st.Unchecked, want)
	}
	rep := playLevel(t, h, reh)
	c := check(t, rep, "target settled")
	if !strings.Contains(c.Message, "after 5s") || !strings.Contains(c.Message, want[0]) || !strings.Contains(c.Message, want[1]) {
		t.Errorf("target settled: %q, want the 5s wait and each fault not checked", c.Message)
	}
}

// A probe call that gives no answer is a failed poll, as in a drill
// (Engine.faultChecked): it neither resets the time the probe has held
// nor counts as holding. web-down's probe holds from the first round,
// its call fails at the third, and the target is healthy at 5s, not 5s
// after the failed call.
func TestSettle_aFailedCallDoesNotResetTheTimeHeld(t *testing.T) {
	s := chained(t)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	var once sync.Once
	h.Injector.AfterProbe = func() {
		if len(h.Injector.Calls("probe")) == 4 { // the end of the second round
			once.Do(func() { h.Injector.FailNextFor("probe", "web-down", errors.New("the API server is away")) })
		}
	}
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	reh, err := startSettled(t, r, h, rehearse.Options{DrillID: "flaky", Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
		Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if st := reh.Settled(); !st.Healthy || st.WaitedMs != 5000 || st.Rounds != 6 {
		t.Fatalf("settle %+v, want healthy at 5s after 6 rounds: the failed call does not reset web-down's time held", st)
	}
}

// A probe holds from when its round's answer came, as in a drill (a
// check's answer is stamped when it arrives): with each call taking 300ms,
// the probes answer 600ms into every round, and must then hold 5s more.
func TestSettle_aProbeHoldsFromItsAnswer(t *testing.T) {
	s := chained(t)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	h.Injector.AfterProbe = func() { h.Clock.Step(300 * time.Millisecond) }
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	reh, err := startSettled(t, r, h, rehearse.Options{DrillID: "slow-answers", Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
		Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	// Rounds answer at 0.6s, 2.2s, 3.8s, 5.4s, 7.0s: the first answer
	// 5s or more after the one at 0.6s is the one at 7.0s.
	if st := reh.Settled(); !st.Healthy || st.WaitedMs != 7000 || st.Rounds != 5 {
		t.Fatalf("settle %+v, want healthy at 7s after 5 rounds", st)
	}
}

// A probe of a selector target without a kind is named cleanly.
func TestSettle_aSelectorProbeIsNamedCleanly(t *testing.T) {
	s := chained(t)
	s.Faults[0].ResolvedWhen.Probes[0].Target = scenarios.Target{Namespace: "shop", Selector: map[string]string{"app": "web", "tier": "front"}}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	reh, err := startSettled(t, r, h, rehearse.Options{DrillID: "selector", Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
		Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	want := "kubernetes/deployment-available (selector app=web,tier=front in shop)"
	if got := reh.Settled().Probes[0].Name; got != want {
		t.Fatalf("probe named %q, want %q", got, want)
	}
}

// cutProbes is the fake injector whose first probe call answers only when
// its context ends, and notes why it ended; later calls answer at once.
type cutProbes struct {
	*controltest.Injector
	entered chan struct{}
	mu      sync.Mutex
	asked   bool
	causes  []string
}

func (p *cutProbes) Probe(ctx context.Context, spec control.ProbeSpec) (injectors.ProbeResult, error) {
	p.mu.Lock()
	first := len(p.causes) == 0 && !p.asked
	p.asked = true
	p.mu.Unlock()
	if !first {
		return injectors.ProbeResult{OK: true, Detail: "healthy"}, nil
	}
	p.entered <- struct{}{}
	<-ctx.Done()
	p.mu.Lock()
	p.causes = append(p.causes, context.Cause(ctx).Error())
	p.mu.Unlock()
	return injectors.ProbeResult{}, ctx.Err()
}

// A round whose probe hangs is cut at the settle timeout, not at the
// probe deadline (10s, past the 3s timeout): the wait never outlasts
// --settle-timeout by a whole round.
func TestSettle_aHangingRoundIsCutAtTheTimeout(t *testing.T) {
	fake := controltest.NewInjector()
	inj := &cutProbes{Injector: fake, entered: make(chan struct{}, 4)}
	h := openEngine(t, inj, fake)
	h.Engine.ProbeTimeout = 10 * time.Second
	s := chained(t)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	type answer struct {
		st  *rehearse.Settle
		err error
	}
	done := make(chan answer, 1)
	go func() {
		st, err := r.Settle(h.Ctx, rehearse.Options{Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
			Settle: &rehearse.SettleOptions{Timeout: 3 * time.Second, Stable: time.Second}})
		done <- answer{st, err}
	}()
	<-inj.entered
	h.Clock.Step(3 * time.Second) // the settle timeout
	h.Clock.Step(7 * time.Second) // the probe deadline, for a wait not cut at the timeout
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	inj.mu.Lock()
	causes := inj.causes
	inj.mu.Unlock()
	if len(causes) != 1 || causes[0] != "no answer before the settle timeout" {
		t.Errorf("the probe call ended for %q, want cut at the settle timeout", causes)
	}
	if a.st.Healthy || len(a.st.Probes) != 2 || a.st.Probes[0].Detail != "no answer before the settle timeout" {
		t.Fatalf("settle %+v, want not healthy, the round cut at the timeout", a.st)
	}
}

// A context cancelled while the settle waits for the next round ends it
// at once, with the cancellation's cause, without the clock moving.
func TestSettle_aCancelledContextReturnsPromptly(t *testing.T) {
	s := chained(t)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	h.Injector.Break("web-down")
	wc := waitClock{h.Clock, make(chan time.Duration, 1)}
	r := &rehearse.Runner{Engine: h.Engine, Clock: wc, Fixer: &fakeFixer{h: h}}
	ctx, cancel := context.WithCancelCause(h.Ctx)
	stop := errors.New("Ctrl-C")
	done := make(chan error, 1)
	go func() {
		_, err := r.Settle(ctx, rehearse.Options{Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60,
			Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
		done <- err
	}()
	<-wc.waits // the settle waits for its second round
	start := h.Clock.Now()
	cancel(stop)
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("settle ended with %v, want the cancellation's cause", err)
	}
	if n := len(h.Injector.Calls("probe")); n != 2 || !h.Clock.Now().Equal(start) {
		t.Fatalf("%d probe calls, clock moved %s: want one round and no wait", n, h.Clock.Since(start))
	}
}

// A fault whose stableFor, at the rehearsal's time scale, is not shorter
// than the settle timeout could never be found healthy in time: refused,
// naming the fault and both durations.
func TestCheckSettle_aStableForLongerThanTheTimeoutIsRefused(t *testing.T) {
	s := chained(t)
	played, err := s.ForPlay("", scenarios.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if err := rehearse.CheckSettle(played, 600, 5*time.Minute); err != nil {
		t.Fatalf("stableFor 2m at ×600 (0.2s) refused under a 5m timeout: %v", err)
	}
	err = rehearse.CheckSettle(played, 1, time.Minute)
	for _, want := range []string{"fault web-down of rehearsal-unit at medium", "stableFor 2m0s at time scale 1 is 2m0s of real time", "settle timeout 1m0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSettle: %v, want it to say %q", err, want)
		}
	}
}

// openEngine is a manual engine over a real SQLite file and inj, on a
// fake clock, for injectors the harness does not take.
func openEngine(t *testing.T, inj control.Injector, fake *controltest.Injector) *controltest.Harness {
	t.Helper()
	h := controltest.NewHarness(t) // for its clock
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := control.NewEngine(db, inj, h.Clock)
	e.Manual = true
	if err := e.Open(context.Background()); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); db.Close() })
	return &controltest.Harness{T: t, Ctx: context.Background(), Clock: h.Clock, Injector: fake, DB: db, Engine: e}
}
