package ui_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// room is a drill of the drill-day browser tests with the browsers of the
// people in it: the facilitator signed in through the login page, the others
// joined through their links.
type room struct {
	e     *env
	id    string
	admin *client
	open  func(name string) *page
	links map[string]string // person name -> join link
	ids   map[string]string // person name -> person id
}

// newRoom creates a drill from the room-test scenario with the given people
// (name → role) and one Chromium for the test.
func newRoom(t *testing.T, e *env, people ...[2]string) *room {
	t.Helper()
	return newRoomOf(t, e, "room-test", people...)
}

// newRoomOf is newRoom with another scenario of ui/testdata/scenarios.
func newRoomOf(t *testing.T, e *env, scenario string, people ...[2]string) *room {
	t.Helper()
	dir := artifacts(t)
	browser := newBrowser(t)
	a := e.admin()
	var sum control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": scenario}, &sum)
	r := &room{e: e, id: sum.ID, admin: a, links: map[string]string{}, ids: map[string]string{},
		open: func(name string) *page { return &page{t: t, ctx: browser(), name: name, dir: dir} }}
	for _, p := range people {
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+r.id+"/people", map[string]any{"name": p[0], "role": p[1]}, &l)
		r.links[p[0]], r.ids[p[0]] = l.URL, l.Person.ID
	}
	return r
}

func (r *room) start() { r.admin.must(200, "POST", "/api/drills/"+r.id+"/start", nil, nil) }

// facilitator signs in on the login page and opens the drill's console.
func (r *room) facilitator(name string) *page {
	p := r.open("facilitator")
	p.run("sign in", chromedp.Navigate(r.e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	if name != "" {
		p.run("type the name", chromedp.SendKeys(chromedp.ID("facName"), name))
	}
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console"`)
	p.run("open the drill", chromedp.Navigate(r.e.http.URL+"/console/drills/"+r.id))
	p.waitJS("room is live", `document.body.dataset.ready === "true" && document.querySelector("#side h2") !== null`)
	return p
}

// join opens the person's join link in a fresh browser profile.
func (r *room) join(name string) *page {
	p := r.open(strings.ToLower(name))
	p.run("open the join link", chromedp.Navigate(r.links[name]))
	p.waitJS("room is live", `location.pathname === "/room/`+r.id+`" && document.body.dataset.ready === "true"`)
	return p
}

// events returns the drill's journal events of one type.
func (r *room) events(t *testing.T, typ string) []control.Event {
	t.Helper()
	return eventsOf(t, r.e, r.id, typ)
}

// click clicks the element the CSS selector finds, by script (so that
// it works in a scrolled side panel).
func (p *page) click(what, selector string) {
	p.t.Helper()
	p.waitJS(what+" is there", `document.querySelector(`+jsString(selector)+`) !== null`)
	p.run(what, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(selector)+`).click()`))
}

// TestBrowserHintSkip: the facilitator skips a hint that is not the next
// one, with a reason; it shows as skipped with who and why, the journal
// keeps both, and "Give next hint now" gives the hints that were not
// skipped — never the skipped one.
func TestBrowserHintSkip(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e)
	r.start()
	fac := r.facilitator("")

	fac.click("skip hint-2", `[data-skip-hint="hint-2"]`)
	fac.click("confirm without a reason", `[data-skip-hint-yes="hint-2"]`)
	fac.waitJS("a reason is asked for", `document.querySelector("#hintErr").textContent !== "" && document.querySelector("#hintWhy-hint-2").classList.contains("field-error")`)
	fac.run("give the reason", chromedp.SendKeys(chromedp.ID("hintWhy-hint-2"), "They already compare the configs"))
	fac.click("confirm the skip", `[data-skip-hint-yes="hint-2"]`)
	fac.waitJS("hint-2 shown as skipped with who and why", `(() => {
		const li = document.querySelector('#hintList li[data-hint="hint-2"]');
		return li && li.dataset.hintState === "skipped" && li.textContent.includes("They already compare the configs") && li.textContent.includes("Facilitator");
	})()`)
	if got := eval[string](fac, `document.querySelector("#hintErr").textContent`); got != "" {
		t.Fatalf("skip shows an error: %q", got)
	}
	fac.shot("hint-skipped")

	skips := r.events(t, control.EventHintSkipped)
	if len(skips) != 1 {
		t.Fatalf("%d hint.skipped events, want 1", len(skips))
	}
	var hp control.HintEvent
	if err := json.Unmarshal(skips[0].Payload, &hp); err != nil {
		t.Fatal(err)
	}
	if hp.HintID != "hint-2" || hp.Reason != "They already compare the configs" || skips[0].Actor != ui.ActorFacilitator {
		t.Fatalf("journal keeps skip %+v by %q, want hint-2 with the reason, by the facilitator", hp, skips[0].Actor)
	}

	fac.click("give the next hint", `#nextHint`)
	fac.waitJS("hint-1 given", `document.querySelector('#hintList li[data-hint="hint-1"]').dataset.hintState === "given"`)
	// No hint is left (hint-2 was skipped): the button says so by being
	// disabled, rather than answering a click with a refusal.
	fac.waitJS("no hint left", `document.querySelector("#nextHint").disabled`)
	for _, ev := range r.events(t, control.EventHintGiven) {
		if strings.Contains(string(ev.Payload), "hint-2") {
			t.Fatalf("the skipped hint was given: %s", ev.Payload)
		}
	}
}

