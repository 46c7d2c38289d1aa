package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/storetest"
)

func openDB(t testing.TB, path string, version int) *sqlite.DB {
	t.Helper()
	db := sqlite.NewDB(path)
	db.MigrateTo = version
	if err := db.Open(context.Background()); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	latest := sqlite.LatestVersion()
	if latest < 2 {
		t.Fatalf("LatestVersion() = %d, expected at least 2", latest)
	}

	t.Run("empty file migrates to latest", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "firedrill.db"), 0)
		v, err := db.Version(ctx)
		if err != nil || v != latest {
			t.Fatalf("Version() = %d, %v; expected %d", v, err, latest)
		}
		assertIndex(t, db.Path, "drills_by_state", true)
	})

	t.Run("the first version migrates keeping data", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "firedrill.db")
		old := openDB(t, path, 1)
		if v, _ := old.Version(ctx); v != 1 {
			t.Fatalf("old Version() = %d, expected 1", v)
		}
		evs := storetest.Sealed(t, "d1", 0, "", 5)
		if err := old.Append(ctx, storetest.Summary("d1", evs, control.StateRunning), evs); err != nil {
			t.Fatal(err)
		}
		old.Close()
		assertIndex(t, path, "drills_by_state", false)
		assertSchema(t, path, "table", "program_plans", false)

		db := openDB(t, path, 0)
		if v, _ := db.Version(ctx); v != latest {
			t.Fatalf("Version() = %d, expected %d", v, latest)
		}
		assertIndex(t, path, "drills_by_state", true)
		assertSchema(t, path, "table", "program_plans", true)
		got, err := db.Events(ctx, "d1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := control.VerifyChain(0, "", got); err != nil || len(got) != 5 {
			t.Fatalf("after migration: %d events, chain: %v", len(got), err)
		}
		ds, err := db.Drills(ctx, control.DrillFilter{Open: true})
		if err != nil || len(ds) != 1 || ds[0].State != control.StateRunning {
			t.Fatalf("Drills() = %+v, %v", ds, err)
		}
	})

	t.Run("newer schema is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "firedrill.db")
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", latest+1)); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		err = sqlite.NewDB(path).Open(ctx)
		if err == nil {
			t.Fatal("Open of a newer schema succeeded")
		}
	})
}

func assertIndex(t *testing.T, path, name string, want bool) {
	t.Helper()
	assertSchema(t, path, "index", name, want)
}

func assertSchema(t *testing.T, path, typ, name string, want bool) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = ? AND name = ?", typ, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if (n == 1) != want {
		t.Fatalf("%s %s present = %v, expected %v", typ, name, n == 1, want)
	}
}

// opener opens a fresh SQLite journal of the test.
func opener(t testing.TB) func() storetest.Journal {
	path := filepath.Join(t.TempDir(), "firedrill.db")
	return func() storetest.Journal { return openDB(t, path, 0) }
}

// The contract every journal store keeps (internal/storetest), on SQLite.
func TestJournal(t *testing.T)     { storetest.TestJournal(t, opener) }
func TestGroupCommit(t *testing.T) { storetest.TestGroupCommit(t, opener) }
func TestProgram(t *testing.T)     { storetest.TestProgram(t, opener) }
func TestSizeLimit(t *testing.T) {
	storetest.TestSizeLimit(t, 256<<10, func(t testing.TB, maxBytes int64) storetest.Journal {
		db := sqlite.NewDB(filepath.Join(t.TempDir(), "firedrill.db"))
		db.MaxBytes = maxBytes
		if err := db.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestDrills_seeksEachDrillsLastEventInsteadOfScanningTheJournal checks the
// plan of the drills listing on a journal of many events: the events table
// is only searched by its key, drill by drill, never scanned (a scan makes
// listing, restart and the program's pages cost every event ever written).
func TestDrills_seeksEachDrillsLastEventInsteadOfScanningTheJournal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "firedrill.db")
	db := openDB(t, path, 0)
	for i := range 5 {
		id := fmt.Sprintf("d%d", i)
		evs := storetest.Sealed(t, id, 0, "", 40)
		if err := db.Append(ctx, storetest.Summary(id, evs, control.StateRunning), evs); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, open := range []bool{false, true} {
		t.Run(fmt.Sprintf("open=%v", open), func(t *testing.T) {
			var args []any
			if open {
				args = append(args, string(control.StateClosed))
			}
			rows, err := raw.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlite.DrillsQuery(open), args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			searched := false
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN e") || strings.HasPrefix(step, "SCAN events") {
					t.Fatalf("the plan scans the journal:\n%s", strings.Join(plan, "\n"))
				}
				searched = searched || strings.HasPrefix(step, "SEARCH e USING PRIMARY KEY")
			}
			if !searched {
				t.Fatalf("the plan does not seek the last event by the journal's key:\n%s", strings.Join(plan, "\n"))
			}
		})
	}
	ds, err := db.Drills(ctx, control.DrillFilter{})
	if err != nil || len(ds) != 5 || ds[0].Seq != 40 {
		t.Fatalf("Drills() = %+v, %v; expected 5 drills at #40", ds, err)
	}
}
