package control_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// TestSelfHealingAndConditions plays, on the fake clock, a fault that heals
// by itself (duration) and a chained fault that fires only while another is
// still active: the heal reverts the fault and resolves it without anyone
// fixing it, and decides whether the chained fault fires.
func TestSelfHealingAndConditions(t *testing.T) {
	tests := []struct {
		name      string
		heal      time.Duration
		condition func(f *scenarios.Fault)
		chained   []time.Duration
		skip      string
	}{
		{"a chained fault fires while the fault it needs is still active", 20 * time.Minute,
			func(f *scenarios.Fault) { f.OnlyIf = &scenarios.Condition{FaultActive: "coupon-flag"} },
			[]time.Duration{14*time.Minute + 10*time.Second}, ""},
		{"a chained fault is skipped once the fault it needs has healed", 5 * time.Minute,
			func(f *scenarios.Fault) { f.OnlyIf = &scenarios.Condition{FaultActive: "coupon-flag"} },
			nil, "it fires only if coupon-flag is still active, which was not so"},
		{"a chained fault is skipped when the incident notice was posted", 20 * time.Minute,
			func(f *scenarios.Fault) { f.Unless = &scenarios.Condition{NoticePosted: scenarios.NoticeIncident} },
			nil, "it fires unless the incident notice was posted, which was so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := controltest.PaymentScenario()
			heal := scenarios.Duration(tt.heal)
			s.Faults[1].HealAfter = &heal
			tt.condition(&s.Faults[2])
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			if tt.skip != "" && strings.Contains(tt.skip, "notice") {
				h.AdvanceTo(id, 3*time.Minute)
				if _, err := h.Engine.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob",
					Fields: map[string]string{"start": "14:00", "impact": "users can't pay", "grade": "P1"}}); err != nil {
					t.Fatal(err)
				}
			}
			h.AdvanceTo(id, 10*time.Minute)
			h.Injector.Fix("db-config")
			h.AdvanceTo(id, 30*time.Minute)

			at(t, h, id, control.EventFaultResolved, `"faultId":"coupon-flag"`, tt.heal)
			at(t, h, id, control.EventFaultReverted, `"faultId":"coupon-flag"`, tt.heal)
			c, _ := h.Drill(id).Fault("coupon-flag")
			if c.ResolvedBy != "duration" || c.Phase != control.FaultReverted {
				t.Errorf("coupon-flag %s by %q, want reverted, resolved by duration", c.Phase, c.ResolvedBy)
			}
			at(t, h, id, control.EventFaultInjected, `"faultId":"cache-evict"`, tt.chained...)
			if tt.skip != "" {
				f, _ := h.Drill(id).Fault("cache-evict")
				if f.Phase != control.FaultSkipped || f.SkipReason != tt.skip {
					t.Errorf("cache-evict %s (%q), want skipped: %q", f.Phase, f.SkipReason, tt.skip)
				}
			}
		})
	}
}
