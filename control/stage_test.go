package control_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
)

// staleInjector refuses the first Inject of each fault in stale as the
// contract's stale-record rule says: ECONFLICT, no record, nothing written.
type staleInjector struct {
	*loggedInjector
	mu    sync.Mutex
	stale map[string]bool
}

func (i *staleInjector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	i.mu.Lock()
	refuse := i.stale[s.FaultID]
	delete(i.stale, s.FaultID)
	i.mu.Unlock()
	if refuse {
		i.log.add("inject " + s.FaultID)
		return nil, injectors.Errorf(injectors.ECONFLICT, "ConfigMap changed since the fault was prepared: prepare again")
	}
	return i.loggedInjector.Inject(ctx, s, rec)
}

// With PrepareAhead, a running drill's loop prepares its pending faults
// ahead of their fire, so "fire now" is the journal write of the request,
// the intent and that record, then the inject: no Prepare on the way. A
// record the plugin finds stale is prepared again and journaled before the
// inject is retried.
func TestFireFaultNow_withARecordPreparedAhead(t *testing.T) {
	tests := []struct {
		name  string
		stale bool
		want  []string
	}{
		{name: "no Prepare when the fault fires", want: []string{
			"append fault.fire-requested/cache-evict fault.intent/cache-evict fault.prepared/cache-evict",
			"inject cache-evict",
			"append fault.injected/cache-evict",
		}},
		{name: "a stale record is prepared again and journaled before the retried inject", stale: true, want: []string{
			"append fault.fire-requested/cache-evict fault.intent/cache-evict fault.prepared/cache-evict",
			"inject cache-evict",
			"prepare cache-evict",
			"append fault.prepared/cache-evict",
			"inject cache-evict",
			"append fault.injected/cache-evict",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &opLog{}
			inj := controltest.NewInjector()
			stale := &staleInjector{loggedInjector: &loggedInjector{Injector: inj, log: log}, stale: map[string]bool{"cache-evict": tt.stale}}
			h := loggedHarness(t, log, stale, inj, control.DefaultPrepareAhead)
			ctx, e := h.Ctx, h.Engine
			id := startDrill(t, h, controltest.PaymentScenario())
			waitFor(t, "cache-evict prepared ahead", func() bool { return slices.Contains(log.list(), "prepare cache-evict") })

			before := len(log.list())
			if err := e.FireFaultNow(ctx, id, "cache-evict", "fiona"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "cache-evict in effect", func() bool {
				d, err := e.Drill(ctx, id)
				f, _ := d.Fault("cache-evict")
				return err == nil && f.Phase == control.FaultInEffect
			})
			var got []string
			for _, op := range log.list()[before:] {
				if strings.Contains(op, "cache-evict") {
					got = append(got, op)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("fire now did %q, expected %q", got, tt.want)
			}
			if !inj.Broken("cache-evict") {
				t.Fatal("cache-evict is in effect in the journal but not injected")
			}
		})
	}
}

// waitFor polls cond for up to 10 seconds of wall time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
	}
}

// startGate holds the journal's append of drill.started until the
// injector has been asked for a Prepare, for at most hold, and remembers
// whether one had been asked for by then.
type startGate struct {
	control.Store
	hold     time.Duration
	asked    chan struct{}
	askOnce  sync.Once
	mu       sync.Mutex
	answered []bool
}

func (g *startGate) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	if evs[0].Type == control.EventDrillStarted {
		early := true
		select {
		case <-g.asked:
		case <-time.After(g.hold):
			early = false
		}
		g.mu.Lock()
		g.answered = append(g.answered, early)
		g.mu.Unlock()
	}
	return g.Store.Append(ctx, sum, evs)
}

// gatedInjector tells the gate when a Prepare is asked for.
type gatedInjector struct {
	*loggedInjector
	gate *startGate
}

func (i *gatedInjector) Prepare(ctx context.Context, s control.FaultSpec) ([]byte, error) {
	i.gate.askOnce.Do(func() { close(i.gate.asked) })
	return i.loggedInjector.Prepare(ctx, s)
}

// Start prepares the drill's first pending faults while drill.started is
// being journaled, not after, so that a fault a designer fires right after
// the start finds its record ready or under way; the fire then makes no
// Prepare of its own. A manual engine, or one that does not prepare ahead,
// makes no Prepare before a fire.
func TestStart_preparesTheFirstFaultsWhileDrillStartedIsJournaled(t *testing.T) {
	tests := []struct {
		name         string
		prepareAhead time.Duration
		manual       bool
		early        bool
	}{
		{name: "prepared while the start is journaled", prepareAhead: control.DefaultPrepareAhead, early: true},
		{name: "nothing prepared without PrepareAhead", prepareAhead: 0},
		{name: "nothing prepared by a manual engine", prepareAhead: control.DefaultPrepareAhead, manual: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "firedrill.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			hold := 5 * time.Second
			if !tt.early {
				hold = 50 * time.Millisecond
			}
			log := &opLog{}
			gate := &startGate{Store: &loggedStore{Store: db, log: log}, hold: hold, asked: make(chan struct{})}
			fake := controltest.NewInjector()
			e := control.NewEngine(gate, &gatedInjector{loggedInjector: &loggedInjector{Injector: fake, log: log}, gate: gate}, clocktesting.NewFakeClock(controltest.Start))
			e.PrepareAhead, e.Manual = tt.prepareAhead, tt.manual
			if err := e.Open(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			s := controltest.PaymentScenario()
			d, err := e.CreateDrill(ctx, control.DrillRequest{Scenario: s, Actor: "fiona"})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Start(ctx, d.ID, "fiona"); err != nil {
				t.Fatal(err)
			}
			gate.mu.Lock()
			answered := slices.Clone(gate.answered)
			gate.mu.Unlock()
			if !slices.Equal(answered, []bool{tt.early}) {
				t.Fatalf("a Prepare was asked for before drill.started was journaled: %v; expected [%v]", answered, tt.early)
			}
			if !tt.early {
				return
			}
			fault := "cache-evict"
			waitFor(t, fault+" prepared ahead", func() bool { return slices.Contains(log.list(), "prepare "+fault) })
			before := len(log.list())
			if err := e.FireFaultNow(ctx, d.ID, fault, "designer"); err != nil {
				t.Fatal(err)
			}
			for _, op := range log.list()[before:] {
				if op == "prepare "+fault {
					t.Fatalf("the fire of %s prepared it again: %q", fault, log.list()[before:])
				}
			}
		})
	}
}
