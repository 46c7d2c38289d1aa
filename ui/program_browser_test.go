package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// catchLinks makes the page record the next link clicked instead of
// following it, so that download and new-tab links can be clicked and their
// targets fetched.
const catchLinks = `document.addEventListener("click", (e) => {
	const a = e.target.closest("a");
	if (a && a.dataset.follow === undefined) { e.preventDefault(); window.__clicked = a.href; }
}, true); true`

// clickLink clicks a link the page caught and fetches its target; it returns
// the status and the body's text.
func (p *page) clickLink(what, selector string) (int, string) {
	p.t.Helper()
	p.run("reset the caught link", chromedp.Evaluate[chromedp.Void](`window.__clicked = ""`))
	p.click(what, selector)
	p.waitJS(what+" was clicked", `window.__clicked !== ""`)
	type got struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	var g got
	ctx := p.ctx
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`fetch(window.__clicked).then(async (r) => { window.__fetched = {status: r.status, body: await r.text()}; })`))
	if err != nil {
		p.t.Fatalf("%s: fetch %s: %v", p.name, what, err)
	}
	p.waitJS(what+" fetched", `window.__fetched !== undefined && window.__fetched !== null`)
	g = eval[got](p, `(() => { const f = window.__fetched; window.__fetched = null; return f; })()`)
	return g.Status, g.Body
}

