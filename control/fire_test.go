package control_test

import (
	"context"
	"encoding/json"
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
)

// opLog is the order in which the journal took appends and the injector
// took calls.
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, s)
}

func (l *opLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops)
}

// loggedStore logs each append as its events, "type/faultId" for fault
// events, separated by spaces.
type loggedStore struct {
	control.Store
	log *opLog
}

func (s *loggedStore) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
		var p struct {
			FaultID string `json:"faultId"`
		}
		if json.Unmarshal(e.Payload, &p) == nil && p.FaultID != "" {
			types[i] += "/" + p.FaultID
		}
	}
	if err := s.Store.Append(ctx, sum, evs); err != nil {
		return err
	}
	s.log.add("append " + strings.Join(types, " "))
	return nil
}

// loggedInjector logs each Prepare and Inject.
type loggedInjector struct {
	*controltest.Injector
	log *opLog
}

func (i *loggedInjector) Prepare(ctx context.Context, s control.FaultSpec) ([]byte, error) {
	i.log.add("prepare " + s.FaultID)
	return i.Injector.Prepare(ctx, s)
}

func (i *loggedInjector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	i.log.add("inject " + s.FaultID)
	return i.Injector.Inject(ctx, s, rec)
}

// "Fire now" on a running engine injects the fault before it returns, with
// one journal write ahead of the inject: the person's request, the intent
// and the revert record from Prepare together; fault.injected follows. A paused drill keeps the
// request for its resume.
func TestFireFaultNow_journalsRequestIntentAndRecordInOneAppendBeforeTheInject(t *testing.T) {
	log := &opLog{}
	inj := controltest.NewInjector()
	h := loggedHarness(t, log, &loggedInjector{Injector: inj, log: log}, inj, 0)
	ctx, e := h.Ctx, h.Engine
	id := startDrill(t, h, controltest.PaymentScenario())

	before := len(log.list())
	if err := e.FireFaultNow(ctx, id, "cache-evict", "fiona"); err != nil {
		t.Fatal(err)
	}
	if !inj.Broken("cache-evict") {
		t.Fatal("cache-evict is not injected when FireFaultNow returned")
	}
	// fault.injected is journaled right after the inject, off the path
	// the person waits on.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		d, err := e.Drill(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := d.Fault("cache-evict"); f.Phase == control.FaultInEffect {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cache-evict is not in effect 10s after FireFaultNow returned")
		}
	}
	// The drill's loop journals its own faults (db-config) alongside;
	// cache-evict's operations must be exactly these, in this order.
	var got []string
	for _, op := range log.list()[before:] {
		if strings.Contains(op, "cache-evict") {
			got = append(got, op)
		}
	}
	want := []string{
		"prepare cache-evict",
		"append fault.fire-requested/cache-evict fault.intent/cache-evict fault.prepared/cache-evict",
		"inject cache-evict",
		"append fault.injected/cache-evict",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("fire now did %q, expected %q", got, want)
	}

	t.Run("a paused drill keeps the request for its resume", func(t *testing.T) {
		id := startDrill(t, h, controltest.PaymentScenario())
		if err := e.Pause(ctx, id, "fiona", "a real incident"); err != nil {
			t.Fatal(err)
		}
		if err := e.FireFaultNow(ctx, id, "cache-evict", "fiona"); err != nil {
			t.Fatal(err)
		}
		d, err := e.Drill(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := d.Fault("cache-evict"); f.Phase != control.FaultPending || f.FireRequestedAt == nil {
			t.Fatalf("cache-evict is %s (requested %v) in a paused drill; expected pending with the request kept", f.Phase, f.FireRequestedAt)
		}
	})
}

// loggedHarness returns a running (not manual) engine on a fake clock over
// a SQLite journal, both logging to log; in is the injector it calls (one
// that logs to log, wrapping fake), and prepareAhead its PrepareAhead.
func loggedHarness(t *testing.T, log *opLog, in control.Injector, fake *controltest.Injector, prepareAhead time.Duration) *controltest.Harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clocktesting.NewFakeClock(controltest.Start)
	e := control.NewEngine(&loggedStore{Store: db, log: log}, in, clk)
	e.PrepareAhead = prepareAhead
	if err := e.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: fake, DB: db, Engine: e}
}
