package ui_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// The roles of the authorization matrix.
const (
	roleAnonymous   = "anonymous"
	roleParticipant = "participant"
	roleObserver    = "observer"
	roleDesigner    = "designer"
	roleFacilitator = "facilitator"
	roleOtherDrill  = "participant-of-another-drill"
)

var matrixRoles = []string{roleAnonymous, roleParticipant, roleObserver, roleDesigner, roleFacilitator, roleOtherDrill}

// allowedRoles is the matrix's expectation, written independently of the
// server's table: who may use a route of each access level.
var allowedRoles = map[ui.Access][]string{
	ui.AccessPublic:      matrixRoles,
	ui.AccessAdmin:       {roleFacilitator},
	ui.AccessMember:      {roleParticipant, roleObserver, roleDesigner, roleFacilitator},
	ui.AccessFacilitator: {roleFacilitator},
	ui.AccessStaff:       {roleObserver, roleDesigner, roleFacilitator},
	ui.AccessParticipant: {roleParticipant},
	// The studio: the facilitator, and a designer (for their drill's team).
	ui.AccessStudio: {roleDesigner, roleFacilitator},
}

// setup says what state the drill of a route's case starts in.
type setup int

const (
	running setup = iota
	draft
	paused
)

// routeCase is how the matrix calls one route when it is allowed.
type routeCase struct {
	setup setup
	body  func(role string) any
	// ok are the statuses that count as working; the default is 2xx.
	ok []int
	// vars, when set, gives the values of the route's other path
	// variables ({season}, {team}), made fresh for each call.
	vars func(e *env) map[string]string
}

func incidentNotice() map[string]any {
	return map[string]any{"kind": "incident", "fields": map[string]string{
		"started": "14:05", "impact": "Customers cannot order.", "channel": "#incident-orders", "grade": "SEV2", "status": "investigating",
	}}
}

