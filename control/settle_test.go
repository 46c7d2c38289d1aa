package control_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// A reconcile pass plans at its start and does the work a little later.
// When the natural end is planned and a scripted message falls due in
// between (a slow check earlier in the same pass, as on a loaded machine),
// the end waits for the message: the pass must still end, and the next one
// posts the message and then ends the drill.
func TestDrill_naturalEndWaitsForAMessageDueDuringThePass(t *testing.T) {
	s := controltest.PaymentScenario()
	s.Faults = s.Faults[1:2] // coupon-flag: resolved by the facilitator
	s.Injects = s.Injects[:1]
	s.Injects[0].FollowUp = nil // cc-inquiry at 5m
	h := controltest.NewHarness(t)
	id := startDrill(t, h, s)
	e := h.Engine

	h.AdvanceTo(id, m) // the alert's check is polled every 10s: next at 1m10s
	if err := e.MarkFaultResolved(h.Ctx, id, "coupon-flag", "fiona"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeResolution, AuthorID: "bob", Fields: map[string]string{"end": "14:01", "cause": "coupon flag"}}); err != nil {
		t.Fatal(err)
	}
	// The pass at 1m10s polls the alert before it ends the drill; the
	// check answers at 5m1s, when cc-inquiry (5m) is due.
	late := controltest.Start.Add(5*m + time.Second)
	moved := false
	h.Injector.AfterProbe = func() {
		if !moved {
			moved = true
			h.Clock.SetTime(late)
		}
	}
	h.Clock.SetTime(controltest.Start.Add(m + 10*time.Second))
	if err := e.RunDue(h.Ctx, id); err != nil {
		t.Fatalf("the pass whose end found a message due did not end: %v", err)
	}
	if !moved {
		t.Fatal("the pass polled no check: the test no longer exercises a slow pass")
	}
	h.Advance(id, 0)

	at(t, h, id, control.EventInjectPosted, `"injectId":"cc-inquiry"`, 5*m+time.Second)
	at(t, h, id, control.EventDrillEnded, `"reason":"resolved"`, 5*m+time.Second)
	if d := h.Drill(id); d.State == control.StateRunning {
		t.Fatalf("drill is %s, expected it ended", d.State)
	}
}
