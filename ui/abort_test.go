package ui_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// inEffect waits until the drill's fault is in effect.
func (e *env) inEffect(drillID, faultID string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.engine.Drill(e.t.Context(), drillID)
		if err != nil {
			e.t.Fatal(err)
		}
		if f, ok := d.Fault(faultID); ok && f.Phase == control.FaultInEffect {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("fault %s of drill %s not in effect after 10 s", faultID, drillID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The abort route answers the facilitator with the kill switch's report:
// which faults are reverted, which are still being retried and why. Every
// other role is refused and the drill goes on.
func TestAbort_reportsWhatTheKillSwitchDid(t *testing.T) {
	e := newEnv(t)
	abort := map[string]any{"confirm": true, "why": "a real incident started"}

	t.Run("facilitator: every fault reverted", func(t *testing.T) {
		d := e.newDrill(true)
		e.inEffect(d.id, "db-config")
		var rep wire.AbortReport
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/abort", abort, &rep)
		if !rep.OK || !rep.Complete || len(rep.Pending) != 0 || len(rep.Reverted) != 1 ||
			rep.Reverted[0] != (wire.RevertedFault{ID: "db-config", Title: "Order API database host changed"}) {
			t.Fatalf("report %+v; expected db-config reverted, nothing pending", rep)
		}
	})

	t.Run("facilitator: a fault whose revert fails is pending with its error", func(t *testing.T) {
		d := e.newDrill(true)
		e.inEffect(d.id, "db-config")
		e.inj.failReverts("db-config", errors.New("connection refused by the API server"))
		defer e.inj.heal("db-config")
		st, body := d.admin.do("POST", "/api/drills/"+d.id+"/abort", abort)
		var rep wire.AbortReport
		if err := json.Unmarshal(body, &rep); st != 200 || err != nil {
			t.Fatalf("abort: %d %s (%v); expected 200 with the report", st, body, err)
		}
		if rep.Complete || len(rep.Reverted) != 0 || len(rep.Pending) != 1 {
			t.Fatalf("report %s; expected db-config pending", body)
		}
		p := rep.Pending[0]
		if p.ID != "db-config" || p.Title != "Order API database host changed" || !strings.Contains(p.Error, "connection refused by the API server") || p.NextAttempt == nil {
			t.Fatalf("pending %+v; expected db-config with its error and its next attempt", p)
		}
		dr, err := e.engine.Drill(t.Context(), d.id)
		if err != nil || dr.State != control.StateAborted {
			t.Fatalf("drill %v (%v); expected aborted", dr.State, err)
		}
	})

	t.Run("other roles are refused and the drill goes on", func(t *testing.T) {
		d := e.newDrill(true)
		for _, tt := range []struct {
			role string
			c    *client
			want int
		}{
			{roleParticipant, d.participant, 403},
			{roleObserver, d.observer, 403},
			{roleDesigner, d.designer, 403},
			{roleAnonymous, e.client(), 401},
		} {
			st, body := tt.c.do("POST", "/api/drills/"+d.id+"/abort", abort)
			if st != tt.want || strings.Contains(string(body), "db-config") || strings.Contains(string(body), "reverted") {
				t.Fatalf("%s: %d %s; expected %d with no report", tt.role, st, body, tt.want)
			}
		}
		dr, err := e.engine.Drill(t.Context(), d.id)
		if err != nil || dr.State != control.StateRunning {
			t.Fatalf("drill %v (%v) after refused aborts; expected still running", dr.State, err)
		}
	})
}

// The facilitator aborts in the browser and is shown the report: first with
// a fault whose revert keeps failing (pending, with the error), then, on
// another drill, every fault reverted.
func TestBrowserAbortReport(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	browser := newBrowser(t)
	fac := &page{t: t, ctx: browser(), name: "abort-facilitator", dir: dir}
	fac.run("sign in", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")),
		chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	fac.waitJS("console", `location.pathname === "/console"`)

	for _, tt := range []struct {
		name   string
		fail   bool
		expect string
	}{
		{name: "pending", fail: true, expect: `r.dataset.complete === "false" && r.querySelector('[data-pending="db-config"]') !== null && r.textContent.includes("Order API database host changed") && r.textContent.includes("connection refused by the API server")`},
		{name: "complete", expect: `r.dataset.complete === "true" && r.querySelector('[data-reverted="db-config"]') !== null && r.textContent.includes("Order API database host changed")`},
	} {
		d := e.newDrill(true)
		e.inEffect(d.id, "db-config")
		if tt.fail {
			e.inj.failReverts("db-config", errors.New("connection refused by the API server"))
		}
		fac.run("open the drill "+tt.name, chromedp.Navigate(e.http.URL+"/console/drills/"+d.id))
		fac.waitJS("controls", `document.body.dataset.ready === "true" && document.querySelector("#abortBtn") !== null && !document.querySelector("#abortBtn").disabled`)
		fac.click("abort", "#abortBtn")
		fac.waitJS("the confirmation", `!document.querySelector("#abortConfirm").classList.contains("hidden")`)
		fac.click("confirm the abort", "#abortYes")
		fac.waitJS("the abort report ("+tt.name+")", `(() => { const r = document.querySelector("#abortReport"); return r !== null && `+tt.expect+`; })()`)
		fac.waitJS("the drill is aborted", `document.querySelector("#state").textContent === "aborted"`)
		fac.shot("abort-report-" + tt.name)
		e.inj.heal("db-config")
	}
}
