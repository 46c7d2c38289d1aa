package ui_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
)

// teamDrill creates and starts a drill of a team's scenario as facilitator
// c (who must facilitate that team).
func teamDrill(t *testing.T, c *client, scenario string) string {
	t.Helper()
	var sum control.DrillSummary
	c.must(201, "POST", "/api/drills", map[string]string{"scenario": scenario}, &sum)
	c.must(200, "POST", "/api/drills/"+sum.ID+"/start", nil, nil)
	return sum.ID
}

// TestAuthorizationMatrix_teams walks teams × roles × routes × streams: a
// staff member of team B gets the same 403 for every route and stream of a
// team A drill as for a drill that does not exist, and its body names
// nothing of the drill; within team A each role gets what the role matrix
// gives it.
func TestAuthorizationMatrix_teams(t *testing.T) {
	e := newSSOEnv(t)
	alice, bob := e.sso("alice"), e.sso("bob")
	carol, dan := e.sso("carol"), e.sso("dan")
	a := teamDrill(t, alice, "team-a-drill")
	b := teamDrill(t, bob, "team-b-drill")
	post(alice, a, "incident", "Team A looks at the orders API")
	secretsOf := map[string][]string{a: {a, "Team A drill", "Alice"}, b: {b, "Team B drill", "Bob"}}

	type seat struct {
		who  string
		c    *client
		role string // the role matrix's name for what they are in the drill
	}
	sameTeam := []seat{{"alice", alice, roleFacilitator}, {"carol", carol, roleObserver}, {"dan", dan, roleDesigner}}
	strangers := map[string][]seat{
		a: {{"bob", bob, ""}},
		b: {{"alice", alice, ""}, {"carol", carol, ""}, {"dan", dan, ""}},
	}
	for _, rt := range e.server.Routes() {
		if !strings.Contains(rt.Pattern, "{id}") {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		rc := routeCases[key]
		t.Run(key, func(t *testing.T) {
			for _, drillID := range []string{a, b} {
				for _, s := range strangers[drillID] {
					t.Run(s.who+" of another team is refused and learns nothing", func(t *testing.T) {
						st, body := callRoute(t, s.c, rt, rc, drillID, roleFacilitator)
						stNone, bodyNone := callRoute(t, s.c, rt, rc, "no-such-drill", roleFacilitator)
						if st != 403 || stNone != 403 {
							t.Fatalf("%s: %d %s (a drill that does not exist: %d), want 403 for both", key, st, body, stNone)
						}
						if string(body) != string(bodyNone) {
							t.Fatalf("the refusal %s differs from the one for a drill that does not exist %s", body, bodyNone)
						}
						for _, secret := range secretsOf[drillID] {
							if strings.Contains(string(body), secret) {
								t.Fatalf("refusal %s leaks %q", body, secret)
							}
						}
					})
				}
			}
			for _, s := range sameTeam[1:] {
				allowed := slices.Contains(allowedRoles[rt.Access], s.role)
				if allowed && rt.Method != "GET" {
					continue // writes of the allowed are the role matrix's; here they would change the drill
				}
				t.Run(s.who+" of the team as "+s.role, func(t *testing.T) {
					st, body := callRoute(t, s.c, rt, rc, a, s.role)
					switch {
					case allowed && (st == 401 || st == 403):
						// (A running drill's record answers 409: allowed, not yet open.)
						t.Fatalf("%s: %d %s, want it allowed for the team's %s", key, st, body, s.role)
					case !allowed && st != 403:
						t.Fatalf("%s: %d %s, want 403 for the team's %s", key, st, body, s.role)
					}
				})
			}
		})
	}

	t.Run("WebSocket streams open for the team and not for another", func(t *testing.T) {
		for _, tc := range []struct {
			who   string
			c     *client
			drill string
			ok    bool
		}{{"alice", alice, a, true}, {"carol", carol, a, true}, {"dan", dan, a, true}, {"bob", bob, a, false}, {"alice", alice, b, false}, {"carol", carol, b, false}} {
			conn, res, err := tc.c.dialWS(tc.drill, 0)
			if tc.ok {
				if err != nil {
					t.Errorf("%s's stream of their team's drill: %v", tc.who, err)
					continue
				}
				conn.Close()
				continue
			}
			if err == nil {
				conn.Close()
				t.Errorf("%s opened a stream of another team's drill", tc.who)
			} else if res == nil || res.StatusCode != 403 {
				t.Errorf("%s's stream of another team's drill: %v, want HTTP 403", tc.who, err)
			}
		}
	})

	t.Run("lists, scenarios and history show a staff member their teams only", func(t *testing.T) {
		olga := e.sso("olga")
		for _, tc := range []struct {
			who         string
			c           *client
			see, notSee []string
			scenarios   []string
		}{
			{"alice", alice, []string{a}, []string{b}, []string{"team-a-drill"}},
			{"dan", dan, []string{a}, []string{b}, []string{"team-a-drill"}},
			{"carol", carol, []string{a}, []string{b}, []string{}},
			{"bob", bob, []string{b}, []string{a}, []string{"team-b-drill"}},
			{"olga (org-wide)", olga, []string{a, b}, nil, nil},
		} {
			var ds []control.DrillSummary
			tc.c.must(200, "GET", "/api/drills", nil, &ds)
			var ids []string
			for _, d := range ds {
				ids = append(ids, d.ID)
			}
			for _, id := range tc.see {
				if !slices.Contains(ids, id) {
					t.Errorf("%s's drills %v miss %s", tc.who, ids, id)
				}
			}
			for _, id := range tc.notSee {
				if slices.Contains(ids, id) {
					t.Errorf("%s's drills %v show another team's %s", tc.who, ids, id)
				}
			}
			if tc.scenarios != nil {
				var sc []ui.LibraryEntry
				tc.c.must(200, "GET", "/api/scenarios", nil, &sc)
				names := []string{}
				for _, s := range sc {
					names = append(names, s.Name)
				}
				if !slices.Equal(names, tc.scenarios) {
					t.Errorf("%s's scenarios %v, want %v", tc.who, names, tc.scenarios)
				}
			}
			_, hist := tc.c.do("GET", "/api/history", nil)
			for _, id := range tc.notSee {
				if strings.Contains(string(hist), id) {
					t.Errorf("%s's history names another team's drill %s", tc.who, id)
				}
			}
		}
	})

	t.Run("a facilitator cannot create a drill of another team's scenario", func(t *testing.T) {
		st, body := alice.do("POST", "/api/drills", map[string]string{"scenario": "team-b-drill"})
		if st != 404 || strings.Contains(string(body), "Team B") {
			t.Fatalf("alice creating a team B drill: %d %s, want 404 that names nothing", st, body)
		}
		if st, _ := carol.do("POST", "/api/drills", map[string]string{"scenario": "team-a-drill"}); st != 404 {
			t.Fatalf("an observer creating a drill: %d, want 404", st)
		}
	})

	t.Run("the season program is org-wide", func(t *testing.T) {
		if st, _ := alice.do("GET", "/api/program/seasons", nil); st != 403 {
			t.Errorf("a team's facilitator reads the season program: %d, want 403", st)
		}
		e.sso("olga").must(200, "GET", "/api/program/seasons", nil, nil)
	})

	t.Run("the journal names the staff member who acted", func(t *testing.T) {
		evs, err := e.store.Events(t.Context(), a, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		aliceID := ui.StaffID(e.idp.Issuer, "u-alice")
		var posted bool
		for _, ev := range evs {
			if ev.Type == control.EventChatMessage && strings.Contains(string(ev.Payload), "Team A looks") {
				var m struct {
					AuthorID string `json:"authorId"`
				}
				_ = json.Unmarshal(ev.Payload, &m)
				posted = ev.Actor == aliceID || m.AuthorID == aliceID
			}
		}
		dr, _ := e.engine.Drill(t.Context(), a)
		p, ok := dr.Person(aliceID)
		if !posted || !ok || p.Name != "Alice Archer" || p.Role != control.RoleFacilitator || p.Subject != "u-alice" || p.SignIn != control.SignInIdentityProvider {
			t.Fatalf("Alice's message posted as her: %v; person %+v %v, want Alice Archer, facilitator", posted, p, ok)
		}
		if p, ok := dr.Person(ui.StaffID(e.idp.Issuer, "u-carol")); !ok || p.Name != "Carol Chen" || p.Role != control.RoleObserver {
			t.Fatalf("Carol in the drill: %+v %v, want Carol Chen, observer", p, ok)
		}
	})
}

// callRoute calls a route of drillID as c with the route case's body (for
// role) and returns the status and body; a WebSocket route is dialled.
func callRoute(t *testing.T, c *client, rt ui.Route, rc routeCase, drillID, role string) (int, []byte) {
	t.Helper()
	if rt.Pattern == "/api/drills/{id}/ws" {
		conn, res, err := c.dialWS(drillID, 0)
		if err == nil {
			conn.Close()
			return 101, nil
		}
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return res.StatusCode, nil
	}
	path := strings.NewReplacer("{id}", drillID, "{pid}", "p-1", "{fid}", "cache", "{hid}", "hint-2", "{qid}", "q-1", "{aid}", "a-1").Replace(rt.Pattern)
	var body any
	if rc.body != nil {
		body = rc.body(role)
	}
	return c.do(rt.Method, path, body)
}
