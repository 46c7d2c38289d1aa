// Package postgres keeps the drill room's own durable data, the hashed join
// tokens and the sessions, in PostgreSQL next to the journal, so that every
// controller replica honours the same links and sessions. It implements
// ui.JoinTokens and ui.SessionStore with the behaviour of ui/sqlite.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/pgdb"
	"github.com/firedrill/firedrill/ui"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names the room's schema in firedrill_schema.
const component = "room"

// DB is the room's database.
type DB struct {
	pool *pgxpool.Pool
}

var (
	_ ui.JoinTokens   = (*DB)(nil)
	_ ui.SessionStore = (*DB)(nil)
)

// Open connects to the database of dsn and migrates the room's tables.
func Open(ctx context.Context, dsn string) (*DB, error) {
	pool, err := pgdb.Connect(ctx, dsn, 4)
	if err != nil {
		return nil, err
	}
	ms, err := pgdb.Load(migrationFS, "migrations")
	if err == nil {
		err = pgdb.Apply(ctx, pool, component, ms, 0)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open room database %s: %w", pgdb.Describe(pool.Config()), err)
	}
	return &DB{pool: pool}, nil
}

// Version returns the schema version of the room's tables.
func (d *DB) Version(ctx context.Context) (int, error) {
	return pgdb.Version(ctx, d.pool, component)
}

// Close closes the connections.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// PutJoinToken stores a grant under a token hash, replacing the person's
// earlier token so that only the newest link works.
func (d *DB) PutJoinToken(ctx context.Context, tokenHash string, g ui.Grant) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM join_tokens WHERE drill_id = $1 AND person_id = $2`, g.DrillID, g.PersonID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO join_tokens (token_hash, drill_id, person_id, name, role) VALUES ($1, $2, $3, $4, $5)`,
			tokenHash, g.DrillID, g.PersonID, g.Name, string(g.Role))
		return err
	})
	if err != nil {
		return fmt.Errorf("put join token of %s/%s: %w", g.DrillID, g.PersonID, err)
	}
	return nil
}

// JoinGrant returns the grant of a token hash, or ENOTFOUND.
func (d *DB) JoinGrant(ctx context.Context, tokenHash string) (ui.Grant, error) {
	var g ui.Grant
	var role string
	err := d.pool.QueryRow(ctx, `SELECT drill_id, person_id, name, role FROM join_tokens WHERE token_hash = $1`, tokenHash).
		Scan(&g.DrillID, &g.PersonID, &g.Name, &role)
	if errors.Is(err, pgx.ErrNoRows) {
		return ui.Grant{}, injectors.Errorf(injectors.ENOTFOUND, "Unknown join token.")
	} else if err != nil {
		return ui.Grant{}, fmt.Errorf("look up join token: %w", err)
	}
	g.Role = control.Role(role)
	return g, nil
}

// RevokeJoinTokens deletes the join token of a person of a drill, or of
// every person of the drill when personID is empty, and ends the sessions
// made from them, in one transaction.
func (d *DB) RevokeJoinTokens(ctx context.Context, drillID, personID string) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		q, args := `DELETE FROM join_tokens WHERE drill_id = $1`, []any{drillID}
		if personID != "" {
			q, args = q+` AND person_id = $2`, append(args, personID)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("revoke join tokens of %s: %w", drillID, err)
		}
		q = `DELETE FROM sessions WHERE NOT admin AND drill_id = $1`
		if personID != "" {
			q += ` AND person_id = $2`
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("end sessions of %s: %w", drillID, err)
		}
		return nil
	})
}

// PutSession stores a session under the hash of its id.
func (d *DB) PutSession(ctx context.Context, idHash string, s ui.Session) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// Expired sessions are swept on the way.
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_ns < $1`, s.Expires.Add(-48*time.Hour).UnixNano()); err != nil {
			return err
		}
		teams, err := json.Marshal(s.Teams)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sessions (id_hash, csrf, admin, drill_id, person_id, name, role, expires_ns, link_hash, subject, teams) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id_hash) DO UPDATE SET csrf = excluded.csrf, admin = excluded.admin, drill_id = excluded.drill_id, person_id = excluded.person_id,
	name = excluded.name, role = excluded.role, expires_ns = excluded.expires_ns, link_hash = excluded.link_hash,
	subject = excluded.subject, teams = excluded.teams`,
			idHash, s.CSRF, s.Admin, s.DrillID, s.PersonID, s.Name, string(s.Role), s.Expires.UnixNano(), s.LinkHash, s.Subject, string(teams))
		return err
	})
	if err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return nil
}

