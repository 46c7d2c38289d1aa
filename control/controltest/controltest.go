// Package controltest helps test code built on the drill engine: an
// in-memory Injector that records every call and models a tiny world of
// faults that participants can fix, and a Harness that runs a manual engine
// over a real SQLite file on a fake clock, so a 90-minute drill runs in
// milliseconds with every timestamp checkable.
package controltest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Call is one recorded injector call.
type Call struct {
	Op      string // prepare, inject, status, revert, probe
	FaultID string
}

// Injector is a fake control.Injector. A fault is "broken" from Inject until
// it is reverted or fixed with Fix; a probe with params {"fault": id} holds
// while that fault is not broken. Errors can be queued per operation.
type Injector struct {
	mu     sync.Mutex
	broken map[string]bool
	calls  []Call
	fail   map[string][]error // op → errors returned by the next calls
	bound  map[string]string  // probe key → fault id, from Bind
	// linger and lingerUntil: how long a fault's probes keep failing
	// after its revert, and until when they do (see Lingers).
	linger      map[string]time.Duration
	lingerUntil map[string]time.Time
	// Clock tells the time for Lingers; OpenHarness sets the harness's.
	Clock clock.PassiveClock
	// AfterInject, when set, runs after a successful Inject changed the
	// world and before it returns.
	AfterInject func(faultID string)
	// AfterProbe, when set, runs after each Probe answered and before it
	// returns (a test moves the clock there, as a slow check would).
	AfterProbe func()
}

// NewInjector returns an injector with a healthy world.
func NewInjector() *Injector {
	return &Injector{broken: map[string]bool{}, fail: map[string][]error{}, bound: map[string]string{},
		linger: map[string]time.Duration{}, lingerUntil: map[string]time.Time{}}
}

// Lingers makes the fault's damage outlast its revert by d on the
// injector's clock, as a real target recovers after a revert (pods
// restart, a deployment becomes available again): its probes keep failing
// until then, whatever participants do (a fix does not make pods restart
// faster).
func (f *Injector) Lingers(faultID string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.linger[faultID] = d
}

func probeKey(p control.ProbeSpec) string {
	t, _ := json.Marshal(p.Target)
	return p.Plugin + "/" + p.Type + " " + string(t) + " " + string(p.Params)
}

// Bind lets the injector answer the probes of a real scenario: each probe of
// a fault's resolvedWhen (and an alert check identical to one) holds while
// that fault is not broken. Probes it does not know hold.
func (f *Injector) Bind(s *scenarios.Scenario) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fl := range s.Faults {
		for _, p := range fl.ResolvedWhen.Probes {
			spec, err := control.NewProbeSpec(p)
			if err != nil {
				continue // the engine refuses this probe itself; nothing to bind
			}
			f.bound[probeKey(spec)] = fl.ID
		}
	}
}

type record struct {
	DrillID string `json:"drillId"`
	FaultID string `json:"faultId"`
}

// Fix heals a fault the way participants would: the probes hold again.
func (f *Injector) Fix(faultID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.broken, faultID)
}

// Break breaks a fault's probes, as a regression would.
func (f *Injector) Break(faultID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[faultID] = true
}

// Broken reports whether the fault is in effect in the world.
func (f *Injector) Broken(faultID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken[faultID]
}

// BrokenFaults returns how many faults are in effect in the world.
func (f *Injector) BrokenFaults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.broken)
}

// FailNext makes the next call of op (prepare, inject, status, revert,
// probe) return err; queue several to fail several calls.
func (f *Injector) FailNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = append(f.fail[op], err)
}

// FailNextFor is FailNext for the calls about one fault only.
func (f *Injector) FailNextFor(op, faultID string, err error) {
	f.FailNext(op+":"+faultID, err)
}

// Calls returns the recorded calls of op, or of every op when op is "".
func (f *Injector) Calls(op string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *Injector) record(op, faultID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: op, FaultID: faultID})
	for _, key := range []string{op + ":" + faultID, op} {
		if q := f.fail[key]; len(q) > 0 {
			f.fail[key] = q[1:]
			return q[0]
		}
	}
	return nil
}

// Prepare implements control.Injector.
func (f *Injector) Prepare(ctx context.Context, s control.FaultSpec) ([]byte, error) {
	if err := f.record("prepare", s.FaultID); err != nil {
		return nil, err
	}
	return json.Marshal(record{DrillID: s.DrillID, FaultID: s.FaultID})
}

// Inject implements control.Injector.
func (f *Injector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	if err := f.record("inject", s.FaultID); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.broken[s.FaultID] = true
	hook := f.AfterInject
	f.mu.Unlock()
	if hook != nil {
		hook(s.FaultID)
	}
	return rec, nil
}

// Status implements control.Injector.
func (f *Injector) Status(ctx context.Context, s control.FaultSpec, rec []byte) (injectors.Status, error) {
	if err := f.record("status", s.FaultID); err != nil {
		return injectors.Status{}, err
	}
	if f.Broken(s.FaultID) {
		return injectors.Status{Effect: injectors.InEffect}, nil
	}
	return injectors.Status{Effect: injectors.Reverted}, nil
}

// Revert implements control.Injector.
func (f *Injector) Revert(ctx context.Context, plugin string, rec []byte) error {
	var r record
	if err := json.Unmarshal(rec, &r); err != nil {
		return fmt.Errorf("revert: bad record: %w", err)
	}
	if err := f.record("revert", r.FaultID); err != nil {
		return err
	}
	f.Fix(r.FaultID)
	f.mu.Lock()
	if d := f.linger[r.FaultID]; d > 0 && f.Clock != nil {
		f.lingerUntil[r.FaultID] = f.Clock.Now().Add(d)
	}
	f.mu.Unlock()
	return nil
}