// TestBrowserNoticeTabs: a participant switches notice forms while nothing
// else happens in the drill (paused), and each tab shows its own form at
// once, keeping what was typed in the others.
func TestBrowserNoticeTabs(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.start()
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/pause", map[string]string{"why": "coffee"}, nil)
	kim := r.join("Kim")
	kim.waitJS("incident form", `document.querySelector("#noticeForm").dataset.kind === "incident"`)
	kim.run("start typing the impact", chromedp.SendKeys(chromedp.ID("nf-incident-impact"), "Customers cannot order."))
	for _, kind := range []string{"resolution", "status-update", "incident"} {
		kim.click("open the "+kind+" tab", `[data-notice-tab="`+kind+`"]`)
		kim.waitJS(kind+" form shown", `document.querySelector("#noticeForm").dataset.kind === "`+kind+`" && document.querySelector('[data-notice-tab="`+kind+`"]').classList.contains("active")`)
	}
	if got := eval[string](kim, `document.querySelector("#nf-incident-impact").value`); got != "Customers cannot order." {
		t.Fatalf("the incident form lost what was typed: %q", got)
	}
	kim.click("open the resolution tab", `[data-notice-tab="resolution"]`)
	kim.waitJS("resolution fields", `document.querySelector("#nf-resolution-cause") !== null`)
	kim.shot("resolution-form")
}

// TestBrowserJoinSwitchesSession: a browser that holds a session of another
// drill (or the facilitator's sign-in) opens a valid join link: it joins,
// and the room says which session it replaced.
func TestBrowserJoinSwitchesSession(t *testing.T) {
	e := newEnv(t)
	first := newRoom(t, e, [2]string{"Kim", "participant"})
	second := newRoom(t, e, [2]string{"Lee", "participant"})
	p := first.join("Kim") // a browser in the first drill, as Kim
	p.run("open Lee's link of the second drill", chromedp.Navigate(second.links["Lee"]))
	p.waitJS("the second drill's room", `location.pathname === "/room/`+second.id+`" && document.body.dataset.ready === "true"`)
	p.waitJS("the switch is said", `(document.querySelector("#switched") || {}).textContent.includes("Kim") && document.querySelector("#switched").textContent.includes("Lee")`)
	if got := eval[string](p, `document.querySelector("#me").textContent`); !strings.HasPrefix(got, "Lee") {
		t.Fatalf("signed in as %q, want Lee", got)
	}
	p.shot("switched")
	p.click("dismiss", "#switchedOk")
	p.waitJS("notice gone", `document.querySelector("#switched") === null`)

	// The facilitator's browser opening a participant's link switches too.
	fac := first.facilitator("")
	fac.run("open Kim's link", chromedp.Navigate(first.links["Kim"]))
	fac.waitJS("Kim's room", `location.pathname === "/room/`+first.id+`" && document.body.dataset.ready === "true"`)
	fac.waitJS("the switch from the facilitator is said", `(document.querySelector("#switched") || {}).textContent.toLowerCase().includes("facilitator")`)
}

// TestBrowserStatusUpdateFieldErrors: "unknown" is a valid expected
// recovery time, as the help text invites; a wrong value is refused naming
// the field by its label (never its key), in the room's language, and the
// field is outlined.
func TestBrowserStatusUpdateFieldErrors(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.start()
	kim := r.join("Kim")
	kim.click("open the status update", `[data-notice-tab="status-update"]`)
	kim.waitJS("status form", `document.querySelector("#noticeForm").dataset.kind === "status-update"`)
	kim.waitJS("help invites unknown", `document.querySelector("#noticeForm").textContent.includes("unknown")`)
	set := func(field, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.ID("nf-status-update-"+field), v)
	}
	kim.run("fill with a wrong next update", set("status", "identified"), set("impact", "Orders fail."),
		set("progress", "Restoring the config."), set("expectedRecovery", "unknown"), set("nextUpdate", "in 20 minutes"))
	kim.click("post", "#noticeBtn")
	kim.waitJS("refused naming the label", `document.querySelector("#noticeErr").textContent.includes("“Next update”")`)
	msg := eval[string](kim, `document.querySelector("#noticeErr").textContent`)
	for _, key := range []string{"nextUpdate", "expectedRecovery", "Expected recovery"} {
		if strings.Contains(msg, key) {
			t.Fatalf("error %q names %q: only the wrong field, by its label", msg, key)
		}
	}
	if !eval[bool](kim, `document.querySelector("#nf-status-update-nextUpdate").classList.contains("field-error") && !document.querySelector("#nf-status-update-expectedRecovery").classList.contains("field-error")`) {
		t.Fatal("the wrong field is not outlined, or the right one is")
	}
	kim.shot("status-update-error")
	kim.click("switch to Korean", "#lang")
	kim.click("post again", "#noticeBtn")
	kim.waitJS("refused in Korean", `document.querySelector("#noticeErr").textContent.includes("시각")`)
	kim.shot("status-update-error-ko")
	kim.run("fix the next update", set("nextUpdate", "14:30"))
	kim.click("post", "#noticeBtn")
	kim.waitJS("status card with unknown", `[...document.querySelectorAll('#messages .card[data-notice="status-update"]')].some(c => c.textContent.includes("unknown"))`)
}

