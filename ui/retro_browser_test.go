package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// TestBrowserRetro drives the retrospective in Chromium: when the drill
// ends a participant opens the retro, types, reloads in the middle of
// typing and finds the text kept, rates before and after, submits and sees
// the team's aggregate; another chooses to answer anonymously, submits,
// reloads and edits; the facilitator sees the submission in the
// presentation order; the printable record is rendered to PNG (kept as an
// artifact) and to PDF.
func TestBrowserRetro(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	// The drill runs the retro test scenario, which asks two questions of
	// its own (a realism scale and a text).
	dr, err := e.engine.CreateDrill(t.Context(), control.DrillRequest{Scenario: retrotest.Scenario(), Actor: ui.ActorFacilitator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.AddPerson(t.Context(), dr.ID, control.Person{ID: ui.ActorFacilitator, Name: "Facilitator", Role: control.RoleFacilitator}, ui.ActorFacilitator); err != nil {
		t.Fatal(err)
	}
	d := &drill{id: dr.ID, admin: e.admin()}
	var kimLink, link, obsLink wire.JoinLink
	d.admin.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &kimLink)
	d.admin.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "Choi", "role": control.RoleParticipant}, &link)
	d.admin.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "Oh", "role": control.RoleObserver}, &obsLink)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/start", nil, nil)
	oh := e.join(obsLink.URL)
	oh.must(201, "POST", "/api/drills/"+d.id+"/notes", map[string]string{"tag": "strength", "text": "notice in 2 minutes"}, nil)
	oh.must(201, "POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "backroom", Text: "they found the pool"}, nil)
	endDrill(t, e, d)

	choi := &page{t: t, ctx: open(), name: "participant-choi", dir: dir}
	choi.run("join", chromedp.Navigate(link.URL))
	choi.waitJS("room opens", `location.pathname === "/room/`+d.id+`"`)
	choi.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/retro"))
	choi.waitJS("form ready", `document.querySelector("#blameless").textContent.includes("not an evaluation") && !document.querySelector("#wentWell").disabled`)
	choi.shot("retro-empty")

	const typed = "We split recovery and propagation within five minutes"
	const gap = "An alert on the DB pool"
	choi.run("type and reload mid-typing",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q-realism"][value="4"]').click()`),
		chromedp.SendKeys(chromedp.ID("q-alert-gap"), gap),
		chromedp.SendKeys(chromedp.ID("wentWell"), typed),
		chromedp.Reload(),
	)
	choi.waitJS("text kept after the reload", `document.querySelector("#wentWell").value === `+jsString(typed)+
		` && document.querySelector("#q-alert-gap").value === `+jsString(gap)+
		` && document.querySelector('input[name="q-realism"][value="4"]').checked`)
	svc := retro.NewService(e.engine, e.store, retrotest.Keys())
	waitFor(t, "the draft reaches the journal", func() bool {
		_, r, err := svc.Load(t.Context(), d.id)
		if err != nil {
			return false
		}
		en := r.Entries[link.Person.ID]
		return en != nil && en.WentWell == typed && en.Extra["realism"] == "4" && en.Extra["alert-gap"] == gap
	})
	choi.waitJS("saved", `document.querySelector("#saveState").dataset.state === "saved"`)

	choi.run("submit without ratings", chromedp.Click(chromedp.ID("submitBtn")))
	choi.waitJS("ratings are asked for", `document.querySelector("#formError").textContent.length > 0 && document.querySelector("#beforeSet").classList.contains("missing")`)
	choi.run("answer and submit",
		chromedp.SendKeys(chromedp.ID("lacking"), "Nobody knew where the DB config lives; write a runbook."),
		chromedp.Click(chromedp.ID("before2")),
		chromedp.Click(chromedp.ID("after4")),
		chromedp.Click(chromedp.ID("submitBtn")),
	)
	choi.waitJS("aggregate shown", `!document.querySelector("#aggregate").classList.contains("hidden") && document.querySelector("#aggText").textContent === "2.0 → 4.0 (+100%) from one answer"`)
	choi.waitJS("ratings chart loaded", `document.querySelector("#ratingsChart").complete && document.querySelector("#ratingsChart").naturalWidth > 0`)
	choi.shot("retro-submitted")
	choi.waitJS("Choi's named first save locked the choice", `document.querySelector("#anonNamed").checked && document.querySelector("#anonymous").disabled`+
		` && document.querySelector("#anonLocked").textContent.includes("with your name")`)
	choi.run("switch to Korean", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "ko")`), chromedp.Reload())
	choi.waitJS("the blameless copy is in Korean", `document.querySelector("#blameless").textContent.includes("평가가 아닙니다")`)
	choi.waitJS("what anonymity means is said in Korean", `document.querySelector("#anonSet legend").textContent.includes("익명") && document.querySelector("#anonNote").textContent.includes("봉인")`)
	choi.run("back to English", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "en")`))

	// Kim answers anonymously: the form says what that means, the choice
	// is made before typing and locked by the first save; the answers are
	// sealed in the journal, and Kim still reads and edits them.
	kim := &page{t: t, ctx: open(), name: "participant-kim", dir: dir}
	kim.run("join", chromedp.Navigate(kimLink.URL))
	kim.waitJS("room opens", `location.pathname === "/room/`+d.id+`"`)
	kim.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/retro"))
	// The form is ready once the page filled it from the server (the
	// blameless copy comes with it): the static page shows the same
	// choice before that, and a click on it then was undone by the fill
	// (Kim's answers went in under her name on a loaded machine).
	kim.waitJS("the choice comes first and is explained", `document.querySelector("#blameless").textContent.includes("not an evaluation")`+
		` && !document.querySelector("#anonymous").disabled && document.querySelector("#anonNamed").checked`+
		` && document.querySelector("#anonNote").textContent.includes("sealed") && document.querySelector("#anonLocked").classList.contains("hidden")`)
	const kimTyped = "The customer center questions kept us honest"
	kim.run("choose anonymity, answer and submit",
		chromedp.Click(chromedp.ID("anonymous")),
		chromedp.SendKeys(chromedp.ID("wentWell"), kimTyped),
		chromedp.Click(chromedp.ID("before3")),
		chromedp.Click(chromedp.ID("after4")),
		chromedp.Click(chromedp.ID("submitBtn")),
	)
	kim.waitJS("submitted, the choice locked", `document.querySelector("#saveState").dataset.state === "submitted" && document.querySelector("#anonymous").checked`+
		` && document.querySelector("#anonymous").disabled && document.querySelector("#anonNamed").disabled && document.querySelector("#anonLocked").textContent.includes("anonymously")`)
	kim.shot("retro-anonymous")
	kim.run("edit after a reload", chromedp.Reload())
	kim.waitJS("Kim's own anonymous answers are back", `document.querySelector("#wentWell").value === `+jsString(kimTyped)+` && document.querySelector("#anonymous").checked && document.querySelector("#anonymous").disabled`)
	kim.run("edit", chromedp.SendKeys(chromedp.ID("better"), "Ask the customer center earlier"))
	waitFor(t, "Kim's edit is sealed in the journal, under no name", func() bool {
		_, r, err := svc.Load(t.Context(), d.id)
		if err != nil {
			return false
		}
		en := r.Entries[kimLink.Person.ID]
		if en == nil || !en.Sealed || en.Better != "Ask the customer center earlier" {
			return false
		}
		evs, err := e.store.Events(t.Context(), d.id, 0, 0)
		if err != nil {
			return false
		}
		for _, ev := range evs {
			if retro.IsRetroEvent(ev.Type) && (ev.Actor == kimLink.Person.ID || strings.Contains(string(ev.Payload), kimTyped)) {
				t.Fatalf("event #%d names Kim or holds Kim's text: %s %s", ev.Seq, ev.Actor, ev.Payload)
			}
		}
		return true
	})

	// The observer is asked the observer's questions, never the
	// participants' self-ratings or the scenario's questions.
	obs := &page{t: t, ctx: open(), name: "observer", dir: dir}
	obs.run("join", chromedp.Navigate(obsLink.URL))
	obs.waitJS("room opens", `location.pathname === "/room/`+d.id+`"`)
	obs.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/retro"))
	obs.waitJS("observer form ready", `!document.querySelector("#wentWell").disabled && document.querySelector("#q-observer\\.balance") !== null`)
	obs.waitJS("no self-rating and no participant question is shown", `document.querySelector("#beforeSet").offsetParent === null && document.querySelector("#afterSet").offsetParent === null`+
		` && [...document.querySelectorAll('#form input[type="radio"]:not([name="anon"])')].every(i => i.offsetParent === null)`+
		` && document.querySelector('[data-q="realism"]') === null && document.querySelector("#q-alert-gap") === null`)
	const observed = "Kim held recovery and propagation alone for ten minutes"
	obs.run("answer and submit without ratings",
		chromedp.SendKeys(`textarea[data-q="observer.balance"]`, observed),
		chromedp.Click(chromedp.ID("submitBtn")),
	)
	obs.waitJS("submitted", `document.querySelector("#saveState").dataset.state === "submitted"`)
	obs.shot("retro-observer")

	fac := &page{t: t, ctx: open(), name: "facilitator", dir: dir}
	fac.run("sign in", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	fac.waitJS("console", `location.pathname === "/console"`)
	fac.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/retro"))
	fac.waitJS("Choi's submission is shown", `[...document.querySelectorAll("#order li")].some(li => li.textContent.startsWith("Choi") && li.querySelector(".sub"))`)
	fac.waitJS("the facilitator counts the anonymous answer, whose it is unsaid", `document.querySelector("#submittedCount").textContent.includes("1 of them anonymous")`)
	fac.run("give the floor to the first participant", chromedp.Click(chromedp.ID("nextBtn")))
	fac.waitJS("Kim presents first", `document.querySelector("#order li.presenting").textContent.startsWith("Kim")`)
	fac.waitJS("Kim's answers are not shown under Kim's name", `document.querySelector("#presentingName").textContent === "Kim" && document.querySelector("#presentingNote").textContent.includes("anonymous")`+
		` && !document.body.textContent.includes(`+jsString(kimTyped)+`)`)
	fac.run("give the floor to Choi", chromedp.Click(chromedp.ID("nextBtn")))
	fac.waitJS("the facilitator reads Choi's answers", `document.querySelector("#presentingName").textContent === "Choi"`+
		` && document.querySelector('#presentingAnswers [data-a="wentWell"]').textContent === `+jsString(typed)+
		` && document.querySelector('#presentingAnswers [data-a="ratings"]').textContent === "2 → 4"`+
		` && document.querySelector('#presentingAnswers [data-a="alert-gap"]').textContent === `+jsString(gap))
	fac.shot("retro-presenting")
	fac.run("give the floor to the observer", chromedp.Click(chromedp.ID("nextBtn")))
	fac.waitJS("the facilitator reads the observer's answers", `document.querySelector("#presentingName").textContent === "Oh"`+
		` && document.querySelector('#presentingAnswers [data-a="observer.balance"]').textContent === `+jsString(observed)+
		` && document.querySelector('#presentingAnswers [data-a="ratings"]') === null`)
	fac.run("propose an action",
		chromedp.SendKeys(chromedp.ID("actTitle"), "Runbook: where the order API config lives"),
		chromedp.SetValue(chromedp.ID("actKind"), "runbook"),
		chromedp.Click(chromedp.ID("proposeBtn")),
	)
	fac.waitJS("action listed", `[...document.querySelectorAll("#actions li button")].some(b => b.textContent === "Accept")`)
	fac.run("accept it", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#actions li button")].find(b => b.textContent === "Accept").click()`))
	fac.waitJS("action accepted", `document.querySelector("#actions .tag.accepted") !== null`)
	fac.waitJS("timeline chart loaded", `document.querySelector("#timelineChart").complete && document.querySelector("#timelineChart").naturalWidth > 0`)
	// The designer's solution is laid out as paragraphs, not as the
	// scenario file's hard-wrapped lines.
	fac.waitJS("solution as paragraphs", `document.querySelector(".solution p") !== null && !document.querySelector(".solution").textContent.includes("\n")`)
	// The back room is said by its heading, never as "#backroom"; a
	// note's tag is said in words of the page's language.
	fac.waitJS("back-room line without the channel id", `document.querySelector("#backroom li").textContent.endsWith("Oh: they found the pool")`+
		` && !document.querySelector("#backroom").textContent.includes("#backroom")`)
	fac.run("switch to Korean", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "ko")`), chromedp.Reload())
	fac.waitJS("the note's tag in Korean", `document.querySelector("#notes .tag.strength") !== null && document.querySelector("#notes .tag.strength").textContent === "잘한 점"`)
	fac.run("back to English", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "en")`), chromedp.Reload())
	fac.waitJS("retro back in English", `document.querySelector("#notes .tag.strength") !== null`)
	fac.shot("retro-console")

	fac.run("open the history", chromedp.Navigate(e.http.URL+"/history"))
	// Two participants' ratings are too few to average: an average of
	// two would give away the anonymous one's own ratings.
	fac.waitJS("history counts the drill", `document.querySelector("#nDrills").textContent === "1" && document.querySelectorAll("#actions li").length === 1`)
	if got := eval[string](fac, `document.querySelector("#ratings").textContent + " | " + document.querySelector('[data-ratings="`+d.id+`"]').textContent`); got != "too few answers to show | too few answers to show" {
		t.Fatalf("history ratings %q, want too few answers to show, pooled and for the drill", got)
	}
	// Awards and open actions name the drill by its title, never its id.
	if txt := eval[string](fac, `document.querySelector("#awards").textContent + "\n" + document.querySelector("#actions").textContent`); strings.Contains(txt, d.id) {
		t.Fatalf("history shows the drill id %s:\n%s", d.id, txt)
	}
	fac.shot("history")

	fac.run("open the printable record", chromedp.Navigate(e.http.URL+"/room/"+d.id+"/record"))
	fac.waitJS("record rendered", `document.querySelector("h1") !== null && document.querySelectorAll("svg").length === 2`)
	fac.shot("record-print")
	printToPDF := func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PrintBackground: ptrTrue()})
		return res.Data, err
	}
	pctx, cancel := context.WithTimeout(fac.ctx, 20*time.Second)
	defer cancel()
	pdf, err := chromedp.Run(pctx, printToPDF)
	if err != nil {
		t.Fatalf("print the record to PDF: %v", err)
	}
	if len(pdf) < 1000 || string(pdf[:5]) != "%PDF-" {
		t.Fatalf("the printed record is not a PDF (%d bytes)", len(pdf))
	}
	if err := os.WriteFile(filepath.Join(dir, "record.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	png, err := os.Stat(filepath.Join(dir, "facilitator-record-print.png"))
	if err != nil || png.Size() < 10000 {
		t.Fatalf("the printable record was not kept as a PNG: %v", err)
	}
}

func ptrTrue() *bool { v := true; return &v }

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
