package ui_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserStudioRehearse clicks the studio's Rehearse button: a
// scenario with robots, opened in the editor, is rehearsed to a passing
// report shown check by check; the same button on a text with no robots
// says why nothing was played.
func TestBrowserStudioRehearse(t *testing.T) {
	e := newEnv(t)
	quick, err := os.ReadFile("testdata/rehearse/quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.admin().must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": string(quick), "base": 0}, nil)

	open := newBrowser(t)
	base := e.http.URL
	p := &page{t: t, ctx: open(), name: "studio-rehearse", dir: artifacts(t)}
	p.run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console"`)
	p.run("open the scenario in the studio", chromedp.Navigate(base+"/studio/edit?name=quick-rehearsal"))
	p.waitJS("the editor holds the scenario", `window.firedrillEditor && window.firedrillEditor.text().includes("quick-rehearsal")`)
	p.waitJS("the Rehearse button shows", `!document.querySelector("#rehearse").hidden`)

	p.click("rehearse", "#rehearse")
	p.waitJS("the report passes", `document.querySelector("#rehearsalStatus").dataset.status === "passed"`)
	checks := eval[[]string](p, `[...document.querySelectorAll("#rehearsalChecks li")].map(li => li.dataset.outcome + " " + li.textContent)`)
	var resolved bool
	for _, c := range checks {
		if strings.HasPrefix(c, "failed") {
			t.Errorf("a passing report lists a failed check: %s", c)
		}
		if strings.HasPrefix(c, "passed fault db-config resolved") {
			resolved = true
		}
	}
	if !resolved {
		t.Fatalf("the report does not say the robots' fix resolved db-config: %q", checks)
	}
	p.shot("rehearsal-passed")

	// The same button on a text without robots: refused, in words.
	noRobots := string(quick)[:strings.Index(string(quick), "rehearsal:")]
	p.run("replace the text", chromedp.Evaluate[chromedp.Void](`(() => { const v = window.firedrillEditor.view; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: `+jsString(noRobots)+`}}); })()`))
	p.click("rehearse without robots", "#rehearse")
	p.waitJS("the refusal says what is missing", `document.querySelector("#status").textContent.includes("rehearsal")`)
}
