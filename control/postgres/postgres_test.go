package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/postgres"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/pgtest"
	"github.com/firedrill/firedrill/internal/storetest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &pg) }

func openDB(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// opener opens a fresh PostgreSQL database of the test.
func opener(t testing.TB) func() storetest.Journal {
	dsn := pg.NewDatabase(t)
	return func() storetest.Journal { return openDB(t, dsn) }
}

// The contract every journal store keeps (internal/storetest), on PostgreSQL.
func TestJournal(t *testing.T)     { storetest.TestJournal(t, opener) }
func TestGroupCommit(t *testing.T) { storetest.TestGroupCommit(t, opener) }
func TestProgram(t *testing.T)     { storetest.TestProgram(t, opener) }

func TestSizeLimit(t *testing.T) {
	storetest.TestSizeLimit(t, 256<<10, func(t testing.TB, maxBytes int64) storetest.Journal {
		db := postgres.NewDB(pg.NewDatabase(t))
		db.MaxBytes = maxBytes
		if err := db.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	latest := postgres.LatestVersion()
	if latest < 2 {
		t.Fatalf("LatestVersion() = %d, expected at least 2", latest)
	}

	t.Run("replicas opening an empty database at once migrate it once to the latest", func(t *testing.T) {
		dsn := pg.NewDatabase(t)
		var wg sync.WaitGroup
		dbs := make([]*postgres.DB, 3)
		errs := make([]error, 3)
		for i := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = postgres.Open(ctx, dsn)
			}()
		}
		wg.Wait()
		for i, db := range dbs {
			if errs[i] != nil {
				t.Fatalf("replica %d: %v", i, errs[i])
			}
			defer db.Close()
			if v, err := db.Version(ctx); err != nil || v != latest {
				t.Fatalf("replica %d: Version() = %d, %v; expected %d", i, v, err, latest)
			}
		}
	})

	t.Run("the first version migrates keeping data", func(t *testing.T) {
		dsn := pg.NewDatabase(t)
		old := postgres.NewDB(dsn)
		old.MigrateTo = 1
		if err := old.Open(ctx); err != nil {
			t.Fatal(err)
		}
		if v, _ := old.Version(ctx); v != 1 {
			t.Fatalf("old Version() = %d, expected 1", v)
		}
		old.Close()
		// What a firedrill of schema version 1 wrote.
		evs := storetest.Sealed(t, "d1", 0, "", 5)
		for _, e := range evs {
			exec(t, dsn, fmt.Sprintf(`INSERT INTO events VALUES ('d1', %d, '%s', %d, %d, '%s', '%s', '%s', '%s')`,
				e.Seq, e.Type, e.Time.UnixNano(), int64(e.DrillTime), e.Actor, e.Payload, e.PrevHash, e.Hash))
		}
		db := openDB(t, dsn)
		if v, _ := db.Version(ctx); v != latest {
			t.Fatalf("Version() = %d, expected %d", v, latest)
		}
		got, err := db.Events(ctx, "d1", 0, 0)
		if err != nil || len(got) != 5 {
			t.Fatalf("after migration: %d events, %v", len(got), err)
		}
		if _, err := control.VerifyChain(0, "", got); err != nil {
			t.Fatal(err)
		}
		more := storetest.Sealed(t, "d1", 5, got[4].Hash, 1)
		if err := db.Append(ctx, storetest.Summary("d1", more, control.StateRunning), more); err != nil {
			t.Fatalf("append after migration: %v", err)
		}
		if _, err := db.Seasons(ctx); err != nil {
			t.Fatalf("program tables after migration: %v", err)
		}
	})

	t.Run("a newer schema is refused", func(t *testing.T) {
		dsn := pg.NewDatabase(t)
		openDB(t, dsn).Close()
		exec(t, dsn, `UPDATE firedrill_schema SET version = version + 1 WHERE component = 'journal'`)
		_, err := postgres.Open(ctx, dsn)
		if err == nil || !strings.Contains(err.Error(), "newer than this firedrill") {
			t.Fatalf("Open of a newer schema: %v, expected a refusal naming the newer schema", err)
		}
	})

	t.Run("opening without migrating refuses a database without the journal", func(t *testing.T) {
		db := postgres.NewDB(pg.NewDatabase(t))
		db.NoMigrate = true
		err := db.Open(ctx)
		if injectors.ErrorCode(err) != injectors.ENOTFOUND || !strings.Contains(err.Error(), "firedrill store migrate") {
			t.Fatalf("Open(NoMigrate) of an empty database: %v, expected ENOTFOUND pointing to firedrill store migrate", err)
		}
	})

	t.Run("a bad DSN is a clear error without the password", func(t *testing.T) {
		_, err := postgres.Open(ctx, "postgres://firedrill:s3cret@127.0.0.1:notaport/x")
		if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(err.Error(), "store.dsn") || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Open(bad DSN) = %v, expected EINVALID naming store.dsn without the password", err)
		}
		_, err = postgres.Open(ctx, "")
		if injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("Open(\"\") = %v, expected EINVALID", err)
		}
	})
}

// TestAnotherWriterConflicts appends the same event from two controllers
// sharing the database (a leader that lost its lease and its successor):
// exactly one append is kept, the other is refused with ECONFLICT.
func TestAnotherWriterConflicts(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewDatabase(t)
	a, b := openDB(t, dsn), openDB(t, dsn)
	evs := storetest.Sealed(t, "d1", 0, "", 3)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, db := range []*postgres.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Append(ctx, storetest.Summary("d1", evs, control.StateRunning), evs)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case injectors.ErrorCode(err) != injectors.ECONFLICT:
			t.Fatalf("losing append: %v, expected %s", err, injectors.ECONFLICT)
		}
	}
	got, _ := a.Events(ctx, "d1", 0, 0)
	if ok != 1 || len(got) != 3 {
		t.Fatalf("%d appends kept, %d events stored; expected exactly one append of 3 events", ok, len(got))
	}
}

func exec(t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}
