package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// TestAdminSessionsByRole: only an org-wide admin (a group mapped to every
// team, or the admin credential) lists the people with active sessions and
// ends a person's sessions; a team's facilitator, designer and observer, a
// participant (by join link or signed in for "my drills") and an anonymous
// visitor are refused the page and both API routes.
func TestAdminSessionsByRole(t *testing.T) {
	e := newSSOEnv(t)
	olga, alice, carol, dan := e.sso("olga"), e.sso("alice"), e.sso("carol"), e.sso("dan")
	pia := e.client()
	pia.get(e.ssoCallbackFor(pia, "pia", "me"))
	var s wire.SessionView
	pia.must(200, "GET", "/api/session", nil, &s)
	pia.csrf = s.CSRF
	id := teamDrill(t, alice, "team-a-drill")
	var l wire.JoinLink
	alice.must(201, "POST", "/api/drills/"+id+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &l)
	kim := e.join(l.URL)
	breakGlass := e.admin()

	type who struct {
		name string
		c    *client
		// page, list and revoke are the statuses of GET /admin/sessions,
		// GET /api/admin/sessions and a revocation of nobody.
		page, list, revoke int
	}
	for _, w := range []who{
		{"org-wide admin", olga, 200, 200, 404},
		{"admin credential", breakGlass, 200, 200, 404},
		{"team facilitator", alice, 403, 403, 403},
		{"team designer", dan, 403, 403, 403},
		{"team observer", carol, 403, 403, 403},
		{"participant by join link", kim, 403, 403, 403},
		{"participant signed in for my drills", pia, 403, 403, 403},
		{"anonymous", e.client(), 303, 401, 401},
	} {
		t.Run(w.name, func(t *testing.T) {
			res, body := w.c.get(e.http.URL + "/admin/sessions")
			if res.StatusCode != w.page {
				t.Fatalf("GET /admin/sessions: %d, want %d", res.StatusCode, w.page)
			}
			if w.page == 403 && !strings.Contains(body, `id="refused"`) {
				t.Fatalf("GET /admin/sessions: the refusal is not the refusal page: %s", body)
			}
			if st, b := w.c.do("GET", "/api/admin/sessions", nil); st != w.list {
				t.Fatalf("GET /api/admin/sessions: %d %s, want %d", st, b, w.list)
			} else if st != 200 && (strings.Contains(string(b), "Carol") || strings.Contains(string(b), "u-")) {
				t.Fatalf("the refusal names people: %s", b)
			}
			if st, b := w.c.do("POST", "/api/admin/sessions/revoke", map[string]string{"subject": "u-nobody"}); st != w.revoke {
				t.Fatalf("POST /api/admin/sessions/revoke: %d %s, want %d", st, b, w.revoke)
			}
		})
	}

	t.Run("the admin lists each signed-in person once, with their teams", func(t *testing.T) {
		e.sso("carol") // a second browser of Carol's
		var got wire.ActiveSessions
		olga.must(200, "GET", "/api/admin/sessions", nil, &got)
		rows := map[string]wire.ActivePerson{}
		for _, p := range got.People {
			rows[p.Subject] = p
		}
		if c := rows["u-carol"]; c.Name != "Carol Chen" || c.Sessions != 2 || !c.Staff || c.Teams["team-a"] != control.RoleObserver {
			t.Errorf("Carol's row %+v, want Carol Chen, 2 browsers, observer of team-a", c)
		}
		if p := rows["u-pia"]; p.Name != "Pia Park" || p.Staff || len(p.Teams) != 0 {
			t.Errorf("Pia's row %+v, want a my-drills sign-in with no teams", p)
		}
		if o := rows["u-olga"]; !o.You {
			t.Errorf("the admin's own row %+v is not marked", o)
		}
		if len(got.People) != 5 {
			t.Errorf("%d people listed, want alice, carol, dan, olga and pia: %+v", len(got.People), got.People)
		}
	})
	t.Run("a revocation ends every session of the person and no one else's", func(t *testing.T) {
		st, b := olga.do("POST", "/api/admin/sessions/revoke", map[string]string{"subject": ""})
		if st != 400 || !strings.Contains(string(b), "subject") {
			t.Fatalf("a revocation without a subject: %d %s, want 400 naming the field", st, b)
		}
		var res wire.RevokeSessionsResult
		olga.must(200, "POST", "/api/admin/sessions/revoke", map[string]string{"subject": "u-carol", "why": "laptop lost"}, &res)
		if res.Name != "Carol Chen" || res.Ended != 2 {
			t.Fatalf("revocation %+v, want Carol Chen's 2 sessions", res)
		}
		if st, _ := carol.do("GET", "/api/drills", nil); st != 401 {
			t.Fatalf("Carol after the revocation: %d, want 401", st)
		}
		alice.must(200, "GET", "/api/drills", nil, nil)
		var got wire.ActiveSessions
		olga.must(200, "GET", "/api/admin/sessions", nil, &got)
		for _, p := range got.People {
			if p.Subject == "u-carol" {
				t.Fatalf("Carol is still listed: %+v", p)
			}
		}
	})
}

