package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
)

// cascadeTitle is the recurs-test cascade's title: too long for one line
// of the timeline chart's label column.
const cascadeTitle = "Checkout pods run out of memory while the cart leak fills the shared node pool"

// waitEvents waits until the drill's journal holds n events of type typ
// about the fault.
func waitEvents(t *testing.T, r *room, typ, fault string, n int) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		got := 0
		for _, ev := range r.events(t, typ) {
			if strings.Contains(string(ev.Payload), `"faultId":"`+fault+`"`) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events of %s, waited for %d", got, typ, fault, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserRecordRecurs: the record of a drill whose fault came back
// shows each injection (the first detected by the participant who wrote,
// the comeback never detected), and the chart shows the fault's long title
// whole, wrapped inside the label column, at a wide and a narrow width; the
// retrospective shows the same chart and opens it full size.
func TestBrowserRecordRecurs(t *testing.T) {
	e := newEnv(t, withTimeScale(60))
	r := newRoomOf(t, e, "recurs-test", [2]string{"Mina", "participant"})
	r.start()
	mina := e.join(r.links["Mina"])
	waitEvents(t, r, control.EventFaultInjected, "cascade", 1)
	mina.must(201, "POST", "/api/drills/"+r.id+"/messages", map[string]any{"channel": "incident", "text": "Checkout pods keep restarting, on it"}, nil)
	e.inj.pass("checkout-pods", "3/3 pods ready")
	// Fixed, it comes back 10 drill minutes later (10s) and, its probe
	// still passing, is resolved again before anyone writes.
	waitEvents(t, r, control.EventFaultRecurred, "cascade", 1)
	waitEvents(t, r, control.EventFaultResolved, "cascade", 2)
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/faults/leak/resolve", nil, nil)
	waitEvents(t, r, control.EventFaultStaysFixed, "cascade", 1)
	if d, err := e.engine.Drill(t.Context(), r.id); err != nil || d.Running() {
		r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "record check"}, nil)
	}

	fac := r.facilitator("")
	fac.run("open the record", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/record"))
	fac.waitJS("the faults table", `document.querySelector('table.faults tr[data-fault="cascade"]') !== null`)
	row := func(n string) string {
		return eval[string](fac, `(document.querySelector('table.faults tr[data-fault="cascade"][data-injection="`+n+`"]') || {innerText: ""}).innerText`)
	}
	if n := eval[int](fac, `document.querySelectorAll('table.faults tr[data-fault="cascade"]').length`); n != 2 {
		t.Fatalf("the record shows %d rows for the cascade, expected one per injection (2)", n)
	}
	if got := row("1"); !strings.Contains(got, "injection 1 of 2") || !strings.Contains(got, "Mina") || !strings.Contains(got, "by its checks") {
		t.Fatalf("the cascade's first injection reads %q, expected it detected by Mina and resolved by its checks", got)
	}
	if got := row("2"); !strings.Contains(got, "injection 2 of 2") || !strings.Contains(got, "not detected") || !strings.Contains(got, "by its checks") {
		t.Fatalf("the cascade's comeback reads %q, expected it not detected and resolved by its checks", got)
	}
	if n := eval[int](fac, `document.querySelectorAll('#timelineChart rect[data-injection="2"]').length + document.querySelectorAll('#timelineChart line[data-came-back="2"]').length`); n < 2 {
		t.Fatal("the timeline chart draws no bar or no mark for the comeback")
	}

	// The label: its whole title, its lines inside the chart and its box.
	label := `document.querySelector('#timelineChart g.fault-label[data-fault="cascade"]')`
	full := eval[string](fac, label+`.querySelector("title").textContent`)
	if full != cascadeTitle+" (chained)" {
		t.Fatalf("the label's title is %q", full)
	}
	inside := `(() => {
		const box = document.querySelector("#timelineChart").getBoundingClientRect();
		const text = ` + label + `.querySelector("text");
		const r = text.getBoundingClientRect();
		return text.getBBox().x >= 0 && r.left >= box.left - 0.5 && document.documentElement.scrollWidth <= window.innerWidth;
	})()`
	lines := eval[string](fac, `Array.from(`+label+`.querySelectorAll("tspan")).map((s) => s.textContent).join(" ")`)
	if lines != full {
		t.Fatalf("the label's lines say %q, expected the whole title", lines)
	}
	for _, w := range []struct {
		name          string
		width, height int64
	}{{"wide", 1400, 900}, {"narrow", 390, 844}} {
		fac.run("set the "+w.name+" viewport", chromedp.EmulateViewport(w.width, w.height))
		fac.waitJS("the label inside the chart at the "+w.name+" width", inside)
		fac.shot("record-recurs-" + w.name)
		fac.shotOf("record-recurs-"+w.name+"-faults", "table.faults")
		fac.shotOf("record-recurs-"+w.name+"-chart", "#timelineChart")
	}

	// The retrospective shows the same chart as an image, the scenario's
	// faults by their whole titles beside it.
	fac.run("open the retrospective", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/retro"))
	fac.waitJS("the chart image", `(() => { const img = document.querySelector("#timelineChart"); return img && img.complete && img.naturalWidth === 900; })()`)
	fac.waitJS("the cascade's whole title", `document.querySelector("#scenario").textContent.includes(`+jsString(cascadeTitle)+`)`)
	for _, w := range []struct {
		name          string
		width, height int64
	}{{"wide", 1400, 900}, {"narrow", 390, 844}} {
		fac.run("set the "+w.name+" viewport", chromedp.EmulateViewport(w.width, w.height))
		fac.waitJS("the chart's box within the "+w.name+" width", `document.querySelector(".chart-scroll").getBoundingClientRect().right <= window.innerWidth`)
		fac.shotOf("retro-recurs-"+w.name+"-chart", ".chart-scroll")
	}
	// Full size, the chart names the cascade by its whole title.
	fac.click("open the chart full size", "#timelineFull")
	fac.waitJS("the chart full size", `location.pathname.endsWith("/charts/timeline.svg") && document.querySelector('g.fault-label[data-fault="cascade"] title') !== null`)
	if got := eval[string](fac, `document.querySelector('g.fault-label[data-fault="cascade"] title').textContent`); got != cascadeTitle+" (chained)" {
		t.Fatalf("the full-size chart names the cascade %q", got)
	}
}

// shotOf saves a screenshot of the element the CSS selector finds.
func (p *page) shotOf(name, selector string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		p.t.Fatalf("%s: screenshot of %s: %v", p.name, selector, err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, p.name+"-"+name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
