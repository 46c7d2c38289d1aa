package rehearse_test

import (
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/scenarios"
)

// waitClock is the harness's fake clock that tells the test each time the
// runner waits on it, so that the test moves it by exactly that much: the
// settle's polls, on a clock no test waits for in real time.
type waitClock struct {
	*clocktesting.FakeClock
	waits chan time.Duration
}

func (c waitClock) After(d time.Duration) <-chan time.Time {
	ch := c.FakeClock.After(d)
	c.waits <- d
	return ch
}

// startSettled starts a rehearsal with o.Settle, moving the fake clock
// through every wait of the settle, and returns it or Start's error.
func startSettled(t *testing.T, r *rehearse.Runner, h *controltest.Harness, o rehearse.Options) (*rehearse.Rehearsal, error) {
	t.Helper()
	return drive(h, r, func() (*rehearse.Rehearsal, error) { return r.Start(h.Ctx, o) })
}

// drive runs fn with the runner on a waitClock and moves the clock by each
// wait until fn returns.
func drive[T any](h *controltest.Harness, r *rehearse.Runner, fn func() (T, error)) (T, error) {
	wc := waitClock{h.Clock, make(chan time.Duration)}
	r.Clock = wc
	defer func() { r.Clock = h.Clock }()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	for {
		select {
		case d := <-wc.waits:
			h.Clock.Step(d)
		case res := <-done:
			return res.v, res.err
		}
	}
}

