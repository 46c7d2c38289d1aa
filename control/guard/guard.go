// Package guard wraps the engine's injector with what a controller that
// shares the world with others needs before it touches a fault:
//
//   - a fence, checked before every plugin call: a controller that is not
//     sure it still leads (it could not renew its Lease in time) makes no
//     call at all, so two controllers never act on faults at once;
//   - a record book outside the controller's own database: every revert
//     record is kept there before the fault is injected (written ahead of
//     Inject, like the journal) and taken off when the fault is reverted,
//     so a sweep can restore the cluster even if the controller and its
//     database are gone (the "dead man's switch");
//   - an observer, told the outcome and latency of every call, for metrics.
//
// The records the guard sees are the engine's: sealed (control/seal), so the
// book holds ciphertext only.
package guard

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// Entry is what the book keeps of one fault: enough to revert it with no
// other state.
type Entry struct {
	DrillID string `json:"drillId"`
	FaultID string `json:"faultId"`
	Plugin  string `json:"plugin"`
	Type    string `json:"type"`
	// Record is the latest (sealed) revert record of the fault: the one
	// from Inject once it returned, else the one from Prepare.
	Record []byte `json:"record"`
}

// Book keeps revert records outside the controller's database.
type Book interface {
	// Keep durably stores e, replacing the entry of the same drill and
	// fault; it returns only once the record is stored.
	Keep(ctx context.Context, e Entry) error
	// Forget removes the entry of the drill's fault; a missing entry is
	// not an error.
	Forget(ctx context.Context, drillID, faultID string) error
	// Entries lists every entry of the book.
	Entries(ctx context.Context) ([]Entry, error)
}

// Observer is told about every plugin call the guard passes on.
type Observer interface {
	// Observe reports one call: op is prepare, inject, status, revert or
	// probe; typ is the fault or probe type ("" when not known).
	Observe(op, plugin, typ string, took time.Duration, err error)
}

// Options configure Injector. Every field is optional.
type Options struct {
	// Fence returns an error when the controller may not act on faults
	// now; it is checked before every call.
	Fence func() error
	// Book, when set, keeps every revert record before it is used.
	Book Book
	// Observer is told about every call.
	Observer Observer
	// Clock times the calls; default the real clock.
	Clock clock.PassiveClock
}

// Injector wraps inner with the fence, the book and the observer.
func Injector(inner control.Injector, o Options) control.Injector {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return &guarded{inner: inner, o: o, known: map[[32]byte]Entry{}}
}

type guarded struct {
	inner control.Injector
	o     Options

	mu sync.Mutex
	// known maps the hash of every record handed out to its entry, so
	// that Revert (which gets only the record) finds the fault.
	known map[[32]byte]Entry
}

func (g *guarded) fence(what string) error {
	if g.o.Fence == nil {
		return nil
	}
	if err := g.o.Fence(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (g *guarded) observe(op, plugin, typ string, start time.Time, err error) {
	if g.o.Observer != nil {
		g.o.Observer.Observe(op, plugin, typ, g.o.Clock.Since(start), err)
	}
}

func (g *guarded) keep(ctx context.Context, f control.FaultSpec, record []byte) error {
	e := Entry{DrillID: f.DrillID, FaultID: f.FaultID, Plugin: f.Plugin, Type: f.Type, Record: record}
	if g.o.Book != nil && len(record) > 0 {
		if err := g.o.Book.Keep(ctx, e); err != nil {
			return injectors.Errorf(injectors.EINTERNAL, "keep the revert record of %s outside the database: %v", f.FaultID, err)
		}
	}
	g.mu.Lock()
	g.known[sha256.Sum256(record)] = e
	g.mu.Unlock()
	return nil
}

func (g *guarded) Prepare(ctx context.Context, f control.FaultSpec) ([]byte, error) {
	if err := g.fence("prepare " + f.FaultID); err != nil {
		return nil, err
	}
	start := g.o.Clock.Now()
	rec, err := g.inner.Prepare(ctx, f)
	g.observe("prepare", f.Plugin, f.Type, start, err)
	if err != nil {
		return nil, err
	}
	// A new Prepare of a fault supersedes its earlier records (the engine
	// prepares pending faults ahead of their fire and renews them; a fault
	// holding a record in effect is not prepared again), as the book's
	// entry is replaced: known does not grow with every renewal.
	g.mu.Lock()
	for h, k := range g.known {
		if k.DrillID == f.DrillID && k.FaultID == f.FaultID {
			delete(g.known, h)
		}
	}
	g.mu.Unlock()
	// The record is in the book before the engine can hand it to Inject.
	if err := g.keep(ctx, f, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (g *guarded) Inject(ctx context.Context, f control.FaultSpec, record []byte) ([]byte, error) {
	if err := g.fence("inject " + f.FaultID); err != nil {
		return nil, err
	}
	start := g.o.Clock.Now()
	rec, err := g.inner.Inject(ctx, f, record)
	g.observe("inject", f.Plugin, f.Type, start, err)
	if len(rec) > 0 {
		if kerr := g.keep(ctx, f, rec); kerr != nil && err == nil {
			// The fault is in effect but its refined record is not in the
			// book: the prepared record there still reverts it. Report
			// the failure so the engine reverts and retries.
			return rec, kerr
		}
	}
	return rec, err
}

func (g *guarded) Status(ctx context.Context, f control.FaultSpec, record []byte) (injectors.Status, error) {
	if err := g.fence("status " + f.FaultID); err != nil {
		return injectors.Status{}, err
	}
	start := g.o.Clock.Now()
	st, err := g.inner.Status(ctx, f, record)
	g.observe("status", f.Plugin, f.Type, start, err)
	return st, err
}

func (g *guarded) Revert(ctx context.Context, plugin string, record []byte) error {
	if err := g.fence("revert"); err != nil {
		return err
	}
	g.mu.Lock()
	e, ok := g.known[sha256.Sum256(record)]
	g.mu.Unlock()
	if !ok && g.o.Book != nil {
		// A record of another process (a failed-over leader): look for it.
		if entries, err := g.o.Book.Entries(ctx); err == nil {
			for _, be := range entries {
				if string(be.Record) == string(record) {
					e, ok = be, true
					break
				}
			}
		}
	}
	start := g.o.Clock.Now()
	err := g.inner.Revert(ctx, plugin, record)
	g.observe("revert", plugin, e.Type, start, err)
	if err != nil {
		return err
	}
	if ok && g.o.Book != nil {
		if ferr := g.o.Book.Forget(ctx, e.DrillID, e.FaultID); ferr != nil {
			// Reverted; the entry is left for the next revert or sweep,
			// which finds nothing to do.
			return fmt.Errorf("revert %s: reverted, but its book entry stays: %w", e.FaultID, ferr)
		}
	}
	if ok {
		g.mu.Lock()
		for h, k := range g.known {
			if k.DrillID == e.DrillID && k.FaultID == e.FaultID {
				delete(g.known, h)
			}
		}
		g.mu.Unlock()
	}
	return nil
}

func (g *guarded) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	if err := g.fence("probe"); err != nil {
		return injectors.ProbeResult{}, err
	}
	start := g.o.Clock.Now()
	res, err := g.inner.Probe(ctx, p)
	g.observe("probe", p.Plugin, p.Type, start, err)
	return res, err
}
