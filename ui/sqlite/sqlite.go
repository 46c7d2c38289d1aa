// Package sqlite keeps the drill room's own durable data, the hashed join
// tokens and the sessions, in a small SQLite file next to the journal. It
// implements ui.JoinTokens and ui.SessionStore.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/firedrill/firedrill/control"
	journal "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

const schema = `
CREATE TABLE IF NOT EXISTS join_tokens (
	token_hash TEXT PRIMARY KEY,
	drill_id   TEXT NOT NULL,
	person_id  TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	UNIQUE (drill_id, person_id)
);
`

// DB is the room's database.
type DB struct {
	db *sql.DB
}

// Open opens (creating if needed) the room database at path.
func Open(path string) (*DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", journal.URI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open room database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema + sessionSchema + linkSchema + scenarioSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open room database %s: create schema: %w", path, err)
	}
	// Databases made before a column get it added.
	for _, m := range []struct{ column, ddl string }{{"link_hash", sessionLinkColumn}, {"subject", sessionStaffColumns}} {
		if err := addSessionColumns(db, m.column, m.ddl); err != nil {
			db.Close()
			return nil, fmt.Errorf("open room database %s: %w", path, err)
		}
	}
	return &DB{db: db}, nil
}

// addSessionColumns runs ddl when the sessions table lacks column.
func addSessionColumns(db *sql.DB, column, ddl string) error {
	var has int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = ?`, column).Scan(&has); err != nil {
		return err
	}
	if has > 0 {
		return nil
	}
	if _, err := db.Exec(ddl); err != nil {
		return fmt.Errorf("add sessions.%s: %w", column, err)
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// PutJoinToken stores a grant under a token hash, replacing the person's
// earlier token so that only the newest link works.
func (d *DB) PutJoinToken(ctx context.Context, tokenHash string, g ui.Grant) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put join token of %s/%s: %w", g.DrillID, g.PersonID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM join_tokens WHERE drill_id = ? AND person_id = ?`, g.DrillID, g.PersonID); err != nil {
		return fmt.Errorf("put join token of %s/%s: %w", g.DrillID, g.PersonID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO join_tokens (token_hash, drill_id, person_id, name, role) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, g.DrillID, g.PersonID, g.Name, string(g.Role)); err != nil {
		return fmt.Errorf("put join token of %s/%s: %w", g.DrillID, g.PersonID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put join token of %s/%s: %w", g.DrillID, g.PersonID, err)
	}
	return nil
}

// JoinGrant returns the grant of a token hash, or ENOTFOUND.
// RevokeJoinTokens deletes the join token of a person of a drill, or of
// every person of the drill when personID is empty; sessions made from
// them end (ui checks a join session's link on every request).
func (d *DB) RevokeJoinTokens(ctx context.Context, drillID, personID string) error {
	q, args := `DELETE FROM join_tokens WHERE drill_id = ?`, []any{drillID}
	if personID != "" {
		q, args = q+` AND person_id = ?`, append(args, personID)
	}
	if _, err := d.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("revoke join tokens of %s: %w", drillID, err)
	}
	q, args = `DELETE FROM sessions WHERE admin = 0 AND drill_id = ?`, []any{drillID}
	if personID != "" {
		q, args = q+` AND person_id = ?`, append(args, personID)
	}
	if _, err := d.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("end sessions of %s: %w", drillID, err)
	}
	return nil
}

func (d *DB) JoinGrant(ctx context.Context, tokenHash string) (ui.Grant, error) {
	var g ui.Grant
	var role string
	err := d.db.QueryRowContext(ctx, `SELECT drill_id, person_id, name, role FROM join_tokens WHERE token_hash = ?`, tokenHash).
		Scan(&g.DrillID, &g.PersonID, &g.Name, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return ui.Grant{}, injectors.Errorf(injectors.ENOTFOUND, "Unknown join token.")
	} else if err != nil {
		return ui.Grant{}, fmt.Errorf("look up join token: %w", err)
	}
	g.Role = control.Role(role)
	return g, nil
}

const linkSchema = `
CREATE TABLE IF NOT EXISTS identity_links (
	subject   TEXT NOT NULL,
	drill_id  TEXT NOT NULL,
	person_id TEXT NOT NULL,
	PRIMARY KEY (subject, drill_id, person_id)
);
`

// LinkIdentity records that an identity-provider subject is a person of a
// drill (a participant who linked the drill to their account).
func (d *DB) LinkIdentity(ctx context.Context, subject string, l ui.IdentityLink) error {
	if _, err := d.db.ExecContext(ctx, `INSERT OR IGNORE INTO identity_links (subject, drill_id, person_id) VALUES (?, ?, ?)`, subject, l.DrillID, l.PersonID); err != nil {
		return fmt.Errorf("link %s/%s to an identity: %w", l.DrillID, l.PersonID, err)
	}
	return nil
}

