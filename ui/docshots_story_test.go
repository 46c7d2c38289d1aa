package ui_test

// The drill the walkthrough (docs/walkthrough.md) tells, played for its
// screenshots by TestDocScreenshots.

import (
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// story runs the walkthrough's drill and takes its screenshots: the
// facilitator sets it up, three participants respond, an observer takes
// notes, the drill ends, the team writes its retrospective.
func (g *docShotGen) story() {
	t := g.t
	base := g.e.http.URL

	// The team has run two drills before, a week apart: the console and
	// the history have something to show.
	start := g.h.Clock.Now()
	g.pastDrill(start, "Order API goes down — first drill", "easy", 12*time.Minute, [][2]int{{1, 3}, {2, 3}})
	g.pastDrill(start.Add(7*24*time.Hour), "Order API goes down — second team", "medium", 9*time.Minute, [][2]int{{2, 3}, {2, 4}})
	g.h.Clock.SetTime(start.Add(14 * 24 * time.Hour))

	// 1. The facilitator signs in and creates the drill.
	fac := g.page("facilitator")
	fac.run("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("secret"), adminToken),
		chromedp.Click(chromedp.ID("submit")),
	)
	fac.waitJS("console lists the example", `document.querySelector("#scenario option[value='layered-payment-outage']") !== null`)
	fac.run("fill the new drill",
		chromedp.SetValue(chromedp.ID("scenario"), "layered-payment-outage"),
		chromedp.SendKeys(chromedp.ID("title"), "Order Platform drill — payments"),
	)
	g.shot(fac, "01-console-new-drill")
	fac.run("create", chromedp.Click(chromedp.ID("createBtn")))
	fac.waitJS("drill console opens", `location.pathname.startsWith("/console/drills/") && document.querySelector("#addPerson") !== null`)
	g.drill = strings.TrimPrefix(eval[string](fac, `location.pathname`), "/console/drills/")

	// People and their join links: the designer and observer sit in the
	// back room; three participants respond.
	for _, who := range []struct{ name, role string }{
		{"Mina", "designer"}, {"Olivia", "observer"}, {"Alex", "participant"}, {"Sam", "participant"}, {"Jin", "participant"},
	} {
		fac.run("add "+who.name,
			chromedp.SendKeys(chromedp.ID("personName"), who.name),
			chromedp.SetValue(chromedp.ID("personRole"), who.role),
			chromedp.Click(chromedp.ID("addPersonBtn")),
		)
		fac.waitJS("join link of "+who.name, linkRowOf(who.name)+` !== undefined`)
		g.links[who.name] = eval[string](fac, linkRowOf(who.name)+`.querySelector(".link").textContent`)
	}
	scrollTo(fac, "#side h2:has(+ #addPerson)", "start")
	g.shot(fac, "02-people-and-join-links")

	// 2. Briefing: the channels open before the start; the facilitator
	// restates the rules.
	fac.run("open the briefing", chromedp.Click(chromedp.ID("briefingBtn")))
	fac.waitJS("briefing", `document.querySelector("#state").textContent === "briefing"`)
	fac.waitJS("room is live", `document.body.dataset.ready === "true"`)
	fac.run("welcome everyone",
		chromedp.SendKeys(chromedp.ID("input"), "Welcome! This is an exercise in the beta environment: recover for real and keep the related departments informed. It is not an evaluation. The drill starts in a few minutes — Good luck."),
		chromedp.Click(chromedp.ID("sendBtn")),
	)
	alex := g.enter("Alex")
	waitText(alex, "It is not an evaluation")
	g.shot(alex, "03-briefing")
	sam, jin := g.enter("Sam"), g.enter("Jin")

	// The drill starts; both faults go in at 0m. The payment worker's alert
	// fires once it has been unavailable for two minutes.
	fac.run("start", chromedp.Click(chromedp.ID("startBtn")))
	fac.waitJS("running", `document.querySelector("#state").textContent === "running"`)
	g.advanceTo(0)
	g.advanceTo(3 * time.Minute)
	reload(alex, "alerts")
	waitText(alex, "checkout failing")
	g.shot(alex, "04-alert")

	// Alex takes the incident commander role and hands out the others.
	openChannel(alex, "incident")
	alex.run("claim incident commander", chromedp.Click(chromedp.CSS(`button[data-claim="incident-commander"]`)))
	alex.waitJS("claimed", `document.querySelector('button[data-claim="incident-commander"]').getAttribute("aria-pressed") === "true"`)
	g.advanceTo(3*time.Minute + 20*time.Second)
	g.say("Alex", "incident", "payment-worker alert in #shop-alerts since 14:02. I'm incident commander. @Sam can you take propagation (notice + customer center)? @Jin recovery with me.")
	g.advanceTo(3*time.Minute + 40*time.Second)
	g.client("Sam").must(201, "POST", "/api/drills/"+g.drill+"/claims", map[string]any{"role": "propagation"}, nil)
	g.client("Jin").must(201, "POST", "/api/drills/"+g.drill+"/claims", map[string]any{"role": "recovery"}, nil)
	g.advanceTo(4 * time.Minute)
	g.say("Sam", "incident", "On it: propagation. Posting the incident notice now.")
	alex.waitJS("claims listed", `[...document.querySelectorAll("#people li")].filter(li => li.querySelector(".claim")).length === 3`)
	waitText(alex, "On it: propagation")
	g.shot(alex, "05-claim-commander")

	// 3. The customer center asks at 6m; Sam answers and posts the notice.
	g.advanceTo(6*time.Minute + 40*time.Second)
	reload(sam, "cs-inquiries")
	waitText(sam, "customer center here")
	g.say("Sam", "cs-inquiries", "Thank you — we see it too: customers cannot complete payments. We are on it in #incident-payments; the incident notice follows in a minute.")
	waitText(sam, "we see it too")
	g.shot(sam, "06-cs-inquiry")

	g.advanceTo(7*time.Minute + 30*time.Second)
	reload(sam, "incident")
	fill := func(field, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.ID("nf-incident-"+field), value)
	}
	sam.run("fill the notice without the impact",
		fill("started", "14:00"), fill("channel", "#incident-payments"), fill("grade", "SEV2"), fill("status", "investigating"), fill("nextUpdate", "14:25"),
		chromedp.Click(chromedp.ID("noticeBtn")),
	)
	sam.waitJS("missing field named", `document.querySelector("#noticeErr").textContent.includes("Impact scope")`)
	scrollTo(sam, "#noticeForm", "start")
	g.shot(sam, "07-notice-missing-field")
	sam.run("complete the notice",
		fill("impact", "Customers cannot pay for orders in the app and on the web. Orders paid since about 14:00 may show \"payment pending\"."),
		chromedp.Click(chromedp.ID("noticeBtn")),
	)
	sam.waitJS("notice card", `document.querySelector('#messages .card[data-notice="incident"]') !== null`)
	scrollTo(sam, "#side h2", "start")
	g.shot(sam, "08-notice-card")

	// The facilitator's console: the clock, the faults in effect, the
	// hints to come.
	g.advanceTo(8*time.Minute + 30*time.Second)
	g.say("Jin", "incident", "payment-worker pods are Running but not Ready. Logs: dial tcp db:5432: i/o timeout.")
	g.advanceTo(9 * time.Minute)
	fac.run("reload", chromedp.Reload())
	fac.waitJS("console is live", `document.body.dataset.ready === "true" && document.querySelector(".fault") !== null`)
	waitText(fac, "i/o timeout")
	g.shot(fac, "09-facilitator-running")

	// Related departments keep asking their kind of question; the back room
	// watches; the observer writes strengths and weaknesses.
	g.advanceTo(11*time.Minute + 30*time.Second)
	g.say("Sam", "incident", "Emergency committee: every customer who tried to pay since 14:00 is affected; we will have a count by 14:30. Next update 14:25.")
	g.say("Mina", "backroom", "They went straight to the worker's logs. Nobody has checked what changed in the last 24 h yet.")
	g.note("strength", "Incident notice five minutes after the alert, impact written for customers, not engineers.")
	g.advanceTo(14 * time.Minute)
	g.say("Alex", "incident", "Rolled back this morning's order-api deploy: no change. Checking the db itself.")
	g.note("weakness", "Rolled back order-api before anyone looked at the worker's network; nobody listed the changes of the last 24 h.")
	g.advanceTo(21 * time.Minute)
	g.say("Jin", "incident", "db is healthy: connections from order-api work, CPU 20%. Only payment-worker cannot connect.")
	g.advanceTo(24 * time.Minute)
	g.notice("Sam", "status-update", map[string]string{
		"status": "investigating", "impact": "Customers still cannot pay. Orders paid since 14:00 may be pending.",
		"progress": "The payment worker cannot reach its database; we are finding out why.", "nextUpdate": "14:40",
	})
	g.advanceTo(39 * time.Minute)
	g.notice("Sam", "status-update", map[string]string{
		"status": "investigating", "impact": "Customers still cannot pay.",
		"progress": "The database is healthy; the worker's connection is blocked between the two.", "expectedRecovery": "15:00", "nextUpdate": "14:55",
	})
	g.advanceTo(39*time.Minute + 30*time.Second)
	fac.run("reload", chromedp.Reload())
	fac.waitJS("console is live", `document.body.dataset.ready === "true" && document.querySelector("#side li.next") !== null`)
	fac.run("scroll to the timeline", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#side h2")].find(h => h.textContent === "Timeline").scrollIntoView({block: "start"})`))
	g.shot(fac, "10-facilitator-timeline")

	// 4. Executive pressure at 40m, and the facilitator's live question as
	// the emergency committee.
	g.advanceTo(41 * time.Minute)
	g.say("Alex", "incident", "CTO: customers cannot pay since 14:00; we expect payments back by 15:00 and will re-process paid orders after.")
	g.advanceTo(42 * time.Minute)
	g.facSay("committee", "incident", "How many customers are affected so far? We need a number for the after-care plan.")
	reload(alex, "incident")
	waitText(alex, "one line I can forward")
	waitText(alex, "We need a number")
	g.shot(alex, "11-cto-pressure")

	g.advanceTo(54 * time.Minute)
	g.notice("Sam", "status-update", map[string]string{
		"status": "investigating", "impact": "Customers still cannot pay.",
		"progress": "We are comparing the worker's network settings with order-api's.", "expectedRecovery": "15:15", "nextUpdate": "15:10",
	})

	// Too slow: the first hint comes at 70m, in character.
	g.advanceTo(68 * time.Minute)
	g.say("Mina", "backroom", "68 minutes and still no look at NetworkPolicies. Letting the network hint go at 70 as planned.")
	g.advanceTo(69 * time.Minute)
	g.notice("Sam", "status-update", map[string]string{
		"status": "investigating", "impact": "Customers still cannot pay.",
		"progress": "Still narrowing down the blocked connection; the committee gets a customer count at 15:20.", "nextUpdate": "15:25",
	})
	g.advanceTo(70 * time.Minute)
	reload(jin, "cs-inquiries")
	waitText(jin, "cannot reach its database")
	g.advanceTo(70*time.Minute + 40*time.Second)
	g.say("Jin", "cs-inquiries", "Thank you, that helps a lot. We are checking the network path now.")
	waitText(jin, "that helps a lot")
	g.shot(jin, "12-hint-minute-70")

	// Jin lists the changes of the last 24 h, finds a NetworkPolicy and
	// removes it (keeping a copy as evidence); the probes hold again and the
	// fault resolves after three stable minutes.
	g.advanceTo(71*time.Minute + 30*time.Second)
	g.say("Jin", "incident", "Listing what changed in shop in the last 24 h: a NetworkPolicy payment-worker-egress appeared yesterday. It blocks egress to db.")
	g.advanceTo(72*time.Minute + 30*time.Second)
	g.h.Injector.Fix("worker-isolated")
	g.say("Jin", "incident", "Deleted NetworkPolicy payment-worker-egress (copy saved to the incident doc). Workers are Ready; payments go through again. Monitoring.")
	g.note("strength", "Recovery and propagation stayed with different people for the whole drill; status updates every 15 minutes.")
	g.note("weakness", "After the network fix the team nearly declared the end: the pending orders came up only through the customer center.")
	g.advanceTo(78*time.Minute + 30*time.Second)
	g.say("Sam", "cs-inquiries", "They were charged once and their orders will go through: we are re-processing them now. You will get the list of affected customers for after-care.")
	g.advanceTo(78*time.Minute + 50*time.Second)
	g.say("Alex", "incident", "PAYMENT_TIMEOUT_MS in order-api-config is 50 (was 3000 until yesterday's clean-up). Restoring 3000 and rolling out order-api.")

	// 5. The observer's view: the room read-only, notes 1:1.
	obs := g.enter("Olivia")
	obs.waitJS("notes balanced", `document.querySelector("#balanceText").textContent.includes("2 : 2")`)
	g.shot(obs, "13-observer-notes")

	// Dark theme and Korean, for the people who use them.
	reload(sam, "incident")
	sam.run("dark theme", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.theme", "dark")`))
	reload(sam, "incident")
	sam.waitJS("dark", `document.documentElement.dataset.theme === "dark"`)
	g.shot(sam, "14-room-dark")
	reload(jin, "incident")
	jin.run("switch to Korean", chromedp.Click(chromedp.ID("lang")))
	jin.waitJS("Korean banner", `document.querySelector("#banner").textContent.startsWith("모의 훈련")`)
	g.shot(jin, "15-room-korean")

	// The stuck orders are re-processed; the facilitator marks the manual
	// fault resolved; after stabilisation monitoring Sam posts the
	// resolution notice.
	g.advanceTo(82 * time.Minute)
	g.say("Jin", "incident", "Re-processed 212 orders stuck in \"payment pending\" with a successful provider payment; list handed to the customer center.")
	g.e.admin().must(200, "POST", "/api/drills/"+g.drill+"/faults/payment-timeout/resolve", nil, nil)
	g.advanceTo(85 * time.Minute)
	g.notice("Sam", "resolution", map[string]string{
		"started": "14:00", "ended": "15:22",
		"impact":            "Customers could not pay for 72 minutes; 212 paid orders stayed \"payment pending\" and did not reach the stores.",
		"cause":             "A NetworkPolicy cut the payment worker off from its database; a config clean-up had set the payment timeout to 50 ms.",
		"recovery":          "Removed the NetworkPolicy (copy kept), restored PAYMENT_TIMEOUT_MS=3000, re-processed the pending orders.",
		"affectedCustomers": "212 customers; the list is with the customer center for after-care.",
		"followUp":          "Alert on the age of pending orders; review config changes before they ship.",
	})
	// Every fault is resolved and the resolution notice is posted: the
	// engine ends the drill, and everyone in the room is shown that it
	// ended, with a link to the retrospective.
	g.h.Advance(g.drill, 0)
	alex.waitJS("shown the end", `document.querySelector("#retro-link") !== null`)
	alex.run("open the retro", chromedp.Click(chromedp.ID("retro-link")))
	alex.waitJS("in the retro", `location.pathname === "/room/`+g.drill+`/retro"`)
	fac.run("reload the room", chromedp.Reload())
	fac.waitJS("retro link", `document.body.dataset.ready === "true" && document.querySelector("#retro-link") !== null && document.querySelector('#messages .card[data-notice="resolution"]') !== null`)
	fac.run("scroll to the last message", chromedp.Evaluate[chromedp.Void](`document.querySelector("#messages").scrollTop = 1e9`))
	g.shot(fac, "16-resolution-notice")

	// 6. The retrospective: everyone writes, participants present first.
	alex.waitJS("retro form ready", `!document.querySelector("#wentWell").disabled && document.querySelector("#blameless").textContent.length > 0`)
	for _, r := range []struct {
		who           string
		before, after int
		well, lacking string
	}{
		{"Sam", 2, 4, "Posting the notice first, then answering the customer center, kept them calm.", "I did not know the notice format by heart."},
		{"Jin", 2, 3, "Listing the changes of the last 24 h found the NetworkPolicy in minutes.", "We should have done that at minute 10, not 70."},
	} {
		g.client(r.who).must(200, "POST", "/api/drills/"+g.drill+"/retro/submit", map[string]any{
			"wentWell": r.well, "lacking": r.lacking, "better": "Check recent changes first.", "before": r.before, "after": r.after,
		}, nil)
	}
	alex.run("reload the retro", chromedp.Reload())
	alex.waitJS("two answers counted", `document.querySelector("#submittedCount").textContent.startsWith("2") && !document.querySelector("#wentWell").disabled`)
	alex.run("answer the retro",
		chromedp.SendKeys(chromedp.ID("wentWell"), "Roles were clear within three minutes; Sam kept every department informed while Jin and I recovered."),
		chromedp.SendKeys(chromedp.ID("lacking"), "I rolled back order-api without evidence. We did not list the changes of the last 24 hours until the hint."),
		chromedp.SendKeys(chromedp.ID("better"), "Start every response with \"what changed in 24 h\"; add an alert on pending-order age."),
		chromedp.Click(chromedp.ID("before2")),
		chromedp.Click(chromedp.ID("after4")),
	)
	scrollTo(alex, "#afterSet", "end")
	g.shot(alex, "17-retro-form")
	alex.run("submit", chromedp.Click(chromedp.ID("submitBtn")))
	alex.waitJS("aggregate shown", `!document.querySelector("#aggregate").classList.contains("hidden")`)

	// The facilitator runs the retrospective: participants present first,
	// findings become follow-up actions.
	fac.run("open the retro", chromedp.Navigate(base+"/room/"+g.drill+"/retro"))
	fac.waitJS("three submissions", `[...document.querySelectorAll("#order li")].filter(li => li.querySelector(".sub")).length === 3`)
	fac.run("give the floor", chromedp.Click(chromedp.ID("nextBtn")))
	fac.waitJS("someone presents", `document.querySelector("#order li.presenting") !== null`)
	for _, a := range []struct{ title, kind string }{
		{"Alert on the age of orders in \"payment pending\"", "alert"},
		{"Runbook: list the changes of the last 24 h first", "runbook"},
	} {
		fac.run("propose "+a.title,
			chromedp.SendKeys(chromedp.ID("actTitle"), a.title),
			chromedp.SetValue(chromedp.ID("actKind"), a.kind),
			chromedp.Click(chromedp.ID("proposeBtn")),
		)
		fac.waitJS("listed "+a.title, `[...document.querySelectorAll("#actions li")].some(li => li.textContent.includes(`+jsString(a.title)+`))`)
	}
	fac.run("accept the first", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#actions li button")].find(b => b.textContent === "Accept").click()`))
	fac.waitJS("accepted", `document.querySelector("#actions .tag.accepted") !== null`)
	fac.run("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	g.shot(fac, "18-retro-facilitator")

	// 7. The printable record, with the timeline chart.
	fac.run("open the record", chromedp.Navigate(base+"/room/"+g.drill+"/record"))
	fac.waitJS("record rendered", `document.querySelector("h1") !== null && document.querySelectorAll("svg").length >= 1`)
	scrollTo(fac, "svg", "end")
	g.shot(fac, "19-record")

	// 8. The history of drills.
	fac.run("open the history", chromedp.Navigate(base+"/history"))
	fac.waitJS("history counts the drills", `document.querySelector("#nDrills").textContent === "3"`)
	g.shot(fac, "20-history")

	if len(g.taken) != len(docShots) {
		t.Fatalf("took %d screenshots, want %d: %v", len(g.taken), len(docShots), g.taken)
	}
}

// pastDrill runs an earlier drill of the chained example through the API
// only, at wall time at: participants, an incident notice at notice, the
// end at 35 minutes, their before/after self-ratings, and the closed
// retrospective.
func (g *docShotGen) pastDrill(at time.Time, title, difficulty string, notice time.Duration, ratings [][2]int) {
	g.t.Helper()
	g.h.Clock.SetTime(at)
	admin := g.e.admin()
	var sum control.DrillSummary
	admin.must(201, "POST", "/api/drills", map[string]string{"scenario": "chained-order-api", "difficulty": difficulty, "title": title}, &sum)
	var people []*client
	for _, name := range []string{"Dana", "Eli", "Kai", "Noa"}[:len(ratings)] {
		var l wire.JoinLink
		admin.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": name, "role": control.RoleParticipant}, &l)
		people = append(people, g.e.join(l.URL))
	}
	admin.must(200, "POST", "/api/drills/"+sum.ID+"/start", nil, nil)
	g.h.AdvanceTo(sum.ID, notice)
	people[0].must(201, "POST", "/api/drills/"+sum.ID+"/notices", map[string]any{"kind": "incident", "fields": map[string]string{
		"started": "14:00", "impact": "Customers cannot place orders.", "channel": "#incident-orders", "grade": "SEV2", "status": "investigating",
	}}, nil)
	g.h.AdvanceTo(sum.ID, 35*time.Minute)
	admin.must(200, "POST", "/api/drills/"+sum.ID+"/end", map[string]string{"why": "resolved and monitored"}, nil)
	g.h.Advance(sum.ID, time.Minute)
	for i, r := range ratings {
		people[i].must(200, "POST", "/api/drills/"+sum.ID+"/retro/submit", map[string]any{
			"wentWell": "We found the broken rollout quickly.", "lacking": "The notice came late.", "before": r[0], "after": r[1],
		}, nil)
	}
	admin.must(200, "POST", "/api/drills/"+sum.ID+"/retro/close", nil, nil)
}

// note posts an observer note as Olivia.
func (g *docShotGen) note(tag, text string) {
	g.t.Helper()
	g.client("Olivia").must(201, "POST", "/api/drills/"+g.drill+"/notes", map[string]string{"tag": tag, "text": text}, nil)
}

// notice posts a notice through the API as a participant.
func (g *docShotGen) notice(who, kind string, fields map[string]string) {
	g.t.Helper()
	g.client(who).must(201, "POST", "/api/drills/"+g.drill+"/notices", map[string]any{"kind": kind, "fields": fields}, nil)
}

// facSay posts as a persona, the way the facilitator does from the console.
func (g *docShotGen) facSay(persona, channel, text string) {
	g.t.Helper()
	g.e.admin().must(201, "POST", "/api/drills/"+g.drill+"/messages", wire.PostMessageRequest{Channel: channel, Text: text, Persona: persona}, nil)
}
