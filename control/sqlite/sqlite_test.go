package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
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

// sealed returns n events of drill id following prevSeq/prevHash.
func sealed(t testing.TB, id string, prevSeq int64, prevHash string, n int) []control.Event {
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

func summary(id string, evs []control.Event, state control.DrillState) control.DrillSummary {
	last := evs[len(evs)-1]
	return control.DrillSummary{ID: id, Title: "t " + id, Scenario: "s", State: state, Seq: last.Seq, Head: last.Hash, CreatedAt: evs[0].Time, UpdatedAt: last.Time}
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
		evs := sealed(t, "d1", 0, "", 5)
		if err := old.Append(ctx, summary("d1", evs, control.StateRunning), evs); err != nil {
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

func TestAppend(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "firedrill.db"), 0)
	first := sealed(t, "d1", 0, "", 3)
	if err := db.Append(ctx, summary("d1", first, control.StateDraft), first); err != nil {
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
			if !got[i].Time.Equal(first[i].Time) || got[i].Hash != first[i].Hash || string(got[i].Payload) != string(first[i].Payload) || got[i].DrillTime != first[i].DrillTime {
				t.Fatalf("event %d: got %+v, expected %+v", i, got[i], first[i])
			}
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
	})

	t.Run("append from a stale head conflicts", func(t *testing.T) {
		stale := sealed(t, "d1", 1, first[0].Hash, 1)
		err := db.Append(ctx, summary("d1", stale, control.StateDraft), stale)
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("Append(stale) = %v, expected %s", err, injectors.ECONFLICT)
		}
	})

	t.Run("append with a gap conflicts", func(t *testing.T) {
		gap := sealed(t, "d1", 5, "x", 1)
		err := db.Append(ctx, summary("d1", gap, control.StateDraft), gap)
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("Append(gap) = %v, expected %s", err, injectors.ECONFLICT)
		}
	})

	t.Run("closed drills are not open", func(t *testing.T) {
		other := sealed(t, "d2", 0, "", 1)
		if err := db.Append(ctx, summary("d2", other, control.StateClosed), other); err != nil {
			t.Fatal(err)
		}
		open, err := db.Drills(ctx, control.DrillFilter{Open: true})
		if err != nil || len(open) != 1 || open[0].ID != "d1" {
			t.Fatalf("open drills = %+v, %v", open, err)
		}
		all, err := db.Drills(ctx, control.DrillFilter{})
		if err != nil || len(all) != 2 {
			t.Fatalf("all drills = %+v, %v", all, err)
		}
	})

	t.Run("data survives reopening", func(t *testing.T) {
		db.Close()
		again := openDB(t, db.Path, 0)
		got, err := again.Events(ctx, "d1", 0, 0)
		if err != nil || len(got) != 3 {
			t.Fatalf("after reopen: %d events, %v", len(got), err)
		}
	})
}

// BenchmarkAppend measures how many events per second the journal sustains
// when every append is its own synced transaction (synchronous=FULL), the
// way the engine writes chat messages and fault steps. One iteration is 200
// appends.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, filepath.Join(b.TempDir(), "firedrill.db"), 0)
	const perIter = 200
	var seq int64
	var head string
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		evs := sealed(b, "bench", seq, head, perIter)
		b.StartTimer()
		start := time.Now()
		for j := range evs {
			if err := db.Append(ctx, summary("bench", evs[j:j+1], control.StateRunning), evs[j:j+1]); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		seq, head = evs[perIter-1].Seq, evs[perIter-1].Hash
	}
	b.ReportMetric(float64(b.N*perIter)/elapsed.Seconds(), "events/s")
}
