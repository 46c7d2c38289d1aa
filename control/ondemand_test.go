package control_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// TestOnDemandFault plays a fault declared onDemand on the fake clock: it
// never fires by itself, fires when the facilitator fires it, and a drill
// where it never fired still ends resolved on the resolution notice.
func TestOnDemandFault(t *testing.T) {
	scenario := func() *scenarios.Scenario {
		s := controltest.PaymentScenario()
		s.Faults[1].At, s.Faults[1].OnDemand = nil, true // coupon-flag: "depending on the day"
		return s
	}
	tests := []struct {
		name     string
		fireAt   time.Duration // 0: never fired
		injected []time.Duration
	}{
		{"never fires by itself", 0, nil},
		{"fires when the facilitator fires it", 20 * time.Minute, []time.Duration{20 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scenario()
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			if tt.fireAt > 0 {
				h.AdvanceTo(id, tt.fireAt)
				if err := h.Engine.FireFaultNow(h.Ctx, id, "coupon-flag", "fiona"); err != nil {
					t.Fatal(err)
				}
			}
			h.AdvanceTo(id, 30*time.Minute)
			at(t, h, id, control.EventFaultInjected, `"faultId":"coupon-flag"`, tt.injected...)
		})
	}
	t.Run("a drill whose on-demand fault never fired ends resolved", func(t *testing.T) {
		s := scenario()
		s.Faults = s.Faults[:2] // db-config and the on-demand coupon-flag
		s.Injects = s.Injects[:2]
		h := controltest.NewHarness(t)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		h.AdvanceTo(id, 5*time.Minute)
		h.Injector.Fix("db-config")
		h.AdvanceTo(id, 10*time.Minute)
		if _, err := h.Engine.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeResolution, AuthorID: "bob",
			Fields: map[string]string{"end": "14:10", "cause": "pool size"}}); err != nil {
			t.Fatal(err)
		}
		h.AdvanceTo(id, 11*time.Minute)
		if d := h.Drill(id); d.EndReason != "resolved" {
			t.Fatalf("drill %s, end %q; want it ended resolved", d.State, d.EndReason)
		}
	})
}
