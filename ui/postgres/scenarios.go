package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

var _ ui.ScenarioStore = (*DB)(nil)

// PutScenarioVersion stores v as the next version of its scenario, or
// answers ECONFLICT when v.Version is not the next one. Two replicas
// saving the same version meet at the primary key.
func (d *DB) PutScenarioVersion(ctx context.Context, v ui.ScenarioVersion) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM scenario_versions WHERE name = $1`, v.Name).Scan(&latest); err != nil {
			return err
		}
		if v.Version != latest+1 {
			return injectors.Errorf(injectors.ECONFLICT, "Scenario %s is at version %d now: reload it, then save again (you saved over version %d).", v.Name, latest, v.Version-1)
		}
		_, err := tx.Exec(ctx, `INSERT INTO scenario_versions (name, version, hash, yaml, author, saved, title, team) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			v.Name, v.Version, v.Hash, v.YAML, v.Author, v.Saved, v.Title, v.Team)
		return err
	})
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case injectors.ErrorCode(err) == injectors.ECONFLICT:
		return err
	case errors.As(err, &pe) && pe.Code == "23505":
		return injectors.Errorf(injectors.ECONFLICT, "Scenario %s version %d was saved by someone else first: reload it.", v.Name, v.Version)
	}
	return fmt.Errorf("save scenario %s: %w", v.Name, err)
}

// ScenarioVersions returns every version of a scenario, oldest first.
func (d *DB) ScenarioVersions(ctx context.Context, name string) ([]ui.ScenarioVersion, error) {
	out, err := d.scenarioRows(ctx, `SELECT name, version, hash, yaml, author, saved, title, team FROM scenario_versions WHERE name = $1 ORDER BY version`, name)
	if err != nil {
		return nil, fmt.Errorf("versions of scenario %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "No scenario named %q was saved in the studio.", name)
	}
	return out, nil
}

// LatestScenarios returns the latest version of every scenario, by name.
func (d *DB) LatestScenarios(ctx context.Context) ([]ui.ScenarioVersion, error) {
	out, err := d.scenarioRows(ctx, `SELECT DISTINCT ON (name) name, version, hash, yaml, author, saved, title, team FROM scenario_versions ORDER BY name, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	return out, nil
}

func (d *DB) scenarioRows(ctx context.Context, q string, args ...any) ([]ui.ScenarioVersion, error) {
	rows, err := d.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ui.ScenarioVersion{}
	for rows.Next() {
		var v ui.ScenarioVersion
		if err := rows.Scan(&v.Name, &v.Version, &v.Hash, &v.YAML, &v.Author, &v.Saved, &v.Title, &v.Team); err != nil {
			return nil, err
		}
		v.Saved = v.Saved.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