// TestBrowserJoinLinksKept: adding several people keeps every new link on
// screen, with a block of all of them for the briefing, until the
// facilitator dismisses them.
func TestBrowserJoinLinksKept(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e)
	fac := r.facilitator("")
	people := []struct{ name, role string }{{"Kim", "participant"}, {"Lee", "participant"}, {"Park", "observer"}}
	for _, p := range people {
		fac.run("add "+p.name, chromedp.SendKeys(chromedp.ID("personName"), p.name), chromedp.SetValue(chromedp.ID("personRole"), p.role))
		fac.click("add "+p.name, "#addPersonBtn")
		fac.waitJS(p.name+" listed", `[...document.querySelectorAll("#people li")].some(li => li.textContent.startsWith(`+jsString(p.name)+`))`)
	}
	fac.waitJS("three links", `document.querySelectorAll("#linkBox .linkrow .link").length === 3`)
	block := eval[string](fac, `document.querySelector("#linkBlock").textContent`)
	links := eval[[]string](fac, `[...document.querySelectorAll("#linkBox .linkrow .link")].map(l => l.textContent)`)
	for i, p := range people {
		if !strings.HasPrefix(links[i], e.http.URL+"/join#") || !strings.Contains(block, p.name) || !strings.Contains(block, links[i]) {
			t.Fatalf("link %d %q of %s missing from the briefing block %q", i, links[i], p.name, block)
		}
	}
	fac.shot("join-links")
	// Every link works: Kim's opens the room.
	kimLink := links[0]
	r.links["Kim"] = kimLink
	r.join("Kim")
	fac.waitJS("links still there after others joined", `document.querySelectorAll("#linkBox .linkrow .link").length === 3`)
	fac.click("dismiss", "#dismissLinks")
	fac.waitJS("links gone", `document.querySelector("#linkBox .link") === null`)
}

// linkRowOf is a JavaScript expression for the console's row of a new join
// link of the named person.
func linkRowOf(name string) string {
	return `[...document.querySelectorAll("#linkBox .linkrow")].find(r => r.querySelector("strong").textContent.startsWith(` + jsString(name+" ·") + `))`
}

// TestBrowserFaultChecks: a fault shows each resolution check's state and a
// duration that moves with the drill clock; after one of two checks passes,
// the console says so, and a chained fault says in words what it waits for.
func TestBrowserFaultChecks(t *testing.T) {
	e := newEnv(t, withTimeScale(60))
	r := newRoomOf(t, e, "checks-test")
	r.start()
	fac := r.facilitator("")
	sel := `document.querySelector('[data-fault="worker-isolated"]')`
	fac.waitJS("both checks fail", sel+` && `+sel+`.querySelectorAll('[data-check-state="fail"]').length === 2`)
	first := eval[string](fac, `document.querySelector("#since-worker-isolated").textContent`)
	fac.waitJS("the in-effect duration moves", `document.querySelector("#since-worker-isolated").textContent !== `+jsString(first))
	e.inj.pass("worker", "1/1 replicas available")
	fac.waitJS("one check passes, one fails", sel+`.querySelector('[data-check="payment worker available"]').dataset.checkState === "pass" && `+
		sel+`.querySelector('[data-check="checkout answers"]').dataset.checkState === "fail" && `+sel+`.textContent.includes("1 of 2 checks pass")`)
	if !eval[bool](fac, sel+`.textContent.includes("1/1 replicas available")`) {
		t.Fatal("the passing check's detail is not shown")
	}
	chained := eval[string](fac, `document.querySelector('[data-fault="settlement"]').textContent`)
	if !strings.Contains(chained, "fires after “Payment worker cut off from the database” is resolved +4:00") {
		t.Fatalf("chained fault reads %q", chained)
	}
	onDemand := eval[string](fac, `document.querySelector('[data-fault="duplicate-orders"]').textContent`)
	if !strings.Contains(onDemand, "fired by the facilitator on demand") || strings.Contains(onDemand, "fires at") {
		t.Fatalf("the on-demand fault reads %q; want it fired by the facilitator on demand, with no time", onDemand)
	}
	fac.click("the language button", "#lang")
	fac.waitJS("the console in Korean", `(document.querySelector('[data-fault="duplicate-orders"]') || {textContent: ""}).textContent.includes("진행자가 필요할 때 발생시킴")`)
	fac.click("the language button", "#lang")
	fac.waitJS("the console in English again", `(document.querySelector('[data-fault="duplicate-orders"]') || {textContent: ""}).textContent.includes("on demand")`)
	e.inj.pass("checkout", "200 OK")
	fac.waitJS("all checks pass, holding", sel+`.textContent.includes("all checks pass")`)
	fac.shot("fault-checks")
}

