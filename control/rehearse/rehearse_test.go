package rehearse_test

import (
	"context"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/scenarios"
)

// fakeFixer fixes a fault in the fake injector's world, as a participant's
// kubectl would in a cluster: the probes hold again, the engine is not told.
type fakeFixer struct {
	h     *controltest.Harness
	base  int
	fixed []string
}

func (f *fakeFixer) Baseline(context.Context, *scenarios.Scenario) error { f.base++; return nil }

func (f *fakeFixer) Fix(_ context.Context, fl scenarios.Fault) (string, error) {
	f.h.Injector.Fix(fl.ID)
	f.fixed = append(f.fixed, fl.ID)
	return "fixed " + fl.ID + " in the fake world", nil
}

// play runs a rehearsal of the unit scenario at difficulty d on the fake
// clock, every 30 drill seconds and at each step's due time, and reports it.
func play(t *testing.T, d scenarios.Difficulty) (*rehearse.Report, *fakeFixer, *controltest.Harness) {
	t.Helper()
	return playFile(t, "testdata/chained.yaml", d)
}

// playFile is play with another scenario of testdata.
func playFile(t *testing.T, file string, d scenarios.Difficulty) (*rehearse.Report, *fakeFixer, *controltest.Harness) {
	t.Helper()
	s, err := scenarios.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	fx := &fakeFixer{h: h}
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: fx,
		Leftovers: func(context.Context, string) ([]string, error) {
			if n := h.Injector.BrokenFaults(); n > 0 {
				return []string{"a broken fault"}, nil
			}
			return nil, nil
		}}
	reh, err := r.Start(h.Ctx, rehearse.Options{DrillID: "reh", Scenario: s, Difficulty: d, TimeScale: 60})
	if err != nil {
		t.Fatal(err)
	}
	return playLevel(t, h, reh), fx, h
}

func check(t *testing.T, rep *rehearse.Report, what string) rehearse.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.What == what {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", what, rep.Checks)
	return rehearse.Check{}
}

// A team of robots that fixes both faults: the chain fires its delay after
// the first is resolved, both are detected, resolved by their probes and
// reverted, the resolution notice ends the drill, and the record is a
// rehearsal.
func TestRehearsal_robotsThatFixEverythingPass(t *testing.T) {
	rep, fx, h := play(t, scenarios.Medium)
	if rep.Status != rehearse.StatusPassed {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("status %s:\n%s", rep.Status, b.String())
	}
	if fx.base != 1 || strings.Join(fx.fixed, ",") != "web-down,cron-off" {
		t.Fatalf("baseline noted %d times, fixed %v; want once, web-down then cron-off", fx.base, fx.fixed)
	}
	tests := []struct{ what, outcome, contains string }{
		{"fault web-down injected", rehearse.OutcomePassed, "injected at 2m"},
		{"fault web-down detected", rehearse.OutcomePassed, "at 3m, 1m after"},
		{"fault web-down resolved", rehearse.OutcomePassed, "resolved by probe at 14m"},
		{"fault cron-off chain injected", rehearse.OutcomePassed, "injected at 17m10s, chained 3m after web-down resolved"},
		{"fault cron-off resolved", rehearse.OutcomePassed, "robot fixer fixed it at 21m10s"},
		{"fault cron-off reverted", rehearse.OutcomePassed, "reverted"},
		{"inject cs-call", rehearse.OutcomePassed, "posted at 5m"},
		{"inject cto-eta", rehearse.OutcomePassed, "posted at 8m"},
		{"robot robin: answer inject cto-eta within 2m", rehearse.OutcomePassed, "done at 8m"},
		{"robot fixer: at 12m fix fault web-down", rehearse.OutcomePassed, "done at 12m: fixed web-down in the fake world"},
		{"hint hint-web", rehearse.OutcomeSkipped, "after the drill ended"},
		{"drill end", rehearse.OutcomePassed, "ended resolved at 23m20s, before the 90m cap"},
		{"nothing left marked", rehearse.OutcomePassed, "no object"},
		{"record", rehearse.OutcomePassed, "marked as a rehearsal"},
	}
	checkAll(t, rep, tests)
	if d := h.Drill(rep.DrillID); !d.Rehearsal {
		t.Fatal("the drill is not marked as a rehearsal in its journal")
	}
}

