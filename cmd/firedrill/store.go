package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/postgres"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/pgdb"
	"github.com/firedrill/firedrill/internal/storecopy"
	"github.com/firedrill/firedrill/ui"
	uipostgres "github.com/firedrill/firedrill/ui/postgres"
	roomdb "github.com/firedrill/firedrill/ui/sqlite"
	"k8s.io/utils/clock"
)

// The store drivers of store.driver.
const (
	driverSQLite   = "sqlite"
	driverPostgres = "postgres"
)

// journalStore is what drills are kept in: the journal and the program's
// plans. control/sqlite and control/postgres implement it.
type journalStore interface {
	control.Store
	program.Store
	ImportPlan(ctx context.Context, p *program.Plan) error
	Version(ctx context.Context) (int, error)
	Close() error
}

// roomStore is the drill room's own data: join tokens and sessions.
// ui/sqlite and ui/postgres implement it.
type roomStore interface {
	ui.JoinTokens
	ui.SessionStore
	ui.IdentityLinks
	ui.ScenarioStore
	storecopy.RoomSource
	Close() error
}

var (
	_ journalStore = (*sqlite.DB)(nil)
	_ journalStore = (*postgres.DB)(nil)
	_ roomStore    = (*roomdb.DB)(nil)
	_ roomStore    = (*uipostgres.DB)(nil)
)

// storeWhere names the configured store for messages: the SQLite file or
// the PostgreSQL database, without its password.
func (m *Main) storeWhere(driver string) string {
	if driver == driverPostgres {
		return pgdb.Where(m.Config.Store.DSN)
	}
	return filepath.Join(m.Config.DataDir, databaseFile)
}

// openJournal opens the configured drill journal (store.driver), creating
// and migrating it as needed, with the configured size limit; it is closed
// when m is.
func (m *Main) openJournal(ctx context.Context) (journalStore, error) {
	db, err := m.openJournalOf(ctx, m.Config.Store.Driver, true)
	return db, storeError(err)
}

// openJournalOf opens the journal of driver. Unless create is set it
// refuses to make a new one: a SQLite file must exist, a PostgreSQL
// database must hold the current schema.
func (m *Main) openJournalOf(ctx context.Context, driver string, create bool) (journalStore, error) {
	var db journalStore
	switch driver {
	case driverPostgres:
		p := postgres.NewDB(m.Config.Store.DSN)
		p.MaxBytes = m.Config.Drill.JournalMaxBytes
		p.NoMigrate = !create
		if err := p.Open(ctx); err != nil {
			return nil, err
		}
		db = p
	default:
		path := filepath.Join(m.Config.DataDir, databaseFile)
		if !create {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, &ExitError{Code: 1, Err: fmt.Errorf("no drill database at %s: set --data-dir to the controller's data directory", path)}
			}
		} else if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		s := sqlite.NewDB(path)
		s.MaxBytes = m.Config.Drill.JournalMaxBytes
		s.Clock = clock.RealClock{}
		s.LowPriority = m.lowPriority
		if err := s.Open(ctx); err != nil {
			return nil, err
		}
		db = s
	}
	m.OnClose(db.Close)
	return db, nil
}

// openRoomStore opens the drill room's store of driver; it is closed when m
// is.
func (m *Main) openRoomStore(ctx context.Context, driver string) (roomStore, error) {
	var db roomStore
	var err error
	switch driver {
	case driverPostgres:
		db, err = uipostgres.Open(ctx, m.Config.Store.DSN)
		err = storeError(err)
	default:
		if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		db, err = roomdb.Open(filepath.Join(m.Config.DataDir, roomDatabaseFile))
	}
	if err != nil {
		return nil, err
	}
	m.OnClose(db.Close)
	return db, nil
}

// storeError turns a refusal to open the store (a bad DSN, a database
// without firedrill's schema) into its message for the person at the
// terminal.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	return userError(err)
}
