package sqlite_test

import (
	"os"
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

// A room database in a directory whose name has URI characters is the
// file at that path, not one whose name stops at the '#'.
func TestOpen_pathWithURICharactersIsThatFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "room #2?x=%41")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "room.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no room database at %s: %v", path, err)
	}
}
