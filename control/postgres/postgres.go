// Package postgres is the journal store of firedrill on PostgreSQL (pgx), for
// an installation whose controller replicas share one database. It keeps the
// same hash-chained, gapless journal as control/sqlite with the same group
// commit: concurrent appends share one transaction (one WAL flush), each in
// its own savepoint so that each succeeds or fails on its own, and an append
// is committed (synchronous_commit) before Append returns. It implements
// control.Store and program.Store.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/groupcommit"
	"github.com/firedrill/firedrill/internal/pgdb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names the journal's schema in firedrill_schema.
const component = "journal"

// LatestVersion is the schema version Open migrates to by default.
func LatestVersion() int {
	ms, err := pgdb.Load(migrationFS, "migrations")
	if err != nil {
		return 0
	}
	return len(ms)
}

// DB is an open firedrill journal in PostgreSQL. It implements control.Store.
type DB struct {
	// DSN is the PostgreSQL connection string.
	DSN string
	// MigrateTo is the schema version to migrate to; 0 means the latest.
	MigrateTo int
	// NoMigrate opens an existing schema without changing it: a database
	// without the journal's schema, or with an older one, is refused.
	NoMigrate bool
	// MaxBytes, when positive, is the journal's size limit (its tables and
	// indexes on disk). Above it the store refuses every append except the
	// appends the kill switch makes (control.KillSwitchEvent): firedrill
	// refuses new work but keeps reverting.
	MaxBytes int64

	pool *pgxpool.Pool
	name string

	// appends is the group-commit writer.
	appends *groupcommit.Queue[appendReq]
}

var (
	_ control.Store          = (*DB)(nil)
	_ control.CommitNotifier = (*DB)(nil)
)

// NewDB returns a DB for the database of dsn; call Open before use.
func NewDB(dsn string) *DB { return &DB{DSN: dsn} }

// Open connects to the database of dsn, migrating it as needed.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := NewDB(dsn)
	if err := db.Open(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// Open connects to the database and applies pending migrations.
func (db *DB) Open(ctx context.Context) error {
	pool, err := pgdb.Connect(ctx, db.DSN, 0)
	if err != nil {
		return err
	}
	db.pool, db.name = pool, pgdb.Describe(pool.Config())
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("migrate %s: %w", db.name, err)
	}
	db.appends = groupcommit.Start(maxGroup, db.commitGroup)
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := pgdb.Load(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if !db.NoMigrate {
		return pgdb.Apply(ctx, db.pool, component, ms, db.MigrateTo)
	}
	v, err := db.Version(ctx)
	switch {
	case err != nil:
		return err
	case v == 0:
		return injectors.Errorf(injectors.ENOTFOUND, "%s holds no firedrill journal: run firedrill store migrate, or firedrill store copy to bring one over", db.name)
	case v != len(ms):
		return injectors.Errorf(injectors.ECONFLICT, "%s holds journal schema version %d, this firedrill needs %d: run firedrill store migrate", db.name, v, len(ms))
	}
	return nil
}

// Version returns the schema version of the open database.
func (db *DB) Version(ctx context.Context) (int, error) {
	return pgdb.Version(ctx, db.pool, component)
}

// Close stops the writer and closes the connections.
func (db *DB) Close() error {
	if db.appends != nil {
		db.appends.Close()
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return nil
}

// String names the database, without its password.
func (db *DB) String() string { return db.name }

// commitError is the error of a group whose commit failed.
func (db *DB) commitError(err error) error {
	if isFull(err) {
		return db.full("", err)
	}
	return fmt.Errorf("append: commit: %w", err)
}

// isFull reports whether err is PostgreSQL's disk_full (53100).
func isFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}

// full returns the error of an append the journal has no room for.
func (db *DB) full(drillID string, cause error) error {
	what := "new work"
	if drillID != "" {
		what += " for drill " + drillID
	}
	msg := fmt.Sprintf("the journal is full (%s): firedrill refuses %s until space is freed; reverts of injected faults continue", db.name, what)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return injectors.Errorf(injectors.EINTERNAL, "%s", msg)
}

func killSwitchOnly(evs []control.Event) bool {
	for _, e := range evs {
		if !control.KillSwitchEvent(e.Type) {
			return false
		}
	}
	return true
}

// Events implements control.Store.
func (db *DB) Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error) {
	q := `SELECT drill_id, seq, type, time_ns, drill_time, actor, payload, prev_hash, hash FROM events WHERE drill_id = $1 AND seq > $2 ORDER BY seq`
	args := []any{drillID, afterSeq}
	if limit > 0 {
		q += " LIMIT $3"
		args = append(args, limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
	}
	defer rows.Close()
	var out []control.Event
	for rows.Next() {
		var e control.Event
		var ns, dt int64
		var payload *string
		if err := rows.Scan(&e.DrillID, &e.Seq, &e.Type, &ns, &dt, &e.Actor, &payload, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
		}
		e.Time = fromUnixNano(ns)
		e.DrillTime = time.Duration(dt)
		if payload != nil {
			e.Payload = []byte(*payload)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
	}
	return out, nil
}

// Drills implements control.Store.
func (db *DB) Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error) {
	q := `SELECT id, title, scenario, state, seq, head, created_ns, updated_ns FROM drills`
	var args []any
	if f.Open {
		q += ` WHERE state <> $1`
		args = append(args, string(control.StateClosed))
	}
	q += ` ORDER BY created_ns, id`
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	defer rows.Close()
	var out []control.DrillSummary
	for rows.Next() {
		var s control.DrillSummary
		var state string
		var created, updated int64
		if err := rows.Scan(&s.ID, &s.Title, &s.Scenario, &state, &s.Seq, &s.Head, &created, &updated); err != nil {
			return nil, fmt.Errorf("list drills: %w", err)
		}
		s.State = control.DrillState(state)
		s.CreatedAt, s.UpdatedAt = fromUnixNano(created), fromUnixNano(updated)
		out = append(out, s)
	}
	return out, rows.Err()
}

// zeroTime stands for the zero time.Time, which has no Unix nanoseconds.
const zeroTime = math.MinInt64

// unixNano is how times are stored: Unix nanoseconds, exact to the
// nanosecond the hash chain covers.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

// fromUnixNano reads a stored time back, in UTC as control/sqlite does.
func fromUnixNano(ns int64) time.Time {
	if ns == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
