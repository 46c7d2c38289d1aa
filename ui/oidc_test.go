package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/testidp"
	"github.com/firedrill/firedrill/ui"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
	"github.com/firedrill/firedrill/ui/wire"
)

// The people of the test identity provider and the groups firedrill maps.
var ssoUsers = []testidp.User{
	{ID: "u-alice", Username: "alice", Password: "alice-pass-1", GivenName: "Alice", FamilyName: "Archer", Email: "alice@example.test", Groups: []string{"team-a-facilitators"}},
	{ID: "u-bob", Username: "bob", Password: "bob-pass-1", GivenName: "Bob", FamilyName: "Baker", Email: "bob@example.test", Groups: []string{"team-b-facilitators", "everyone"}},
	{ID: "u-carol", Username: "carol", Password: "carol-pass-1", GivenName: "Carol", FamilyName: "Chen", Groups: []string{"team-a-observers"}},
	{ID: "u-dan", Username: "dan", Password: "dan-pass-1", GivenName: "Dan", FamilyName: "Diaz", Groups: []string{"team-a-designers"}},
	{ID: "u-erin", Username: "erin", Password: "erin-pass-1", GivenName: "Erin", FamilyName: "Evans", Groups: []string{"marketing"}},
	{ID: "u-olga", Username: "olga", Password: "olga-pass-1", GivenName: "Olga", FamilyName: "Ortiz", Groups: []string{"drill-admins"}},
	{ID: "u-pia", Username: "pia", Password: "pia-pass-1", GivenName: "Pia", FamilyName: "Park", Groups: []string{"engineering"}},
	{ID: "u-quinn", Username: "quinn", Password: "quinn-pass-1", GivenName: "Quinn", FamilyName: "Kim", Groups: []string{"engineering"}},
}

var ssoGroups = map[string]ui.GroupGrant{
	"team-a-facilitators": {Team: "team-a", Role: control.RoleFacilitator},
	"team-b-facilitators": {Team: "team-b", Role: control.RoleFacilitator},
	"team-a-observers":    {Team: "team-a", Role: control.RoleObserver},
	"team-a-designers":    {Team: "team-a", Role: control.RoleDesigner},
	"drill-admins":        {Team: ui.AllTeams, Role: control.RoleFacilitator},
}

// ssoEnv is a drill room whose staff sign in with a real OpenID Connect
// provider running in the test process.
type ssoEnv struct {
	*env
	idp *testidp.IdP
}

func newSSOEnv(t testing.TB) *ssoEnv {
	t.Helper()
	idp, err := testidp.Start(testidp.Client{ID: "firedrill", Secret: "firedrill-client-secret"}, ssoUsers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Close() })
	studio, err := usqlite.Open(filepath.Join(t.TempDir(), "studio.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { studio.Close() })
	lib, err := ui.NewCatalog(context.Background(), []string{"testdata/scenarios", "testdata/teams"}, studio)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
		c.Library, c.Studio = lib, lib
		c.OIDC = ui.OIDCConfig{Issuer: idp.Issuer, ClientID: "firedrill", ClientSecret: "firedrill-client-secret", Groups: ssoGroups}
	})
	idp.SetRedirectURL(e.http.URL + "/auth/oidc/callback")
	return &ssoEnv{env: e, idp: idp}
}

