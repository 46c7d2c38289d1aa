package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserStartFormCandidates drives the console's start form for a
// scenario that keeps candidates: the candidates are offered with their
// titles and descriptions (in English and Korean) and none is picked for
// the facilitator; creating without a pick says to pick one; the picked
// candidate is the drill's, and the drill console names it.
func TestBrowserStartFormCandidates(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	fac := &page{t: t, ctx: open(), name: "candidates-facilitator", dir: dir}
	fac.run("sign in",
		chromedp.Navigate(e.http.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("secret"), adminToken),
		chromedp.Click(chromedp.ID("submit")),
	)
	fac.waitJS("console lists the scenario", `document.querySelector("#scenario option[value='candidates-test']") !== null`)
	fac.waitJS("a scenario without candidates shows no candidate list", `document.querySelector("#scenario").value !== "candidates-test" && document.querySelector("#candidateBox").classList.contains("hidden")`)
	fac.run("choose the scenario with candidates",
		chromedp.SetValue(chromedp.ID("scenario"), "candidates-test"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#scenario").dispatchEvent(new Event("change"))`),
	)
	fac.waitJS("both candidates offered with title and description, none picked",
		`!document.querySelector("#candidateBox").classList.contains("hidden") &&
		 document.querySelectorAll("#candidates input[type=radio]").length === 2 &&
		 document.querySelector("#candidates input:checked") === null &&
		 document.querySelector("#candidates").textContent.includes("Database address changed") &&
		 document.querySelector("#candidates").textContent.includes("Orders fail; a port change follows the fix. For a seasoned team.")`)
	fac.shot("candidates")
	fac.run("create without a pick", chromedp.Click(chromedp.ID("createBtn")))
	fac.waitJS("told to pick one", `document.querySelector("#error").textContent === "Pick one of the candidate scenarios to play." && location.pathname === "/console"`)
	fac.run("pick the pool candidate", chromedp.Click(chromedp.CSS(`#candidates input[data-candidate="pool"]`)))
	fac.run("switch to Korean", chromedp.Click(chromedp.ID("lang")))
	fac.waitJS("the form speaks Korean",
		`document.querySelector("#candidateBox legend").textContent === "후보 시나리오" &&
		 document.querySelector("#candidateBox p").textContent.startsWith("이 시나리오에는 후보가 여러 개 있습니다") &&
		 document.querySelectorAll("#candidates input[type=radio]").length === 2`)
	fac.shot("candidates-ko")
	fac.run("pick the address candidate and create",
		chromedp.Click(chromedp.CSS(`#candidates input[data-candidate="address"]`)),
		chromedp.Click(chromedp.ID("createBtn")),
	)
	fac.waitJS("drill console opens", `location.pathname.startsWith("/console/drills/") && document.querySelector("#playedCandidate") !== null`)
	got := eval[string](fac, `document.querySelector("#playedCandidate").textContent`)
	if !strings.HasPrefix(got, "고른 후보 시나리오: Database address changed") || !strings.Contains(got, "For a seasoned team.") {
		t.Fatalf("drill console says %q, want the address candidate named", got)
	}
	id := strings.TrimPrefix(eval[string](fac, `location.pathname`), "/console/drills/")
	var view struct {
		Staff struct {
			Scenario struct {
				Candidate struct{ ID string } `json:"candidate"`
			} `json:"scenario"`
		} `json:"staff"`
	}
	e.admin().must(200, "GET", "/api/drills/"+id, nil, &view)
	if view.Staff.Scenario.Candidate.ID != "address" {
		t.Fatalf("the drill plays %q, want address", view.Staff.Scenario.Candidate.ID)
	}
}

// TestBrowserStudioCandidates previews a scenario that keeps candidates in
// the studio: the preview offers each candidate (by title), draws the
// picked candidate's faults only, and Rehearse plays that candidate.
func TestBrowserStudioCandidates(t *testing.T) {
	e := newEnv(t)
	open := newBrowser(t)
	p := &page{t: t, ctx: open(), name: "studio-candidates", dir: artifacts(t)}
	p.run("sign in", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console"`)
	p.run("open the scenario in the studio", chromedp.Navigate(e.http.URL+"/studio/edit?name=candidates-test"))
	p.waitJS("the preview offers each candidate", `[...document.querySelectorAll("#difficulty option")].map(o => o.value).join(",") === "pool/,address/"`)
	labels := eval[[]string](p, `[...document.querySelectorAll("#difficulty option")].map(o => o.textContent)`)
	if len(labels) != 2 || !strings.HasPrefix(labels[0], "Connection pool shrunk to one · ") || !strings.HasPrefix(labels[1], "Database address changed · ") {
		t.Fatalf("preview choices %q, want the two candidates by title", labels)
	}
	faultRows := `[...document.querySelectorAll("#ganttSvg .row-fault")].map(g => g.dataset.id).join(",")`
	p.waitJS("the first candidate's fault only", faultRows+` === "pool-too-small"`)
	p.run("preview the address candidate", chromedp.SetValue(chromedp.ID("difficulty"), "address/"), chromedp.Evaluate[chromedp.Void](`document.querySelector("#difficulty").dispatchEvent(new Event("change"))`))
	p.waitJS("the address candidate's fault only", faultRows+` === "db-address"`)
	p.shot("preview")
	p.click("rehearse the address candidate", "#rehearse")
	p.waitJS("the rehearsal passes", `document.querySelector("#rehearsalStatus").dataset.status === "passed"`)
	checks := strings.Join(eval[[]string](p, `[...document.querySelectorAll("#rehearsalChecks li")].map(li => li.dataset.outcome + " " + li.textContent)`), "\n")
	if !strings.Contains(checks, "passed fault db-address resolved") || strings.Contains(checks, "pool-too-small") {
		t.Fatalf("rehearsal checks:\n%s\nwant db-address resolved and nothing of the pool candidate", checks)
	}
}
