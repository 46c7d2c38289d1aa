package storetest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/control/postgres"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/pgtest"
	"github.com/firedrill/firedrill/internal/storetest"
)

// BenchmarkJournalAppend compares the journal append rate of the two
// stores side by side, both durable: SQLite with its log synced at each
// commit (by the fsync helper, see internal/fsyncd) on a file of the
// temporary directory, PostgreSQL with fsync and synchronous_commit
// on, on a throwaway cluster on the same disk reached over local TCP.
func BenchmarkJournalAppend(b *testing.B) {
	ctx := context.Background()
	durable := pgtest.Lazy{Options: pgtest.Options{Fsync: true}}
	defer durable.Stop()
	b.Run("sqlite", func(b *testing.B) {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "firedrill.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		storetest.BenchmarkAppend(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		db, err := postgres.Open(ctx, durable.Get(b).NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		storetest.BenchmarkAppend(b, db)
	})
}