// get opens a URL in the browser without following redirects.
func (c *client) get(u string) (*http.Response, string) {
	c.t.Helper()
	res, err := c.hc.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// follow opens u and follows redirects while stop(url) is false; it
// returns the URL it stopped at (not opened) or the page it ended on.
func (c *client) follow(u string, stop func(string) bool) (last string, res *http.Response, body string) {
	c.t.Helper()
	for range 10 {
		if stop(u) {
			return u, nil, ""
		}
		res, body = c.get(u)
		loc := res.Header.Get("Location")
		if loc == "" {
			return u, res, body
		}
		next, err := res.Request.URL.Parse(loc)
		if err != nil {
			c.t.Fatal(err)
		}
		u = next.String()
	}
	c.t.Fatalf("too many redirects from %s", u)
	return "", nil, ""
}

// ssoCallback walks browser c through the provider's own login page as
// username and returns the callback URL the provider sends it back to,
// not yet opened.
func (e *ssoEnv) ssoCallback(c *client, username, password string) string {
	e.t.Helper()
	return e.ssoCallbackWith(c, username, password, "")
}

// sso signs a new browser in as username through the provider and returns
// it with its CSRF token.
func (e *ssoEnv) sso(username string) *client {
	e.t.Helper()
	c := e.client()
	res, body := c.get(e.ssoCallback(c, username, passwordOf(username)))
	if res.StatusCode != 200 || !strings.Contains(body, "Signed in as") {
		e.t.Fatalf("sign-in of %s: %d %s", username, res.StatusCode, body)
	}
	var s wire.SessionView
	c.must(200, "GET", "/api/session", nil, &s)
	c.csrf = s.CSRF
	return c
}

func passwordOf(username string) string {
	for _, u := range ssoUsers {
		if u.Username == username {
			return u.Password
		}
	}
	return ""
}

func TestLoginOIDC(t *testing.T) {
	e := newSSOEnv(t)

	t.Run("a mapped facilitator signs in through the provider's login page", func(t *testing.T) {
		c := e.sso("alice")
		var s wire.SessionView
		c.must(200, "GET", "/api/session", nil, &s)
		if !s.Admin || s.Name != "Alice Archer" || s.Teams["team-a"] != control.RoleFacilitator || len(s.Teams) != 1 || s.BreakGlass || s.PersonID != ui.StaffID(e.idp.Issuer, "u-alice") {
			t.Fatalf("session %+v, want Alice Archer, facilitator of team-a", s)
		}
		c.must(200, "GET", "/console", nil, nil)
	})

	t.Run("the admin token still signs in, as break-glass", func(t *testing.T) {
		var s wire.SessionView
		e.admin().must(200, "GET", "/api/session", nil, &s)
		if !s.BreakGlass || !s.SSO {
			t.Fatalf("admin-token session %+v, want breakGlass and sso", s)
		}
	})

	refusals := []struct {
		name   string
		fault  testidp.Fault
		user   string
		status int
		says   string
	}{
		{"an expired ID token is refused", testidp.ExpiredToken, "alice", 401, "token has expired"},
		{"an ID token for another audience is refused", testidp.WrongAudience, "alice", 401, "could not be verified"},
		{"an ID token with a nonce this sign-in did not send is refused", testidp.ForgedNonce, "alice", 401, "could not be verified"},
		{"a person in no mapped group is refused with a clear page", testidp.NoFault, "erin", 403, "you are in no group that firedrill maps to a team"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e.idp.SetFault(tt.fault)
			defer e.idp.SetFault(testidp.NoFault)
			c := e.client()
			res, body := c.get(e.ssoCallback(c, tt.user, passwordOf(tt.user)))
			if res.StatusCode != tt.status || !strings.Contains(body, tt.says) || !strings.Contains(body, `href="/login"`) {
				t.Fatalf("callback: %d %s, want %d saying %q", res.StatusCode, body, tt.status, tt.says)
			}
			assertSignedOut(t, c)
		})
	}

	t.Run("a replayed callback is refused", func(t *testing.T) {
		c := e.client()
		cb := e.ssoCallback(c, "alice", passwordOf("alice"))
		state := mustQuery(t, cb, "state")
		if res, _ := c.get(cb); res.StatusCode != 200 {
			t.Fatalf("first callback: %d", res.StatusCode)
		}
		// The same browser, even with its state cookie put back, cannot
		// use the state twice.
		attacker := e.client()
		u, _ := url.Parse(e.http.URL + "/auth/oidc/")
		attacker.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "firedrill_oidc", Value: state, Path: "/auth/oidc/"}})
		res, body := attacker.get(cb)
		if res.StatusCode != 400 || !strings.Contains(body, "already been used") {
			t.Fatalf("replayed callback: %d %s, want 400", res.StatusCode, body)
		}
		assertSignedOut(t, attacker)
	})

	t.Run("a callback opened in another browser is refused", func(t *testing.T) {
		victim := e.client()
		cb := e.ssoCallback(e.client(), "alice", passwordOf("alice"))
		res, body := victim.get(cb)
		if res.StatusCode != 400 || !strings.Contains(body, "not started in this browser") {
			t.Fatalf("callback in another browser: %d %s, want 400", res.StatusCode, body)
		}
		assertSignedOut(t, victim)
	})

	t.Run("a state this server never issued is refused", func(t *testing.T) {
		c := e.client()
		u, _ := url.Parse(e.http.URL + "/auth/oidc/")
		c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "firedrill_oidc", Value: "made-up-state", Path: "/auth/oidc/"}})
		res, body := c.get(e.http.URL + "/auth/oidc/callback?state=made-up-state&code=x")
		if res.StatusCode != 400 || !strings.Contains(body, "already been used or has expired") {
			t.Fatalf("made-up state: %d %s, want 400", res.StatusCode, body)
		}
	})

	t.Run("sign-out everywhere ends the person's sessions in every browser", func(t *testing.T) {
		one, two, other := e.sso("bob"), e.sso("bob"), e.sso("alice")
		one.must(200, "POST", "/api/logout/everywhere", nil, nil)
		for _, c := range []*client{one, two} {
			if st, b := c.do("GET", "/api/drills", nil); st != 401 {
				t.Errorf("a browser of Bob after sign-out everywhere: %d %s, want 401", st, b)
			}
		}
		other.must(200, "GET", "/api/drills", nil, nil)
	})

	t.Run("sign-out everywhere needs the same origin and the CSRF token", func(t *testing.T) {
		c := e.sso("bob")
		for _, tc := range []struct{ what, origin, csrf string }{
			{"from another origin", "https://evil.example", c.csrf},
			{"with a forged CSRF token", c.origin, "forged"},
		} {
			bad := *c
			bad.origin, bad.csrf = tc.origin, tc.csrf
			if st, _ := bad.do("POST", "/api/logout/everywhere", nil); st != 403 {
				t.Errorf("%s: %d, want 403", tc.what, st)
			}
		}
		c.must(200, "GET", "/api/drills", nil, nil)
	})
}

