package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

// scenarioSchema keeps every version of the scenarios written in the
// studio; a version is never updated or deleted.
const scenarioSchema = `
CREATE TABLE IF NOT EXISTS scenario_versions (
	name     TEXT NOT NULL,
	version  INTEGER NOT NULL,
	hash     TEXT NOT NULL,
	yaml     TEXT NOT NULL,
	author   TEXT NOT NULL,
	saved_ns INTEGER NOT NULL,
	title    TEXT NOT NULL,
	team     TEXT NOT NULL,
	PRIMARY KEY (name, version)
);
`

var _ ui.ScenarioStore = (*DB)(nil)

// PutScenarioVersion stores v as the next version of its scenario, or
// answers ECONFLICT when v.Version is not the next one.
func (d *DB) PutScenarioVersion(ctx context.Context, v ui.ScenarioVersion) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save scenario %s: %w", v.Name, err)
	}
	defer tx.Rollback()
	var latest int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM scenario_versions WHERE name = ?`, v.Name).Scan(&latest); err != nil {
		return fmt.Errorf("save scenario %s: %w", v.Name, err)
	}
	if v.Version != latest+1 {
		return injectors.Errorf(injectors.ECONFLICT, "Scenario %s is at version %d now: reload it, then save again (you saved over version %d).", v.Name, latest, v.Version-1)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO scenario_versions (name, version, hash, yaml, author, saved_ns, title, team) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Name, v.Version, v.Hash, v.YAML, v.Author, v.Saved.UnixNano(), v.Title, v.Team); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return injectors.Errorf(injectors.ECONFLICT, "Scenario %s version %d was saved by someone else first: reload it.", v.Name, v.Version)
		}
		return fmt.Errorf("save scenario %s: %w", v.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save scenario %s: %w", v.Name, err)
	}
	return nil
}

// ScenarioVersions returns every version of a scenario, oldest first.
func (d *DB) ScenarioVersions(ctx context.Context, name string) ([]ui.ScenarioVersion, error) {
	out, err := d.scenarioRows(ctx, `SELECT name, version, hash, yaml, author, saved_ns, title, team FROM scenario_versions WHERE name = ? ORDER BY version`, name)
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
	out, err := d.scenarioRows(ctx, `SELECT v.name, v.version, v.hash, v.yaml, v.author, v.saved_ns, v.title, v.team FROM scenario_versions v
		JOIN (SELECT name, MAX(version) AS version FROM scenario_versions GROUP BY name) l ON l.name = v.name AND l.version = v.version
		ORDER BY v.name`)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	return out, nil
}

func (d *DB) scenarioRows(ctx context.Context, q string, args ...any) ([]ui.ScenarioVersion, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ui.ScenarioVersion{}
	for rows.Next() {
		var v ui.ScenarioVersion
		var saved int64
		if err := rows.Scan(&v.Name, &v.Version, &v.Hash, &v.YAML, &v.Author, &saved, &v.Title, &v.Team); err != nil {
			return nil, err
		}
		v.Saved = time.Unix(0, saved).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
