package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// ssoSignIn signs browser page p in as username through the test
// provider's own login page, starting from the sign-in page's identity
// provider button, and waits until firedrill has the browser back.
func (e *ssoEnv) ssoSignIn(p *page, username string) {
	p.t.Helper()
	p.run("open the sign-in page", chromedp.Navigate(e.http.URL+"/login"))
	p.waitJS("the identity provider button shows", `document.querySelector("#ssoBox").hidden === false`)
	p.run("sign in with the identity provider", chromedp.Click(chromedp.ID("sso")))
	p.waitJS("the provider's login page", `location.href.startsWith(`+jsString(e.idp.Issuer+"/login/username")+`) && document.querySelector("#password") !== null`)
	p.run("type the provider credentials",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), passwordOf(username)),
		chromedp.Click(`button[type="submit"]`),
	)
	p.waitJS("back at firedrill", `location.href.startsWith(`+jsString(e.http.URL)+`) && location.pathname !== "/login" && !location.pathname.startsWith("/auth/")`)
}

// TestBrowserRetroNames: in the retro of a drill run by a facilitator who
// signed in with the identity provider, the presentation order and the
// question queue show each person's display name — the provider's name for
// staff, the join name for a participant — never an id; a participant's
// anonymous answers stay off her name while she presents.
func TestBrowserRetroNames(t *testing.T) {
	e := newSSOEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	alice, carol := e.sso("alice"), e.sso("carol")
	id := teamDrill(t, alice, "team-a-drill")
	var l wire.JoinLink
	alice.must(201, "POST", "/api/drills/"+id+"/people", map[string]any{"name": "Pia", "role": control.RoleParticipant}, &l)
	carol.must(200, "GET", "/api/drills/"+id, nil, nil) // Carol is in the drill as its observer
	alice.must(200, "POST", "/api/drills/"+id+"/end", map[string]string{"why": "time for the retro"}, nil)
	waitState(t, e.env, id, control.StateRetro)

	pia := &page{t: t, ctx: open(), name: "pia", dir: dir}
	pia.run("open the join link", chromedp.Navigate(l.URL))
	pia.waitJS("the room opens", `location.pathname === "/room/`+id+`"`)
	pia.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+id+"/retro"))
	// Ready once the page filled the form from the server (it writes the
	// blameless copy, then hooks up the forms): a question sent earlier
	// was a plain form submission.
	pia.waitJS("the form is ready", `document.querySelector("#blameless").textContent !== "" && !document.querySelector("#wentWell").disabled`)
	pia.run("ask a question", chromedp.SendKeys(chromedp.ID("askText"), "Why was the alert silent?"), chromedp.Click(`#askForm button[type="submit"]`))
	pia.waitJS("the queue names Pia", `[...document.querySelectorAll("#questions li")].some(li => li.textContent.includes("Why was the alert silent?") && li.querySelector(".who").textContent === "Pia")`)
	pia.run("answer anonymously",
		chromedp.SendKeys(chromedp.ID("wentWell"), "We split roles."),
		chromedp.SendKeys(chromedp.ID("lacking"), "No runbook."),
		chromedp.SendKeys(chromedp.ID("better"), "Write one."),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#beforeSet input[value="2"]').click(); document.querySelector('#afterSet input[value="4"]').click(); document.querySelector("#anonymous").click()`),
	)
	pia.click("submit", "#submitBtn")
	pia.waitJS("submitted", `document.querySelector("#submitBtn").textContent !== "Submit"`)

	fac := &page{t: t, ctx: open(), name: "alice", dir: dir}
	e.ssoSignIn(fac, "alice")
	fac.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+id+"/retro"))
	fac.waitJS("the order lists everyone by name", `[...document.querySelectorAll("#order .who")].map(e => e.textContent).join("|") === "Pia|Carol Chen|Alice Archer"`)
	fac.run("ask a question", chromedp.SendKeys(chromedp.ID("askText"), "Who paged the DBA?"), chromedp.Click(`#askForm button[type="submit"]`))
	fac.waitJS("the queue names Alice", `[...document.querySelectorAll("#questions li")].some(li => li.textContent.includes("Who paged the DBA?") && li.querySelector(".who").textContent === "Alice Archer")`)
	fac.click("next presenter", "#nextBtn")
	fac.waitJS("Pia presents, her answers off her name", `document.querySelector("#order li.presenting .who")?.textContent === "Pia" && document.querySelector("#presentingName")?.textContent === "Pia" && document.querySelector("#presentingNote") !== null && !document.querySelector("#presentingAnswers").textContent.includes("We split roles.")`)
	fac.shot("retro-names")

	pia.waitJS("Pia's page shows the question by Alice's name", `[...document.querySelectorAll("#questions li")].some(li => li.textContent.includes("Who paged the DBA?") && li.querySelector(".who").textContent === "Alice Archer")`)
	// An org-wide admin who never opened the drill asks too: the queue
	// names her, not her person id.
	e.sso("olga").must(201, "POST", "/api/drills/"+id+"/retro/questions", map[string]string{"text": "Is the runbook linked?"}, nil)
	pia.waitJS("Pia's page shows the question by Olga's name", `[...document.querySelectorAll("#questions li")].some(li => li.textContent.includes("Is the runbook linked?") && li.querySelector(".who").textContent === "Olga Ortiz")`)
	for _, sel := range []string{"#order", "#questions"} {
		if txt := eval[string](pia, `document.querySelector("`+sel+`").textContent`); strings.Contains(txt, "staff-") || strings.Contains(txt, "facilitator-") {
			t.Errorf("%s on Pia's page shows a person id: %q", sel, txt)
		}
	}
}