// TestRevokeStaffSessions: an org-wide admin ends a staff member's
// sessions in every browser; a team's facilitator may not.
func TestRevokeStaffSessions(t *testing.T) {
	e := newSSOEnv(t)
	alice, carol, carol2, olga := e.sso("alice"), e.sso("carol"), e.sso("carol"), e.sso("olga")
	a := teamDrill(t, alice, "team-a-drill")
	carol.must(200, "GET", "/api/drills/"+a, nil, nil) // Carol is in the drill as an observer
	carolID := ui.StaffID(e.idp.Issuer, "u-carol")
	path := "/api/drills/" + a + "/people/" + carolID + "/sessions/end"
	if st, b := alice.do("POST", path, nil); st != 403 {
		t.Fatalf("a team facilitator ends a staff member's sessions: %d %s, want 403", st, b)
	}
	carol.must(200, "GET", "/api/drills", nil, nil)
	olga.must(200, "POST", path, nil, nil)
	for _, c := range []*client{carol, carol2} {
		if st, b := c.do("GET", "/api/drills", nil); st != 401 {
			t.Errorf("Carol's browser after the revocation: %d %s, want 401", st, b)
		}
	}
	alice.must(200, "GET", "/api/drills", nil, nil)
	e.sso("carol").must(200, "GET", "/api/drills", nil, nil) // she may sign in again
}

func mustQuery(t *testing.T, u, key string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Query().Get(key) == "" {
		t.Fatalf("%s has no %s", u, key)
	}
	return p.Query().Get(key)
}

// assertSignedOut checks that a browser holds no session.
func assertSignedOut(t *testing.T, c *client) {
	t.Helper()
	var s wire.SessionView
	c.must(200, "GET", "/api/session", nil, &s)
	if s.SignedIn {
		t.Fatalf("the browser is signed in: %+v", s)
	}
}

