package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
)

var _ program.Store = (*DB)(nil)

// Seasons lists the seasons that have a plan, in order.
func (db *DB) Seasons(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT season FROM program_plans ORDER BY season`)
	if err != nil {
		return nil, fmt.Errorf("list seasons: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list seasons: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Plan returns the season's plan with its journal, or ENOTFOUND.
func (db *DB) Plan(ctx context.Context, season string) (*program.Plan, error) {
	var version int64
	var doc string
	err := db.read.QueryRowContext(ctx, `SELECT version, doc FROM program_plans WHERE season = ?`, season).Scan(&version, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "season %s has no plan", season)
	} else if err != nil {
		return nil, fmt.Errorf("read the plan of %s: %w", season, err)
	}
	var p program.Plan
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("read the plan of %s: %w", season, err)
	}
	p.Version = version
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor, team, action, detail, reason FROM program_journal WHERE season = ? ORDER BY seq`, season)
	if err != nil {
		return nil, fmt.Errorf("read the journal of %s: %w", season, err)
	}
	defer rows.Close()
	p.Journal = []program.Entry{}
	for rows.Next() {
		var e program.Entry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Team, &e.Action, &e.Detail, &e.Reason); err != nil {
			return nil, fmt.Errorf("read the journal of %s: %w", season, err)
		}
		if e.At, err = time.Parse(timeFormat, at); err != nil {
			return nil, fmt.Errorf("read the journal of %s: entry %d: %w", season, e.Seq, err)
		}
		p.Journal = append(p.Journal, e)
	}
	return &p, rows.Err()
}

// SavePlan stores p and appends entries to its journal in one transaction,
// refusing with ECONFLICT when the stored plan is not at p.Version.
func (db *DB) SavePlan(ctx context.Context, p *program.Plan, entries []program.Entry) error {
	if len(entries) == 0 {
		return injectors.Errorf(injectors.EINTERNAL, "save the plan of %s: every change of a plan is journaled, and this one has no entry", p.Season)
	}
	b, err := planDoc(p)
	if err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	if err := db.syncFailed(); err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	defer tx.Rollback()
	var stored int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM program_plans WHERE season = ?`, p.Season).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		stored = 0
	case err != nil:
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	if stored != p.Version {
		return injectors.Errorf(injectors.ECONFLICT, "the plan of %s changed meanwhile (version %d, this change was made on %d); reload and try again", p.Season, stored, p.Version)
	}
	now := entries[len(entries)-1].At.UTC().Format(timeFormat)
	if stored == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO program_plans (season, version, doc, updated_at) VALUES (?, 1, ?, ?)`, p.Season, string(b), now)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE program_plans SET version = version + 1, doc = ?, updated_at = ? WHERE season = ?`, string(b), now, p.Season)
	}
	if err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM program_journal WHERE season = ?`, p.Season).Scan(&seq); err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	for i := range entries {
		seq++
		e := &entries[i]
		if _, err := tx.ExecContext(ctx, `INSERT INTO program_journal (season, seq, at, actor, team, action, detail, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Season, seq, e.At.UTC().Format(timeFormat), e.Actor, e.Team, e.Action, e.Detail, e.Reason); err != nil {
			return fmt.Errorf("save the plan of %s: journal: %w", p.Season, err)
		}
		e.Seq = seq
	}
	if err := db.synced(tx.Commit()); err != nil {
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	p.Version = stored + 1
	return nil
}

// ImportPlan stores a plan read from another store as it is: its version and
// its journal with their sequence numbers and times (firedrill store copy).
// A season that already has a plan is refused with ECONFLICT.
func (db *DB) ImportPlan(ctx context.Context, p *program.Plan) error {
	b, err := planDoc(p)
	if err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	if err := db.syncFailed(); err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM program_plans WHERE season = ?`, p.Season).Scan(&n); err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	if n > 0 {
		return injectors.Errorf(injectors.ECONFLICT, "season %s already has a plan in %s", p.Season, db.Path)
	}
	var updated time.Time
	if len(p.Journal) > 0 {
		updated = p.Journal[len(p.Journal)-1].At
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO program_plans (season, version, doc, updated_at) VALUES (?, ?, ?, ?)`, p.Season, p.Version, string(b), updated.UTC().Format(timeFormat)); err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	for _, e := range p.Journal {
		if _, err := tx.ExecContext(ctx, `INSERT INTO program_journal (season, seq, at, actor, team, action, detail, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Season, e.Seq, e.At.UTC().Format(timeFormat), e.Actor, e.Team, e.Action, e.Detail, e.Reason); err != nil {
			return fmt.Errorf("import the plan of %s: journal: %w", p.Season, err)
		}
	}
	if err := db.synced(tx.Commit()); err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	return nil
}

// planDoc is the stored document of a plan: the plan without its journal
// and version, which have columns and a table of their own.
func planDoc(p *program.Plan) ([]byte, error) {
	doc := *p
	doc.Journal, doc.Version = nil, 0
	return json.Marshal(&doc)
}
