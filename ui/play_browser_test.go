package ui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
)

// TestBrowserNextUpdateShownLive: a status update that promises the next
// update ("next update 14:30") shows the promise in the top bar of every
// room at once — the poster's and another participant's — with no other
// event to refresh the view, and a later update replaces it.
func TestBrowserNextUpdateShownLive(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"})
	r.start()
	kim := r.join("Kim")
	lee := r.join("Lee")
	post := func(next string) {
		t.Helper()
		kim.click("open the status update", `[data-notice-tab="status-update"]`)
		kim.waitJS("status form", `document.querySelector("#noticeForm").dataset.kind === "status-update"`)
		set := func(field, v string) chromedp.Action[chromedp.Void] {
			return chromedp.SetValue(chromedp.ID("nf-status-update-"+field), v)
		}
		kim.run("fill the status update", set("status", "identified"), set("impact", "Orders fail."),
			set("progress", "Restoring the config."), set("nextUpdate", next))
		kim.click("post", "#noticeBtn")
		kim.waitJS("posted", `document.querySelector("#noticeOk").textContent !== ""`)
	}
	shows := func(p *page, next string) {
		t.Helper()
		p.waitJS("the promised update "+next+" in the top bar", `!document.querySelector("#nextUpdate").classList.contains("hidden") && document.querySelector("#nextUpdate").textContent.includes(`+jsString(next)+`)`)
	}
	post("14:30")
	shows(kim, "14:30")
	shows(lee, "14:30")
	lee.shot("next-update-shown")
	post("14:45")
	shows(kim, "14:45")
	shows(lee, "14:45")
}

// TestBrowserEndedAccessStopsPolling: an observer's room re-reads the
// drill's view every few seconds while a fault is in effect; once the
// facilitator ends the observer's sessions, the room says their access
// ended and stops asking — it no longer fetches the view (each answer a
// 401) every 3 seconds for as long as the tab stays open.
func TestBrowserEndedAccessStopsPolling(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Park", "observer"})
	r.start()
	park := r.join("Park")
	park.waitJS("a fault in effect", `(window.firedrillRoom.view.staff.faults || []).some((f) => f.phase === "in-effect")`)
	countViewFetches(park, r.id)
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/people/"+r.ids["Park"]+"/sessions/end", nil, nil)
	park.waitJS("access ended is said", `document.body.dataset.accessEnded === "true"`)
	noViewFetchesFor2Periods(t, park, "after the observer's access ended")
	park.shot("access-ended")
}

// TestBrowserExpiredAccessStopsPolling: a session that simply expires
// gets no 4003 on the room's socket; the view's poll then gets 401s. The
// room says the access ended, as on 4003, and stops asking — before, each
// 401 was swallowed and the poll went on every 3 seconds.
func TestBrowserExpiredAccessStopsPolling(t *testing.T) {
	fake := clocktesting.NewFakeClock(time.Now())
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.Clock = fake })
	r := newRoom(t, e, [2]string{"Park", "observer"})
	r.start()
	park := r.join("Park")
	park.waitJS("a fault in effect", `(window.firedrillRoom.view.staff.faults || []).some((f) => f.phase === "in-effect")`)
	countViewFetches(park, r.id)
	// A join session lasts a day on the server's clock.
	fake.Step(25 * time.Hour)
	park.waitJS("access ended is said", `document.body.dataset.accessEnded === "true"`)
	noViewFetchesFor2Periods(t, park, "after the observer's session expired")
	park.shot("access-expired")
}

// TestBrowserClaimsClosedAfterTheEnd: once the drill ended, the room keeps
// showing who held which response role, but the role buttons are disabled
// (the server refuses claims then); before, a click in the retro added a
// claim after the end to the record.
func TestBrowserClaimsClosedAfterTheEnd(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.start()
	kim := r.join("Kim")
	kim.click("claim incident commander", `[data-claim="incident-commander"]`)
	kim.waitJS("claimed", `document.querySelector('[data-claim="incident-commander"]').getAttribute("aria-pressed") === "true"`)
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", nil, nil)
	kim.waitJS("the role buttons are disabled", `document.body.dataset.ended === "true" && [...document.querySelectorAll("[data-claim]")].every((b) => b.disabled)`)
	if !eval[bool](kim, `document.querySelector('[data-claim="incident-commander"]').getAttribute("aria-pressed") === "true"`) {
		t.Fatal("the role Kim held is no longer shown as held")
	}
	kim.shot("claims-closed")
}

