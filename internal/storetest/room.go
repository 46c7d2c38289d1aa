package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

// Room is a drill room store under test.
type Room interface {
	ui.JoinTokens
	ui.SessionStore
	ui.IdentityLinks
	ui.ScenarioStore
	// AllJoinTokens and AllSessions list everything stored, for copying.
	AllJoinTokens(ctx context.Context) (map[string]ui.Grant, error)
	AllSessions(ctx context.Context) (map[string]ui.Session, error)
	AllIdentityLinks(ctx context.Context) (map[string][]ui.IdentityLink, error)
	Close() error
}

// RoomOpener makes a fresh room store for one test and returns the
// function that opens it again; the opener registers closing with t.
type RoomOpener func(t testing.TB) func() Room

// TestRoom checks the room's join tokens and sessions.
func TestRoom(t *testing.T, open RoomOpener) {
	ctx := context.Background()
	reopen := open(t)
	db := reopen()
	kim := ui.Grant{DrillID: "d1", PersonID: "p1", Name: "Kim", Role: control.RoleParticipant}
	lee := ui.Grant{DrillID: "d1", PersonID: "p2", Name: "Lee", Role: control.RoleObserver}
	for h, g := range map[string]ui.Grant{"first": kim, "lee": lee} {
		if err := db.PutJoinToken(ctx, ui.HashToken(h), g); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Date(2026, 11, 23, 21, 0, 0, 123, time.UTC)
	sessions := map[string]ui.Session{
		"kim":   {CSRF: "c1", DrillID: "d1", PersonID: "p1", Name: "Kim", Role: control.RoleParticipant, Expires: exp, LinkHash: ui.HashToken("first")},
		"lee":   {CSRF: "c2", DrillID: "d1", PersonID: "p2", Name: "Lee", Role: control.RoleObserver, Expires: exp, LinkHash: ui.HashToken("lee")},
		"admin": {CSRF: "c3", Admin: true, Expires: exp},
		"alice": {CSRF: "c4", Admin: true, PersonID: "staff-1", Name: "Alice Archer", Role: control.RoleFacilitator, Expires: exp,
			Subject: "u-alice", Teams: map[string]control.Role{"team-a": control.RoleFacilitator, "team-b": control.RoleObserver}},
		"alice-2": {CSRF: "c5", Admin: true, PersonID: "staff-1", Name: "Alice Archer", Role: control.RoleFacilitator, Expires: exp,
			Subject: "u-alice", Teams: map[string]control.Role{"team-a": control.RoleFacilitator}},
	}
	for h, s := range sessions {
		if err := db.PutSession(ctx, h, s); err != nil {
			t.Fatal(err)
		}
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
	t.Run("a stored session reads back whole", func(t *testing.T) {
		for h, want := range sessions {
			got, err := db.GetSession(ctx, h)
			if err != nil || !sameSession(got, want) || !got.Expires.Equal(want.Expires) {
				t.Fatalf("session %s: %+v, %v; want %+v", h, got, err, want)
			}
		}
	})
	t.Run("everything stored is listed", func(t *testing.T) {
		tokens, err := db.AllJoinTokens(ctx)
		if err != nil || len(tokens) != 2 || tokens[ui.HashToken("first")] != kim || tokens[ui.HashToken("lee")] != lee {
			t.Fatalf("tokens %+v, %v; want kim's and lee's", tokens, err)
		}
		all, err := db.AllSessions(ctx)
		if err != nil || len(all) != len(sessions) {
			t.Fatalf("sessions %+v, %v; want %d", all, err, len(sessions))
		}
		for h, want := range sessions {
			if got := all[h]; !sameSession(got, want) || !got.Expires.Equal(want.Expires) {
				t.Errorf("listed session %s: %+v, want %+v", h, got, want)
			}
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
	t.Run("tokens and sessions survive a reopen", func(t *testing.T) {
		db.Close()
		db = reopen()
		if g, err := db.JoinGrant(ctx, ui.HashToken("second")); err != nil || g != kim {
			t.Fatalf("after reopen: %+v, %v", g, err)
		}
		if _, err := db.GetSession(ctx, "lee"); err != nil {
			t.Fatalf("after reopen: %v", err)
		}
	})
	t.Run("revoking a person's link ends their sessions only", func(t *testing.T) {
		if err := db.RevokeJoinTokens(ctx, "d1", "p2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.JoinGrant(ctx, ui.HashToken("lee")); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("revoked token: err %v, want ENOTFOUND", err)
		}
		if _, err := db.GetSession(ctx, "lee"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("session of the revoked link: err %v, want ENOTFOUND", err)
		}
		if _, err := db.GetSession(ctx, "kim"); err != nil {
			t.Fatalf("another person's session: %v", err)
		}
	})
	t.Run("revoking a drill's links keeps the facilitator signed in", func(t *testing.T) {
		if err := db.RevokeJoinTokens(ctx, "d1", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetSession(ctx, "kim"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("join session after revoking the drill: err %v, want ENOTFOUND", err)
		}
		if _, err := db.GetSession(ctx, "admin"); err != nil {
			t.Fatalf("admin session: %v", err)
		}
	})
	t.Run("signing a person out everywhere ends their sessions only", func(t *testing.T) {
		n, err := db.DeleteSubjectSessions(ctx, "u-alice")
		if err != nil || n != 2 {
			t.Fatalf("deleted %d, %v; want 2", n, err)
		}
		for _, h := range []string{"alice", "alice-2"} {
			if _, err := db.GetSession(ctx, h); injectors.ErrorCode(err) != injectors.ENOTFOUND {
				t.Fatalf("session %s after sign-out everywhere: err %v, want ENOTFOUND", h, err)
			}
		}
		if _, err := db.GetSession(ctx, "admin"); err != nil {
			t.Fatalf("another session: %v", err)
		}
		if n, err := db.DeleteSubjectSessions(ctx, ""); err != nil || n != 0 {
			t.Fatalf("an empty subject deleted %d, %v; want nothing", n, err)
		}
	})
	t.Run("a participant's drills are linked to their identity once each", func(t *testing.T) {
		for _, l := range []ui.IdentityLink{{DrillID: "d2", PersonID: "p9"}, {DrillID: "d1", PersonID: "p1"}, {DrillID: "d1", PersonID: "p1"}} {
			if err := db.LinkIdentity(ctx, "u-pia", l); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.IdentityLinksOf(ctx, "u-pia")
		want := []ui.IdentityLink{{DrillID: "d1", PersonID: "p1"}, {DrillID: "d2", PersonID: "p9"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("links %+v, %v; want %+v", got, err, want)
		}
		if got, err := db.IdentityLinksOf(ctx, "u-else"); err != nil || len(got) != 0 {
			t.Fatalf("another subject's links: %+v, %v; want none", got, err)
		}
		all, err := db.AllIdentityLinks(ctx)
		if err != nil || !reflect.DeepEqual(all, map[string][]ui.IdentityLink{"u-pia": want}) {
			t.Fatalf("all links %+v, %v; want Pia's %+v", all, err, want)
		}
	})
	t.Run("a deleted session is not found", func(t *testing.T) {
		if err := db.DeleteSession(ctx, "admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetSession(ctx, "admin"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	})
}

func sameSession(a, b ui.Session) bool {
	a.Expires, b.Expires = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
