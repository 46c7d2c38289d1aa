package control_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
)

// crashStore fails every append containing an event of type crashOn, the
// way a process killed right before that write leaves the journal.
type crashStore struct {
	control.Store
	crashOn string
}

func (s *crashStore) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	for _, e := range evs {
		if e.Type == s.crashOn {
			return errors.New("simulated crash before " + s.crashOn)
		}
	}
	return s.Store.Append(ctx, sum, evs)
}

// runUntilCrash starts the payment drill on an engine whose journal dies at
// the first event of type crashOn, and returns the drill id.
func runUntilCrash(t *testing.T, path string, clk *clocktesting.FakeClock, inj *controltest.Injector, crashOn string) string {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := control.NewEngine(&crashStore{Store: db, crashOn: crashOn}, inj, clk)
	e.Manual = true
	if err := e.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: inj, DB: db, Engine: e, Path: path}
	id := startDrill(t, h, controltest.PaymentScenario())
	if err := e.RunDue(ctx, id); err == nil {
		t.Fatalf("RunDue did not hit the simulated crash before %s", crashOn)
	}
	return id
}

func TestRestart(t *testing.T) {
	t.Run("crash after inject before its record: status confirms, no second inject", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "firedrill.db")
		clk := clocktesting.NewFakeClock(controltest.Start)
		inj := controltest.NewInjector()
		id := runUntilCrash(t, path, clk, inj, control.EventFaultInjected)
		if !inj.Broken("db-config") {
			t.Fatal("the fault should be in effect in the world after the crash")
		}
		clk.Step(30 * time.Second)
		h := controltest.OpenHarness(t, path, clk, inj, nil)
		f := fault(t, h.Drill(id), "db-config")
		if f.Phase != control.FaultInEffect || len(inj.Calls("inject")) != 2 {
			t.Fatalf("db-config %s after restart with %d inject calls; expected in-effect, one inject per fault", f.Phase, len(inj.Calls("inject")))
		}
		if len(inj.Calls("status")) != 1 {
			t.Fatalf("%d status calls, expected 1", len(inj.Calls("status")))
		}
		// The drill clock kept running while the controller was down.
		if el, _ := h.Engine.Elapsed(h.Ctx, id); el != 30*time.Second {
			t.Fatalf("drill clock %s after restart, expected 30s", el)
		}
		at(t, h, id, control.EventDrillRestarted, "", 30*time.Second)
	})

	// The intent and the revert record are one append: a crash before it
	// leaves no trace of the attempt, and nothing was changed.
	t.Run("crash before the intent and revert record: nothing changed, inject again", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "firedrill.db")
		clk := clocktesting.NewFakeClock(controltest.Start)
		inj := controltest.NewInjector()
		id := runUntilCrash(t, path, clk, inj, control.EventFaultPrepared)
		if inj.BrokenFaults() != 0 || len(inj.Calls("inject")) != 0 {
			t.Fatal("nothing should be injected when the revert record was never written")
		}
		h := controltest.OpenHarness(t, path, clk, inj, nil)
		d := h.Drill(id)
		if f := fault(t, d, "db-config"); f.Phase != control.FaultInEffect || f.Attempts != 1 {
			t.Fatalf("db-config %s after %d attempts; expected in effect on attempt 1 (the crashed one left no record)", f.Phase, f.Attempts)
		}
		if !inj.Broken("db-config") || !inj.Broken("coupon-flag") {
			t.Fatal("layered faults should both be in effect after the restart")
		}
	})

	t.Run("running drill resumes with its schedule", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, 30*time.Minute)
		h.Close()
		h.Clock.Step(5 * time.Minute)
		h2 := controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
		h2.AdvanceTo(id, 95*time.Minute)
		at(t, h2, id, control.EventFaultInjected, `"faultId":"db-config"`, 0)
		at(t, h2, id, control.EventHintGiven, "", 70*time.Minute, 75*time.Minute, 80*time.Minute)
		at(t, h2, id, control.EventDrillEnded, `"reason":"cap"`, 90*time.Minute)
		if h.Injector.BrokenFaults() != 0 {
			t.Fatal("faults left in effect after the cap")
		}
		if _, err := control.VerifyChain(0, "", h2.Events(id)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("running drill is aborted and reverted when configured", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, 10*time.Minute)
		h.Close()
		h2 := controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, func(e *control.Engine) { e.OnRestart = control.OnRestartAbort })
		if d := h2.Drill(id); d.State != control.StateAborted {
			t.Fatalf("state %s, expected aborted", d.State)
		}
		if h.Injector.BrokenFaults() != 0 {
			t.Fatal("faults left in effect after an abort on restart")
		}
	})

	t.Run("ended drill with a failed revert is reverted on restart", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, 10*time.Minute)
		h.Injector.FailNext("revert", errors.New("apiserver unavailable"))
		if err := h.Engine.End(h.Ctx, id, "fiona", "enough"); injectors.ErrorCode(err) != injectors.EINTERNAL {
			t.Fatalf("End with a failing revert = %v, expected an internal error saying it retries", err)
		}
		if h.Injector.BrokenFaults() != 1 {
			t.Fatalf("%d faults in effect, expected the one whose revert failed", h.Injector.BrokenFaults())
		}
		h.Close()
		h2 := controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
		if h.Injector.BrokenFaults() != 0 {
			t.Fatal("the restart did not revert the fault left behind")
		}
		if d := h2.Drill(id); d.State != control.StateRetro {
			t.Fatalf("state %s, expected the retro to open once reverted", d.State)
		}
	})
}