// AllIdentityLinks returns every identity link by subject, for firedrill
// store copy.
func (d *DB) AllIdentityLinks(ctx context.Context) (map[string][]ui.IdentityLink, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT subject, drill_id, person_id FROM identity_links ORDER BY subject, drill_id, person_id`)
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
	rows, err := d.db.QueryContext(ctx, `SELECT drill_id, person_id FROM identity_links WHERE subject = ? ORDER BY drill_id, person_id`, subject)
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

const sessionSchema = `
CREATE TABLE IF NOT EXISTS sessions (
	id_hash   TEXT PRIMARY KEY,
	csrf      TEXT NOT NULL,
	admin     INTEGER NOT NULL,
	drill_id  TEXT NOT NULL,
	person_id TEXT NOT NULL,
	name      TEXT NOT NULL,
	role      TEXT NOT NULL,
	expires   TEXT NOT NULL
);
`

// sessionLinkColumn adds the hash of the join link a session was made
// from (databases made before it get it empty: those sessions end).
const sessionLinkColumn = `ALTER TABLE sessions ADD COLUMN link_hash TEXT NOT NULL DEFAULT ''`

// sessionStaffColumns add the identity-provider subject of a staff
// session and its teams (JSON: team → role).
const sessionStaffColumns = `ALTER TABLE sessions ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN teams TEXT NOT NULL DEFAULT 'null';
CREATE INDEX IF NOT EXISTS sessions_subject ON sessions (subject);`

// PutSession stores a session under the hash of its id.
func (d *DB) PutSession(ctx context.Context, idHash string, s ui.Session) error {
	// Expired sessions are swept on the way.
	if _, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, s.Expires.Add(-48*time.Hour).UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	admin := 0
	if s.Admin {
		admin = 1
	}
	teams, err := json.Marshal(s.Teams)
	if err != nil {
		return fmt.Errorf("put session: teams: %w", err)
	}
	_, err = d.db.ExecContext(ctx, `INSERT OR REPLACE INTO sessions (id_hash, csrf, admin, drill_id, person_id, name, role, expires, link_hash, subject, teams) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idHash, s.CSRF, admin, s.DrillID, s.PersonID, s.Name, string(s.Role), s.Expires.UTC().Format(time.RFC3339Nano), s.LinkHash, s.Subject, string(teams))
	if err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return nil
}

// GetSession returns the session stored under idHash, or ENOTFOUND.
func (d *DB) GetSession(ctx context.Context, idHash string) (ui.Session, error) {
	var s ui.Session
	var admin int
	var role, expires, teams string
	err := d.db.QueryRowContext(ctx, `SELECT csrf, admin, drill_id, person_id, name, role, expires, link_hash, subject, teams FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&s.CSRF, &admin, &s.DrillID, &s.PersonID, &s.Name, &role, &expires, &s.LinkHash, &s.Subject, &teams)
	if errors.Is(err, sql.ErrNoRows) {
		return ui.Session{}, injectors.Errorf(injectors.ENOTFOUND, "Unknown session.")
	} else if err != nil {
		return ui.Session{}, fmt.Errorf("get session: %w", err)
	}
	s.Admin, s.Role = admin == 1, control.Role(role)
	if s.Expires, err = time.Parse(time.RFC3339Nano, expires); err != nil {
		return ui.Session{}, fmt.Errorf("get session: expiry %q: %w", expires, err)
	}
	if err := json.Unmarshal([]byte(teams), &s.Teams); err != nil {
		return ui.Session{}, fmt.Errorf("get session: teams %q: %w", teams, err)
	}
	return s, nil
}

// DeleteSubjectSessions removes every session of an identity-provider
// subject (sign-out everywhere, an admin's revocation).
func (d *DB) DeleteSubjectSessions(ctx context.Context, subject string) (int, error) {
	if subject == "" {
		return 0, nil
	}
	res, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE subject = ?`, subject)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %s: %w", subject, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteSession removes the session stored under idHash.
func (d *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// AllJoinTokens returns every stored join token by its hash, for firedrill
// store copy.
func (d *DB) AllJoinTokens(ctx context.Context) (map[string]ui.Grant, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT token_hash, drill_id, person_id, name, role FROM join_tokens`)
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
	rows, err := d.db.QueryContext(ctx, `SELECT id_hash, csrf, admin, drill_id, person_id, name, role, expires, link_hash, subject, teams FROM sessions`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := map[string]ui.Session{}
	for rows.Next() {
		var h, role, expires, teams string
		var admin int
		var s ui.Session
		if err := rows.Scan(&h, &s.CSRF, &admin, &s.DrillID, &s.PersonID, &s.Name, &role, &expires, &s.LinkHash, &s.Subject, &teams); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		if err := json.Unmarshal([]byte(teams), &s.Teams); err != nil {
			return nil, fmt.Errorf("list sessions: teams %q: %w", teams, err)
		}
		s.Admin, s.Role = admin == 1, control.Role(role)
		if s.Expires, err = time.Parse(time.RFC3339Nano, expires); err != nil {
			return nil, fmt.Errorf("list sessions: expiry %q: %w", expires, err)
		}
		out[h] = s
	}
	return out, rows.Err()
}
