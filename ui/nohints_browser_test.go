package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// TestBrowserNoHints: a scenario without hints says so under the Hints
// heading of the staff's panel, instead of an empty heading.
func TestBrowserNoHints(t *testing.T) {
	e := newEnv(t)
	open := newBrowser(t)
	sc := retrotest.Scenario()
	sc.Hints = nil
	dr, err := e.engine.CreateDrill(t.Context(), control.DrillRequest{Scenario: sc, Actor: ui.ActorFacilitator})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.admin()
	var obsLink wire.JoinLink
	admin.must(201, "POST", "/api/drills/"+dr.ID+"/people", map[string]any{"name": "Oh", "role": control.RoleObserver}, &obsLink)
	obs := &page{t: t, ctx: open(), name: "observer", dir: artifacts(t)}
	obs.run("join", chromedp.Navigate(obsLink.URL))
	obs.waitJS("room opens", `location.pathname === "/room/`+dr.ID+`"`)
	obs.waitJS("the hints heading says there are none", `document.querySelector("#noHints") !== null && document.querySelector("#noHints").textContent === "No hints in this scenario." && document.querySelector("#hintList") === null`)
}