// playLevel plays a started rehearsal on the fake clock as play does and
// reports it.
func playLevel(t *testing.T, h *controltest.Harness, reh *rehearse.Rehearsal) *rehearse.Report {
	t.Helper()
	for t0 := time.Duration(0); t0 <= 95*time.Minute; {
		h.AdvanceTo(reh.ID, t0)
		next, hasNext, done, err := reh.Step(h.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if t0 += 30 * time.Second; hasNext && next < t0 {
			t0 = next
		}
	}
	rep, err := reh.Report(h.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func textOf(rep *rehearse.Report) string {
	var b strings.Builder
	_ = rep.WriteText(&b)
	return b.String()
}

// Two levels in a row on one target whose web takes 40 seconds of real
// time to come back after its revert: the second level waits for it and
// then plays as on a fresh target (web-down resolved by its probe at 14m,
// as in the first level), and its report says how long the target took.
// Without the wait, the second level's web-down probe read the first
// level's damage and resolved it only at 41m40s.
func TestRehearsal_theNextLevelWaitsForTheTargetToRecover(t *testing.T) {
	s, err := scenarios.Load("testdata/chained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	h.Injector.Lingers("web-down", 40*time.Second)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	settle := &rehearse.SettleOptions{Timeout: 5 * time.Minute, Stable: 5 * time.Second}

	var reports []*rehearse.Report
	for i, id := range []string{"level-1", "level-2"} {
		if i > 0 {
			played, err := s.ForPlay("", scenarios.Medium)
			if err != nil {
				t.Fatal(err)
			}
			settle.After, settle.AfterRevert = played, reports[i-1].LastRevertAt
		}
		reh, err := startSettled(t, r, h, rehearse.Options{DrillID: id, Scenario: s, Difficulty: scenarios.Medium, TimeScale: 60, Settle: settle})
		if err != nil {
			t.Fatal(err)
		}
		rep := playLevel(t, h, reh)
		if rep.Status != rehearse.StatusPassed {
			t.Fatalf("%s: status %s:\n%s", id, rep.Status, textOf(rep))
		}
		reports = append(reports, rep)
	}
	// The drills start 5s of real time into the fake clock's second, so
	// the probe after the fix at 12m comes at 12m10s: 14m10s on a fresh
	// target.
	want := "resolved by probe at 14m10s (robot fixer fixed it at 12m)"
	for _, rep := range reports {
		if c := check(t, rep, "fault web-down resolved"); c.Message != want {
			t.Errorf("%s: %q, want %q, as on a fresh target", rep.DrillID, c.Message, want)
		}
	}
	first, second := reports[0].Settle, reports[1].Settle
	if first == nil || !first.Healthy || first.WaitedMs != 5000 || first.AfterLevel != "" {
		t.Fatalf("first settle %+v, want healthy after the 5s stable period, before any level", first)
	}
	// web-down was reverted at the first level's end; its probe fails for
	// 40s, then must hold for 5s, polled every second.
	if second == nil || !second.Healthy || second.WaitedMs < 45000 || second.WaitedMs > 46000 || second.AfterLevel != "rehearsal-unit at medium" {
		t.Fatalf("second settle %+v, want healthy 45s to 46s after rehearsal-unit at medium", second)
	}
	if r := second.RecoveredAfterRevertMs; r == nil || *r < 40000 || *r > 41000 {
		t.Fatalf("recovered %v ms after the last revert, want 40s to 41s", r)
	}
	c := check(t, reports[1], "target settled")
	for _, want := range []string{"after rehearsal-unit at medium, the target was healthy after 45", "2 probe(s)", "the last to recover was kubernetes/deployment-available (Deployment shop/web) of web-down", "s after the last revert"} {
		if c.Outcome != rehearse.OutcomePassed || !strings.Contains(c.Message, want) {
			t.Errorf("target settled: %s %q, want passed saying %q", c.Outcome, c.Message, want)
		}
	}
}

// A target that is not healthy in time — here broken before the first
// level — is not rehearsed: Run reports the level as skipped, names the
// probe still failing and its fault, creates no drill and injects nothing.
func TestRehearsal_aTargetThatDoesNotSettleSkipsTheLevel(t *testing.T) {
	s, err := scenarios.Load("testdata/chained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	h.Injector.Break("web-down")
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	start := h.Clock.Now()
	rep, err := drive(h, r, func() (*rehearse.Report, error) {
		return r.Run(h.Ctx, rehearse.Options{Scenario: s, Difficulty: scenarios.Easy, TimeScale: 60,
			Settle: &rehearse.SettleOptions{Timeout: 2 * time.Minute, Stable: 5 * time.Second}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Clock.Since(start); got != 2*time.Minute {
		t.Errorf("waited %s, want the 2m timeout", got)
	}
	if rep.Status != rehearse.StatusSkipped || rep.Difficulty != scenarios.Easy || rep.DrillID != "" {
		t.Fatalf("report %+v, want skipped at easy without a drill", rep)
	}
	if ds, _ := h.Engine.Drills(h.Ctx, control.DrillFilter{}); len(ds) != 0 {
		t.Fatalf("%d drills created for a level not played", len(ds))
	}
	if n := len(h.Injector.Calls("inject")); n != 0 {
		t.Fatalf("%d faults injected for a level not played", n)
	}
	text := textOf(rep)
	for _, want := range []string{
		"Rehearsal of rehearsal-unit at easy (not played, clock ×60)",
		"FAIL target settled — before the rehearsal, the target was not healthy within the 2m0s settle timeout; still failing: kubernetes/deployment-available (Deployment shop/web) of web-down: web-down is broken",
		"SKIPPED: not played: the target was not healthy within 2m0s (see target settled), so its checks would have read a target still damaged",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report does not say %q:\n%s", want, text)
		}
	}
	if len(rep.Failed()) != 1 || rep.Settle == nil || rep.Settle.Rounds != 121 {
		t.Errorf("failed %v, settle %+v: want the settle check failed after 121 rounds (one a second for 2m, and at the timeout)", rep.Failed(), rep.Settle)
	}
}

// A probe of several faults is asked once and must hold for the longest of
// their stable periods, on the rehearsal's drill clock (stableFor 2m at ×6
// is 20s of real time), never less than the floor.
func TestRehearsal_settleHoldsEachProbeForItsStablePeriod(t *testing.T) {
	s, err := scenarios.Load("testdata/chained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// cron-off reads web-down's probe too, with a shorter stableFor.
	s.Faults[1].ResolvedWhen = scenarios.ResolvedWhen{Probes: s.Faults[0].ResolvedWhen.Probes, StableFor: scenarios.Duration(time.Minute)}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	reh, err := startSettled(t, r, h, rehearse.Options{DrillID: "slow", Scenario: s, Difficulty: scenarios.Medium, TimeScale: 6,
		Settle: &rehearse.SettleOptions{Timeout: time.Minute, Stable: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ps := reh.Settled().Probes
	if len(ps) != 1 || ps[0].StableMs != 20000 || strings.Join(ps[0].Faults, ",") != "web-down,cron-off" || reh.Settled().WaitedMs != 20000 {
		t.Fatalf("settle %+v, want one probe of web-down and cron-off held 20s", reh.Settled())
	}
	if n := len(h.Injector.Calls("probe")); n != 21 {
		t.Fatalf("%d probe calls, want 21: one probe asked once a second for 20s", n)
	}
}
