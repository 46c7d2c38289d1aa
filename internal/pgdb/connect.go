package pgdb

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firedrill/firedrill/injectors"
)

// Connect opens a connection pool to the database of dsn (a URL or
// key=value connection string) and checks that the server answers.
func Connect(ctx context.Context, dsn string, maxConns int32) (*pgxpool.Pool, error) {
	if dsn == "" {
		return nil, injectors.Errorf(injectors.EINVALID, "store.dsn is empty: set it (or FIREDRILL_STORE_DSN) to a PostgreSQL connection string, e.g. postgres://firedrill@db:5432/firedrill")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message leaves the password out.
		return nil, injectors.Errorf(injectors.EINVALID, "store.dsn: %v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Describe(cfg), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", Describe(cfg), err)
	}
	return pool, nil
}

// Describe names the database of a pool's configuration for messages,
// without its password.
func Describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("PostgreSQL database %q at %s:%d as %s", c.Database, c.Host, c.Port, c.User)
}

// CheckDSN checks that dsn is a PostgreSQL connection string, without
// connecting; the error names store.dsn and leaves the password out.
func CheckDSN(dsn string) error {
	if _, err := pgxpool.ParseConfig(dsn); err != nil {
		return fmt.Errorf("store.dsn: %v", err)
	}
	return nil
}

// Where names the database of dsn for messages, without its password.
func Where(dsn string) string {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return "the PostgreSQL database of store.dsn"
	}
	return Describe(cfg)
}

var passwordSetting = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Redact returns dsn with its password masked, for printing the
// configuration: the user info of a URL and a password= setting.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return passwordSetting.ReplaceAllString(dsn, "${1}xxxxx")
}