// TestBrowserRehearsalSpeed: the facilitator turns a drill created at real
// time (the demo's) into a ×60 rehearsal before the start; everyone sees
// that it is a rehearsal while it runs, and the clock runs at that speed.
func TestBrowserRehearsalSpeed(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	fac := r.facilitator("")
	kim := r.join("Kim")
	if eval[bool](fac, `!document.querySelector("#scale").classList.contains("hidden")`) {
		t.Fatal("a real-time drill is marked as a rehearsal")
	}
	fac.run("choose ×60", chromedp.SetValue(chromedp.ID("timeScaleSel"), "60"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#timeScaleSel").dispatchEvent(new Event("change"))`))
	for _, p := range []*page{fac, kim} {
		p.waitJS("rehearsal shown", `document.querySelector("#scale").textContent.includes("×60") && !document.querySelector("#scale").classList.contains("hidden")`)
	}
	d, err := e.engine.Drill(context.Background(), r.id)
	if err != nil || d.TimeScale != 60 {
		t.Fatalf("drill time scale %v (%v), want 60", d.TimeScale, err)
	}
	fac.click("start", "#startBtn")
	fac.waitJS("the choice is closed and said", `document.querySelector("#timeScaleSel") === null && document.querySelector("#clockChoice").textContent.includes("×60")`)
	kim.waitJS("the clock runs at ×60", `parseInt(document.querySelector("#elapsed").textContent.split(":")[0], 10) >= 1`)
	kim.waitJS("still marked while running", `document.querySelector("#scale").textContent.includes("×60")`)
	kim.shot("rehearsal")
	r.admin.must(409, "POST", "/api/drills/"+r.id+"/time-scale", map[string]float64{"timeScale": 1}, nil)
}

// TestBrowserSpeakAsResets: speaking as a persona is visibly armed, and
// lasts one message: the next goes out as the facilitator.
func TestBrowserSpeakAsResets(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e)
	r.start()
	fac := r.facilitator("")
	fac.run("choose the CTO", chromedp.SetValue(chromedp.ID("persona"), "cto"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#persona").dispatchEvent(new Event("change"))`))
	fac.waitJS("armed", `document.querySelector("#sendBtn").textContent.includes("CTO") && document.querySelector("#composer").classList.contains("as-persona")`)
	fac.shot("speak-as-armed")
	fac.run("send as the CTO", chromedp.SendKeys(chromedp.ID("input"), "What is the impact?"), chromedp.Click(chromedp.ID("sendBtn")))
	fac.waitJS("disarmed after sending", `document.querySelector("#persona").value === "" && !document.querySelector("#composer").classList.contains("as-persona") && !document.querySelector("#sendBtn").textContent.includes("CTO")`)
	fac.run("send again", chromedp.SendKeys(chromedp.ID("input"), "Facilitator here: take your time."), chromedp.Click(chromedp.ID("sendBtn")))
	fac.waitJS("second message shown", `[...document.querySelectorAll("#messages .msg .text")].some(m => m.textContent === "Facilitator here: take your time.")`)
	msgs := r.events(t, control.EventChatMessage)
	var authors []string
	for _, ev := range msgs {
		var m control.Message
		_ = json.Unmarshal(ev.Payload, &m)
		authors = append(authors, string(m.AuthorKind)+":"+m.AuthorID)
	}
	if len(authors) != 2 || authors[0] != "persona:cto" || authors[1] != "person:"+ui.ActorFacilitator {
		t.Fatalf("messages by %v, want the CTO then the facilitator", authors)
	}
}

// TestBrowserResolutionEndsInRoom: the participant who posts the resolution
// notice that ends the drill stays in the room, sees their card and a
// "drill ended" state with the link to the retrospective.
func TestBrowserResolutionEndsInRoom(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"})
	r.start()
	for _, f := range []string{"db-config"} {
		r.admin.must(200, "POST", "/api/drills/"+r.id+"/faults/cache/skip", map[string]string{"why": "no time"}, nil)
		deadline := time.Now().Add(10 * time.Second)
		for {
			d, err := e.engine.Drill(context.Background(), r.id)
			if err != nil {
				t.Fatal(err)
			}
			if fs, ok := d.Fault(f); ok && fs.Phase == control.FaultInEffect {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("fault %s never in effect", f)
			}
			time.Sleep(50 * time.Millisecond)
		}
		r.admin.must(200, "POST", "/api/drills/"+r.id+"/faults/"+f+"/resolve", nil, nil)
	}
	kim, lee := r.join("Kim"), r.join("Lee")
	kim.click("open the resolution notice", `[data-notice-tab="resolution"]`)
	set := func(field, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.ID("nf-resolution-"+field), v)
	}
	kim.run("fill the resolution notice", set("started", "14:05"), set("ended", "14:40"), set("impact", "Orders failed for 35 minutes."),
		set("cause", "DB_HOST was changed."), set("recovery", "Restored DB_HOST."), set("affectedCustomers", "120 customers."))
	kim.click("post", "#noticeBtn")
	for _, p := range []*page{kim, lee} {
		p.waitJS("drill ended in the room, with the retro link", `document.querySelector("#retro-link") !== null && document.body.dataset.ended === "true"`)
	}
	time.Sleep(time.Second) // nobody is taken away
	for _, p := range []*page{kim, lee} {
		if got := eval[string](p, `location.pathname`); got != "/room/"+r.id {
			t.Fatalf("%s was taken to %s", p.name, got)
		}
	}
	kim.waitJS("Kim sees the card", `[...document.querySelectorAll('#messages .card[data-notice="resolution"]')].some(c => c.textContent.includes("Restored DB_HOST."))`)
	kim.shot("drill-ended")
	kim.click("open the retro", "#retro-link")
	kim.waitJS("retro", `location.pathname === "/room/`+r.id+`/retro"`)
}

// TestBrowserConsoleNavigation: the console links to the history and to the
// retro and record of ended drills; the drill's console links back; the
// history carries the EXERCISE banner and links back to the console.
func TestBrowserConsoleNavigation(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e)
	r.start()
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "test"}, nil)
	fac := r.facilitator("")
	fac.waitJS("the drill's console links the record", `document.querySelector("#recordLink") !== null`)
	fac.click("open the record", "#recordLink")
	fac.waitJS("record page", `location.pathname === "/room/`+r.id+`/record"`)
	fac.run("back to the console", chromedp.Navigate(e.http.URL+"/console"))
	fac.waitJS("drill listed with its record", `document.querySelector('[data-record="`+r.id+`"]') !== null`)
	fac.click("open the history", "#navHistory")
	fac.waitJS("history page with the banner", `location.pathname === "/history" && document.querySelector(".banner").textContent.includes("EXERCISE")`)
	fac.shot("history")
	fac.click("back to the console", "#navConsole")
	fac.waitJS("console", `location.pathname === "/console"`)
}

