package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/internal/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &pg) }

func TestServer(t *testing.T) {
	ctx := context.Background()
	t.Run("each test database is fresh and answers queries", func(t *testing.T) {
		a, b := pg.NewDatabase(t), pg.NewDatabase(t)
		if a == b {
			t.Fatalf("two databases share the DSN %s", a)
		}
		conn, err := pgx.Connect(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("public tables %d, %v; want a fresh database", n, err)
		}
	})
	t.Run("a stopped server leaves no directory behind", func(t *testing.T) {
		s, err := pgtest.Start(pgtest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
			t.Fatalf("%s still exists after Stop: %v", s.Dir, err)
		}
	})
}