var routeCases = map[string]routeCase{
	"POST /api/login":             {body: func(string) any { return map[string]string{"secret": "wrong"} }, ok: []int{401}},
	"POST /api/logout":            {},
	"POST /api/logout/everywhere": {},
	// The matrix's room has no identity provider: both answer 404 with a
	// page that says so (TestLoginOIDC covers a configured provider).
	"GET /auth/oidc/login":    {ok: []int{404}},
	"GET /auth/oidc/callback": {ok: []int{404}},
	// Only a person signed in with the identity provider for "my drills"
	// has them; without a provider the page says so to everyone (200).
	"GET /me":            {ok: []int{200}},
	"GET /api/me/drills": {ok: []int{401}},
	// The sessions page of the org-wide admin (the matrix's facilitator
	// signs in with the admin credential); nobody with that subject is
	// signed in, which the revocation says.
	// The matrix asks for the trend without a team: a clear 400 to who may
	// ask (TestTeamTrend asks each role for a team's).
	"GET /api/history/trend":          {ok: []int{400}},
	"GET /admin/sessions":             {},
	"GET /api/admin/sessions":         {},
	"POST /api/admin/sessions/revoke": {body: func(string) any { return map[string]string{"subject": "nobody"} }, ok: []int{404}},
	"POST /api/join":                  {body: func(string) any { return map[string]string{"token": "not-a-valid-token-at-all-xxxxxxxx"} }, ok: []int{401}},
	"POST /api/drills":                {body: func(string) any { return map[string]string{"scenario": "room-test"} }},
	"GET /{$}":                        {ok: []int{303}},
	"GET /static/":                    {ok: []int{404}}, // no directory listing
	"GET /console":                    {},
	"GET /room/{id}":                  {},
	"GET /api/session":                {},
	"GET /healthz":                    {},
	"GET /readyz":                     {},
	// The matrix's room serves no metrics (404 to whoever may ask);
	// TestMetricsByRole reads them from a room that does.
	"GET /metrics":                                    {ok: []int{404}},
	"GET /api/drills":                                 {},
	"GET /api/scenarios":                              {},
	"GET /api/drills/{id}":                            {},
	"GET /api/drills/{id}/ws":                         {},
	"POST /api/drills/{id}/people/{pid}/link":         {},
	"POST /api/drills/{id}/people/{pid}/remove":       {body: func(string) any { return map[string]string{"why": "left the team"} }},
	"POST /api/drills/{id}/people/{pid}/sessions/end": {},
	"POST /api/drills/{id}/messages": {body: func(role string) any {
		if role == roleObserver || role == roleDesigner {
			return wire.PostMessageRequest{Channel: "backroom", Text: "hello"}
		}
		return wire.PostMessageRequest{Channel: "incident", Text: "hello"}
	}},
	"POST /api/drills/{id}/people": {body: func(string) any {
		return map[string]any{"name": "Choi", "role": control.RoleParticipant}
	}},
	"POST /api/drills/{id}/briefing":          {setup: draft},
	"POST /api/drills/{id}/start":             {setup: draft},
	"POST /api/drills/{id}/time-scale":        {setup: draft, body: func(string) any { return map[string]float64{"timeScale": 60} }},
	"POST /api/drills/{id}/pause":             {body: func(string) any { return map[string]string{"why": "real incident"} }},
	"POST /api/drills/{id}/resume":            {setup: paused},
	"POST /api/drills/{id}/end":               {},
	"POST /api/drills/{id}/abort":             {body: func(string) any { return map[string]any{"confirm": true, "why": "test"} }},
	"POST /api/drills/{id}/hints/next":        {},
	"POST /api/drills/{id}/hints/skip":        {},
	"POST /api/drills/{id}/hints/{hid}/skip":  {body: func(string) any { return map[string]string{"why": "the team found the config change"} }},
	"POST /api/drills/{id}/faults/{fid}/fire": {},
	// db-config fires at 0m; whether it is in effect yet depends on the
	// engine loop, so a conflict is a correct answer too.
	"POST /api/drills/{id}/faults/{fid}/resolve": {ok: []int{200, 409}},
	"POST /api/drills/{id}/faults/{fid}/skip":    {body: func(string) any { return map[string]string{"why": "no time left"} }, ok: []int{200, 409}},
	"POST /api/drills/{id}/notes":                {body: func(string) any { return map[string]string{"tag": "weakness", "text": "no status update"} }},
	"POST /api/drills/{id}/notices":              {body: func(string) any { return incidentNotice() }},
	"POST /api/drills/{id}/claims":               {body: func(string) any { return map[string]any{"role": "incident-commander"} }},

	"GET /studio":                                  {},
	"GET /studio/edit":                             {},
	"GET /api/studio/schema":                       {},
	"GET /api/studio/scenarios":                    {},
	"POST /api/studio/scenarios":                   {body: func(string) any { return map[string]any{"yaml": matrixScenario(), "base": 0} }, ok: []int{201}},
	"GET /api/studio/scenarios/{name}":             {vars: roomTestScenario},
	"GET /api/studio/scenarios/{name}/yaml":        {vars: roomTestScenario},
	"GET /api/studio/scenarios/{name}/injects.csv": {vars: roomTestScenario},
	// The latest version against the one before: a scenario saved twice.
	"GET /api/studio/scenarios/{name}/diff": {vars: savedTwice},
	"POST /api/studio/check":                {body: func(string) any { return map[string]any{"yaml": matrixScenario()} }},
	"POST /api/studio/injects": {body: func(string) any {
		return map[string]any{"yaml": matrixScenario(), "csv": "id,time,persona,channel,text\nfirst,3m,cs,incident,Is ordering down?\n"}
	}},
	// The matrix's scenario has nothing to confirm: a participant is let
	// through and told so; TestBrowserConfirmInTheRoom confirms for real.
	"POST /api/drills/{id}/confirmations/{key}": {vars: func(*env) map[string]string { return map[string]string{"key": "c1"} }, ok: []int{404}},
	"POST /api/rehearsals":                      {body: func(string) any { return rehearsalRequest(nil) }, ok: []int{http.StatusAccepted}},
	"GET /api/rehearsals/{rid}":                 {vars: func(e *env) map[string]string { return map[string]string{"rid": e.startRehearsal()} }},
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	for _, rt := range e.server.Routes() {
		key := rt.Method + " " + rt.Pattern
		rc, ok := routeCases[key]
		if !ok && rt.Access != ui.AccessPublic && !strings.HasPrefix(rt.Pattern, "/console/") {
			t.Errorf("route %s has no case in the authorization matrix", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			other := e.newDrill(true) // a drill whose participant must see nothing of the others
			for _, role := range matrixRoles {
				allowed := slices.Contains(allowedRoles[rt.Access], role)
				name := role + " is refused"
				if allowed {
					name = role + " is allowed"
				}
				t.Run(name, func(t *testing.T) {
					d := e.newDrill(rc.setup != draft)
					if rc.setup == paused {
						d.admin.must(200, "POST", "/api/drills/"+d.id+"/pause", map[string]string{"why": "x"}, nil)
					}
					c := map[string]*client{
						roleAnonymous: e.client(), roleParticipant: d.participant, roleObserver: d.observer,
						roleDesigner: d.designer, roleFacilitator: d.admin, roleOtherDrill: other.participant,
					}[role]
					path := strings.NewReplacer("{id}", d.id, "{pid}", d.people["Kim"], "{fid}", "cache", "{hid}", "hint-2", "{$}", "").Replace(rt.Pattern)
					if rc.vars != nil {
						for k, v := range rc.vars(e) {
							path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
						}
					}
					if strings.HasSuffix(key, "/resolve") {
						path = strings.Replace(path, "/cache/", "/db-config/", 1)
					}
					if rt.Pattern == "/api/drills/{id}/ws" {
						checkWS(t, c, d.id, allowed, role)
						return
					}
					var body any
					if rc.body != nil {
						body = rc.body(role)
					}
					st, b := c.do(rt.Method, path, body)
					// The operations routes answer machines: errors, not pages.
					page := rt.Method == "GET" && !strings.HasPrefix(rt.Pattern, "/api/") && rt.Pattern != "/metrics"
					switch {
					case allowed && len(rc.ok) > 0:
						if !slices.Contains(rc.ok, st) {
							t.Fatalf("%s: %d %s, want one of %v", path, st, b, rc.ok)
						}
					case allowed:
						if st < 200 || st > 299 {
							t.Fatalf("%s: %d %s, want 2xx", path, st, b)
						}
					case page && role == roleAnonymous:
						if st != http.StatusSeeOther {
							t.Fatalf("%s: %d, want a redirect to sign in", path, st)
						}
					case page:
						if st != http.StatusForbidden || !strings.Contains(string(b), "refused") {
							t.Fatalf("%s: %d, want the 403 page", path, st)
						}
					case role == roleAnonymous:
						assertRefused(t, st, b, 401, d)
					default:
						assertRefused(t, st, b, 403, d)
					}
				})
			}
		})
	}
}

