package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/storetest"
)

// A group is written without savepoints; when one of its appends fails,
// the group is written again with them, so the others are kept and only
// that one is refused.
func TestCommitGroup_aFailedAppendIsRefusedAlone(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "firedrill.db"), 0)
	first := storetest.Sealed(t, "stale", 0, "", 1)
	if err := db.Append(ctx, storetest.Summary("stale", first, control.StateRunning), first); err != nil {
		t.Fatal(err)
	}
	a, b := storetest.Sealed(t, "a", 0, "", 2), storetest.Sealed(t, "b", 0, "", 3)
	errs := db.CommitGroup(ctx,
		[]control.DrillSummary{storetest.Summary("a", a, control.StateRunning), storetest.Summary("stale", first, control.StateRunning), storetest.Summary("b", b, control.StateRunning)},
		[][]control.Event{a, first, b})
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("the good appends of the group answered %v and %v", errs[0], errs[2])
	}
	if injectors.ErrorCode(errs[1]) != injectors.ECONFLICT {
		t.Fatalf("the replayed append answered %v, want %s", errs[1], injectors.ECONFLICT)
	}
	for id, want := range map[string]int{"a": 2, "b": 3, "stale": 1} {
		got, err := db.Events(ctx, id, 0, 0)
		if err != nil || len(got) != want {
			t.Fatalf("drill %s has %d events (%v), want %d", id, len(got), err, want)
		}
	}
	// The heads the group wrote are kept: the next appends follow them.
	more := storetest.Sealed(t, "a", a[1].Seq, a[1].Hash, 1)
	if err := db.Append(ctx, storetest.Summary("a", more, control.StateRunning), more); err != nil {
		t.Fatal(err)
	}
}

// The writer keeps each drill's head instead of reading it per append;
// an append after another process moved the journal on is still a
// conflict, whether it repeats a number the journal holds or leaves a gap.
func TestAppend_afterAnotherWriterConflicts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		seq  int // of the append after the other writer's
	}{
		{"a number the journal holds conflicts", 2},
		{"a gap after the head kept conflicts", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "firedrill.db")
			mine, other := openDB(t, path, 0), openDB(t, path, 0)
			evs := storetest.Sealed(t, "d1", 0, "", 3)
			if err := mine.Append(ctx, storetest.Summary("d1", evs[:1], control.StateRunning), evs[:1]); err != nil {
				t.Fatal(err)
			}
			if err := other.Append(ctx, storetest.Summary("d1", evs[1:2], control.StateRunning), evs[1:2]); err != nil {
				t.Fatal(err)
			}
			late := evs[tc.seq-1 : tc.seq]
			if err := mine.Append(ctx, storetest.Summary("d1", late, control.StateRunning), late); injectors.ErrorCode(err) != injectors.ECONFLICT {
				t.Fatalf("append of #%d = %v, want %s", tc.seq, err, injectors.ECONFLICT)
			}
			got, err := mine.Events(ctx, "d1", 0, 0)
			if err != nil || len(got) != 2 {
				t.Fatalf("d1 has %d events (%v), want the 2 both wrote", len(got), err)
			}
			// Past the conflict the writer reads the head again.
			if err := mine.Append(ctx, storetest.Summary("d1", evs[2:], control.StateRunning), evs[2:]); err != nil {
				t.Fatalf("append of #3 after the conflict: %v", err)
			}
		})
	}
}

