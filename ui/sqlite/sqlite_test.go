package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/internal/storetest"
	"github.com/firedrill/firedrill/ui/sqlite"
)

// opener makes a fresh room database file for one test and opens it.
func opener(t testing.TB) func() storetest.Room {
	path := filepath.Join(t.TempDir(), "room.db")
	return func() storetest.Room {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// The contract every room store keeps (internal/storetest), on SQLite.
func TestRoom(t *testing.T) { storetest.TestRoom(t, opener) }

// The studio's scenario versions (internal/storetest), on SQLite.
func TestScenarioVersions(t *testing.T) { storetest.TestScenarioVersions(t, opener) }
