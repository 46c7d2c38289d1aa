package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	clocktesting "k8s.io/utils/clock/testing"
)

// countingStore counts appends: each is one synced write of the journal.
type countingStore struct {
	control.Store
	appends atomic.Int64
}

func (s *countingStore) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	s.appends.Add(1)
	return s.Store.Append(ctx, sum, evs)
}

// gateInjector is the fake injector whose reverts record their order and
// how many run at once, and can be held until a number of them are in
// flight together.
type gateInjector struct {
	*controltest.Injector
	hold int // reverts wait until this many are in flight (0: no wait)

	mu       sync.Mutex
	inFlight int
	maxSeen  int
	order    []string
	arrived  chan struct{}
	opened   bool
	fail     map[string]error
}

func (g *gateInjector) Revert(ctx context.Context, plugin string, rec []byte) error {
	var r struct {
		FaultID string `json:"faultId"`
	}
	_ = json.Unmarshal(rec, &r)
	g.mu.Lock()
	g.inFlight++
	g.maxSeen = max(g.maxSeen, g.inFlight)
	g.order = append(g.order, r.FaultID)
	err := g.fail[r.FaultID]
	if g.hold > 0 && g.inFlight == g.hold && !g.opened {
		g.opened = true
		close(g.arrived)
	}
	g.mu.Unlock()
	if g.hold > 0 {
		select {
		case <-g.arrived:
		case <-time.After(5 * time.Second): // fewer ran at once than expected; the assertion below says so
		}
	}
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	if err != nil {
		return err
	}
	return g.Injector.Revert(ctx, plugin, rec)
}

// manyFaults is a scenario of n faults injected at 0m; target(i) names what
// fault i acts on.
func manyFaults(n int, target func(i int) scenarios.Target) *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Faults = nil
	s.Alerts = nil
	s.Hints = nil
	s.Injects = nil
	for i := 0; i < n; i++ {
		at := scenarios.Duration(time.Duration(i) * time.Second)
		s.Faults = append(s.Faults, scenarios.Fault{ID: fmt.Sprintf("f%03d", i), Title: "fault", Impact: "impact",
			Injector: scenarios.InjectorRef{Plugin: "fake", Type: "break"}, Target: target(i), At: &at,
			ResolvedWhen: scenarios.ResolvedWhen{Manual: true}})
	}
	return s
}

func openGated(t *testing.T, g *gateInjector, configure func(*control.Engine)) (*controltest.Harness, *countingStore) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: db}
	clk := clocktesting.NewFakeClock(controltest.Start)
	e := control.NewEngine(store, g, clk)
	e.Manual = true
	if configure != nil {
		configure(e)
	}
	if err := e.Open(ctx); err != nil {
		t.Fatal(err)
	}
	h := &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: g.Injector, DB: db, Engine: e}
	t.Cleanup(h.Close)
	return h, store
}