// GetSession returns the session stored under idHash, or ENOTFOUND.
func (d *DB) GetSession(ctx context.Context, idHash string) (ui.Session, error) {
	var s ui.Session
	var role string
	var expires int64
	var teams string
	err := d.pool.QueryRow(ctx, `SELECT csrf, admin, drill_id, person_id, name, role, expires_ns, link_hash, subject, teams FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&s.CSRF, &s.Admin, &s.DrillID, &s.PersonID, &s.Name, &role, &expires, &s.LinkHash, &s.Subject, &teams)
	if errors.Is(err, pgx.ErrNoRows) {
		return ui.Session{}, injectors.Errorf(injectors.ENOTFOUND, "Unknown session.")
	} else if err != nil {
		return ui.Session{}, fmt.Errorf("get session: %w", err)
	}
	s.Role, s.Expires = control.Role(role), time.Unix(0, expires).UTC()
	if err := json.Unmarshal([]byte(teams), &s.Teams); err != nil {
		return ui.Session{}, fmt.Errorf("get session: teams %q: %w", teams, err)
	}
	return s, nil
}

// LinkIdentity records that an identity-provider subject is a person of a
// drill (a participant who linked the drill to their account).
func (d *DB) LinkIdentity(ctx context.Context, subject string, l ui.IdentityLink) error {
	if _, err := d.pool.Exec(ctx, `INSERT INTO identity_links (subject, drill_id, person_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, subject, l.DrillID, l.PersonID); err != nil {
		return fmt.Errorf("link %s/%s to an identity: %w", l.DrillID, l.PersonID, err)
	}
	return nil
}

// AllIdentityLinks returns every identity link by subject, for firedrill
// store copy.
func (d *DB) AllIdentityLinks(ctx context.Context) (map[string][]ui.IdentityLink, error) {
	rows, err := d.pool.Query(ctx, `SELECT subject, drill_id, person_id FROM identity_links ORDER BY subject, drill_id, person_id`)
	if err != nil {
		return nil, fmt.Errorf("list identity links: %w", err)
	}
	defer rows.Close()
	out := map[string][]ui.IdentityLink{}
	for rows.Next() {
		var subject string
		var l ui.IdentityLink
		if err := rows.Scan(&subject, &l.DrillID, &l.PersonID); err != nil {
			return nil, fmt.Errorf("list identity links: %w", err)
		}
		out[subject] = append(out[subject], l)
	}
	return out, rows.Err()
}

// IdentityLinksOf returns the drills linked to subject.
func (d *DB) IdentityLinksOf(ctx context.Context, subject string) ([]ui.IdentityLink, error) {
	rows, err := d.pool.Query(ctx, `SELECT drill_id, person_id FROM identity_links WHERE subject = $1 ORDER BY drill_id, person_id`, subject)
	if err != nil {
		return nil, fmt.Errorf("identity links: %w", err)
	}
	defer rows.Close()
	var out []ui.IdentityLink
	for rows.Next() {
		var l ui.IdentityLink
		if err := rows.Scan(&l.DrillID, &l.PersonID); err != nil {
			return nil, fmt.Errorf("identity links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteSubjectSessions removes every session of an identity-provider
// subject (sign-out everywhere, an admin's revocation).
func (d *DB) DeleteSubjectSessions(ctx context.Context, subject string) (int, error) {
	if subject == "" {
		return 0, nil
	}
	tag, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE subject = $1`, subject)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %s: %w", subject, err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteSession removes the session stored under idHash.
func (d *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// AllJoinTokens returns every stored join token by its hash, for firedrill
// store copy.
func (d *DB) AllJoinTokens(ctx context.Context) (map[string]ui.Grant, error) {
	rows, err := d.pool.Query(ctx, `SELECT token_hash, drill_id, person_id, name, role FROM join_tokens`)
	if err != nil {
		return nil, fmt.Errorf("list join tokens: %w", err)
	}
	defer rows.Close()
	out := map[string]ui.Grant{}
	for rows.Next() {
		var h, role string
		var g ui.Grant
		if err := rows.Scan(&h, &g.DrillID, &g.PersonID, &g.Name, &role); err != nil {
			return nil, fmt.Errorf("list join tokens: %w", err)
		}
		g.Role = control.Role(role)
		out[h] = g
	}
	return out, rows.Err()
}

// AllSessions returns every stored session by the hash of its id, for
// firedrill store copy.
func (d *DB) AllSessions(ctx context.Context) (map[string]ui.Session, error) {
	rows, err := d.pool.Query(ctx, `SELECT id_hash, csrf, admin, drill_id, person_id, name, role, expires_ns, link_hash, subject, teams FROM sessions`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := map[string]ui.Session{}
	for rows.Next() {
		var h, role, teams string
		var expires int64
		var s ui.Session
		if err := rows.Scan(&h, &s.CSRF, &s.Admin, &s.DrillID, &s.PersonID, &s.Name, &role, &expires, &s.LinkHash, &s.Subject, &teams); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		if err := json.Unmarshal([]byte(teams), &s.Teams); err != nil {
			return nil, fmt.Errorf("list sessions: teams %q: %w", teams, err)
		}
		s.Role, s.Expires = control.Role(role), time.Unix(0, expires).UTC()
		out[h] = s
	}
	return out, rows.Err()
}