// recovering reports whether the fault's damage still lingers after its
// revert, and until when.
func (f *Injector) recovering(faultID string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.lingerUntil[faultID]
	if !ok || f.Clock == nil || !f.Clock.Now().Before(until) {
		return time.Time{}, false
	}
	return until, true
}

// Probe implements control.Injector.
func (f *Injector) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	var params struct {
		Fault string `json:"fault"`
	}
	_ = json.Unmarshal(p.Params, &params)
	if params.Fault == "" {
		f.mu.Lock()
		params.Fault = f.bound[probeKey(p)]
		f.mu.Unlock()
	}
	if err := f.record("probe", params.Fault); err != nil {
		return injectors.ProbeResult{}, err
	}
	res := injectors.ProbeResult{OK: true, Detail: "nothing it checks is broken"}
	if params.Fault != "" {
		res = injectors.ProbeResult{OK: true, Detail: params.Fault + " is healthy"}
		if f.Broken(params.Fault) {
			res = injectors.ProbeResult{OK: false, Detail: params.Fault + " is broken"}
		} else if until, ok := f.recovering(params.Fault); ok {
			res = injectors.ProbeResult{OK: false, Detail: params.Fault + " was reverted and is still recovering until " + until.Format(time.TimeOnly)}
		}
	}
	f.mu.Lock()
	hook := f.AfterProbe
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return res, nil
}

// Start is the wall time harnesses start their fake clock at.
var Start = time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)

// Harness is a manual engine over a real SQLite file, the fake Injector and
// a fake clock.
type Harness struct {
	T        testing.TB
	Ctx      context.Context
	Clock    *clocktesting.FakeClock
	Injector *Injector
	DB       *sqlite.DB
	Engine   *control.Engine
	Path     string
}

// NewHarness opens a harness on a fresh database file.
func NewHarness(t testing.TB) *Harness {
	t.Helper()
	return OpenHarness(t, filepath.Join(t.TempDir(), "firedrill.db"), clocktesting.NewFakeClock(Start), NewInjector(), nil)
}

// OpenHarness opens a manual engine on the database at path, as a restarted
// controller would; configure, when set, adjusts the engine before Open.
func OpenHarness(t testing.TB, path string, clk *clocktesting.FakeClock, inj *Injector, configure func(*control.Engine)) *Harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if inj.Clock == nil {
		inj.Clock = clk
	}
	e := control.NewEngine(db, inj, clk)
	e.Manual = true
	if configure != nil {
		configure(e)
	}
	if err := e.Open(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	h := &Harness{T: t, Ctx: ctx, Clock: clk, Injector: inj, DB: db, Engine: e, Path: path}
	t.Cleanup(h.Close)
	return h
}

// Close closes the engine and the database.
func (h *Harness) Close() {
	h.Engine.Close()
	h.DB.Close()
}

// Advance moves the fake clock forward by d of wall time, running the
// drill's due work at every instant something is due, in order.
func (h *Harness) Advance(drillID string, d time.Duration) {
	h.T.Helper()
	target := h.Clock.Now().Add(d)
	for i := 0; ; i++ {
		if i > 1_000_000 {
			h.T.Fatalf("drill %s: Advance did not settle", drillID)
		}
		if err := h.Engine.RunDue(h.Ctx, drillID); err != nil {
			h.T.Fatalf("drill %s: RunDue at %s: %v", drillID, h.Clock.Now().Sub(Start), err)
		}
		next, ok := h.Engine.NextWake(drillID)
		if !ok || next.After(target) {
			break
		}
		if next.After(h.Clock.Now()) {
			h.Clock.SetTime(next)
		}
	}
	h.Clock.SetTime(target)
	if err := h.Engine.RunDue(h.Ctx, drillID); err != nil {
		h.T.Fatalf("drill %s: RunDue: %v", drillID, err)
	}
}

// AdvanceTo advances until the drill clock reads at (wall and drill time
// advance together unless paused or scaled).
func (h *Harness) AdvanceTo(drillID string, at time.Duration) {
	h.T.Helper()
	el, err := h.Engine.Elapsed(h.Ctx, drillID)
	if err != nil {
		h.T.Fatal(err)
	}
	d, err := h.Engine.Drill(h.Ctx, drillID)
	if err != nil {
		h.T.Fatal(err)
	}
	if at < el {
		h.T.Fatalf("AdvanceTo(%s): the drill clock is already at %s", at, el)
	}
	h.Advance(drillID, time.Duration(float64(at-el)/d.TimeScale))
}

// Drill returns the drill's current state.
func (h *Harness) Drill(id string) *control.Drill {
	h.T.Helper()
	d, err := h.Engine.Drill(h.Ctx, id)
	if err != nil {
		h.T.Fatal(err)
	}
	return d
}

// Events returns the drill's journal.
func (h *Harness) Events(id string) []control.Event {
	h.T.Helper()
	evs, err := h.Engine.Events(h.Ctx, id, 0)
	if err != nil {
		h.T.Fatal(err)
	}
	return evs
}

// EventTimes returns the drill times of the drill's events of type typ
// whose payload contains the JSON fragment match (e.g. `"faultId":"db"`).
func (h *Harness) EventTimes(id, typ, match string) []time.Duration {
	h.T.Helper()
	var out []time.Duration
	for _, e := range h.Events(id) {
		if e.Type == typ && (match == "" || contains(string(e.Payload), match)) {
			out = append(out, e.DrillTime)
		}
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