func TestFaultFailures(t *testing.T) {
	t.Run("inject failing three times gives up and reverts each partial inject", func(t *testing.T) {
		h := controltest.NewHarness(t)
		for i := 0; i < 3; i++ {
			h.Injector.FailNextFor("inject", "db-config", errors.New("webhook denied"))
		}
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, 2*time.Minute)
		s := time.Second
		at(t, h, id, control.EventFaultInjectFailed, `"faultId":"db-config"`, 0, 10*s, 30*s)
		f := fault(t, h.Drill(id), "db-config")
		if f.Phase != control.FaultFailed || f.LastError == "" {
			t.Fatalf("db-config %s (%q), expected failed with the error", f.Phase, f.LastError)
		}
		if n := len(h.Injector.Calls("revert")); n != 3 {
			t.Fatalf("%d reverts, expected one per failed inject", n)
		}
		if !h.Injector.Broken("coupon-flag") {
			t.Fatal("the other layered fault should still be injected")
		}
	})

	t.Run("revert failing is retried with backoff until it succeeds", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, time.Minute)
		for i := 0; i < 3; i++ {
			h.Injector.FailNext("revert", errors.New("timeout"))
		}
		if err := h.Engine.Abort(h.Ctx, id, "fiona", "stop"); err == nil {
			t.Fatal("Abort hid the failed revert")
		}
		h.Advance(id, 10*time.Second)
		if h.Injector.BrokenFaults() != 0 {
			t.Fatal("the revert was not retried")
		}
		if n := len(h.EventTimes(id, control.EventFaultRevertFailed, "")); n != 3 {
			t.Fatalf("%d revert failures on record, expected 3", n)
		}
	})
}

// BenchmarkRestart100Drills measures restart-to-resumed: opening an engine
// on a journal with 100 running drills (each with its faults injected and
// some chat), until every drill is loaded, verified, noted as restarted and
// reconciled. Target: at most 2 s.
func BenchmarkRestart100Drills(b *testing.B) {
	h := controltest.NewHarness(b)
	for i := 0; i < 100; i++ {
		d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{Scenario: controltest.PaymentScenario()})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range people {
			if _, err := h.Engine.AddPerson(h.Ctx, d.ID, p, "fiona"); err != nil {
				b.Fatal(err)
			}
		}
		if err := h.Engine.Start(h.Ctx, d.ID, "fiona"); err != nil {
			b.Fatal(err)
		}
		if err := h.Engine.RunDue(h.Ctx, d.ID); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 20; j++ {
			if _, err := h.Engine.PostMessage(h.Ctx, d.ID, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "checking the payment API"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	h.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h2 := controltest.OpenHarness(b, h.Path, h.Clock, h.Injector, nil)
		b.ReportMetric(time.Since(start).Seconds(), "s/restart")
		b.StopTimer()
		h2.Close()
		b.StartTimer()
	}
}
