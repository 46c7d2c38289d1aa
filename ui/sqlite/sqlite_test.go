package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/sqlite"
)

func TestJoinTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "room.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	kim := ui.Grant{DrillID: "d1", PersonID: "p1", Name: "Kim", Role: control.RoleParticipant}
	if err := db.PutJoinToken(ctx, ui.HashToken("first"), kim); err != nil {
		t.Fatal(err)
	}

	t.Run("a stored token returns its grant", func(t *testing.T) {
		g, err := db.JoinGrant(ctx, ui.HashToken("first"))
		if err != nil || g != kim {
			t.Fatalf("grant %+v, %v; want %+v", g, err, kim)
		}
	})
	t.Run("an unknown token is not found", func(t *testing.T) {
		if _, err := db.JoinGrant(ctx, ui.HashToken("nope")); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	})
	t.Run("a new token of the same person replaces the old one", func(t *testing.T) {
		if err := db.PutJoinToken(ctx, ui.HashToken("second"), kim); err != nil {
			t.Fatal(err)
		}
		if _, err := db.JoinGrant(ctx, ui.HashToken("first")); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("old token: err %v, want ENOTFOUND", err)
		}
	})
	t.Run("tokens survive a reopen", func(t *testing.T) {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db2, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if g, err := db2.JoinGrant(ctx, ui.HashToken("second")); err != nil || g != kim {
			t.Fatalf("after reopen: %+v, %v", g, err)
		}
	})
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exp := time.Date(2026, 11, 23, 21, 0, 0, 123, time.UTC)
	s := ui.Session{CSRF: "c", DrillID: "d1", PersonID: "p1", Name: "Kim", Role: control.RoleObserver, Expires: exp}
	if err := db.PutSession(ctx, "h1", s); err != nil {
		t.Fatal(err)
	}
	t.Run("a stored session reads back whole", func(t *testing.T) {
		got, err := db.GetSession(ctx, "h1")
		if err != nil || got.CSRF != "c" || got.DrillID != "d1" || got.Role != control.RoleObserver || !got.Expires.Equal(exp) || got.Admin {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("a deleted session is not found", func(t *testing.T) {
		if err := db.DeleteSession(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetSession(ctx, "h1"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	})
}