// TestSessionTimeouts: a staff session ends after the idle timeout without
// a request, and after the absolute lifetime however busy; a join session
// is not ended by idling.
func TestSessionTimeouts(t *testing.T) {
	fake := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.Clock = fake; c.StaffIdle = time.Hour })
	d := e.newDrill(true)
	idle, busy := e.admin(), e.admin()
	for i := range 11 {
		fake.Step(55 * time.Minute)
		busy.must(200, "GET", "/api/drills", nil, nil)
		if i == 1 {
			if st, b := idle.do("GET", "/api/drills", nil); st != 401 {
				t.Fatalf("a staff session idle for 110 minutes: %d %s, want 401", st, b)
			}
		}
	}
	fake.Step(70 * time.Minute) // 12h05m after sign-in, 15 minutes after the last request
	if st, b := busy.do("GET", "/api/drills", nil); st != 401 {
		t.Fatalf("a staff session 12 hours old: %d %s, want 401", st, b)
	}
	d.participant.must(200, "GET", "/api/drills/"+d.id, nil, nil)
}

// TestSessionCookieLastsOnTheServersClock: the session cookie says how
// long it lasts (Max-Age, the session's lifetime left on the server's
// clock), never a date a browser would compare with its own clock: a
// server whose clock is a year behind the browser's still signs it in.
func TestSessionCookieLastsOnTheServersClock(t *testing.T) {
	behind := clocktesting.NewFakeClock(time.Now().AddDate(-1, 0, 0))
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.Clock = behind })
	c := e.client()
	req, err := http.NewRequest("POST", e.http.URL+"/api/login", strings.NewReader(`{"secret":"`+adminToken+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.origin)
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("sign-in: %s", res.Status)
	}
	var cookie string
	for _, v := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "firedrill_session=") {
			cookie = v
		}
	}
	if !strings.Contains(cookie, "Max-Age=43200") || strings.Contains(cookie, "Expires=") {
		t.Fatalf("session cookie %q, want Max-Age=43200 (12 hours) and no Expires date", cookie)
	}
	var s wire.SessionView
	c.must(200, "GET", "/api/session", nil, &s)
	if !s.SignedIn {
		t.Fatal("the browser dropped the session cookie of a server whose clock is behind")
	}
}

// linkDrill walks participant c (who joined by link) through the provider
// as username to link the drill to their account.
func (e *ssoEnv) linkDrill(c *client, drillID, username string) {
	e.t.Helper()
	res, body := c.get(e.ssoCallbackFor(c, username, "link"))
	if res.StatusCode != 200 || !strings.Contains(body, "/room/"+drillID) {
		e.t.Fatalf("link callback: %d %s", res.StatusCode, body)
	}
}

// TestMyDrills: a participant who joined two drills by link links each to
// their account; signed in for "my drills" they see their own before/after
// ratings of both, and nobody else sees them.
func TestMyDrills(t *testing.T) {
	e := newSSOEnv(t)
	alice := e.sso("alice")
	drills := e.ratedDrills(t, alice, func(pia *client, link, id string) { e.linkDrill(pia, id, "pia") })

	t.Run("the participant sees their own trend across both drills", func(t *testing.T) {
		c := e.client()
		res, body := c.get(e.ssoCallbackFor(c, "pia", "me"))
		if res.StatusCode != 200 || !strings.Contains(body, "/me") {
			t.Fatalf("sign-in for my drills: %d %s", res.StatusCode, body)
		}
		var me wire.MyDrills
		c.must(200, "GET", "/api/me/drills", nil, &me)
		if me.Name != "Pia Park" || len(me.Drills) != 2 || me.Drills[0].DrillID != drills[0] || me.Drills[0].Before != 2 || me.Drills[0].After != 3 ||
			me.Drills[1].DrillID != drills[1] || me.Drills[1].Before != 3 || me.Drills[1].After != 5 {
			t.Fatalf("my drills %+v, want drills %v rated 2→3 and 3→5", me, drills)
		}
		c.must(200, "GET", "/me", nil, nil)
		if res, _ := c.get(e.http.URL + "/"); res.StatusCode != 303 || res.Header.Get("Location") != "/me" {
			t.Errorf("the home page of a my-drills sign-in: %d to %q, want a redirect to /me", res.StatusCode, res.Header.Get("Location"))
		}
		if st, _ := c.do("GET", "/api/drills", nil); st != 403 {
			t.Errorf("a personal sign-in reads the console's drills: %d, want 403", st)
		}
		if st, _ := c.do("GET", "/api/drills/"+drills[0], nil); st != 403 {
			t.Errorf("a personal sign-in reads a drill: %d, want 403", st)
		}
	})
	t.Run("nobody else sees them", func(t *testing.T) {
		c := e.client()
		c.get(e.ssoCallbackFor(c, "erin", "me"))
		var me wire.MyDrills
		c.must(200, "GET", "/api/me/drills", nil, &me)
		if len(me.Drills) != 0 {
			t.Fatalf("Erin's drills %+v, want none", me)
		}
		for _, other := range []*client{alice, e.client()} {
			if st, _ := other.do("GET", "/api/me/drills", nil); st != 401 {
				t.Errorf("my drills without a personal sign-in: %d, want 401", st)
			}
		}
	})
	t.Run("only a participant's join session links a drill", func(t *testing.T) {
		res, body := alice.get(e.http.URL + "/auth/oidc/login?purpose=link")
		if res.StatusCode != 403 || !strings.Contains(body, "Only a participant") {
			t.Fatalf("the facilitator starts a link sign-in: %d %s, want 403", res.StatusCode, body)
		}
	})
}

