// Package storetest is the one contract test suite of firedrill's stores:
// the drill journal (control.Store), the program's plans (program.Store) and
// the drill room's tokens and sessions (ui.JoinTokens, ui.SessionStore).
// control/sqlite, control/postgres, ui/sqlite and ui/postgres run it against
// their real databases, so that every store behaves the same; the
// benchmarks that compare them live here too.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
)

// Journal is a journal store under test.
type Journal interface {
	control.Store
	program.Store
	// ImportPlan stores a plan as it is, with its version and journal.
	ImportPlan(ctx context.Context, p *program.Plan) error
	Close() error
}

// Opener makes a fresh, empty store for one test and returns the function
// that opens it; each call opens the same store again (the suite checks
// that data survives reopening). The opener registers closing with t.
type Opener func(t testing.TB) func() Journal

// Sealed returns n chat events of drill id following prevSeq/prevHash, with
// nanosecond times.
func Sealed(t testing.TB, id string, prevSeq int64, prevHash string, n int) []control.Event {
	t.Helper()
	base := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.UTC)
	var evs []control.Event
	for i := 0; i < n; i++ {
		e := control.Event{
			DrillID: id, Type: "chat.message", Actor: "p1",
			Time:      base.Add(time.Duration(prevSeq+int64(i)) * time.Second),
			DrillTime: time.Duration(prevSeq+int64(i)) * time.Second,
			Payload:   json.RawMessage(fmt.Sprintf(`{"channel":"incident","text":"message %d"}`, prevSeq+int64(i)+1)),
		}
		if err := e.Seal(prevSeq, prevHash); err != nil {
			t.Fatal(err)
		}
		prevSeq, prevHash = e.Seq, e.Hash
		evs = append(evs, e)
	}
	return evs
}

// Summary is the summary row of a drill whose last append was evs.
func Summary(id string, evs []control.Event, state control.DrillState) control.DrillSummary {
	last := evs[len(evs)-1]
	return control.DrillSummary{ID: id, Title: "t " + id, Scenario: "s", State: state, Seq: last.Seq, Head: last.Hash, CreatedAt: evs[0].Time, UpdatedAt: last.Time}
}

