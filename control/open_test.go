package control_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
)

// slowInjector is the fake injector with slow probes: each one takes took
// of the fake clock, and when block is set it first waits for block to
// close (or its context to end), like a probe whose target does not answer.
type slowInjector struct {
	*controltest.Injector
	clk     *clocktesting.FakeClock
	took    time.Duration
	block   chan struct{}
	probing chan struct{} // told of every probe call, when set
}

func (s *slowInjector) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	if s.probing != nil {
		select {
		case s.probing <- struct{}{}:
		default:
		}
	}
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return injectors.ProbeResult{}, ctx.Err()
		}
	}
	s.clk.Step(s.took)
	return s.Injector.Probe(ctx, p)
}

// openEngine opens an engine over the database at path with inj.
func openEngine(t *testing.T, path string, clk *clocktesting.FakeClock, inj control.Injector, manual bool) (*control.Engine, *controltest.Harness) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := control.NewEngine(db, inj, clk)
	e.Manual = manual
	if err := e.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, &controltest.Harness{T: t, Ctx: ctx, Clock: clk, DB: db, Engine: e, Path: path}
}

// TestReconcilePassEnds: at a high time scale a probe can take longer than
// the interval it is polled at, so it is always due again; a reconcile pass
// does what was due when it started and ends, instead of probing on until
// the drill's cap.
func TestReconcilePassEnds(t *testing.T) {
	clk := clocktesting.NewFakeClock(controltest.Start)
	inj := &slowInjector{Injector: controltest.NewInjector(), clk: clk, took: 30 * time.Second}
	_, h := openEngine(t, filepath.Join(t.TempDir(), "firedrill.db"), clk, inj, true)
	h.Injector = inj.Injector
	id := startDrill(t, h, controltest.PaymentScenario())
	if err := h.Engine.RunDue(h.Ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := len(inj.Calls("probe")); n > 2 {
		t.Fatalf("one pass made %d probe calls, want at most 2 (the fault's probe and the alert's, once each)", n)
	}
	if d := h.Drill(id); d.State != control.StateRunning {
		t.Fatalf("the drill is %s after one pass, want still running", d.State)
	}
}

// TestOpenMakesNoInjectorCall: a controller that takes over a running drill
// (a restart, a failover) opens its engine without waiting for a plugin:
// with every probe hanging, Open returns once the restart is noted, and the
// drill's loop does the probing.
func TestOpenMakesNoInjectorCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firedrill.db")
	clk := clocktesting.NewFakeClock(controltest.Start)
	h := controltest.OpenHarness(t, path, clk, controltest.NewInjector(), nil)
	id := startDrill(t, h, controltest.PaymentScenario())
	h.Advance(id, time.Minute)
	if f := fault(t, h.Drill(id), "db-config"); f.Phase != control.FaultInEffect {
		t.Fatalf("db-config is %s before the restart, want in effect", f.Phase)
	}
	h.Close()

	inj := &slowInjector{Injector: h.Injector, clk: clk, block: make(chan struct{}), probing: make(chan struct{}, 1)}
	defer close(inj.block)
	db, err := sqlite.Open(h.Ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := control.NewEngine(db, inj, clk)
	defer e.Close()
	opened := make(chan error, 1)
	go func() { opened <- e.Open(h.Ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open did not return within 10s while the drill's probe hangs")
	}
	h2 := &controltest.Harness{T: t, Ctx: h.Ctx, Clock: clk, DB: db, Engine: e, Path: path}
	if n := len(h2.EventTimes(id, control.EventDrillRestarted, "")); n != 1 {
		t.Fatalf("%d drill.restarted events after Open, want 1", n)
	}
	select {
	case <-inj.probing:
	case <-time.After(10 * time.Second):
		t.Fatal("the drill's loop did not probe its fault after Open")
	}
}