// TestBrowserFacilitatorNames: two facilitators sign in with their names;
// participants see each name on their messages, and the record names them.
func TestBrowserFacilitatorNames(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.start()
	mina := r.facilitator("Mina")
	joon := r.open("facilitator-joon")
	joon.run("sign in as Joon", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("facName"), "Joon"), chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	joon.waitJS("console", `location.pathname === "/console"`)
	joon.run("open the drill", chromedp.Navigate(e.http.URL+"/console/drills/"+r.id))
	joon.waitJS("room is live", `document.body.dataset.ready === "true"`)
	kim := r.join("Kim")
	for _, f := range []struct {
		p    *page
		name string
	}{{mina, "Mina"}, {joon, "Joon"}} {
		f.p.waitJS("signed in under the name", `document.querySelector("#me").textContent.startsWith(`+jsString(f.name+" ·")+`)`)
		f.p.run(f.name+" speaks", chromedp.SendKeys(chromedp.ID("input"), "This is "+f.name+", facilitating."), chromedp.Click(chromedp.ID("sendBtn")))
		kim.waitJS(f.name+"'s message under the name", `[...document.querySelectorAll("#messages .msg")].some(m => m.querySelector(".who").textContent === `+jsString(f.name)+` && m.textContent.includes("This is `+f.name+`"))`)
	}
	kim.shot("two-facilitators")
	st, md := r.admin.do("GET", "/api/drills/"+r.id+"/record.md", nil)
	if st != 200 || !strings.Contains(string(md), "Mina") || !strings.Contains(string(md), "Joon") {
		t.Fatalf("record (%d) does not name both facilitators:\n%s", st, md)
	}
}

// TestBrowserOneCommander: a second participant claiming incident
// commander is asked to take over; taking over moves the role. One person
// holding recovery and propagation while another is free gets a nudge, and
// the record notes both.
func TestBrowserOneCommander(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"}, [2]string{"Choi", "participant"})
	r.start()
	kim, lee := r.join("Kim"), r.join("Lee")
	ic := `[data-claim="incident-commander"]`
	kim.click("Kim claims incident commander", ic)
	kim.waitJS("Kim is commander", `document.querySelector('`+ic+`').getAttribute("aria-pressed") === "true"`)
	lee.waitJS("Lee sees Kim's claim", `[...document.querySelectorAll("#people li")].some(li => li.textContent.startsWith("Kim") && li.querySelector(".claim"))`)
	lee.click("Lee claims incident commander too", ic)
	lee.waitJS("asked to take over from Kim", `!document.querySelector("#takeOver").classList.contains("hidden") && document.querySelector("#takeOver").textContent.includes("Kim")`)
	if eval[bool](lee, `document.querySelector('`+ic+`').getAttribute("aria-pressed") === "true"`) {
		t.Fatal("Lee became a second commander without taking over")
	}
	lee.shot("take-over-asked")
	lee.click("take over", "#takeOverYes")
	lee.waitJS("Lee is commander", `document.querySelector('`+ic+`').getAttribute("aria-pressed") === "true"`)
	kim.waitJS("Kim no longer is", `document.querySelector('`+ic+`').getAttribute("aria-pressed") === "false"`)
	kim.waitJS("the take-over is said", `[...document.querySelectorAll("#messages .sys")].some(m => m.textContent.includes("Lee took over incident commander from Kim"))`)

	kim.click("Kim claims recovery", `[data-claim="recovery"]`)
	kim.waitJS("recovery", `document.querySelector('[data-claim="recovery"]').getAttribute("aria-pressed") === "true"`)
	kim.click("Kim claims propagation", `[data-claim="propagation"]`)
	kim.waitJS("propagation", `document.querySelector('[data-claim="propagation"]').getAttribute("aria-pressed") === "true"`)
	if err := e.server.CheckNudges(context.Background()); err != nil {
		t.Fatal(err)
	}
	kim.waitJS("nudged: recovery and propagation by different people", `[...document.querySelectorAll('#messages .msg.bot')].some(m => m.textContent.includes("recovery and propagation"))`)
	kim.shot("double-role-nudge")
	st, md := r.admin.do("GET", "/api/drills/"+r.id+"/record.md", nil)
	for _, want := range []string{"Lee took over incident commander from Kim", "one person held both recovery and propagation"} {
		if st != 200 || !strings.Contains(string(md), want) {
			t.Fatalf("record (%d) does not say %q:\n%s", st, want, md)
		}
	}
}

