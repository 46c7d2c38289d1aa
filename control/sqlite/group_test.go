package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// TestConcurrentAppendsAreEachDurableAndIndependent appends from many drills
// at once, so that the writer groups them into shared transactions, with a
// stale append mixed in: every good append lands gaplessly with its chain,
// the stale one alone is refused, and all of it survives reopening.
func TestConcurrentAppendsAreEachDurableAndIndependent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "firedrill.db")
	db := openDB(t, path, 0)
	const drills, rounds = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, drills*rounds+1)
	for d := 0; d < drills; d++ {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			prev, seq := "", int64(0)
			for r := 0; r < rounds; r++ {
				evs := sealed(t, id, seq, prev, 2)
				if err := db.Append(ctx, summary(id, evs, control.StateRunning), evs); err != nil {
					errs <- fmt.Errorf("%s round %d: %w", id, r, err)
					return
				}
				seq, prev = evs[len(evs)-1].Seq, evs[len(evs)-1].Hash
			}
		}(fmt.Sprintf("d%02d", d))
	}
	// A stale append racing the others: d00 always has events by the time
	// this runs twice, so the second attempt from #1 must conflict.
	wg.Add(1)
	go func() {
		defer wg.Done()
		evs := sealed(t, "stale", 0, "", 1)
		if err := db.Append(ctx, summary("stale", evs, control.StateRunning), evs); err != nil {
			errs <- err
			return
		}
		if err := db.Append(ctx, summary("stale", evs, control.StateRunning), evs); injectors.ErrorCode(err) != injectors.ECONFLICT {
			errs <- fmt.Errorf("replayed append = %v, expected %s", err, injectors.ECONFLICT)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db.Close()

	db = openDB(t, path, 0)
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
}

// TestAppendAfterCloseIsRefused checks that a closed store answers instead
// of hanging.
func TestAppendAfterCloseIsRefused(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "firedrill.db"), 0)
	db.Close()
	evs := sealed(t, "d1", 0, "", 1)
	if err := db.Append(context.Background(), summary("d1", evs, control.StateDraft), evs); err == nil {
		t.Fatal("Append after Close succeeded")
	}
}
