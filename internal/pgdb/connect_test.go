package pgdb_test

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill/internal/pgdb"
)

func TestRedact(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"a URL's password is masked", "postgres://fd:s3cret@db:5432/firedrill?sslmode=require", "postgres://fd:xxxxx@db:5432/firedrill?sslmode=require"},
		{"a URL's password parameter is masked", "postgresql://fd@db/firedrill?password=s3cret", "postgresql://fd@db/firedrill?password=xxxxx"},
		{"a key=value password is masked", "host=db user=fd password=s3cret dbname=firedrill", "host=db user=fd password=xxxxx dbname=firedrill"},
		{"a quoted key=value password is masked", "host=db password='s3 cret' dbname=firedrill", "host=db password=xxxxx dbname=firedrill"},
		{"a DSN without password stays", "postgres://fd@db/firedrill", "postgres://fd@db/firedrill"},
		{"an empty DSN stays empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := pgdb.Redact(tc.dsn)
			if got != tc.want || strings.Contains(got, "s3") {
				t.Fatalf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
		})
	}
}
