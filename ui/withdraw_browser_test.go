package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/ui/wire"
)

// TestBrowserWithdrawnMessage: the journal fills up while Kim has the room
// open. The message it refused had already been streamed to Kim's room
// (messages are streamed while committed); the room starts over from the
// journal, without reloading the page, and shows every acknowledged
// message once and not the refused one. Kim's own message is refused next:
// the composer keeps the text and says the journal is full.
func TestBrowserWithdrawnMessage(t *testing.T) {
	e := newEnvLimit(t, 256<<10)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"})
	r.start()
	kim := r.join("Kim")
	lee := e.join(r.links["Lee"])
	kim.run("watch the messages shown", chromedp.Evaluate[chromedp.Void](`
		window.__epoch = firedrillRoom.epoch;
		window.__shown = new Set();
		window.__errs = [];
		addEventListener("error", (e) => __errs.push(e.message));
		addEventListener("unhandledrejection", (e) => __errs.push(String(e.reason)));
		new MutationObserver(() => {
			for (const m of document.querySelectorAll("#messages .msg .text")) __shown.add(m.textContent.slice(0, 4));
		}).observe(document.querySelector("#messages"), { childList: true, subtree: true });`))
	kim.waitJS("the room has an epoch", `typeof firedrillRoom.epoch === "string" && firedrillRoom.epoch !== ""`)

	body := strings.Repeat("the pool is exhausted, checking the connection limits; ", 40) + "still looking"
	var acked []string
	refused := ""
	for i := 0; i < 2000 && refused == ""; i++ {
		text := fmt.Sprintf("%04d %s", i, body)
		switch st, b := lee.do("POST", "/api/drills/"+r.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: text}); st {
		case 201:
			acked = append(acked, text[:4])
		case 500:
			refused = text[:4]
		default:
			t.Fatalf("post %d: HTTP %d %s", i, st, b)
		}
	}
	if refused == "" {
		t.Fatal("a 256 KiB journal took 2000 messages of 2 kB")
	}
	want := strings.Join(acked, ",")
	kim.waitJS("the room started over on a new epoch", `firedrillRoom.epoch && firedrillRoom.epoch !== window.__epoch && document.body.dataset.ready === "true"`)
	kim.waitJS("the refused message was shown, then withdrawn", `__shown.has(`+jsString(refused)+`) && ![...document.querySelectorAll("#messages .msg .text")].some((m) => m.textContent.startsWith(`+jsString(refused)+`))`)
	kim.waitJS("every acknowledged message is shown once, in order", `[...document.querySelectorAll("#messages .msg .text")].map((m) => m.textContent.slice(0, 4)).join(",") === `+jsString(want))
	kim.shot("withdrawn")

	kim.run("write while the journal is full", chromedp.Evaluate[chromedp.Void](`window.__epoch2 = firedrillRoom.epoch`), chromedp.SendKeys(chromedp.ID("input"), "pool limit raised to 50"), chromedp.Click(chromedp.ID("sendBtn")))
	kim.waitJS("the refusal is shown and the text kept", `document.querySelector("#sendError").textContent.includes("journal is full") && document.querySelector("#input").value === "pool limit raised to 50"`)
	kim.waitJS("nothing more was withdrawn and no script failed", `firedrillRoom.epoch === window.__epoch2 && __errs.length === 0 && [...document.querySelectorAll("#messages .msg .text")].length === `+fmt.Sprint(len(acked)))
	kim.shot("refused")
}