// TestBrowserPolish: a long probe detail stays inside the side panel; the
// theme button's first click changes the page; example placeholders read as
// examples; the Korean room has no English left in its chrome after a switch;
// role chips keep their words whole; designer text is laid out as
// paragraphs; the favicon exists; every page carries the EXERCISE banner.
func TestBrowserPolish(t *testing.T) {
	e := newEnv(t, withTimeScale(60))
	r := newRoomOf(t, e, "checks-test", [2]string{"Kim", "participant"})
	r.start()
	long := "GET http://web.shop.svc.cluster.local:8080/api/checkout/health?probe=firedrill&attempt=1&detail=" + strings.Repeat("x", 120) + " answered 200"
	e.inj.pass("checkout", long)
	fac := r.facilitator("")
	fac.waitJS("long detail shown", `document.querySelector('[data-check="checkout answers"] .detail') !== null`)
	if !eval[bool](fac, `(() => { const s = document.querySelector("#side"); return s.scrollWidth <= s.clientWidth + 1; })()`) {
		fac.shot("overflow")
		t.Fatal("the long probe detail overflows the side panel")
	}
	before := eval[string](fac, `getComputedStyle(document.body).backgroundColor`)
	fac.click("theme", "#theme")
	if after := eval[string](fac, `getComputedStyle(document.body).backgroundColor`); after == before {
		t.Fatalf("the theme button's first click changed nothing (background %s)", after)
	}
	if !eval[bool](fac, `document.querySelector("#theme").textContent.includes(":")`) {
		t.Fatal("the theme button does not say which theme is in use")
	}

	kim := r.join("Kim")
	if ph := eval[string](kim, `document.querySelector("#nf-incident-started").placeholder`); !strings.HasPrefix(ph, "e.g.") {
		t.Fatalf("time placeholder %q reads like a value", ph)
	}
	kim.click("claim customer-center liaison", `[data-claim="customer-liaison"]`)
	kim.waitJS("claimed", `document.querySelector("#people .claim") !== null`)
	kim.click("switch to Korean", "#lang")
	kim.waitJS("Korean chrome", `document.querySelector("#conn").textContent === "● 실시간"`)
	for _, sel := range []string{"#conn", "#me", "#state", "#people", "#side h2"} {
		if txt := eval[string](kim, `document.querySelector(`+jsString(sel)+`).textContent`); strings.ContainsAny(txt, "abcdefghijklmnopqrstuvwxyz") && !strings.Contains(txt, "Kim") {
			t.Fatalf("Korean room shows English in %s: %q", sel, txt)
		}
	}
	if ws := eval[string](kim, `getComputedStyle(document.querySelector("#people .claim")).whiteSpace`); ws != "nowrap" {
		t.Fatalf("role chips wrap mid-word (white-space %s)", ws)
	}
	kim.shot("korean-room")

	fac.waitJS("briefing laid out as paragraphs", `document.querySelectorAll("#briefing p").length >= 1 && ![...document.querySelectorAll("#briefing p")].some(p => p.textContent.includes("\n"))`)

	st, _ := r.admin.do("GET", "/favicon.ico", nil)
	if st != 200 {
		t.Fatalf("GET /favicon.ico = %d", st)
	}
	for _, path := range []string{"/login", "/console", "/console/drills/" + r.id, "/history", "/program", "/program/apply", "/room/" + r.id + "/retro"} {
		fac.run("open "+path, chromedp.Navigate(e.http.URL+path))
		fac.waitJS("EXERCISE banner on "+path, `(document.querySelector(".banner") || {}).textContent !== undefined && /EXERCISE|모의 훈련/.test(document.querySelector(".banner").textContent)`)
	}
}

