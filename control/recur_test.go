package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/scenarios"
)

// recurScenario is the payment drill where db-config is a cascade of
// coupon-flag (the cause, resolved by hand): fixed while coupon-flag is
// still active, db-config comes back 3m later, at most times times.
func recurScenario(times int) *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Faults[0].Recurs = &scenarios.Recurrence{While: scenarios.Condition{FaultActive: "coupon-flag"}, After: scenarios.Duration(3 * time.Minute), Times: times}
	s.Injects = append(s.Injects, scenarios.Inject{ID: "cto-again", On: &scenarios.EventTrigger{Event: scenarios.OnFaultRecurred, Fault: "db-config", Delay: scenarios.Duration(time.Minute)},
		Persona: "cto", Channel: "incident", Text: "{{.Fault.Title}} again?"})
	return s
}

// tick is the probes' polling interval: a fix is seen at the next poll.
const tick = 10 * time.Second

// fixAt advances the drill to each time and fixes fault there, the way
// participants would (its probes hold again).
func fixAt(h *controltest.Harness, id, fault string, times ...time.Duration) {
	for _, t := range times {
		h.AdvanceTo(id, t)
		h.Injector.Fix(fault)
	}
}

// TestRecurs plays, on the fake clock, a cascade that comes back while its
// cause is still active: each comeback reverts the fixed fault, saves a new
// revert record and injects it again after the delay; fixing the cause
// stops it, and so does the bound.
func TestRecurs(t *testing.T) {
	t.Run("fixed while the cause is active, it comes back after the delay until the bound", func(t *testing.T) {
		h := controltest.NewHarness(t)
		s := recurScenario(2)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		fixAt(h, id, "db-config", 10*time.Minute, 20*time.Minute, 30*time.Minute)
		h.AdvanceTo(id, 45*time.Minute)

		// Fixed at 10m, seen by the probe at 10m10s, resolved after 2m of
		// stable probes, back 3m later.
		at(t, h, id, control.EventFaultResolved, `"faultId":"db-config"`, 12*time.Minute+tick, 22*time.Minute+tick, 32*time.Minute+tick)
		at(t, h, id, control.EventFaultRecurred, `"faultId":"db-config"`, 15*time.Minute+tick, 25*time.Minute+tick)
		at(t, h, id, control.EventFaultInjected, `"faultId":"db-config"`, 0, 15*time.Minute+tick, 25*time.Minute+tick)
		at(t, h, id, control.EventFaultStaysFixed, `"faultId":"db-config"`, 32*time.Minute+tick)
		// A persona reacts to the first comeback, once.
		at(t, h, id, control.EventInjectPosted, `"injectId":"cto-again"`, 16*time.Minute+tick)
		// Every comeback reverted the earlier injection and saved a new
		// revert record before it injected again.
		at(t, h, id, control.EventFaultReverted, `"faultId":"db-config"`, 15*time.Minute+tick, 25*time.Minute+tick)
		assertRecordBeforeEachInject(t, h.Events(id), "db-config", 3)
		if got := recurDetails(h.Events(id)); strings.Join(got, "|") != "came back because coupon-flag is still active (1 of 2)|came back because coupon-flag is still active (2 of 2)" {
			t.Errorf("comebacks say %q", got)
		}
		f := fault(t, h.Drill(id), "db-config")
		if f.Recurrences != 2 || !f.StaysFixed || f.Phase != control.FaultResolved {
			t.Errorf("db-config %s after %d comebacks (stays fixed %v), expected resolved after 2, staying fixed", f.Phase, f.Recurrences, f.StaysFixed)
		}
		// The chained cache-evict waits for the fix that sticks.
		at(t, h, id, control.EventFaultInjected, `"faultId":"cache-evict"`, 34*time.Minute+tick)
	})

	t.Run("once the cause is fixed, it stays fixed", func(t *testing.T) {
		h := controltest.NewHarness(t)
		s := recurScenario(3)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		fixAt(h, id, "db-config", 10*time.Minute, 20*time.Minute)
		h.AdvanceTo(id, 23*time.Minute)
		if err := h.Engine.MarkFaultResolved(h.Ctx, id, "coupon-flag", "fiona"); err != nil {
			t.Fatal(err)
		}
		h.AdvanceTo(id, 60*time.Minute)
		at(t, h, id, control.EventFaultRecurred, `"faultId":"db-config"`, 15*time.Minute+tick)
		at(t, h, id, control.EventFaultStaysFixed, `"faultId":"db-config"`, 23*time.Minute)
		at(t, h, id, control.EventFaultInjected, `"faultId":"db-config"`, 0, 15*time.Minute+tick)
		if h.Injector.Broken("db-config") {
			t.Error("db-config is broken again after its cause was fixed")
		}
		f := fault(t, h.Drill(id), "db-config")
		if f.ProbeDetail != "coupon-flag is no longer active" {
			t.Errorf("stays fixed because %q", f.ProbeDetail)
		}
	})

	t.Run("the abort reverts a fault that came back", func(t *testing.T) {
		h := controltest.NewHarness(t)
		s := recurScenario(3)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		fixAt(h, id, "db-config", 10*time.Minute)
		h.AdvanceTo(id, 16*time.Minute)
		if !h.Injector.Broken("db-config") {
			t.Fatal("db-config did not come back")
		}
		if err := h.Engine.Abort(h.Ctx, id, "fiona", "stop"); err != nil {
			t.Fatal(err)
		}
		h.Advance(id, time.Minute)
		if n := h.Injector.BrokenFaults(); n != 0 {
			t.Fatalf("%d faults left broken after the abort", n)
		}
		at(t, h, id, control.EventFaultReverted, `"faultId":"db-config"`, 15*time.Minute+tick, 16*time.Minute)
	})

	t.Run("the cap ends the comebacks and reverts the fault", func(t *testing.T) {
		h := controltest.NewHarness(t)
		s := recurScenario(3)
		s.TimeLimit = scenarios.Duration(16 * time.Minute)
		s.Faults, s.Hints = s.Faults[:3], nil
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		fixAt(h, id, "db-config", 10*time.Minute)
		h.AdvanceTo(id, 20*time.Minute)
		at(t, h, id, control.EventFaultRecurred, `"faultId":"db-config"`, 15*time.Minute+tick)
		at(t, h, id, control.EventDrillEnded, `"reason":"cap"`, 16*time.Minute)
		if n := h.Injector.BrokenFaults(); n != 0 {
			t.Fatalf("%d faults left broken after the cap", n)
		}
	})
}

