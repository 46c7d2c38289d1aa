package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/storetest"
)

// TestCheckpoint checks that commits leave the database file alone — the
// synced log holds them — until the checkpointer copies the log in, in the
// background, once CheckpointEvery commits have accumulated.
func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "firedrill.db")
	db := openDB(t, path, 0)
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(path)
	evs := storetest.Sealed(t, "d1", 0, "", sqlite.CheckpointEvery)
	for i := range evs[:len(evs)-1] {
		one := evs[i : i+1]
		if err := db.Append(ctx, storetest.Summary("d1", one, control.StateRunning), one); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("commits below the threshold are only in the log", func(t *testing.T) {
		if got := size(path); got != before {
			t.Fatalf("database file is %d bytes after %d commits, was %d: a commit checkpointed", got, len(evs)-1, before)
		}
		if size(path+"-wal") == 0 {
			t.Fatal("the log is empty after the commits")
		}
	})
	t.Run("the commit that reaches the threshold has the log copied in the background", func(t *testing.T) {
		last := evs[len(evs)-1:]
		if err := db.Append(ctx, storetest.Summary("d1", last, control.StateRunning), last); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); size(path) == before; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("database file still %d bytes 10 s after %d commits", before, len(evs))
			}
		}
		got, err := db.Events(ctx, "d1", 0, 0)
		if err != nil || len(got) != len(evs) {
			t.Fatalf("Events() = %d events, %v; expected %d", len(got), err, len(evs))
		}
	})
}