// TestBrowserAdminSessions: the org-wide admin opens the sessions page from
// the console, asks to end a person's sessions, keeps them on second
// thought, then ends them with a reason; the person is signed out in their
// browser and leaves the list.
func TestBrowserAdminSessions(t *testing.T) {
	e := newSSOEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	carol := e.sso("carol")
	p := &page{t: t, ctx: open(), name: "olga", dir: dir}
	e.ssoSignIn(p, "olga")
	p.waitJS("the console links the sessions page", `location.pathname === "/console" && !document.querySelector("#toSessions").classList.contains("hidden")`)
	p.click("open the sessions page", "#toSessions")
	p.waitJS("Carol is listed", `document.querySelector('#people tr[data-subject="u-carol"]') !== null`)
	row := `document.querySelector('#people tr[data-subject="u-carol"]')`
	if got := eval[string](p, row+`.cells[0].textContent + "|" + `+row+`.cells[2].textContent`); got != "Carol Chen|team-a (observer)" {
		t.Fatalf("Carol's row: %q", got)
	}
	p.shot("sessions")
	p.click("end Carol's sessions", `#people tr[data-subject="u-carol"] .revoke`)
	p.waitJS("the confirmation names Carol", `!document.querySelector("#revokeConfirm").classList.contains("hidden") && document.querySelector("#revokeText").textContent.includes("Carol Chen")`)
	p.shot("sessions-confirm")
	p.click("keep them", "#revokeNo")
	p.waitJS("the confirmation closes", `document.querySelector("#revokeConfirm").classList.contains("hidden")`)
	carol.must(200, "GET", "/api/drills", nil, nil)
	p.click("end Carol's sessions again", `#people tr[data-subject="u-carol"] .revoke`)
	p.run("give a reason", chromedp.SendKeys(chromedp.ID("revokeWhy"), "laptop lost"))
	p.click("confirm", "#revokeYes")
	p.waitJS("done, and Carol leaves the list", `document.querySelector("#done").textContent.includes("Carol Chen") && document.querySelector('#people tr[data-subject="u-carol"]') === null`)
	if st, _ := carol.do("GET", "/api/drills", nil); st != 401 {
		t.Fatalf("Carol's browser after the revocation: %d, want 401", st)
	}
	p.click("switch the language", "#lang")
	p.waitJS("the page speaks Korean", `document.querySelector("h1").textContent === "로그인한 사람"`)
	p.click("switch the theme", "#theme")
	p.click("back to the console", "#toConsole")
	p.waitJS("the console", `location.pathname === "/console"`)

	// A team's facilitator has no link to the page, and the page refuses her.
	a := &page{t: t, ctx: open(), name: "alice", dir: dir}
	e.ssoSignIn(a, "alice")
	a.waitJS("the console hides the sessions link", `location.pathname === "/console" && document.querySelector("#scenario option") !== null && document.querySelector("#toSessions").classList.contains("hidden")`)
	a.run("open the sessions page", chromedp.Navigate(e.http.URL+"/admin/sessions"))
	a.waitJS("the refusal page", `document.querySelector("#refused") !== null`)
}