// ratedDrills runs two team A drills as facilitator fac, each with
// participant Pia, who links it to her account with link (given her join
// session and join link) and rates herself 2→3, then 3→5, in its retro —
// the second time anonymously, which her own trend still counts (the server
// opens her sealed answers for her alone).
func (e *ssoEnv) ratedDrills(t *testing.T, fac *client, link func(pia *client, joinLink, drillID string)) []string {
	t.Helper()
	var drills []string
	for i, ratings := range [][2]int{{2, 3}, {3, 5}} {
		id := teamDrill(t, fac, "team-a-drill")
		var l wire.JoinLink
		fac.must(201, "POST", "/api/drills/"+id+"/people", map[string]any{"name": "Pia", "role": control.RoleParticipant}, &l)
		pia := e.join(l.URL)
		link(pia, l.URL, id)
		fac.must(200, "POST", "/api/drills/"+id+"/end", map[string]string{"why": "drill " + itoa(int64(i))}, nil)
		waitState(t, e.env, id, "retro")
		pia.must(200, "POST", "/api/drills/"+id+"/retro/submit", map[string]any{"wentWell": "We split roles.", "lacking": "No runbook.", "better": "Write one.", "before": ratings[0], "after": ratings[1], "anonymous": i == 1}, nil)
		drills = append(drills, id)
	}
	return drills
}

// ssoCallbackFor is ssoCallback for a sign-in of another purpose.
func (e *ssoEnv) ssoCallbackFor(c *client, username, purpose string) string {
	e.t.Helper()
	return e.ssoCallbackWith(c, username, passwordOf(username), purpose)
}

// ssoCallbackWith walks browser c through the provider's own login page as
// username for a sign-in of purpose and returns the callback URL the
// provider sends it back to, not yet opened.
func (e *ssoEnv) ssoCallbackWith(c *client, username, password, purpose string) string {
	e.t.Helper()
	loginPage, res, body := c.follow(e.http.URL+"/auth/oidc/login?purpose="+purpose, func(string) bool { return false })
	if res == nil || res.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
		e.t.Fatalf("the provider's login page %s: %v %s", loginPage, res, body)
	}
	lu, _ := url.Parse(loginPage)
	form := url.Values{"id": {lu.Query().Get("authRequestID")}, "username": {username}, "password": {password}}
	res, err := c.hc.PostForm(e.idp.Issuer+"/login/username", form)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		e.t.Fatalf("sign in as %s at the provider: %d", username, res.StatusCode)
	}
	cb, _, _ := c.follow(loc.String(), func(u string) bool { return strings.HasPrefix(u, e.http.URL) })
	return cb
}

// waitState waits until the drill is in state st.
func waitState(t *testing.T, e *env, id string, st control.DrillState) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.engine.Drill(t.Context(), id)
		if err == nil && d.State == st {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("drill %s: state %v, want %s", id, d.State, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