// TestBrowserWordsNotInternals: the console's timeline shows template
// placeholders and triggers in words, and the retro's timeline words role
// claims and its kinds, never event types or ids. In Korean, the built-in
// notice forms' labels, the retro timeline and why the drill ended are
// Korean, with no raw keys.
func TestBrowserWordsNotInternals(t *testing.T) {
	e := newEnv(t)
	r := newRoomOf(t, e, "checks-test", [2]string{"Kim", "participant"})
	// The facilitator tries a rehearsal clock, then settles on real time:
	// the retro's timeline says so in words.
	for _, scale := range []float64{10, 1} {
		r.admin.must(200, "POST", "/api/drills/"+r.id+"/time-scale", map[string]any{"timeScale": scale}, nil)
	}
	r.start()
	fac := r.facilitator("")
	fac.waitJS("timeline", `document.querySelector('[data-inject="after-fix"]') !== null`)
	// No value the page failed to word: "null" or "undefined" as text.
	if side := eval[string](fac, `document.querySelector("#side").innerText`); regexp.MustCompile(`\b(null|undefined|NaN)\b`).MatchString(side) {
		t.Fatalf("console side panel shows a value nobody worded:\n%s", side)
	}
	tl := eval[string](fac, `[...document.querySelectorAll("[data-inject]")].map(li => li.textContent).join("\n")`)
	for _, raw := range []string{"{{", "notice.missing", "fault.resolved", "worker-isolated", "cs →"} {
		if strings.Contains(tl, raw) {
			t.Fatalf("console timeline shows %q:\n%s", raw, tl)
		}
	}
	for _, want := range []string{"[time of posting]", "if no Incident notice is posted by 15:00", "when “Payment worker cut off from the database” is resolved +2:00", "Customer Center → # incident"} {
		if !strings.Contains(tl, want) {
			t.Fatalf("console timeline lacks %q:\n%s", want, tl)
		}
	}
	// Scripted alerts are on the timeline too: the one on the fault's
	// inject has fired, the one at 60m is still to come.
	fac.waitJS("the fired scripted alert", `(document.querySelector('[data-alert="worker-errors"]') || {}).className === "done"`)
	alerts := eval[string](fac, `[...document.querySelectorAll("[data-alert]")].map(li => li.textContent).join("\n")`)
	for _, want := range []string{"when “Payment worker cut off from the database” is in effect · alert · Shop Monitoring → # incident: [CRITICAL] payment-worker errors", "posted 1×",
		"at 1:00:00 · alert · Shop Monitoring → # incident: [WARNING] settlement overdue"} {
		if !strings.Contains(alerts, want) {
			t.Fatalf("console timeline's alerts lack %q:\n%s", want, alerts)
		}
	}
	r.admin.must(201, "POST", "/api/drills/"+r.id+"/people", map[string]any{"name": "Lee", "role": "participant"}, nil)
	kim := r.join("Kim")
	kim.click("claim incident commander", `[data-claim="incident-commander"]`)
	kim.waitJS("claimed", `document.querySelector('[data-claim="incident-commander"]').getAttribute("aria-pressed") === "true"`)
	kim.click("switch to Korean", "#lang")
	notices := map[string][]string{"incident": {"시작 시각", "영향 범위", "대응 채널", "내부 등급", "다음 공유 시각"},
		"status-update": {"상태", "현재 영향", "진행 중인 조치", "예상 복구 시각"}, "resolution": {"종료 시각", "원인", "영향받은 고객"}}
	for _, kind := range []string{"incident", "status-update", "resolution"} {
		kim.click("open the "+kind+" form", `[data-notice-tab="`+kind+`"]`)
		kim.waitJS(kind+" form in Korean", `document.querySelector("#noticeForm").dataset.kind === `+jsString(kind)+` && /[가-힣]/.test(document.querySelector("#noticeForm label").textContent)`)
		form := eval[string](kim, `[...document.querySelectorAll("#noticeForm label, #noticeForm .muted, #noticeForm option")].map(n => n.textContent).join("\n")`)
		for _, want := range notices[kind] {
			if !strings.Contains(form, want) {
				t.Fatalf("Korean %s form lacks the label %q:\n%s", kind, want, form)
			}
		}
		for _, raw := range []string{"nf.", "status.", "Start time", "Impact", "Status", "investigating", "users", "e.g."} {
			if strings.Contains(form, raw) {
				t.Fatalf("Korean %s form shows %q:\n%s", kind, raw, form)
			}
		}
	}
	kim.shot("notice-form-ko")
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "test"}, nil)
	kim.waitJS("end reason worded in the Korean room", `[...document.querySelectorAll("#messages .sys")].some(n => n.textContent.includes("훈련이 종료되었습니다. (진행자가 종료)"))`)
	fac.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/retro"))
	fac.waitJS("retro timeline", `document.querySelectorAll("#timeline tr").length > 3`)
	rows := eval[string](fac, `[...document.querySelectorAll("#timeline tr")].map(tr => tr.textContent).join("\n")`)
	for _, raw := range []string{"room.claim", "room.nudge", "other", "lifecycle", "drill.time-scale-set", "Inject "} {
		if strings.Contains(rows, raw) {
			t.Fatalf("retro timeline shows %q:\n%s", raw, rows)
		}
	}
	for _, want := range []string{"Kim claimed incident commander", "Drill ended (ended by the facilitator): test", "Drill clock set to rehearsal, ×10", "Drill clock set to real time"} {
		if !strings.Contains(rows, want) {
			t.Fatalf("retro timeline lacks %q:\n%s", want, rows)
		}
	}
	fac.shot("retro-timeline")
	fac.run("switch to Korean", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "ko")`), chromedp.Reload())
	fac.waitJS("Korean retro timeline", `document.querySelectorAll("#timeline tr").length > 3 && document.querySelector("#timeline").textContent.includes("훈련 종료")`)
	rows = eval[string](fac, `[...document.querySelectorAll("#timeline tr")].map(tr => tr.textContent).join("\n")`)
	for _, want := range []string{"Kim 님이 장애 대응 리더 역할을 맡음", "훈련 종료 (진행자가 종료): test", "훈련 시작", "Kim 님이 참여자(으)로 참여", "훈련 시계를 리허설 ×10(으)로 설정", "훈련 시계를 실제 시간(으)로 설정"} {
		if !strings.Contains(rows, want) {
			t.Fatalf("Korean retro timeline lacks %q:\n%s", want, rows)
		}
	}
	for _, raw := range []string{"claimed", "Drill ended", "facilitator", "joined as", "drill.", "room.", "nudged.", "end.", "{"} {
		if strings.Contains(rows, raw) {
			t.Fatalf("Korean retro timeline shows %q:\n%s", raw, rows)
		}
	}
	if st := eval[string](fac, `document.querySelector("#state").textContent`); st != "회고" {
		t.Fatalf("the Korean retro's state reads %q, want 회고", st)
	}
	fac.shot("retro-timeline-ko")
	fac.run("back to English", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "en")`))
}

// TestBrowserHistoryRehearsals: a drill rehearsed at ×60 is left out of the
// history unless asked, and marked as a rehearsal when listed and in its
// retro.
func TestBrowserHistoryRehearsals(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/time-scale", map[string]float64{"timeScale": 60}, nil)
	r.start()
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "rehearsal over"}, nil)
	fac := r.facilitator("")
	fac.run("open the history", chromedp.Navigate(e.http.URL+"/history"))
	fac.waitJS("rehearsal left out and said", `document.querySelector("#leftOut").textContent.includes("1 rehearsal") && document.querySelectorAll("#drills tr").length === 0 && document.querySelector("#nTrained").textContent === "0"`)
	fac.click("include rehearsals", "#rehearsals")
	fac.waitJS("rehearsal listed and marked", `document.querySelector('[data-rehearsal="`+r.id+`"]') !== null && document.querySelector('[data-rehearsal="`+r.id+`"]').textContent.includes("×60")`)
	fac.shot("history-rehearsals")
	// The retro of the rehearsal says it was one.
	fac.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/retro"))
	fac.waitJS("the retro marks the rehearsal", `document.querySelector("#rehearsal").textContent.includes("×60") && !document.querySelector("#rehearsal").classList.contains("hidden")`)
	fac.shot("retro-rehearsal")
}