// crashOnNth fails the append holding the nth event of type crashOn (1 for
// the first), the way a process killed right before that write leaves the
// journal.
type crashOnNth struct {
	control.Store
	crashOn string
	n       int
}

func (s *crashOnNth) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	for _, e := range evs {
		if e.Type == s.crashOn {
			if s.n--; s.n == 0 {
				return errors.New("simulated crash before " + s.crashOn)
			}
		}
	}
	return s.Store.Append(ctx, sum, evs)
}

// TestRecurs_restartMidway crashes the engine in the middle of a comeback
// and restarts it from the journal: the comeback is neither lost nor
// played twice.
func TestRecurs_restartMidway(t *testing.T) {
	for _, tt := range []struct {
		name    string
		crashOn string
		n       int
		back    time.Duration // when the comeback is recorded
	}{
		{"crash after the comeback, before its revert is recorded", control.EventFaultReverted, 1, 15*time.Minute + tick},
		{"crash after the new revert record, before the inject is recorded", control.EventFaultInjected, 3, 15*time.Minute + tick},
		{"crash before the comeback is recorded: it comes back on restart", control.EventFaultRecurred, 1, 15*time.Minute + tick + 30*time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "firedrill.db")
			clk := clocktesting.NewFakeClock(controltest.Start)
			inj := controltest.NewInjector()
			s := recurScenario(2)
			inj.Bind(s)
			ctx := context.Background()
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			e := control.NewEngine(&crashOnNth{Store: db, crashOn: tt.crashOn, n: tt.n}, inj, clk)
			e.Manual = true
			if err := e.Open(ctx); err != nil {
				t.Fatal(err)
			}
			h := &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: inj, DB: db, Engine: e, Path: path}
			id := startDrill(t, h, s)
			fixAt(h, id, "db-config", 10*time.Minute)
			h.AdvanceTo(id, 15*time.Minute)
			clk.Step(tick)
			if err := e.RunDue(ctx, id); err == nil {
				t.Fatalf("RunDue did not hit the simulated crash before %s", tt.crashOn)
			}
			e.Close()
			db.Close()

			clk.Step(30 * time.Second)
			h2 := controltest.OpenHarness(t, path, clk, inj, nil)
			h2.AdvanceTo(id, 19*time.Minute)
			at(t, h2, id, control.EventFaultRecurred, `"faultId":"db-config"`, tt.back)
			if !inj.Broken("db-config") {
				t.Fatal("db-config is not back in effect after the restart")
			}
			f := fault(t, h2.Drill(id), "db-config")
			if f.Phase != control.FaultInEffect || f.Recurrences != 1 {
				t.Fatalf("db-config %s after %d comebacks, expected in effect after 1", f.Phase, f.Recurrences)
			}
			assertRecordBeforeEachInject(t, h2.Events(id), "db-config", 2)
			// It still comes back once more, then the bound holds.
			fixAt(h2, id, "db-config", 20*time.Minute, 30*time.Minute)
			h2.AdvanceTo(id, 40*time.Minute)
			if n := len(h2.EventTimes(id, control.EventFaultRecurred, `"faultId":"db-config"`)); n != 2 {
				t.Fatalf("%d comebacks in all, expected 2", n)
			}
		})
	}
}

