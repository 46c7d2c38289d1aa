package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/ui/wire"
)

// ratedTeamDrill runs a team A drill as facilitator fac in which each
// participant joins by link, links the drill to their account and submits
// their before/after self-rating; it returns the drill's id.
func (e *ssoEnv) ratedTeamDrill(t *testing.T, fac *client, ratings map[string][2]int) string {
	t.Helper()
	return e.ratedTeamDrillAs(t, fac, ratings, false)
}

// ratedTeamDrillAs is ratedTeamDrill, with every answer anonymous when
// anonymous is set.
func (e *ssoEnv) ratedTeamDrillAs(t *testing.T, fac *client, ratings map[string][2]int, anonymous bool) string {
	t.Helper()
	id := teamDrill(t, fac, "team-a-drill")
	joined := map[string]*client{}
	for user := range ratings {
		var l wire.JoinLink
		fac.must(201, "POST", "/api/drills/"+id+"/people", map[string]any{"name": user, "role": control.RoleParticipant}, &l)
		joined[user] = e.join(l.URL)
		e.linkDrill(joined[user], id, user)
	}
	fac.must(200, "POST", "/api/drills/"+id+"/end", map[string]string{"why": "the drill is over"}, nil)
	waitState(t, e.env, id, control.StateRetro)
	for user, r := range ratings {
		joined[user].must(200, "POST", "/api/drills/"+id+"/retro/submit", map[string]any{"wentWell": "Roles.", "lacking": "Runbook.", "better": "Write it.", "before": r[0], "after": r[1], "anonymous": anonymous}, nil)
	}
	return id
}

// TestTeamTrend: a team's staff see their participants' trend only
// aggregated, and only once at least three people linked two rated drills;
// another team's staff, participants and anonymous visitors are refused.
func TestTeamTrend(t *testing.T) {
	e := newSSOEnv(t)
	alice := e.sso("alice")
	e.ratedTeamDrill(t, alice, map[string][2]int{"pia": {2, 3}, "erin": {1, 3}, "quinn": {3, 4}})
	e.ratedTeamDrill(t, alice, map[string][2]int{"pia": {3, 4}, "erin": {2, 4}})
	trend := func(c *client) record.TeamTrend {
		var tr record.TeamTrend
		c.must(200, "GET", "/api/history/trend?team=team-a", nil, &tr)
		return tr
	}

	t.Run("two people with a trend are too few to show", func(t *testing.T) {
		if tr := trend(alice); tr.Shown || tr.People != 0 || tr.Before != 0 || tr.After != 0 || tr.MinPeople != 3 {
			t.Fatalf("trend %+v, want nothing shown below 3 people", tr)
		}
	})
	e.ratedTeamDrill(t, alice, map[string][2]int{"quinn": {4, 5}})
	t.Run("three people show: first before to latest after, averaged", func(t *testing.T) {
		tr := trend(alice)
		// Pia 2→4, Erin 1→4, Quinn 3→5.
		if !tr.Shown || tr.People != 3 || tr.Before != 2 || tr.After != 4.33 || tr.Drills != 2 {
			t.Fatalf("trend %+v, want 3 people, 2.00 → 4.33 over 2 drills each", tr)
		}
	})
	e.ratedTeamDrillAs(t, alice, map[string][2]int{"pia": {1, 1}}, true)
	t.Run("an anonymous answer is tied to nobody and does not count", func(t *testing.T) {
		if tr := trend(alice); !tr.Shown || tr.After != 4.33 || tr.Drills != 2 {
			t.Fatalf("trend %+v, want Pia's anonymous 1 → 1 left out (4.33 after, 2 drills each)", tr)
		}
	})

	anon := e.client()
	var l wire.JoinLink
	alice.must(201, "POST", "/api/drills/"+teamDrill(t, alice, "team-a-drill")+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &l)
	kim := e.join(l.URL)
	pia := e.client()
	pia.get(e.ssoCallbackFor(pia, "pia", "me"))
	for _, tc := range []struct {
		who  string
		c    *client
		want int
	}{
		{"team A's facilitator", alice, 200},
		{"team A's observer", e.sso("carol"), 200},
		{"team A's designer", e.sso("dan"), 200},
		{"the org-wide admin", e.sso("olga"), 200},
		{"the admin credential", e.admin(), 200},
		{"team B's facilitator", e.sso("bob"), 403},
		{"a participant by join link", kim, 403},
		{"a participant signed in for my drills", pia, 403},
		{"anonymous", anon, 401},
	} {
		t.Run(tc.who+" gets "+itoa(int64(tc.want)), func(t *testing.T) {
			st, b := tc.c.do("GET", "/api/history/trend?team=team-a", nil)
			if st != tc.want {
				t.Fatalf("%d %s, want %d", st, b, tc.want)
			}
			for _, secret := range []string{"u-pia", "Pia", "pia", "Erin", "Quinn"} {
				if strings.Contains(string(b), secret) {
					t.Fatalf("the answer names a person (%s): %s", secret, b)
				}
			}
		})
	}
	t.Run("a team is required", func(t *testing.T) {
		if st, b := alice.do("GET", "/api/history/trend", nil); st != 400 || !strings.Contains(string(b), "team") {
			t.Fatalf("%d %s, want 400 naming the team", st, b)
		}
	})
}

