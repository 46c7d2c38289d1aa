package ui_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/firedrill/firedrill/control"
)

// TestBrowserClosedDrill: the facilitator closes the retro while a
// participant reads it and an observer still has the room open. The
// participant's retro keeps working (both charts load, every link it offers
// answers, it says the record stays with the facilitator and links to no
// refused room); the observer's room says the drill is closed, points to the
// retro, throws no uncaught error and stops reconnecting.
func TestBrowserClosedDrill(t *testing.T) {
	e := newEnv(t)
	r := newRoomOf(t, e, "room-test", [2]string{"Kim", "participant"}, [2]string{"Oh", "observer"})
	r.start()
	kim := r.join("Kim")
	oh := r.join("Oh")
	oh.run("count uncaught errors", chromedp.Evaluate[chromedp.Void](`window.__errs = []; addEventListener("unhandledrejection", (e) => __errs.push(String((e.reason && e.reason.message) || e.reason))); addEventListener("error", (e) => __errs.push(e.message))`))
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "time for the retro"}, nil)
	waitFor(t, "the retro opens", func() bool {
		d, err := e.engine.Drill(t.Context(), r.id)
		return err == nil && d.State == control.StateRetro
	})
	oh.waitJS("the observer's clock stops counting down once the drill is over", `/^(ended|retro)$/.test(document.querySelector("#left").textContent)`)
	kim.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/retro"))
	// Ready once the page filled the form from the server (it writes the
	// blameless copy then): typed earlier, the fill wiped the text.
	kim.waitJS("form ready", `document.querySelector("#blameless").textContent !== "" && !document.querySelector("#wentWell").disabled`)
	kim.run("answer and submit",
		chromedp.SendKeys(chromedp.ID("wentWell"), "We split the roles early."),
		chromedp.Click(chromedp.ID("before2")), chromedp.Click(chromedp.ID("after4")), chromedp.Click(chromedp.ID("submitBtn")))
	kim.waitJS("submitted", `document.querySelector("#saveState").dataset.state === "submitted"`)

	r.admin.must(200, "POST", "/api/drills/"+r.id+"/retro/close", nil, nil)
	kim.waitJS("the retro says it is closed", `document.querySelector("#submitBtn").disabled && /closed/i.test(document.querySelector("#state").textContent)`)
	kim.waitJS("both charts load", `["#timelineChart", "#ratingsChart"].every((s) => { const i = document.querySelector(s); return i.complete && i.naturalWidth > 0; })`)
	ctx, cancel := context.WithTimeout(kim.ctx, 10*time.Second)
	defer cancel()
	statuses, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`Promise.all([...document.querySelectorAll("#exports a")].map((a) => fetch(a.href).then((r) => r.status)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range statuses {
		if st != http.StatusOK {
			t.Fatalf("a link the closed retro offers answers %v (all: %v)", st, statuses)
		}
	}
	kim.waitJS("the page says where the record is, keeps no link to the refused room, and the submission is final",
		`document.querySelector("#recordKept") !== null && document.querySelector("#roomLink").classList.contains("hidden")`+
			` && document.querySelector("#saveState").textContent === "Submitted."`)
	kim.shot("closed-retro")

	oh.waitJS("the observer's room says the drill is closed", `document.body.dataset.accessEnded === "true" && /closed/i.test(document.querySelector("#conn").textContent)`)
	oh.waitJS("and points to the retro", `document.querySelector("#retro-link") !== null`)
	if errs := eval[[]any](oh, `window.__errs`); len(errs) > 0 {
		t.Fatalf("the observer's room threw when the drill closed: %v", errs)
	}
	if st := eval[string](oh, `document.body.dataset.ready`); st == "true" {
		t.Fatal("the observer's room is still live on a closed drill")
	}
	oh.shot("closed-room")
}