// assertRecordBeforeEachInject checks that every inject of the fault was
// preceded by its own persisted revert record (fault.prepared after the
// latest intent), and that there were want injects.
func assertRecordBeforeEachInject(t *testing.T, evs []control.Event, faultID string, want int) {
	t.Helper()
	match := `"faultId":"` + faultID + `"`
	prepared, injects := false, 0
	for _, e := range evs {
		if !strings.Contains(string(e.Payload), match) {
			continue
		}
		switch e.Type {
		case control.EventFaultIntent:
			prepared = false
		case control.EventFaultPrepared:
			prepared = true
		case control.EventFaultInjected:
			if !prepared {
				t.Fatalf("%s injected at %s without a revert record saved before", faultID, e.DrillTime)
			}
			injects++
			prepared = false
		}
	}
	if injects != want {
		t.Fatalf("%s injected %d times, expected %d", faultID, injects, want)
	}
}

func recurDetails(evs []control.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == control.EventFaultRecurred {
			var p control.FaultEvent
			if err := json.Unmarshal(e.Payload, &p); err == nil {
				out = append(out, p.Detail)
			}
		}
	}
	return out
}

// TestRecurs_pollingStartsOverWithEachInjection: a fault whose probes were
// holding when it healed by itself (duration) comes back, and its probes
// are polled afresh for the new injection: what they saw of the earlier
// one is neither a regression nor a head start on stableFor.
func TestRecurs_pollingStartsOverWithEachInjection(t *testing.T) {
	// db-config heals 2m30s after each injection and comes back 3m after
	// while coupon-flag is active. Fixed at 40s, its probes hold from the
	// poll at 50s (2m of stableFor would resolve it at 2m50s): it heals
	// first, at 2m30s, and comes back at 5m30s.
	const back = 5*time.Minute + 30*time.Second
	for _, tt := range []struct {
		name string
		// fixedOnReturn: a participant's fix is in place before the
		// first poll of the new injection.
		fixedOnReturn        bool
		recovering, resolved []time.Duration
		resolvedBy           string
	}{
		{name: "a first poll that fails is no regression", fixedOnReturn: false,
			recovering: []time.Duration{50 * time.Second}, resolved: []time.Duration{2*time.Minute + 30*time.Second, back + 2*time.Minute + 30*time.Second}, resolvedBy: "duration"},
		{name: "a first poll that holds starts stableFor afresh", fixedOnReturn: true,
			recovering: []time.Duration{50 * time.Second, back}, resolved: []time.Duration{2*time.Minute + 30*time.Second, back + 2*time.Minute}, resolvedBy: "probe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			s := controltest.PaymentScenario()
			heal := scenarios.Duration(2*time.Minute + 30*time.Second)
			s.Faults[0].HealAfter = &heal
			s.Faults[0].Recurs = &scenarios.Recurrence{While: scenarios.Condition{FaultActive: "coupon-flag"}, After: scenarios.Duration(3 * time.Minute), Times: 1}
			h.Injector.Bind(s)
			injections := 0
			h.Injector.AfterInject = func(id string) {
				if id == "db-config" {
					if injections++; injections == 2 && tt.fixedOnReturn {
						h.Injector.Fix(id)
					}
				}
			}
			id := startDrill(t, h, s)
			fixAt(h, id, "db-config", 40*time.Second)
			h.AdvanceTo(id, 10*time.Minute)
			at(t, h, id, control.EventFaultInjected, `"faultId":"db-config"`, 0, back)
			if got := h.EventTimes(id, control.EventFaultRegressed, `"faultId":"db-config"`); len(got) > 0 {
				t.Fatalf("fault.regressed at %v: the probes' hold on the earlier injection was taken for this one's", got)
			}
			at(t, h, id, control.EventFaultRecovering, `"faultId":"db-config"`, tt.recovering...)
			at(t, h, id, control.EventFaultResolved, `"faultId":"db-config"`, tt.resolved...)
			if f := fault(t, h.Drill(id), "db-config"); f.ResolvedBy != tt.resolvedBy {
				t.Fatalf("db-config resolved by %q, expected %q", f.ResolvedBy, tt.resolvedBy)
			}
		})
	}
}