// At easy no robot fixes the chained fault: the rehearsal fails and says
// which fault was not resolved and why; the cap ends the drill and every
// fault is still reverted.
func TestRehearsal_robotThatNeverFixesFails(t *testing.T) {
	rep, fx, _ := play(t, scenarios.Easy)
	if rep.Status != rehearse.StatusFailed {
		t.Fatalf("status %s, want failed", rep.Status)
	}
	if strings.Join(fx.fixed, ",") != "web-down" {
		t.Fatalf("fixed %v, want web-down only", fx.fixed)
	}
	failed := rep.Failed()
	if len(failed) != 1 || failed[0].What != "fault cron-off resolved" {
		t.Fatalf("failed checks %+v, want only fault cron-off resolved", failed)
	}
	for _, want := range []string{"no robot step fixes it at this difficulty", "probes still failing"} {
		if !strings.Contains(failed[0].Message, want) {
			t.Fatalf("message %q does not say %q", failed[0].Message, want)
		}
	}
	if c := check(t, rep, "drill end"); !strings.Contains(c.Message, "90m cap") {
		t.Fatalf("drill end: %q, want the cap", c.Message)
	}
	if c := check(t, rep, "fault cron-off reverted"); c.Outcome != rehearse.OutcomePassed {
		t.Fatalf("cron-off not reverted: %+v", c)
	}
	if c := check(t, rep, "hint hint-web"); c.Outcome != rehearse.OutcomeSkipped || !strings.Contains(c.Message, "skipped at its stage 70m") {
		t.Fatalf("hint: %+v, want skipped at 70m (web-down was resolved)", c)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "FAIL fault cron-off resolved") || !strings.Contains(b.String(), "FAILED: 1 of") {
		t.Fatalf("text report:\n%s", b.String())
	}
}

// A scenario without robots cannot be rehearsed, with a clear error.
func TestRehearsal_withoutRobotsIsRefused(t *testing.T) {
	s, err := scenarios.Load("testdata/chained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Rehearsal = nil
	h := controltest.NewHarness(t)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	_, err = r.Start(h.Ctx, rehearse.Options{Scenario: s})
	if err == nil || !strings.Contains(err.Error(), "no rehearsal section") {
		t.Fatalf("got %v, want a refusal naming the missing section", err)
	}
	if ds, _ := h.Engine.Drills(h.Ctx, control.DrillFilter{}); len(ds) != 0 {
		t.Fatalf("%d drills created for a refused rehearsal", len(ds))
	}
}

// A cascade that came back after its first fix: the report says it came
// back, counts its detection from the comeback (the robot spoke only after
// the first injection), and names the fix that made it stay fixed, not the
// first one.
func TestRehearsal_aComebackIsReportedAsOne(t *testing.T) {
	rep, fx, _ := playFile(t, "testdata/recurring.yaml", "")
	if got := strings.Join(fx.fixed, ","); got != "cascade,leak,cascade" {
		t.Fatalf("fixed %s, want cascade, leak, cascade", got)
	}
	if c := check(t, rep, "fault cascade chain injected"); !strings.Contains(c.Message, "came back 1 time(s), last injected at") {
		t.Errorf("injected: %q, want it to say the cascade came back", c.Message)
	}
	if c := check(t, rep, "fault cascade detected"); c.Outcome != rehearse.OutcomeFailed || !strings.Contains(c.Message, "after it last came back at") {
		t.Errorf("detected: %+v, want a failure counted from the comeback", c)
	}
	if c := check(t, rep, "fault cascade resolved"); c.Outcome != rehearse.OutcomePassed || !strings.Contains(c.Message, "robot robin fixed it at 14m10s") {
		t.Errorf("resolved: %+v, want the fix after the comeback (14m10s) named, not the first (8m)", c)
	}
}

// What no robot can make happen is reported as a skip with the true
// reason: an on-demand fault nobody fired (not "the drill stopped before it
// fired"), a private briefing for a response role (robots claim none: not a
// failure, even when it is due at a time), and injects waiting for a notice
// field's value or for another inject, named in full.
func TestRehearsal_whatRobotsCannotCauseIsSkippedWithItsReason(t *testing.T) {
	rep, _, _ := playFile(t, "testdata/messages.yaml", "")
	if rep.Status != rehearse.StatusPassed {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("status %s:\n%s", rep.Status, b.String())
	}
	tests := []struct{ what, outcome, contains string }{
		{"fault pool-squeeze injected", rehearse.OutcomeSkipped, "on demand: fired only by the facilitator, and no one did"},
		{"inject commander-brief", rehearse.OutcomeSkipped, "a private briefing for whoever holds incident-commander, once claimed (due at 4m); robots claim no roles"},
		{"inject recovery-brief", rehearse.OutcomeSkipped, "a private briefing for whoever holds recovery, once claimed (on fault.injected web-down); robots claim no roles"},
		{"inject committee-sev1", rehearse.OutcomeSkipped, "its event never happened: notice.posted incident with grade = SEV1"},
		{"inject cs-again", rehearse.OutcomeSkipped, "its event never happened: inject.posted commander-brief +1m"},
		{"inject cs-call", rehearse.OutcomePassed, "posted at 5m"},
	}
	checkAll(t, rep, tests)
}

// checkAll checks that each of the report's checks has its outcome and a
// message containing the words.
func checkAll(t *testing.T, rep *rehearse.Report, tests []struct{ what, outcome, contains string }) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			c := check(t, rep, tt.what)
			if c.Outcome != tt.outcome || !strings.Contains(c.Message, tt.contains) {
				t.Fatalf("%s: %s %q, want %s containing %q", tt.what, c.Outcome, c.Message, tt.outcome, tt.contains)
			}
		})
	}
}