// TestJournal checks control.Store: appends round-trip every field and keep
// the hash chain, conflicting appends are refused whole, summaries select
// open drills, and everything survives reopening.
func TestJournal(t *testing.T, open Opener) {
	ctx := context.Background()
	reopen := open(t)
	db := reopen()
	first := Sealed(t, "d1", 0, "", 3)
	first[1].Payload = nil // an event without payload stays without
	if err := first[1].Seal(first[0].Seq, first[0].Hash); err != nil {
		t.Fatal(err)
	}
	if err := first[2].Seal(first[1].Seq, first[1].Hash); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, Summary("d1", first, control.StateDraft), first); err != nil {
		t.Fatal(err)
	}

	t.Run("round trip keeps every field and the chain", func(t *testing.T) {
		got, err := db.Events(ctx, "d1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(first) {
			t.Fatalf("got %d events, expected %d", len(got), len(first))
		}
		for i := range got {
			g, w := got[i], first[i]
			if g.DrillID != w.DrillID || g.Seq != w.Seq || g.Type != w.Type || !g.Time.Equal(w.Time) || g.Time.Location() != time.UTC ||
				g.DrillTime != w.DrillTime || g.Actor != w.Actor || string(g.Payload) != string(w.Payload) || g.PrevHash != w.PrevHash || g.Hash != w.Hash {
				t.Fatalf("event %d: got %+v, expected %+v", i, g, w)
			}
		}
		if got[1].Payload != nil {
			t.Fatalf("event without payload came back with %q", got[1].Payload)
		}
		if _, err := control.VerifyChain(0, "", got); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("after sequence and limit select a window", func(t *testing.T) {
		got, err := db.Events(ctx, "d1", 1, 1)
		if err != nil || len(got) != 1 || got[0].Seq != 2 {
			t.Fatalf("Events(after 1, limit 1) = %+v, %v", got, err)
		}
		if got, err := db.Events(ctx, "nobody", 0, 0); err != nil || len(got) != 0 {
			t.Fatalf("Events(unknown drill) = %+v, %v; expected none", got, err)
		}
	})

	t.Run("append from a stale head conflicts", func(t *testing.T) {
		stale := Sealed(t, "d1", 1, first[0].Hash, 1)
		err := db.Append(ctx, Summary("d1", stale, control.StateDraft), stale)
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("Append(stale) = %v, expected %s", err, injectors.ECONFLICT)
		}
	})

	t.Run("append with a gap conflicts", func(t *testing.T) {
		gap := Sealed(t, "d1", 5, "x", 1)
		err := db.Append(ctx, Summary("d1", gap, control.StateDraft), gap)
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("Append(gap) = %v, expected %s", err, injectors.ECONFLICT)
		}
	})

	t.Run("an append with another drill's event is refused whole", func(t *testing.T) {
		evs := Sealed(t, "d1", 3, first[2].Hash, 2)
		evs[1].DrillID = "other"
		err := db.Append(ctx, Summary("d1", evs, control.StateRunning), evs)
		if injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("Append(mixed drills) = %v, expected %s", err, injectors.EINVALID)
		}
		got, _ := db.Events(ctx, "d1", 0, 0)
		ds, _ := db.Drills(ctx, control.DrillFilter{})
		if len(got) != 3 || len(ds) != 1 || ds[0].State != control.StateDraft {
			t.Fatalf("after a refused append: %d events, drills %+v; expected 3 events of a draft", len(got), ds)
		}
	})

	t.Run("summaries keep every field and select open drills oldest first", func(t *testing.T) {
		other := Sealed(t, "d2", 0, "", 1)
		if err := db.Append(ctx, Summary("d2", other, control.StateClosed), other); err != nil {
			t.Fatal(err)
		}
		open, err := db.Drills(ctx, control.DrillFilter{Open: true})
		if err != nil || len(open) != 1 || open[0].ID != "d1" {
			t.Fatalf("open drills = %+v, %v", open, err)
		}
		want := Summary("d1", first, control.StateDraft)
		if g := open[0]; g.Title != want.Title || g.Scenario != want.Scenario || g.Seq != want.Seq || g.Head != want.Head || !g.CreatedAt.Equal(want.CreatedAt) || !g.UpdatedAt.Equal(want.UpdatedAt) {
			t.Fatalf("summary %+v, expected %+v", g, want)
		}
		all, err := db.Drills(ctx, control.DrillFilter{})
		if err != nil || len(all) != 2 || all[0].ID != "d1" || all[1].ID != "d2" {
			t.Fatalf("all drills = %+v, %v; expected d1 then d2", all, err)
		}
	})

	t.Run("data survives reopening", func(t *testing.T) {
		db.Close()
		db = reopen()
		got, err := db.Events(ctx, "d1", 0, 0)
		if err != nil || len(got) != 3 {
			t.Fatalf("after reopen: %d events, %v", len(got), err)
		}
		if _, err := control.VerifyChain(0, "", got); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("later appends move the summary to their last event and state", func(t *testing.T) {
		created := Sealed(t, "d3", 0, "", 1)
		if err := db.Append(ctx, Summary("d3", created, control.StateDraft), created); err != nil {
			t.Fatal(err)
		}
		want := Summary("d3", created, control.StateDraft)
		check := func(last control.Event, state control.DrillState) {
			t.Helper()
			all, err := db.Drills(ctx, control.DrillFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range all {
				if g.ID != "d3" {
					continue
				}
				if g.Title != want.Title || g.Scenario != want.Scenario || !g.CreatedAt.Equal(want.CreatedAt) ||
					g.Seq != last.Seq || g.Head != last.Hash || !g.UpdatedAt.Equal(last.Time) || g.State != state {
					t.Fatalf("summary %+v, expected %s at #%d (%s, %s) created %s", g, state, last.Seq, last.Hash, last.Time, want.CreatedAt)
				}
				return
			}
			t.Fatalf("drill d3 is not among %+v", all)
		}
		chat := Sealed(t, "d3", 1, created[0].Hash, 2)
		if err := db.Append(ctx, Summary("d3", chat, control.StateDraft), chat); err != nil {
			t.Fatal(err)
		}
		check(chat[1], control.StateDraft)
		// A refused append's state is not the row's: the next append
		// with that state still sets it.
		stale := Sealed(t, "d3", 2, chat[0].Hash, 1)
		if err := db.Append(ctx, Summary("d3", stale, control.StateRunning), stale); injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("Append(stale, running) = %v, expected %s", err, injectors.ECONFLICT)
		}
		check(chat[1], control.StateDraft)
		started := Sealed(t, "d3", 3, chat[1].Hash, 1)
		if err := db.Append(ctx, Summary("d3", started, control.StateRunning), started); err != nil {
			t.Fatal(err)
		}
		check(started[0], control.StateRunning)
		closed := Sealed(t, "d3", 4, started[0].Hash, 1)
		if err := db.Append(ctx, Summary("d3", closed, control.StateClosed), closed); err != nil {
			t.Fatal(err)
		}
		check(closed[0], control.StateClosed)
		open, err := db.Drills(ctx, control.DrillFilter{Open: true})
		if err != nil || len(open) != 1 || open[0].ID != "d1" {
			t.Fatalf("open drills = %+v, %v; expected d1 alone once d3 closed", open, err)
		}
	})
}

// TestGroupCommit appends from many drills at once, so that the writer
// groups them into shared transactions, with a stale append mixed in: every
// good append lands gaplessly with its chain, the stale one alone is
// refused, and all of it survives reopening. A closed store refuses appends
// instead of hanging.
func TestGroupCommit(t *testing.T, open Opener) {
	ctx := context.Background()
	reopen := open(t)
	db := reopen()
	const drills, rounds = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, drills*rounds+1)
	for d := 0; d < drills; d++ {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			prev, seq := "", int64(0)
			for r := 0; r < rounds; r++ {
				evs := Sealed(t, id, seq, prev, 2)
				if err := db.Append(ctx, Summary(id, evs, control.StateRunning), evs); err != nil {
					errs <- fmt.Errorf("%s round %d: %w", id, r, err)
					return
				}
				seq, prev = evs[len(evs)-1].Seq, evs[len(evs)-1].Hash
			}
		}(fmt.Sprintf("d%02d", d))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		evs := Sealed(t, "stale", 0, "", 1)
		if err := db.Append(ctx, Summary("stale", evs, control.StateRunning), evs); err != nil {
			errs <- err
			return
		}
		if err := db.Append(ctx, Summary("stale", evs, control.StateRunning), evs); injectors.ErrorCode(err) != injectors.ECONFLICT {
			errs <- fmt.Errorf("replayed append = %v, expected %s", err, injectors.ECONFLICT)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db.Close()

	t.Run("every good append is kept with its chain", func(t *testing.T) {
		db = reopen()
		for d := 0; d < drills; d++ {
			id := fmt.Sprintf("d%02d", d)
			got, err := db.Events(ctx, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2*rounds {
				t.Fatalf("%s: %d events after reopening, expected %d", id, len(got), 2*rounds)
			}
			if _, err := control.VerifyChain(0, "", got); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
		if got, _ := db.Events(ctx, "stale", 0, 0); len(got) != 1 {
			t.Fatalf("stale drill has %d events, expected 1", len(got))
		}
	})

	t.Run("an append after close is refused", func(t *testing.T) {
		db.Close()
		evs := Sealed(t, "late", 0, "", 1)
		if err := db.Append(ctx, Summary("late", evs, control.StateDraft), evs); err == nil {
			t.Fatal("Append after Close succeeded")
		}
	})
}
