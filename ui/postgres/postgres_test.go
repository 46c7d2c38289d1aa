package postgres_test

import (
	"context"
	"testing"

	"github.com/firedrill/firedrill/internal/pgtest"
	"github.com/firedrill/firedrill/internal/storetest"
	"github.com/firedrill/firedrill/ui/postgres"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &pg) }

// opener makes a fresh database for one test and opens the room's store in
// it.
func opener(t testing.TB) func() storetest.Room {
	dsn := pg.NewDatabase(t)
	return func() storetest.Room {
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// The contract every room store keeps (internal/storetest), on PostgreSQL.
func TestRoom(t *testing.T) { storetest.TestRoom(t, opener) }

// The studio's scenario versions (internal/storetest), on PostgreSQL.
func TestScenarioVersions(t *testing.T) { storetest.TestScenarioVersions(t, opener) }