// The writer sets a drill's state apart from the rest of its summary, and
// only when it changed: every change still reaches the drill list and the
// open-drill filter, and an append in the same state keeps it.
func TestAppend_theSummaryFollowsEveryStateChange(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "firedrill.db"), 0)
	var seq int64
	var hash string
	for _, state := range []control.DrillState{control.StateDraft, control.StateRunning, control.StateRunning, control.StateClosed} {
		evs := storetest.Sealed(t, "d1", seq, hash, 1)
		seq, hash = evs[0].Seq, evs[0].Hash
		if err := db.Append(ctx, storetest.Summary("d1", evs, state), evs); err != nil {
			t.Fatal(err)
		}
		all, err := db.Drills(ctx, control.DrillFilter{})
		if err != nil || len(all) != 1 || all[0].State != state || all[0].Seq != seq || all[0].Head != hash {
			t.Fatalf("after an append in state %s the drills are %+v (%v)", state, all, err)
		}
		open, err := db.Drills(ctx, control.DrillFilter{Open: true})
		if wantOpen := state != control.StateClosed; err != nil || (len(open) == 1) != wantOpen {
			t.Fatalf("after an append in state %s the open drills are %+v (%v)", state, open, err)
		}
	}
}

// The writer holds the commit of chat messages the drill room shows
// already a millisecond for company (control.WithShown); Hurry starts it
// at once, and any other append is not held.
func TestAppendThen_holdsShownChatForCompany(t *testing.T) {
	ctx := context.Background()
	fc := testingclock.NewFakeClock(time.Unix(0, 0))
	db := sqlite.NewDB(filepath.Join(t.TempDir(), "firedrill.db"))
	db.Clock = fc
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// appendIn appends the next message of drill id in a goroutine and
	// returns its answer's channel.
	heads := map[string]control.Event{}
	appendIn := func(actx context.Context, id string) <-chan error {
		h := heads[id]
		evs := storetest.Sealed(t, id, h.Seq, h.Hash, 1)
		heads[id] = evs[0]
		answer := make(chan error, 1)
		go func() { answer <- db.AppendThen(actx, storetest.Summary(id, evs, control.StateRunning), evs, nil) }()
		return answer
	}
	// heldAppend appends shown messages of drill id until the writer
	// holds one for company, and returns that one's answer. A message that
	// comes while the writer is still finishing the group before it is
	// committed without a wait (the pace allows a burst, and it waited for
	// that commit already), so one that is answered before the writer
	// waits is not a failure: the next one comes to an idle writer.
	heldAppend := func(t *testing.T, id string) <-chan error {
		t.Helper()
		// waits reports whether the writer holds the message answer
		// waits for; false if it was committed at once.
		waits := func(answer <-chan error) bool {
			for start := time.Now(); time.Since(start) < 5*time.Second; {
				if fc.HasWaiters() {
					return true
				}
				select {
				case err := <-answer:
					if err != nil {
						t.Fatal(err)
					}
					return false
				case <-time.After(time.Millisecond):
				}
			}
			t.Fatal("the writer neither waited for company nor committed the message")
			return false
		}
		for try := 0; try < 20; try++ {
			if answer := appendIn(control.WithShown(ctx), id); waits(answer) {
				return answer
			}
		}
		t.Fatal("the writer never waited for company: 20 shown messages were committed at once")
		return nil
	}
	answered := func(t *testing.T, answer <-chan error) {
		t.Helper()
		select {
		case err := <-answer:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the append was never answered")
		}
	}

	t.Run("a shown append waits for the window", func(t *testing.T) {
		answer := heldAppend(t, "a")
		select {
		case err := <-answer:
			t.Fatalf("answered %v while the writer waits for company", err)
		default:
		}
		fc.Step(time.Millisecond)
		answered(t, answer)
	})
	t.Run("hurry starts it at once", func(t *testing.T) {
		answer := heldAppend(t, "b")
		db.Hurry()
		answered(t, answer) // the clock did not move
	})
	t.Run("an append that is not shown is not held", func(t *testing.T) {
		answered(t, appendIn(ctx, "c"))
	})
	for id, head := range heads {
		got, err := db.Events(ctx, id, 0, 0)
		if want := int(head.Seq); err != nil || len(got) != want || want == 0 {
			t.Fatalf("drill %s has %d events (%v), want %d", id, len(got), err, want)
		}
	}
}