// TestBrowserFacilitatorPanelKeepsWhatIsOpen: while a fault is in effect
// the facilitator's panel is rebuilt at each probe round (every few
// seconds). What the facilitator opened must stay open across a rebuild:
// the "End the drill?" confirmation and the scenario's details. Before,
// they closed on their own within seconds, under the facilitator's mouse.
func TestBrowserFacilitatorPanelKeepsWhatIsOpen(t *testing.T) {
	e := newEnv(t)
	r := newRoomOf(t, e, "checks-test")
	r.start()
	fac := r.facilitator("")
	fac.waitJS("a fault in effect with checks", `(window.firedrillRoom.view.staff.faults || []).some((f) => f.phase === "in-effect" && (f.checks || []).length > 0)`)
	fac.click("end", "#endBtn")
	fac.waitJS("the end confirmation", `!document.querySelector("#endConfirm").classList.contains("hidden")`)
	fac.run("open the scenario's details", chromedp.Evaluate[chromedp.Void](`document.querySelector("#side details").open = true`))
	// Mark the panel as it is now, and wait for the probes to rebuild it.
	fac.run("mark the panel", chromedp.Evaluate[chromedp.Void](`document.querySelector("#endBtn").dataset.old = "1"`))
	fac.waitJS("the panel was rebuilt", `document.querySelector("#endBtn") && document.querySelector("#endBtn").dataset.old === undefined`)
	if !eval[bool](fac, `!document.querySelector("#endConfirm").classList.contains("hidden")`) {
		fac.shot("end-confirm-closed")
		t.Fatal("the end confirmation closed when the panel was rebuilt")
	}
	if !eval[bool](fac, `document.querySelector("#side details").open`) {
		t.Fatal("the scenario's details closed when the panel was rebuilt")
	}
	// A keyboard user's focus stays where it was across a rebuild: on the
	// confirmation's Cancel, on the scenario's <summary>.
	for _, c := range []struct{ what, sel string }{{"the end confirmation's Cancel", "#endConfirm button:last-child"}, {"the scenario's summary", "#side details summary"}} {
		fac.run("focus "+c.what+" and mark the panel", chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(c.sel)+`).focus(); document.querySelector("#endBtn").dataset.old = "1"`))
		fac.waitJS("the panel was rebuilt", `document.querySelector("#endBtn") && document.querySelector("#endBtn").dataset.old === undefined`)
		if !eval[bool](fac, `document.activeElement === document.querySelector(`+jsString(c.sel)+`)`) {
			fac.shot("focus-lost")
			t.Fatalf("the focus on %s was lost when the panel was rebuilt (now on %s)", c.what, eval[string](fac, `document.activeElement.tagName + "#" + document.activeElement.id`))
		}
	}
	fac.click("cancel the end", "#endConfirm button:last-child")
	fac.waitJS("the confirmation closed", `document.querySelector("#endConfirm").classList.contains("hidden")`)
	fac.click("end again", "#endBtn")
	fac.click("confirm the end", "#endYes")
	fac.waitJS("ended, the confirmation gone", `window.firedrillRoom.view.state !== "running" && document.querySelector("#endConfirm").classList.contains("hidden")`)
}

// TestBrowserConfirmationsCloseWhenTheDrillEnds: the facilitator opened
// "End the drill?" and "Abort?", and the drill is ended elsewhere (another
// facilitator, or the engine at the cap or when all is resolved). The
// rebuilt panel must not keep either confirmation open with a live yes
// button: before, both came back open and End answered 409.
func TestBrowserConfirmationsCloseWhenTheDrillEnds(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e)
	r.start()
	fac := r.facilitator("")
	fac.click("end", "#endBtn")
	fac.click("abort", "#abortBtn")
	fac.waitJS("both confirmations open", `!document.querySelector("#endConfirm").classList.contains("hidden") && !document.querySelector("#abortConfirm").classList.contains("hidden")`)
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", nil, nil)
	fac.waitJS("the panel shows the drill ended", `window.firedrillRoom.view.state !== "running" && document.querySelector("#endBtn").disabled`)
	for _, c := range []struct{ box, yes string }{{"endConfirm", "endYes"}, {"abortConfirm", "abortYes"}} {
		if !eval[bool](fac, `document.querySelector("#`+c.box+`").classList.contains("hidden")`) {
			fac.shot("confirmation-still-open")
			t.Fatalf("#%s is still open after the drill ended", c.box)
		}
		if !eval[bool](fac, `document.querySelector("#`+c.yes+`").disabled`) {
			t.Fatalf("#%s is enabled after the drill ended", c.yes)
		}
	}
}

// countViewFetches makes b's page count its requests for drill id's view
// (in window.viewFetches) and waits for the first one.
func countViewFetches(b *page, id string) {
	b.run("count view fetches", chromedp.Evaluate[chromedp.Void](`(() => {
		window.viewFetches = 0;
		const orig = window.fetch;
		window.fetch = function (url, ...rest) {
			if (String(url).endsWith("/api/drills/`+id+`")) window.viewFetches++;
			return orig.call(this, url, ...rest);
		};
	})()`))
	b.waitJS("the room polls the view", `window.viewFetches > 0`)
}

// noViewFetchesFor2Periods fails t if b's page fetches the drill's view
// during two periods of the room's 3-second poll; when says after what.
func noViewFetchesFor2Periods(t *testing.T, b *page, when string) {
	t.Helper()
	before := eval[int](b, `window.viewFetches`)
	b.run("wait two poll periods", chromedp.Sleep(6500*time.Millisecond))
	if after := eval[int](b, `window.viewFetches`); after != before {
		t.Fatalf("the room fetched the drill's view %d more times %s", after-before, when)
	}
}