// assertRefused checks a refusal: the status, and a body that says nothing
// about the drill.
func assertRefused(t *testing.T, st int, b []byte, want int, d *drill) {
	t.Helper()
	if st != want {
		t.Fatalf("status %d %s, want %d", st, b, want)
	}
	for _, secret := range []string{d.id, "Orders stall", "Kim", "db-config", "DB_HOST", "Restore"} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("refusal %s leaks %q", b, secret)
		}
	}
}

func checkWS(t *testing.T, c *client, drillID string, allowed bool, role string) {
	t.Helper()
	conn, res, err := c.dialWS(drillID, 0)
	if allowed {
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conn.Close()
		return
	}
	if err == nil {
		conn.Close()
		t.Fatal("WebSocket subscription opened")
	}
	want := 403
	if role == roleAnonymous {
		want = 401
	}
	if res == nil || res.StatusCode != want {
		t.Fatalf("dial: %v (%v), want HTTP %d", err, res, want)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	path := "/api/drills/" + d.id + "/messages"
	body := wire.PostMessageRequest{Channel: "incident", Text: "hi"}
	tests := []struct {
		name   string
		origin string
		csrf   string
		want   int
	}{
		{"same origin with the session's token is accepted", e.http.URL, d.participant.csrf, 201},
		{"missing token is refused", e.http.URL, "", 403},
		{"wrong token is refused", e.http.URL, "forged", 403},
		{"another origin is refused", "https://evil.example", d.participant.csrf, 403},
		{"no origin is refused", "", d.participant.csrf, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *d.participant
			c.origin, c.csrf = tt.origin, tt.csrf
			if st, b := c.do("POST", path, body); st != tt.want {
				t.Fatalf("status %d %s, want %d", st, b, tt.want)
			}
		})
	}

	t.Run("WebSocket from another origin is refused", func(t *testing.T) {
		c := *d.participant
		c.origin = "https://evil.example"
		_, res, err := c.dialWS(d.id, 0)
		if err == nil || res == nil || res.StatusCode != 403 {
			t.Fatalf("dial from another origin: %v %v, want HTTP 403", err, res)
		}
	})

	t.Run("login from another origin is refused", func(t *testing.T) {
		c := e.client()
		c.origin = "https://evil.example"
		if st, _ := c.do("POST", "/api/login", map[string]string{"secret": adminToken}); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
	})
}

// TestAuthorizationMatrix_closedDrill: closed is closed. Once the retro is
// closed, every write route refuses every role, even those the matrix
// allows on an open drill, and the drill's hash-chained journal does not
// grow.
func TestAuthorizationMatrix_closedDrill(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	post(d.participant, d.id, "incident", "looking into it")
	endDrill(t, e, d)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", map[string]any{"confirm": true}, nil)
	head := func() int64 {
		evs, err := e.store.Events(t.Context(), d.id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return evs[len(evs)-1].Seq
	}
	before := head()
	for _, rt := range e.server.Routes() {
		if rt.Method == "GET" || !strings.Contains(rt.Pattern, "{id}") {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		rc := routeCases[key]
		t.Run(key, func(t *testing.T) {
			for _, role := range allowedRoles[rt.Access] {
				c := map[string]*client{roleParticipant: d.participant, roleObserver: d.observer, roleDesigner: d.designer, roleFacilitator: d.admin}[role]
				if c == nil {
					continue
				}
				path := strings.NewReplacer("{id}", d.id, "{pid}", d.people["Kim"], "{fid}", "cache", "{qid}", "q-1", "{aid}", "a-1").Replace(rt.Pattern)
				var body any
				if rc.body != nil {
					body = rc.body(role)
				}
				st, b := c.do(rt.Method, path, body)
				if st < 400 {
					t.Errorf("%s on the closed drill: %d %s, want a refusal", role, st, b)
				}
			}
		})
	}
	if after := head(); after != before {
		evs, _ := e.store.Events(t.Context(), d.id, before, 0)
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type+" by "+ev.Actor)
		}
		t.Fatalf("the closed drill's journal grew from #%d to #%d: %v", before, after, types)
	}
}