// TestBrowserEndAccess: the facilitator ends one participant's sessions and
// removes another, each from the people list after a confirmation (the
// removal with a reason); each person's open room says their access ended,
// and their API calls are refused from then on. A new link lets the first
// back in. The facilitator's own row offers a new link only, and renewing
// it leaves their console live (the stream reconnects).
func TestBrowserEndAccess(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"})
	r.start()
	kim, lee := r.join("Kim"), r.join("Lee")
	fac := r.facilitator("")
	apiStatus := func(p *page) string {
		p.run("read the drill", chromedp.Evaluate[chromedp.Void](`window.__status = ""; fetch("/api/drills/`+r.id+`").then((r) => { window.__status = String(r.status); })`))
		p.waitJS("the drill read answered", `window.__status !== ""`)
		return eval[string](p, `window.__status`)
	}
	for _, p := range []*page{kim, lee} {
		if got := apiStatus(p); got != "200" {
			t.Fatalf("%s reads the drill: HTTP %s before their access ended, want 200", p.name, got)
		}
	}

	// End Kim's sessions: asked first, cancelling changes nothing.
	fac.click("End sessions of Kim", `[data-end-sessions="`+r.ids["Kim"]+`"]`)
	fac.waitJS("confirmation names Kim", `document.querySelector('[data-confirm-end="`+r.ids["Kim"]+`"]').closest("li").textContent.includes("Kim")`)
	fac.click("cancel", `[data-cancel-access="`+r.ids["Kim"]+`"]`)
	fac.waitJS("confirmation gone", `document.querySelector("[data-confirm-end]") === null`)
	if kim.run("Kim still live", chromedp.Sleep(300*time.Millisecond)); eval[string](kim, `document.body.dataset.accessEnded || ""`) != "" {
		t.Fatal("cancelling ended Kim's access")
	}
	fac.click("End sessions of Kim", `[data-end-sessions="`+r.ids["Kim"]+`"]`)
	fac.click("confirm", `[data-confirm-end="`+r.ids["Kim"]+`"]`)
	kim.waitJS("Kim's room says access ended", `document.body.dataset.accessEnded === "true" && document.querySelector("#conn").textContent.includes("access")`)
	if got := apiStatus(kim); got != "401" && got != "403" {
		t.Fatalf("Kim reads the drill after their sessions ended: HTTP %s, want 401 or 403", got)
	}
	fac.waitJS("the console says Kim's sessions ended", `document.querySelector("[data-confirm-end]") === null && document.querySelector('[data-sessions-ended="`+r.ids["Kim"]+`"]') !== null`)
	// A new link lets Kim back in, and the row stops saying their sessions ended.
	fac.click("New link for Kim", `[data-new-link="`+r.ids["Kim"]+`"]`)
	fac.waitJS("Kim's new link shown", `document.querySelector('#linkBox .link[data-person="`+r.ids["Kim"]+`"]') !== null && document.querySelector("[data-sessions-ended]") === null`)
	r.links["Kim"] = eval[string](fac, `document.querySelector('#linkBox .link[data-person="`+r.ids["Kim"]+`"]').textContent`)
	if got := apiStatus(r.join("Kim")); got != "200" {
		t.Fatalf("Kim reads the drill with the new link: HTTP %s, want 200", got)
	}
	// The facilitator's own access ends by signing out, not from the list;
	// a new link of their own leaves the console live.
	facRow := `[...document.querySelectorAll("li[data-person-row]")].find((li) => li.textContent.includes("· facilitator"))`
	if n := eval[int](fac, facRow+`.querySelectorAll("button").length`); n != 1 {
		t.Fatalf("the facilitator's row has %d buttons, want only New link", n)
	}
	fac.run("New link for the facilitator", chromedp.Evaluate[chromedp.Void](facRow+`.querySelector("[data-new-link]").click()`))
	fac.waitJS("the facilitator's new link shown", `document.querySelector('#linkBox .link[data-role="facilitator"]') !== null`)
	fac.run("the console's stream settles", chromedp.Sleep(500*time.Millisecond))
	fac.waitJS("the console is live again", `document.body.dataset.ready === "true" && !document.body.dataset.accessEnded`)

	// Remove Lee with a reason.
	fac.click("Remove Lee", `[data-remove="`+r.ids["Lee"]+`"]`)
	fac.waitJS("reason asked", `document.querySelector("#removeWhy-`+r.ids["Lee"]+`") !== null`)
	fac.run("type the reason", chromedp.SendKeys(chromedp.ID("removeWhy-"+r.ids["Lee"]), "left the company"))
	fac.click("confirm removal", `[data-confirm-remove="`+r.ids["Lee"]+`"]`)
	lee.waitJS("Lee's room says access ended", `document.body.dataset.accessEnded === "true"`)
	if got := apiStatus(lee); got != "401" && got != "403" {
		t.Fatalf("Lee reads the drill after removal: HTTP %s, want 401 or 403", got)
	}
	fac.waitJS("Lee shown as removed", `document.querySelector('li[data-person-row="`+r.ids["Lee"]+`"]').textContent.includes("removed") && document.querySelector('[data-remove="`+r.ids["Lee"]+`"]') === null`)
	fac.shot("access-ended")
	evs := r.events(t, control.EventPersonRemoved)
	if len(evs) != 1 || !strings.Contains(string(evs[0].Payload), "left the company") || !strings.Contains(string(evs[0].Payload), r.ids["Lee"]) {
		t.Fatalf("journal person.removed events = %+v, want one, for Lee with the reason (ending sessions removes nobody)", evs)
	}
}