func TestAbort_revertsConcurrently(t *testing.T) {
	const n = 50
	distinct := func(i int) scenarios.Target {
		return scenarios.Target{Kind: "ConfigMap", Namespace: "shop", Name: fmt.Sprintf("cfg-%d", i)}
	}

	t.Run("fifty faults are reverted at once and journaled in a few appends", func(t *testing.T) {
		g := &gateInjector{Injector: controltest.NewInjector(), hold: n, arrived: make(chan struct{})}
		h, store := openGated(t, g, nil)
		id := startDrill(t, h, manyFaults(n, distinct))
		h.AdvanceTo(id, time.Minute)
		if b := h.Injector.BrokenFaults(); b != n {
			t.Fatalf("%d faults in effect, expected %d", b, n)
		}
		before := store.appends.Load()
		rep, err := h.Engine.AbortReport(h.Ctx, id, "fiona", "real outage")
		if err != nil {
			t.Fatal(err)
		}
		if g.maxSeen != n {
			t.Fatalf("at most %d reverts ran at once, expected all %d", g.maxSeen, n)
		}
		if len(rep.Reverted) != n || len(rep.Pending) != 0 || h.Injector.BrokenFaults() != 0 {
			t.Fatalf("report %d reverted, %d pending; %d still in effect", len(rep.Reverted), len(rep.Pending), h.Injector.BrokenFaults())
		}
		// The abort event, one append of every intent, then the results
		// grouped as they arrive: far fewer than the 2 per fault of a
		// serial write-ahead.
		if got := store.appends.Load() - before; got > 10 {
			t.Fatalf("%d journal appends for %d reverts, expected a few (group commit)", got, n)
		}
		if _, err := control.VerifyChain(0, "", h.Events(id)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("the concurrency bound holds", func(t *testing.T) {
		g := &gateInjector{Injector: controltest.NewInjector(), hold: 4, arrived: make(chan struct{})}
		h, _ := openGated(t, g, func(e *control.Engine) { e.RevertConcurrency = 4 })
		id := startDrill(t, h, manyFaults(20, distinct))
		h.AdvanceTo(id, time.Minute)
		if err := h.Engine.Abort(h.Ctx, id, "fiona", "real outage"); err != nil {
			t.Fatal(err)
		}
		if g.maxSeen != 4 {
			t.Fatalf("%d reverts ran at once, expected the bound of 4", g.maxSeen)
		}
	})

	t.Run("faults on the same object revert newest first and wait for a failing newer one", func(t *testing.T) {
		same := func(i int) scenarios.Target {
			if i < 3 {
				return scenarios.Target{Kind: "ConfigMap", Namespace: "shop", Name: "payment-config"}
			}
			return distinct(i)
		}
		g := &gateInjector{Injector: controltest.NewInjector(), fail: map[string]error{"f002": errors.New("apiserver unavailable")}}
		h, _ := openGated(t, g, nil)
		id := startDrill(t, h, manyFaults(5, same))
		h.AdvanceTo(id, time.Minute)
		rep, err := h.Engine.AbortReport(h.Ctx, id, "fiona", "real outage")
		if err != nil {
			t.Fatal(err)
		}
		pending := map[string]string{}
		for _, p := range rep.Pending {
			pending[p.FaultID] = p.Error
		}
		if len(pending) != 3 || pending["f002"] == "" || pending["f001"] == "" || pending["f000"] == "" {
			t.Fatalf("pending %v, expected f002 failing and f001, f000 waiting for it", pending)
		}
		if len(rep.Reverted) != 2 {
			t.Fatalf("reverted %v, expected the two faults on other objects", rep.Reverted)
		}
		if err := h.Engine.Abort(h.Ctx, id, "fiona", "again"); injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("second abort: %v", err)
		}
		delete(g.fail, "f002")
		h.Advance(id, 2*time.Second) // the first backoff is 1s
		var chain []string
		for _, f := range g.order {
			if f == "f000" || f == "f001" || f == "f002" {
				chain = append(chain, f)
			}
		}
		if want := "[f002 f002 f001 f000]"; fmt.Sprint(chain) != want {
			t.Fatalf("reverts on the shared object in order %v, expected %s (newest first, after the retry)", chain, want)
		}
		if h.Injector.BrokenFaults() != 0 {
			t.Fatalf("%d faults left in effect", h.Injector.BrokenFaults())
		}
	})
}

// partialInjector fails the first Inject of a fault after it changed the
// world, returning the partial-inject record as the contract says.
type partialInjector struct {
	*controltest.Injector
	mu       sync.Mutex
	failed   map[string]bool
	reverted [][]byte
}

func (p *partialInjector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	out, err := p.Injector.Inject(ctx, s, rec)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || p.failed[s.FaultID] {
		return out, err
	}
	p.failed[s.FaultID] = true
	partial, _ := json.Marshal(map[string]any{"drillId": s.DrillID, "faultId": s.FaultID, "partial": true})
	return partial, errors.New("the second object is gone")
}

func (p *partialInjector) Revert(ctx context.Context, plugin string, rec []byte) error {
	p.mu.Lock()
	p.reverted = append(p.reverted, rec)
	p.mu.Unlock()
	return p.Injector.Revert(ctx, plugin, rec)
}

func TestInject_partialRecordIsPersistedAndRevertedWith(t *testing.T) {
	inj := &partialInjector{Injector: controltest.NewInjector(), failed: map[string]bool{}}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakeClock(controltest.Start)
	e := control.NewEngine(db, inj, clk)
	e.Manual = true
	if err := e.Open(ctx); err != nil {
		t.Fatal(err)
	}
	h := &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: inj.Injector, DB: db, Engine: e}
	t.Cleanup(h.Close)
	id := startDrill(t, h, manyFaults(1, func(int) scenarios.Target { return scenarios.Target{} }))
	h.Advance(id, time.Second)

	var partial []byte
	for _, ev := range h.Events(id) {
		if ev.Type == control.EventFaultPartial {
			var p control.FaultEvent
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			partial = p.Record
		}
	}
	if !strings.Contains(string(partial), `"partial":true`) {
		t.Fatalf("journal holds partial record %q, expected the plugin's", partial)
	}
	if len(inj.reverted) == 0 || string(inj.reverted[0]) != string(partial) {
		t.Fatalf("reverted with %q, expected the partial record %q", inj.reverted, partial)
	}
	// The inject failure is recorded and retried; the retry succeeds.
	h.Advance(id, 15*time.Second)
	if f := fault(t, h.Drill(id), "f000"); f.Phase != control.FaultInEffect {
		t.Fatalf("f000 is %s, expected in effect after the retry", f.Phase)
	}
	if err := h.Engine.Abort(h.Ctx, id, "fiona", "done"); err != nil {
		t.Fatal(err)
	}
	if h.Injector.BrokenFaults() != 0 {
		t.Fatal("fault left in effect")
	}
}