// TestBrowserProgram plays the drill program's pages in Chromium: the
// facilitator opens the program from the console and starts a season; a team
// applies on the public form; the facilitator accepts it, plans another team,
// edits, schedules, reschedules with a reason, opens the day-before notice
// (copies it, downloads the invitation, posts it to the webhook, sees a
// refusal), cancels a drill with a reason, follows the report links; a
// participant of the scheduled drill sees its day and not its time.
func TestBrowserProgram(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	browser := newBrowser(t)
	open := func(name string) *page { return &page{t: t, ctx: browser(), name: name, dir: dir} }

	fac := open("facilitator")
	fac.run("sign in", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	fac.waitJS("console", `location.pathname === "/console"`)
	fac.click("open the drill program from the console", "#toProgram")
	fac.waitJS("program page with no season yet", `location.pathname === "/program" && document.querySelector("#newSeasonBox").open`)

	fac.click("fold the season form", "#newSeasonToggle")
	fac.waitJS("season form folded", `!document.querySelector("#newSeasonBox").open`)
	fac.click("unfold the season form", "#newSeasonToggle")
	fac.run("fill the season", chromedp.SetValue(chromedp.ID("nsSeason"), "2027H1"), chromedp.SendKeys(chromedp.ID("nsOwner"), "Priya"),
		chromedp.SendKeys(chromedp.ID("nsProcess"), "https://wiki.example.com/incident-process"), chromedp.SendKeys(chromedp.ID("nsZone"), "UTC"))
	fac.click("start the season", "#nsCreate")
	fac.waitJS("the season's plan is shown", `!document.querySelector("#plan").classList.contains("hidden") && document.querySelector("#season").value === "2027H1"`)

	team := open("team-lead")
	team.run("open the application form", chromedp.Navigate(e.http.URL+"/program/apply"))
	team.waitJS("the season is offered", `[...document.querySelectorAll("#aSeason option")].some((o) => o.value === "2027H1")`)
	team.run("fill the application", chromedp.SetValue(chromedp.ID("aSeason"), "2027H1"), chromedp.SendKeys(chromedp.ID("aTeam"), "Orders"),
		chromedp.SendKeys(chromedp.ID("aContact"), "Olu"), chromedp.SetValue(chromedp.ID("aMonth"), "2027-02"),
		chromedp.SendKeys(chromedp.ID("aNote"), "new on-call rotation"))
	team.click("apply", "#aSubmit")
	team.waitJS("the application is in", `!document.querySelector("#done").classList.contains("hidden") && document.querySelector("#done").textContent.includes("Orders")`)

	row := func(name string) string { return `document.querySelector('#teams tr[data-team="` + name + `"]')` }
	btn := func(name, action string) string {
		return `button[data-team="` + name + `"][data-action="` + action + `"]`
	}
	fac.run("reload the program", chromedp.Reload())
	fac.waitJS("the application is listed", row("Orders")+` !== null && `+row("Orders")+`.textContent.includes("applied by Olu")`)
	fac.click("accept Orders", btn("Orders", "accept"))
	fac.waitJS("Orders is planned", row("Orders")+`.children[1].textContent === "planned"`)

	fac.run("plan Payments", chromedp.SendKeys(chromedp.ID("tName"), "Payments"), chromedp.SetValue(chromedp.ID("tMonth"), "2027-01"),
		chromedp.SendKeys(chromedp.ID("tDesigner"), "Dmitri"), chromedp.SendKeys(chromedp.ID("tFacilitator"), "Fiona"),
		chromedp.SetValue(chromedp.ID("tScenario"), "room-test"))
	fac.click("add Payments", "#tSave")
	fac.waitJS("Payments is planned on room-test", row("Payments")+` !== null && `+row("Payments")+`.textContent.includes("room-test")`)

	fac.click("edit Payments", btn("Payments", "edit"))
	fac.waitJS("the form edits Payments", `document.querySelector("#tName").disabled && document.querySelector("#tName").value === "Payments"`)
	fac.click("stop editing", "#tReset")
	fac.waitJS("the form adds again", `!document.querySelector("#tName").disabled && document.querySelector("#tName").value === ""`)
	fac.click("edit Orders", btn("Orders", "edit"))
	fac.run("give Orders a scenario", chromedp.SetValue(chromedp.ID("tScenario"), "room-test"), chromedp.SendKeys(chromedp.ID("tDesigner"), "Eun"))
	fac.click("save Orders", "#tSave")
	fac.waitJS("Orders has its scenario", row("Orders")+`.textContent.includes("room-test") && `+row("Orders")+`.textContent.includes("Eun")`)

	fac.click("open Orders' schedule", btn("Orders", "schedule"))
	fac.waitJS("the schedule form is open", `!document.querySelector("#scheduleForm").classList.contains("hidden")`)
	fac.click("close the schedule form", "#sClose")
	fac.waitJS("the schedule form is closed", `document.querySelector("#scheduleForm").classList.contains("hidden")`)

	fac.click("schedule Payments", btn("Payments", "schedule"))
	fac.run("choose the time", chromedp.SetValue(chromedp.ID("sAt"), "2027-01-12T14:00"))
	fac.click("schedule", "#sSubmit")
	fac.waitJS("Payments is scheduled", row("Payments")+`.children[1].textContent === "scheduled" && `+row("Payments")+`.textContent.includes("2027-01-12")`)

	fac.click("reschedule Payments", btn("Payments", "reschedule"))
	fac.run("choose another time", chromedp.SetValue(chromedp.ID("sAt"), "2027-01-13T10:30"), chromedp.SendKeys(chromedp.ID("sReason"), "the team is on call on the 12th"))
	fac.click("reschedule", "#sSubmit")
	fac.waitJS("the move is journaled with its reason", `document.querySelector("#journal").textContent.includes("reason: the team is on call on the 12th") && `+row("Payments")+`.textContent.includes("2027-01-13")`)

	fac.click("open Payments' notice", btn("Payments", "notice"))
	fac.waitJS("the notice is shown", `document.querySelector("#noticeText").value.includes("NOT an evaluation") && document.querySelector("#noticeText").value.includes("https://wiki.example.com/incident-process")`)
	if text := eval[string](fac, `document.querySelector("#noticeText").value`); strings.Contains(text, "10:30") || strings.Contains(text, "room-test") {
		t.Fatalf("the notice tells the time or the scenario:\n%s", text)
	}
	fac.click("copy the notice", "#copyNotice")
	fac.waitJS("copied", `document.querySelector("#noticeStatus").textContent === "Copied."`)
	fac.run("catch links", chromedp.Evaluate[chromedp.Void](catchLinks))
	if st, body := fac.clickLink("download the invitation", "#icsLink"); st != 200 || !strings.Contains(body, "DTSTART;VALUE=DATE:20270113") {
		t.Fatalf("invitation: %d %q", st, body)
	}
	fac.click("post the notice", "#postNotice")
	fac.waitJS("posted", `document.querySelector("#noticeStatus").textContent === "Posted to the chat webhook."`)
	if msgs := e.hook.messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Incident drill for Payments") {
		t.Fatalf("the webhook got %v", msgs)
	}
	e.hook.answer(http.StatusForbidden)
	fac.click("post the notice to a webhook that refuses", "#postNotice")
	fac.waitJS("the refusal is shown", `document.querySelector("#error").textContent.includes("refused the notice with HTTP 403")`)
	e.hook.answer(http.StatusOK)
	fac.click("close the notice", "#closeNotice")
	fac.waitJS("the notice is closed", `document.querySelector("#notice").classList.contains("hidden")`)

	fac.click("open Payments' cancel form", btn("Payments", "cancel"))
	fac.click("close the cancel form", "#cClose")
	fac.waitJS("the cancel form is closed", `document.querySelector("#cancelForm").classList.contains("hidden")`)
	fac.click("cancel Orders", btn("Orders", "cancel"))
	fac.click("cancel without a reason", "#cSubmit")
	fac.waitJS("the browser asks for the reason", `!document.querySelector("#cReason").validity.valid && `+row("Orders")+`.children[1].textContent === "planned"`)
	fac.run("give the reason", chromedp.SendKeys(chromedp.ID("cReason"), "the beta cluster is being upgraded"))
	fac.click("cancel the drill", "#cSubmit")
	fac.waitJS("Orders is cancelled with its reason", row("Orders")+`.children[1].textContent === "cancelled (the beta cluster is being upgraded)"`)

	for _, l := range []struct{ what, sel, want string }{
		{"the printable report", "#reportHtml", "compliance report: 2027H1"},
		{"the CSV report", "#reportCsv", "2027H1,Orders,cancelled"},
		{"the JSON report", "#reportJson", `"team": "Payments"`},
		{"the year's report", "#reportYear", "compliance report: 2027"},
		{"the application form link", "#applyLink", "Apply for an incident drill"},
	} {
		if st, body := fac.clickLink(l.what, l.sel); st != 200 || !strings.Contains(body, l.want) {
			t.Fatalf("%s: %d, body lacks %q:\n%s", l.what, st, l.want, body)
		}
	}
	fac.shot("program")

	e.admin().must(201, "POST", "/api/program/seasons", wire.CreateSeasonRequest{Season: "2027H2", Owner: "Priya", ProcessURL: "https://wiki.example.com/ir"}, nil)
	fac.run("reload the program", chromedp.Reload())
	fac.waitJS("the plan is back", `document.querySelector("#season").value !== ""`)
	fac.run("choose 2027H2", chromedp.SetValue(chromedp.ID("season"), "2027H2"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#season").dispatchEvent(new Event("change"))`))
	fac.waitJS("2027H2 is empty", `document.querySelector("#planHead").textContent.includes("2027H2") && document.querySelector("#teams").children.length === 0`)
	fac.click("the history", "#toHistory")
	fac.waitJS("the history page", `location.pathname === "/history"`)
	fac.run("back to the program", chromedp.Navigate(e.http.URL+"/program"))
	fac.click("the console", "#toConsole")
	fac.waitJS("the console page", `location.pathname === "/console"`)

	t.Run("a participant of the scheduled drill sees its day, not its time", func(t *testing.T) {
		var drillID string
		for _, tm := range e.seasonViewOf("2027H1").Teams {
			if tm.Name == "Payments" {
				drillID = tm.DrillID
			}
		}
		var l wire.JoinLink
		e.admin().must(201, "POST", "/api/drills/"+drillID+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &l)
		kim := open("kim")
		kim.run("join", chromedp.Navigate(l.URL))
		kim.waitJS("the room shows the day", `document.querySelector("#state") !== null && document.querySelector("#state").textContent.includes("2027-01-13")`)
		if body := eval[string](kim, `document.body.innerText`); strings.Contains(body, "10:30") {
			t.Fatalf("the participant's room tells the time:\n%s", body)
		}
	})
}

// seasonViewOf reads a season as the program page does.
func (e *env) seasonViewOf(season string) wire.SeasonView {
	e.t.Helper()
	var v wire.SeasonView
	e.admin().must(200, "GET", "/api/program/seasons/"+season, nil, &v)
	return v
}

// TestBrowserSurveyLink: once the facilitator closes the retro, the retro
// page ends with the after-drill survey link, and the link leads to the
// configured survey for this drill.
func TestBrowserSurveyLink(t *testing.T) {
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
		c.SurveyURL = "https://forms.example.com/after-drill?drill={drill}"
	})
	d := e.newDrill(true)
	endDrill(t, e, d)
	var l wire.JoinLink
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+d.people["Kim"]+"/link", nil, &l)
	browser := newBrowser(t)
	kim := &page{t: t, ctx: browser(), name: "kim", dir: artifacts(t)}
	kim.run("join", chromedp.Navigate(l.URL))
	kim.waitJS("room", `location.pathname.startsWith("/room/")`)
	kim.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/retro"))
	kim.waitJS("the retro is open without a survey yet", `document.querySelector("#state").textContent !== "" && document.querySelector("#survey").classList.contains("hidden")`)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", nil, nil)
	kim.run("reload the retro", chromedp.Reload())
	kim.waitJS("the survey ends the retro", `!document.querySelector("#survey").classList.contains("hidden")`)
	kim.run("catch links", chromedp.Evaluate[chromedp.Void](catchLinks))
	kim.run("reset", chromedp.Evaluate[chromedp.Void](`window.__clicked = ""`))
	kim.click("open the survey", "#surveyLink")
	kim.waitJS("the survey link was clicked", `window.__clicked !== ""`)
	if got, want := eval[string](kim, `window.__clicked`), "https://forms.example.com/after-drill?drill="+d.id; got != want {
		t.Fatalf("survey link %q, want %q", got, want)
	}
	kim.shot("retro-survey")
}
