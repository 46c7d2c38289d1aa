package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// The pages that refuse by themselves (the authorization matrix lets them
// answer 200, 303 or 403 to anyone, or leaves them out), checked role by
// role: the status each role gets, and that a refusal says nothing about
// the drill (its id, title, people or faults).
func TestPagesByRole(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	other := e.newDrill(true)
	clients := map[string]*client{
		roleAnonymous: e.client(), roleParticipant: d.participant, roleObserver: d.observer,
		roleDesigner: d.designer, roleFacilitator: d.admin, roleOtherDrill: other.participant,
	}
	const (
		ok      = http.StatusOK
		signIn  = http.StatusSeeOther
		refused = http.StatusForbidden
		notYet  = http.StatusConflict
	)
	tests := []struct {
		path string
		want map[string]int
	}{
		{"/console/drills/{id}", map[string]int{roleAnonymous: signIn, roleParticipant: refused, roleObserver: refused, roleDesigner: refused, roleFacilitator: ok, roleOtherDrill: refused}},
		{"/room/{id}", map[string]int{roleAnonymous: signIn, roleParticipant: ok, roleObserver: ok, roleDesigner: ok, roleFacilitator: ok, roleOtherDrill: refused}},
		{"/room/{id}/retro", map[string]int{roleAnonymous: signIn, roleParticipant: ok, roleObserver: ok, roleDesigner: ok, roleFacilitator: ok, roleOtherDrill: refused}},
		// The record of a running drill is the facilitator's until the drill ends.
		{"/room/{id}/record", map[string]int{roleAnonymous: signIn, roleParticipant: notYet, roleObserver: notYet, roleDesigner: notYet, roleFacilitator: ok, roleOtherDrill: refused}},
		{"/history", map[string]int{roleAnonymous: signIn, roleParticipant: refused, roleObserver: refused, roleDesigner: refused, roleFacilitator: ok, roleOtherDrill: refused}},
		{"/program", map[string]int{roleAnonymous: signIn, roleParticipant: refused, roleObserver: refused, roleDesigner: refused, roleFacilitator: ok, roleOtherDrill: refused}},
		{"/admin/sessions", map[string]int{roleAnonymous: signIn, roleParticipant: refused, roleObserver: refused, roleDesigner: refused, roleFacilitator: ok, roleOtherDrill: refused}},
	}
	for _, tt := range tests {
		for _, role := range matrixRoles {
			want := tt.want[role]
			t.Run(tt.path+"/"+role+" gets "+http.StatusText(want), func(t *testing.T) {
				path := strings.ReplaceAll(tt.path, "{id}", d.id)
				st, b := clients[role].do("GET", path, nil)
				if st != want {
					t.Fatalf("GET %s as %s: %d %.300s, want %d", path, role, st, b, want)
				}
				if st == ok {
					return
				}
				for _, secret := range []string{d.id, "Orders stall", "Kim", "db-config", "DB_HOST", "Restore"} {
					if strings.Contains(string(b), secret) {
						t.Fatalf("GET %s as %s: the %d answer leaks %q: %.300s", path, role, st, secret, b)
					}
				}
			})
		}
	}
}
