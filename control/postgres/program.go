package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
)

var _ program.Store = (*DB)(nil)

// Seasons lists the seasons that have a plan, in order.
func (db *DB) Seasons(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT season FROM program_plans ORDER BY season`)
	if err != nil {
		return nil, fmt.Errorf("list seasons: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list seasons: %w", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Plan returns the season's plan with its journal, or ENOTFOUND.
func (db *DB) Plan(ctx context.Context, season string) (*program.Plan, error) {
	var version int64
	var doc string
	err := db.pool.QueryRow(ctx, `SELECT version, doc FROM program_plans WHERE season = $1`, season).Scan(&version, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "season %s has no plan", season)
	} else if err != nil {
		return nil, fmt.Errorf("read the plan of %s: %w", season, err)
	}
	var p program.Plan
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("read the plan of %s: %w", season, err)
	}
	p.Version = version
	rows, err := db.pool.Query(ctx, `SELECT seq, at_ns, actor, team, action, detail, reason FROM program_journal WHERE season = $1 ORDER BY seq`, season)
	if err != nil {
		return nil, fmt.Errorf("read the journal of %s: %w", season, err)
	}
	defer rows.Close()
	p.Journal = []program.Entry{}
	for rows.Next() {
		var e program.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Team, &e.Action, &e.Detail, &e.Reason); err != nil {
			return nil, fmt.Errorf("read the journal of %s: %w", season, err)
		}
		e.At = fromUnixNano(at)
		p.Journal = append(p.Journal, e)
	}
	return &p, rows.Err()
}

// SavePlan stores p and appends entries to its journal in one transaction,
// refusing with ECONFLICT when the stored plan is not at p.Version. The
// plan's row is locked for the transaction, so replicas saving at once are
// serialized and the later one conflicts.
func (db *DB) SavePlan(ctx context.Context, p *program.Plan, entries []program.Entry) error {
	if len(entries) == 0 {
		return injectors.Errorf(injectors.EINTERNAL, "save the plan of %s: every change of a plan is journaled, and this one has no entry", p.Season)
	}
	doc, err := planDoc(p)
	if err != nil {
		return err
	}
	var stored int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT version FROM program_plans WHERE season = $1 FOR UPDATE`, p.Season).Scan(&stored)
		if errors.Is(err, pgx.ErrNoRows) {
			stored = 0
		} else if err != nil {
			return err
		}
		if stored != p.Version {
			return injectors.Errorf(injectors.ECONFLICT, "the plan of %s changed meanwhile (version %d, this change was made on %d); reload and try again", p.Season, stored, p.Version)
		}
		now := unixNano(entries[len(entries)-1].At)
		if stored == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO program_plans (season, version, doc, updated_ns) VALUES ($1, 1, $2, $3)`, p.Season, doc, now)
		} else {
			_, err = tx.Exec(ctx, `UPDATE program_plans SET version = version + 1, doc = $1, updated_ns = $2 WHERE season = $3`, doc, now, p.Season)
		}
		if err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM program_journal WHERE season = $1`, p.Season).Scan(&seq); err != nil {
			return err
		}
		for i := range entries {
			entries[i].Seq = seq + int64(i) + 1
		}
		return insertEntries(ctx, tx, p.Season, entries)
	})
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return injectors.Errorf(injectors.ECONFLICT, "the plan of %s changed meanwhile; reload and try again", p.Season)
		}
		if injectors.ErrorCode(err) != "" && injectors.ErrorCode(err) != injectors.EINTERNAL {
			return err
		}
		return fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	p.Version = stored + 1
	return nil
}

// ImportPlan stores a plan read from another store as it is: its version and
// its journal with their sequence numbers and times (firedrill store copy).
// A season that already has a plan is refused with ECONFLICT.
func (db *DB) ImportPlan(ctx context.Context, p *program.Plan) error {
	doc, err := planDoc(p)
	if err != nil {
		return err
	}
	var updated int64
	if n := len(p.Journal); n > 0 {
		updated = unixNano(p.Journal[n-1].At)
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO program_plans (season, version, doc, updated_ns) VALUES ($1, $2, $3, $4)`, p.Season, p.Version, doc, updated); err != nil {
			return err
		}
		return insertEntries(ctx, tx, p.Season, p.Journal)
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return injectors.Errorf(injectors.ECONFLICT, "season %s already has a plan in %s", p.Season, db.name)
	} else if err != nil {
		return fmt.Errorf("import the plan of %s: %w", p.Season, err)
	}
	return nil
}

// planDoc is the stored document of a plan: the plan without its journal
// and version, which have columns and a table of their own.
func planDoc(p *program.Plan) (string, error) {
	doc := *p
	doc.Journal, doc.Version = nil, 0
	b, err := json.Marshal(&doc)
	if err != nil {
		return "", fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	return string(b), nil
}

func insertEntries(ctx context.Context, tx pgx.Tx, season string, entries []program.Entry) error {
	b := &pgx.Batch{}
	for _, e := range entries {
		b.Queue(`INSERT INTO program_journal (season, seq, at_ns, actor, team, action, detail, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			season, e.Seq, unixNano(e.At), e.Actor, e.Team, e.Action, e.Detail, e.Reason)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
