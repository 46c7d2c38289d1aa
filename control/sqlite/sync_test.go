package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/storetest"
)

// The writer's commits are synced by the fsync helper process, not by
// SQLite in this process, unless SyncInProcess; either way every append
// and its journal survive a reopen.
func TestSync(t *testing.T) {
	for _, tc := range []struct {
		name        string
		dir         string
		inProcess   bool
		wantSync    int // PRAGMA synchronous on the write connection (1 NORMAL, 2 FULL)
		wantHelpers int
	}{
		{name: "by default a helper process syncs the writer's commits", wantSync: 1, wantHelpers: 1},
		{name: "with SyncInProcess SQLite syncs them itself", inProcess: true, wantSync: 2, wantHelpers: -1},
		{name: "a path with URI characters is the file synced and opened", dir: "drills #1?a=%20", wantSync: 1, wantHelpers: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "firedrill.db")
			db := sqlite.NewDB(path)
			db.SyncInProcess = tc.inProcess
			if err := db.Open(ctx); err != nil {
				t.Fatal(err)
			}
			evs := storetest.Sealed(t, "d1", 0, "", 3)
			if err := db.Append(ctx, storetest.Summary("d1", evs, control.StateRunning), evs); err != nil {
				t.Fatal(err)
			}
			if got, err := db.WriterSynchronous(ctx); err != nil || got != tc.wantSync {
				t.Fatalf("the write connection's synchronous is %d (%v), want %d", got, err, tc.wantSync)
			}
			if got := db.SyncerStarts(); got != tc.wantHelpers {
				t.Fatalf("%d helpers started, want %d", got, tc.wantHelpers)
			}
			if _, err := os.Stat(path + "-wal"); err != nil {
				t.Fatalf("no log beside the database at %s: %v", path, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("no database at %s: %v", path, err)
			}
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got, err := db.Events(ctx, "d1", 0, 0); err != nil || len(got) != 3 {
				t.Fatalf("after a reopen drill d1 has %d events (%v), want 3", len(got), err)
			}
		})
	}
}

// A log that cannot be synced after a commit fails the store: that append
// and every later one are refused with an error that says so, since a
// later sync that succeeds would not prove the earlier pages reached the
// disk.
func TestSync_aFailedSyncFailsTheStoreForGood(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "firedrill.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs := storetest.Sealed(t, "d1", 0, "", 3)
	if err := db.Append(ctx, storetest.Summary("d1", evs[:1], control.StateRunning), evs[:1]); err != nil {
		t.Fatal(err)
	}
	if err := db.Health(); err != nil {
		t.Fatalf("Health() = %v after a synced commit, want nil", err)
	}
	// The log's name no longer leads to the log SQLite writes: its sync
	// fails, in the helper and in this process.
	if err := os.Rename(path+"-wal", path+"-wal.moved"); err != nil {
		t.Fatal(err)
	}
	for i, what := range []string{"the append whose sync failed", "the next append"} {
		err := db.Append(ctx, storetest.Summary("d1", evs[:2+i], control.StateRunning), evs[1+i:2+i])
		if injectors.ErrorCode(err) != injectors.EINTERNAL || !strings.Contains(err.Error(), "could not be synced") {
			t.Fatalf("%s answered %v, want the journal's sync failure", what, err)
		}
	}
	if err := db.Health(); err == nil || !strings.Contains(err.Error(), "could not be synced") {
		t.Fatalf("Health() = %v after the failed sync, want the journal's sync failure", err)
	}
	// Even with the log's name back: the failed sync proved nothing.
	if err := os.Rename(path+"-wal.moved", path+"-wal"); err != nil {
		t.Fatal(err)
	}
	plan := &program.Plan{Season: "2027H1", Owner: "olivia"}
	err = db.SavePlan(ctx, plan, []program.Entry{{At: time.Unix(0, 0), Actor: "olivia", Action: "create"}})
	if injectors.ErrorCode(err) != injectors.EINTERNAL || !strings.Contains(err.Error(), "could not be synced") {
		t.Fatalf("a plan saved after the failed sync answered %v, want the journal's sync failure", err)
	}
}

// A database path that is a symbolic link has its log beside the link's
// target, where SQLite puts it, and that log is the one synced.
func TestSync_aSymlinkedDatabaseSyncsTheTargetsLog(t *testing.T) {
	ctx := context.Background()
	target := filepath.Join(t.TempDir(), "real.db")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "firedrill.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs := storetest.Sealed(t, "d1", 0, "", 2)
	if err := db.Append(ctx, storetest.Summary("d1", evs, control.StateRunning), evs); err != nil {
		t.Fatalf("append through a symlinked path: %v", err)
	}
	if _, err := os.Stat(target + "-wal"); err != nil {
		t.Fatalf("no log beside the target: %v", err)
	}
}
