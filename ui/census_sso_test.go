package ui_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/testidp"
	"github.com/firedrill/firedrill/ui/wire"
)

// censusSSORoles are the people the signed-in census signs in as through
// the test provider's login page, and the pages each one's census starts
// from (the links found on them are followed). "sso:" signs in to the
// console, "sso-me:" for "my drills".
var censusSSORoles = []struct {
	role  string
	pages []string
}{
	// An org-wide admin: the console with its link to the sessions page,
	// the sessions page, every team's history.
	{"sso:olga", []string{"/admin/sessions", "/console", "/history"}},
	// A team's observer: the team's history, where picking the team shows
	// the participants' trend.
	{"sso:carol", []string{"/history"}},
	// A participant signed in for her own drills.
	{"sso-me:pia", []string{"/me"}},
	// Not signed in: the sign-in page with the provider's button.
	{"anonymous", []string{"/login"}},
}

// censusSignedIn censuses the pages of people who sign in with the identity
// provider, in a drill room whose staff sign in with a real OpenID Connect
// provider running in the test process.
func censusSignedIn(t *testing.T, open func() context.Context, script, dir string, rep *censusReport) {
	idp, err := testidp.Start(testidp.Client{ID: "firedrill", Secret: "firedrill-client-secret"}, ssoUsers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Close() })
	c := newCensusOf(t, open, script, dir, rep, "signed-in", idp)
	se := &ssoEnv{env: c.e, idp: idp}
	// A team A drill whose retro is open, so that the team's history has a
	// drill, a team and a season to pick; and people signed in elsewhere,
	// whose sessions the sessions page lists (and the census ends).
	alice := se.sso("alice")
	var sum control.DrillSummary
	alice.must(201, "POST", "/api/drills", map[string]string{"scenario": "team-a-drill", "title": "Team A census drill"}, &sum)
	var l wire.JoinLink
	alice.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": "Pia", "role": control.RoleParticipant}, &l)
	pia := se.join(l.URL)
	se.linkDrill(pia, sum.ID, "pia")
	alice.must(200, "POST", "/api/drills/"+sum.ID+"/start", nil, nil)
	alice.must(200, "POST", "/api/drills/"+sum.ID+"/end", map[string]string{"why": "census"}, nil)
	c.waitState(sum.ID, control.StateRetro)
	pia.must(200, "POST", "/api/drills/"+sum.ID+"/retro/submit", map[string]any{"wentWell": "Roles.", "lacking": "Runbook.", "better": "Write it.", "before": 2, "after": 4}, nil)
	se.sso("dan")
	for _, r := range censusSSORoles {
		if only := os.Getenv("FIREDRILL_CENSUS_ROLE"); only != "" && only != r.role {
			continue
		}
		c.ssoRole(r.role, r.pages)
	}
}

// ssoRole censuses the pages one signed-in person reaches, following links.
func (c *census) ssoRole(role string, pages []string) {
	c.t.Helper()
	tab := c.openTab(role, c.drillFor(role, false))
	defer tab.close()
	seen := map[string]bool{}
	for len(pages) > 0 {
		pg := pages[0]
		pages = pages[1:]
		// Drill pages are the drill states' census; the provider's pages
		// are not this server's.
		if seen[pg] || pg == "" || strings.Contains(pg, "{id}") || strings.HasPrefix(pg, "/auth/") {
			continue
		}
		seen[pg] = true
		more := tab.census(pg)
		if !strings.HasPrefix(role, "sso:") {
			// The sign-in form (on the sign-in page, where signing out
			// leads) signs in with the admin credential, whose pages the
			// signed-out census and the admin's own census cover.
			continue
		}
		for _, m := range more {
			if !seen[m] {
				pages = append(pages, m)
			}
		}
	}
}

// ssoSignIn signs the tab in through the test provider's own login page:
// role "sso:user" for the console, "sso-me:user" for "my drills".
func (tb *censusTab) ssoSignIn() {
	tb.c.t.Helper()
	purpose, user, _ := strings.Cut(tb.role, ":")
	q := ""
	if purpose == "sso-me" {
		q = "?purpose=me"
	}
	base := tb.c.e.http.URL
	tb.do("start the sign-in", chromedp.Navigate(base+"/auth/oidc/login"+q))
	tb.waitJS("the provider's login page", `location.href.startsWith(`+jsString(tb.c.idp.Issuer)+`) && document.querySelector("#password") !== null`)
	tb.do("sign in at the provider",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), passwordOf(user)),
		chromedp.Click(`button[type="submit"]`),
	)
	tb.waitJS("back at firedrill", `location.href.startsWith(`+jsString(base)+`) && !location.pathname.startsWith("/auth/")`)
	tb.settle()
}
