// Package pgdb opens firedrill's PostgreSQL databases and applies its
// versioned schema changes.
//
// Each component (the drill journal, the drill room) has its own numbered
// migrations, embedded in its adapter package as NNNN_name.sql files, and
// its own row in firedrill_schema. Replicas that start together take an
// advisory lock, so exactly one of them migrates and the others wait.
package pgdb

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one versioned schema change; version N is file 000N_*.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the migrations in dir of fsys, checking that they are numbered
// 1, 2, 3… without gaps.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number and _", e.Name())
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

const versionTable = `CREATE TABLE IF NOT EXISTS firedrill_schema (
	component TEXT PRIMARY KEY,
	version   INTEGER NOT NULL
)`

// Version returns the schema version of component, 0 when it has none.
func Version(ctx context.Context, pool *pgxpool.Pool, component string) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('firedrill_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := pool.QueryRow(ctx, `SELECT version FROM firedrill_schema WHERE component = $1`, component).Scan(&v)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	return v, err
}

// Apply migrates component to version target (0 means the latest), each
// migration in its own transaction together with the new version number.
// A database whose schema is newer than ms is refused.
func Apply(ctx context.Context, pool *pgxpool.Pool, component string, ms []Migration, target int) error {
	if target <= 0 || target > len(ms) {
		target = len(ms)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte("firedrill schema " + component))
	key := int64(h.Sum64())
	// A session lock, held across the migrations' transactions.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("lock the schema of %s: %w", component, err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	if _, err := conn.Exec(ctx, versionTable); err != nil {
		return err
	}
	var cur int
	err = conn.QueryRow(ctx, `SELECT version FROM firedrill_schema WHERE component = $1`, component).Scan(&cur)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	if cur > len(ms) {
		return fmt.Errorf("database schema version %d of %s is newer than this firedrill (%d); upgrade firedrill", cur, component, len(ms))
	}
	for _, m := range ms[min(cur, target):target] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO firedrill_schema (component, version) VALUES ($1, $2)
ON CONFLICT (component) DO UPDATE SET version = excluded.version`, component, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}