// TestRecurs_messageBeforeTheComebackIsInjected: a participant who writes
// after a fault came back and before it is injected again (its re-injection
// failed and waits for a retry) does not detect the comeback, which would
// then be timed from before it began; the first message after the
// re-injection does. No time to detect is ever negative, and the first
// acknowledgement stays the drill's first message.
func TestRecurs_messageBeforeTheComebackIsInjected(t *testing.T) {
	const comeback = 15*time.Minute + tick // fixed at 10m, resolved 12m10s, back 3m later
	busy := errors.New("the API server is busy, try again")
	for _, tt := range []struct {
		name string
		// failures is how many injections of the comeback fail.
		failures int
		// later is a message after the re-injection, when set.
		later    time.Duration
		phase    control.FaultPhase
		injected time.Duration
		detect   *time.Duration // db-config's time to detect
	}{
		{name: "the first message after the re-injection detects the comeback", failures: 1, later: 17 * time.Minute,
			phase: control.FaultInEffect, injected: comeback + 10*time.Second, detect: dp(17*time.Minute - comeback - 10*time.Second)},
		{name: "without a message after the re-injection the comeback is undetected", failures: 1,
			phase: control.FaultInEffect, injected: comeback + 10*time.Second},
		{name: "a comeback whose re-injection never succeeds is never detected", failures: 3, later: 17 * time.Minute,
			phase: control.FaultFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			s := recurScenario(2)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			h.AdvanceTo(id, 3*time.Minute)
			post(t, h, id, "alice", "incident", "Payments are failing, I'm on it")
			fixAt(h, id, "db-config", 10*time.Minute)
			h.AdvanceTo(id, 14*time.Minute)
			for range tt.failures {
				h.Injector.FailNextFor("inject", "db-config", busy)
			}
			h.AdvanceTo(id, comeback+5*time.Second)
			at(t, h, id, control.EventFaultRecurred, `"faultId":"db-config"`, comeback)
			post(t, h, id, "bob", "incident", "Is the pool fix holding?")
			if f := fault(t, h.Drill(id), "db-config"); f.DetectedAt != nil {
				t.Fatalf("db-config detected at %s, before it was injected again", *f.DetectedAt)
			}
			if tt.later > 0 {
				h.AdvanceTo(id, tt.later)
				post(t, h, id, "bob", "incident", "Payments fail again, looking")
			}
			h.AdvanceTo(id, 18*time.Minute)

			f := fault(t, h.Drill(id), "db-config")
			if f.Phase != tt.phase {
				t.Fatalf("db-config %s, expected %s", f.Phase, tt.phase)
			}
			mt, err := h.Engine.Metrics(h.Ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if tt.injected > 0 {
				eqDur(t, "db-config injected", mt.Faults[0].InjectedAt, tt.injected)
			}
			if got := mt.Faults[0].TimeToDetect; (got == nil) != (tt.detect == nil) || (got != nil && *got != *tt.detect) {
				t.Fatalf("db-config time to detect %v, expected %v", fmtDur(got), fmtDur(tt.detect))
			}
			for _, fm := range mt.Faults {
				if fm.TimeToDetect != nil && *fm.TimeToDetect < 0 {
					t.Fatalf("%s detected %s before it was injected", fm.ID, -*fm.TimeToDetect)
				}
			}
			eqDur(t, "time to first ack", mt.TimeToFirstAck, 3*time.Minute)
		})
	}
}

// TestRecurs_aMessageAfterASilentFixDetectsNothing: a fault fixed and
// resolved before anyone wrote about it is not detected by the first
// message after its resolution, which still counts as the first
// acknowledgement and detects the fault still in effect.
func TestRecurs_aMessageAfterASilentFixDetectsNothing(t *testing.T) {
	h := controltest.NewHarness(t)
	s := recurScenario(2)
	h.Injector.Bind(s)
	id := startDrill(t, h, s)
	fixAt(h, id, "db-config", 10*time.Minute)
	h.AdvanceTo(id, 13*time.Minute)
	if f := fault(t, h.Drill(id), "db-config"); f.ResolvedAt == nil {
		t.Fatalf("db-config %s at 13m, expected resolved before the message", f.Phase)
	}
	post(t, h, id, "bob", "incident", "Is it fixed?")
	d := h.Drill(id)
	if f := fault(t, d, "db-config"); f.DetectedAt != nil {
		t.Fatalf("db-config detected at %s, after it was resolved at %s", *f.DetectedAt, *f.ResolvedAt)
	}
	if f := fault(t, d, "coupon-flag"); f.DetectedAt == nil || *f.DetectedAt != 13*time.Minute {
		t.Fatalf("coupon-flag detected at %v, expected 13m", fmtDur(f.DetectedAt))
	}
	if d.FirstAck == nil || *d.FirstAck != 13*time.Minute {
		t.Fatalf("first acknowledgement %v, expected 13m", fmtDur(d.FirstAck))
	}
}

func fmtDur(d *time.Duration) string {
	if d == nil {
		return "none"
	}
	return d.String()
}
