package ui_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/program"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/testidp"
	"github.com/firedrill/firedrill/ui"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
	"github.com/firedrill/firedrill/ui/wire"
)

// The drill states the census visits, in the order a drill goes through them.
var censusStates = []string{"draft", "briefing", "running", "paused", "ended", "retro-open", "retro-closed"}

// The roles the census signs in as. The facilitator uses the admin sign-in;
// the others open their join links.
var censusRoles = []string{"participant", "observer", "designer", "facilitator"}

// censusPeople are the people of every census drill, by role.
var censusPeople = map[string]string{"participant": "Kim", "observer": "Park", "designer": "Mina"}

// TestControlCensus is the control census of issue #12: for every drill
// state and every role it opens every page the role can reach (following
// the links it finds), lists every enabled control on it — buttons, links,
// forms, selects, toggles — and exercises each one in a valid way: a form is
// filled with valid values and submitted, a select gets another option, a
// link's target is fetched with the role's session, anything else is
// clicked with the mouse. It fails on any HTTP answer of 400 or more, any
// uncaught JavaScript error, a control covered by something else, and a
// control whose use changes nothing visible. A control that changes the
// drill's lifecycle (start, pause, end, abort…) spends the drill: the census
// goes on with a fresh drill in the same state, so that every control is
// tried in every state.
//
// The drills run on a fake clock, so "running" is a drill at minute 2 with
// its first inject posted and its first fault in effect, reached at once.
// The list of controls found goes to the log and, with every page's
// screenshot, to $FIREDRILL_ARTIFACTS/browser/census/.
func TestControlCensus(t *testing.T) {
	dir := filepath.Join(artifacts(t), "census")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	open := newBrowser(t)
	script, err := os.ReadFile(filepath.Join("testdata", "census.js"))
	if err != nil {
		t.Fatal(err)
	}
	rep := &censusReport{}
	start := time.Now()
	t.Run("signed-out", func(t *testing.T) {
		c := newCensus(t, open, string(script), dir, rep, "signed-out")
		c.signedOut()
	})
	t.Run("states", func(t *testing.T) {
		t.Run("signed-in", func(t *testing.T) {
			// The pages of people who sign in with the identity provider
			// (the sign-in page with its provider button, "my drills", the
			// team's history, the admin's sessions page) run beside the
			// drill states.
			t.Parallel()
			censusSignedIn(t, open, string(script), dir, rep)
		})
		for _, st := range censusStates {
			t.Run(st, func(t *testing.T) {
				// Each state has a drill room of its own: they run side by
				// side in one browser.
				t.Parallel()
				c := newCensus(t, open, string(script), dir, rep, st)
				for _, role := range censusRoles {
					if only := os.Getenv("FIREDRILL_CENSUS_ROLE"); only != "" && only != role {
						continue
					}
					c.role(role)
				}
			})
		}
	})
	t.Logf("census took %s", time.Since(start).Round(time.Millisecond))
	list := rep.text()
	if err := os.WriteFile(filepath.Join(dir, "controls.txt"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("controls found (also in %s):\n%s", filepath.Join(dir, "controls.txt"), list)
	if rep.exercised == 0 {
		t.Fatal("the census exercised no control")
	}
}

// censusReport collects the controls found and exercised, for the log and
// the artifact.
type censusReport struct {
	mu        sync.Mutex
	lines     []string
	exercised int
}

func (r *censusReport) add(state, role, page string, c censusControl, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := ""
	if c.Count > 1 {
		n = fmt.Sprintf(" ×%d", c.Count)
	}
	r.lines = append(r.lines, fmt.Sprintf("%-12s %-11s %-28s %-6s %s%s → %s", state, role, page, c.Kind, c.Key, n, outcome))
	if !strings.HasPrefix(outcome, "not exercised") {
		r.exercised++
	}
}

func (r *censusReport) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n") + "\n"
}

// census is the census of one drill state: a drill room of its own (real
// engine, real SQLite, fake clock) and the drills it makes in that state.
type census struct {
	t      *testing.T
	state  string
	e      *env
	clk    *clocktesting.FakeClock
	inj    *controltest.Injector
	open   func() context.Context
	script string
	dir    string
	rep    *censusReport
	admin  *client
	mu     sync.Mutex
	drills map[string]*censusDrill // role -> the drill the role is censused on
	// idp, when set, is the identity provider staff sign in with.
	idp *testidp.IdP
}

// censusDrill is a drill made for the census, with its people's join links.
type censusDrill struct {
	id    string
	links map[string]string // role -> join link
	// seen is the lifecycle the census last saw: a change spends the drill.
	seen string
	// finish, when set, brings the drill to its state once the role's
	// browser has joined.
	finish func()
}

func newCensus(t *testing.T, open func() context.Context, script, dir string, rep *censusReport, state string) *census {
	t.Helper()
	return newCensusOf(t, open, script, dir, rep, state, nil)
}

// newCensusOf is newCensus; with an identity provider, staff sign in with
// it, participants may link their drills, and the teams' scenarios are in
// the library too.
func newCensusOf(t *testing.T, open func() context.Context, script, dir string, rep *censusReport, state string, idp *testidp.IdP) *census {
	t.Helper()
	tmp := t.TempDir()
	ctx := context.Background()
	tokens, err := usqlite.Open(filepath.Join(tmp, "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The library is the studio's catalog, so that the census visits the
	// scenario studio too.
	dirs := []string{"testdata/scenarios"}
	if idp != nil {
		dirs = append(dirs, "testdata/teams")
	}
	lib, err := ui.NewCatalog(ctx, dirs, tokens)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := lib.Scenario("room-test")
	if err != nil {
		t.Fatal(err)
	}
	// The clock starts tomorrow: the browser keeps session cookies by the
	// wall clock, so the fake time must lie ahead of it.
	clk := clocktesting.NewFakeClock(docStart())
	if idp != nil {
		// The provider signs its tokens by the wall clock, and firedrill
		// checks their expiry by its own: the two must agree.
		clk = clocktesting.NewFakeClock(time.Now())
	}
	inj := controltest.NewInjector()
	inj.Bind(sc)
	if idp != nil {
		teamA, err := lib.Scenario("team-a-drill")
		if err != nil {
			t.Fatal(err)
		}
		inj.Bind(teamA)
	}
	store, err := csqlite.Open(ctx, filepath.Join(tmp, "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Not manual: the engine's own loop runs each drill, on the fake clock,
	// as firedrill serve runs it.
	eng := control.NewEngine(store, inj, clk)
	if err := eng.Open(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := ui.Config{
		Engine: eng, Journal: store, Studio: lib, Tokens: tokens, Sessions: tokens,
		Admin: ui.AdminCredential{Token: adminToken}, Clock: clk,
		// The season plan (/program) without a chat webhook.
		Program:   &program.Service{Store: store, Drills: eng, Scenarios: lib, Clock: clk},
		RateLimit: ui.RateLimit{Burst: 1000, Every: time.Millisecond},
	}
	if idp != nil {
		cfg.Links = tokens
		cfg.OIDC = ui.OIDCConfig{Issuer: idp.Issuer, ClientID: "firedrill", ClientSecret: "firedrill-client-secret", Groups: ssoGroups}
	}
	e := serveRoom(t, cfg, store, eng, func() { eng.Close() }, func() { tokens.Close() }, func() { store.Close() })
	if idp != nil {
		idp.SetRedirectURL(e.http.URL + "/auth/oidc/callback")
	}
	return &census{t: t, state: state, e: e, clk: clk, inj: inj, open: open, script: script, dir: dir, rep: rep,
		admin: e.admin(), drills: map[string]*censusDrill{}, idp: idp}
}

// lifecycle is what spends a drill when it changes: its state and pause.
func (c *census) lifecycle(id string) string {
	d, err := c.e.engine.Drill(context.Background(), id)
	if err != nil {
		c.t.Fatalf("drill %s: %v", id, err)
	}
	return fmt.Sprintf("%s paused=%v", d.State, d.Paused)
}

// newDrill makes a drill in the census's state, with a participant, an
// observer and a designer, and what a drill in that state has to show.
func (c *census) newDrill() *censusDrill {
	c.t.Helper()
	a := c.admin
	var sum control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": "room-test", "title": "Census drill (" + c.state + ")"}, &sum)
	d := &censusDrill{id: sum.ID, links: map[string]string{}}
	api := map[string]*client{}
	for _, role := range []string{"participant", "observer", "designer"} {
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": censusPeople[role], "role": role}, &l)
		d.links[role] = l.URL
		// The census's browser opens the same link later (a new link would
		// end this session).
		api[role] = c.e.join(l.URL)
	}
	p := "/api/drills/" + d.id
	switch c.state {
	case "draft":
	case "briefing":
		a.must(200, "POST", p+"/briefing", nil, nil)
	default:
		a.must(200, "POST", p+"/start", nil, nil)
		// Two drill minutes in: the customer center's first call is
		// posted and the first fault is in effect; the second fault and
		// the hints are still to come.
		c.advance(d.id, 2*time.Minute)
		api["participant"].must(201, "POST", p+"/messages", map[string]any{"channel": "incident", "text": "Looking at the order API now."}, nil)
		a.must(201, "POST", p+"/messages", map[string]any{"channel": "incident", "persona": "cto", "text": "What is the customer impact?"}, nil)
		api["observer"].must(201, "POST", p+"/notes", map[string]any{"tag": "strength", "text": "Quick first look."}, nil)
		switch c.state {
		case "paused":
			a.must(200, "POST", p+"/pause", map[string]string{"why": "census"}, nil)
		case "ended":
			// The faults are still being reverted: the drill stays ended
			// until the slow API server answers.
			c.inj.FailNextFor("revert", "db-config", errors.New("census: the API server is slow"))
			if err := c.e.engine.End(context.Background(), d.id, ui.ActorFacilitator, "census"); err == nil || !strings.Contains(err.Error(), "not reverted yet") {
				c.t.Fatalf("end drill %s with a slow revert: %v, want the revert still to come", d.id, err)
			}
		case "retro-open", "retro-closed":
			a.must(200, "POST", p+"/end", map[string]string{"why": "census"}, nil)
			c.waitState(d.id, control.StateRetro)
			api["participant"].must(200, "PUT", p+"/retro/answers", map[string]any{"wentWell": "We split the roles early.", "before": 2, "after": 4}, nil)
			api["observer"].must(201, "POST", p+"/retro/questions", map[string]any{"text": "Who looked at the config first?"}, nil)
			api["designer"].must(201, "POST", p+"/retro/actions", map[string]any{"title": "Alert on DB connection errors", "kind": "alert"}, nil)
			if c.state == "retro-closed" {
				// Nobody joins a closed drill: the census's browser joins
				// first (openTab), then the facilitator closes the retro.
				d.finish = func() {
					a.must(200, "POST", p+"/retro/close", nil, nil)
					c.waitState(d.id, control.StateClosed)
					d.seen = c.lifecycle(d.id)
				}
			}
		}
	}
	d.seen = c.lifecycle(d.id)
	return d
}

// advance moves the fake clock on by d in steps, letting the drill's loop
// do what falls due at each.
func (c *census) advance(id string, d time.Duration) {
	for step := 10 * time.Second; d > 0; d -= step {
		c.clk.Step(min(step, d))
		c.settle(id)
	}
}

// settle waits until nothing is due in the drill any more. The drill's own
// loop does the work; on a machine busy with the other packages' clusters
// and browsers it can take it more than a few seconds, so the bound is a
// minute (a loop that never finishes its work still fails here).
func (c *census) settle(id string) {
	deadline := time.Now().Add(time.Minute)
	for {
		next, ok := c.e.engine.NextWake(id)
		if !ok || next.After(c.clk.Now()) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("drill %s: still has work due at %s", id, next)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *census) waitState(id string, want control.DrillState) {
	waitFor(c.t, fmt.Sprintf("drill %s %s", id, want), func() bool {
		d, err := c.e.engine.Drill(context.Background(), id)
		return err == nil && d.State == want
	})
}

// drillFor returns the drill a role is censused on, making one if the role
// has none or its drill was spent.
func (c *census) drillFor(role string, fresh bool) *censusDrill {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.drills[role]; d != nil && !fresh {
		return d
	}
	d := c.newDrill()
	c.drills[role] = d
	return d
}

// role censuses every page one role reaches in this state.
func (c *census) role(role string) {
	c.t.Helper()
	tab := c.openTab(role, c.drillFor(role, false))
	defer tab.close()
	if c.state == "retro-closed" && role != "facilitator" {
		// Access ends when the drill closes: the room sends the person to
		// the retro, the one page they keep, cleanly.
		tab.load(c.e.http.URL + "/room/" + tab.drill.id)
		tab.waitJS("the closed drill's room leads to the retro", `location.pathname === "/room/`+tab.drill.id+`/retro" && document.querySelector("#title").textContent !== "…"`)
		for _, b := range tab.takeBad() {
			// Every request for the drill is refused now, also those of
			// the room this browser had open when the drill closed.
			if !strings.HasPrefix(b, "HTTP 403 /room/"+tab.drill.id) && !strings.HasPrefix(b, "HTTP 403 /api/drills/"+tab.drill.id) {
				tab.fail("opening the room of the closed drill", b)
			}
		}
		tab.checkErrors("the retro the room leads to")
		tab.shot("/room/{id}")
		c.rep.add(c.state, role, "/room/{id}", censusControl{Key: "(page)", Kind: "page", Count: 1}, "sent to the retro: access ended with the drill")
		return
	}
	var pages []string
	if role == "facilitator" {
		pages = []string{"/console/drills/{id}"}
		if c.state == "retro-closed" {
			// The console, the history and the sign-in page do not depend
			// on one drill's state: they are censused once, where the
			// census has made drills in every state.
			pages = append(pages, "/console", "/history")
		}
	} else {
		pages = []string{"/room/{id}"}
	}
	if c.state == "retro-open" || c.state == "retro-closed" {
		pages = append(pages, "/room/{id}/retro", "/room/{id}/record")
	}
	seen := map[string]bool{}
	for len(pages) > 0 {
		pg := pages[0]
		pages = pages[1:]
		if seen[pg] || (role == "facilitator" && pg == "/room/{id}") {
			// The facilitator's room is /console/drills/{id}, the same page.
			continue
		}
		if (pg == "/console" || pg == "/history" || pg == "/login") && c.state != "retro-closed" {
			continue
		}
		seen[pg] = true
		for _, more := range tab.census(pg) {
			if !seen[more] {
				pages = append(pages, more)
			}
		}
	}
}

// signedOut censuses the pages of someone not signed in: the home page
// (which sends them to sign in), the sign-in page (whose form signs the
// facilitator in) and a join link.
func (c *census) signedOut() {
	c.t.Helper()
	d := c.drillFor("participant", false)
	tab := c.openTab("anonymous", d)
	defer tab.close()
	tab.load(c.e.http.URL + "/")
	tab.waitJS("the home page asks to sign in", `location.pathname === "/login"`)
	tab.checkErrors("opening /")
	tab.census("/login")
	// The join page takes the link's token and goes on to the room.
	join := c.openTab("anonymous", d)
	defer join.close()
	join.load(d.links["participant"])
	join.waitJS("the join link opens the room", `location.pathname.startsWith("/room/`+d.id+`")`)
	join.checkErrors("opening a join link")
}