// TestBrowserTeamHistory: team A's observer opens the history, sees only
// team A's drills and its awards for the season, picks the team and the
// season and sees the participants' trend aggregated; the org-wide admin
// sees both teams' awards, each under its own heading.
func TestBrowserTeamHistory(t *testing.T) {
	e := newSSOEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	alice, bob := e.sso("alice"), e.sso("bob")
	for _, r := range []map[string][2]int{{"pia": {2, 3}, "erin": {1, 3}, "quinn": {3, 4}}, {"pia": {3, 4}, "erin": {2, 4}, "quinn": {4, 5}}} {
		e.ratedTeamDrill(t, alice, r)
	}
	b := teamDrill(t, bob, "team-b-drill")
	var l wire.JoinLink
	bob.must(201, "POST", "/api/drills/"+b+"/people", map[string]any{"name": "Bea", "role": control.RoleParticipant}, &l)
	bea := e.join(l.URL)
	bob.must(200, "POST", "/api/drills/"+b+"/end", map[string]string{"why": "over"}, nil)
	waitState(t, e.env, b, control.StateRetro)
	bea.must(200, "POST", "/api/drills/"+b+"/retro/submit", map[string]any{"wentWell": "Roles.", "lacking": "Runbook.", "better": "Write it.", "before": 1, "after": 5}, nil)
	season := record.SeasonOf(time.Now())

	p := &page{t: t, ctx: open(), name: "carol", dir: dir}
	e.ssoSignIn(p, "carol")
	p.run("open the history", chromedp.Navigate(e.http.URL+"/history"))
	p.waitJS("team A's awards for the season", `document.querySelectorAll("#teamAwards .team-awards").length === 1 && document.querySelector('#teamAwards .team-awards[data-team="team-a"][data-season="`+season+`"]') !== null`)
	if txt := eval[string](p, `document.querySelector("main").textContent`); strings.Contains(txt, "Bea") || strings.Contains(txt, "team-b") {
		t.Fatalf("team A's observer sees team B: %q", txt)
	}
	p.waitJS("the trend asks for a team", `document.querySelector("#teamTrend").textContent.includes("Pick a team")`)
	p.run("pick team A", chromedp.SetValue(chromedp.ID("team"), "team-a"), chromedp.Evaluate[chromedp.Void](`document.querySelector("#team").dispatchEvent(new Event("change"))`))
	p.waitJS("the team's trend", `document.querySelector("#teamTrend").dataset.shown === "true" && document.querySelector("#teamTrend").textContent.includes("3 participants")`)
	p.run("pick the season", chromedp.SetValue(chromedp.ID("season"), season), chromedp.Evaluate[chromedp.Void](`document.querySelector("#season").dispatchEvent(new Event("change"))`))
	p.waitJS("the season's trend", `document.querySelector("#teamTrend").dataset.shown === "true" && document.querySelector("#teamTrend").textContent.includes("2.0") && document.querySelector("#teamTrend").textContent.includes("4.3")`)
	p.shot("team-history")
	p.click("switch the language", "#lang")
	p.waitJS("the trend in Korean", `document.querySelector("#teamTrend").textContent.includes("참여자 3명")`)

	o := &page{t: t, ctx: open(), name: "olga", dir: dir}
	e.ssoSignIn(o, "olga")
	o.run("open the history", chromedp.Navigate(e.http.URL+"/history"))
	o.waitJS("both teams' awards", `document.querySelector('#teamAwards .team-awards[data-team="team-a"]') !== null && document.querySelector('#teamAwards .team-awards[data-team="team-b"]') !== null`)
	if got := eval[string](o, `document.querySelector('#teamAwards .team-awards[data-team="team-b"]').textContent`); !strings.Contains(got, "Bea: 1 → 5") {
		t.Fatalf("team B's awards: %q, want Bea's gain", got)
	}
	o.shot("org-history")
}
