package control_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// TestConfirmedResolution plays, on the fake clock, faults whose resolution
// needs a participant's confirmation in the room besides (all) or instead
// of (any) their probes.
func TestConfirmedResolution(t *testing.T) {
	tests := []struct {
		name     string
		require  scenarios.Require
		probes   bool
		confirm  time.Duration // when Alice confirms; 0: never
		resolved time.Duration // 0: not resolved by 30m
		by       string
	}{
		{"all: probes that hold wait for the confirmation", scenarios.RequireAll, true, 20 * time.Minute, 20 * time.Minute, "probe"},
		{"all: a confirmation waits for the probes' stability window", scenarios.RequireAll, true, 11 * time.Minute, 12*time.Minute + 10*time.Second, "probe"},
		{"all: without a confirmation the fault is never resolved", scenarios.RequireAll, true, 0, 0, ""},
		{"any: the confirmation alone resolves", scenarios.RequireAny, true, 5 * time.Minute, 5 * time.Minute, "confirmed"},
		{"any: the probes alone resolve", scenarios.RequireAny, true, 0, 12*time.Minute + 10*time.Second, "probe"},
		{"confirmation only: resolved when confirmed", "", false, 7 * time.Minute, 7 * time.Minute, "confirmed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := controltest.PaymentScenario()
			rw := &s.Faults[0].ResolvedWhen
			rw.Confirm, rw.Require = "Pending payments are re-processed", tt.require
			if !tt.probes {
				rw.Probes, rw.StableFor = nil, 0
			}
			s.Faults[0].Variants = nil
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			confirm := func() {
				h.AdvanceTo(id, tt.confirm)
				if err := h.Engine.ConfirmFault(h.Ctx, id, "db-config", "alice"); err != nil {
					t.Fatal(err)
				}
			}
			if tt.confirm > 0 && tt.confirm < 10*time.Minute {
				confirm()
			}
			h.AdvanceTo(id, 10*time.Minute)
			h.Injector.Fix("db-config") // the probes hold from 10m, stable at 12m
			if tt.confirm >= 10*time.Minute {
				confirm()
			}
			h.AdvanceTo(id, 30*time.Minute)
			f := fault(t, h.Drill(id), "db-config")
			if tt.resolved == 0 {
				if f.ResolvedAt != nil {
					t.Fatalf("resolved at %s by %s, want unresolved", f.ResolvedAt, f.ResolvedBy)
				}
				return
			}
			eqDur(t, "resolved", f.ResolvedAt, tt.resolved)
			if f.ResolvedBy != tt.by {
				t.Errorf("resolved by %q, want %q", f.ResolvedBy, tt.by)
			}
			if tt.confirm > 0 && (f.ConfirmedBy != "alice" || *f.ConfirmedAt != tt.confirm) {
				t.Errorf("confirmed by %q at %v, want alice at %s", f.ConfirmedBy, f.ConfirmedAt, tt.confirm)
			}
		})
	}
	t.Run("only a participant confirms, once, a fault in effect", func(t *testing.T) {
		s := controltest.PaymentScenario()
		s.Faults[0].ResolvedWhen.Confirm = "Pending payments are re-processed"
		h := controltest.NewHarness(t)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		h.AdvanceTo(id, time.Minute)
		for _, c := range []struct {
			who, fault, code string
		}{
			{"oscar", "db-config", injectors.EFORBIDDEN},
			{"alice", "coupon-flag", injectors.ENOTFOUND},
			{"alice", "db-config", ""},
			{"bob", "db-config", injectors.ECONFLICT},
		} {
			err := h.Engine.ConfirmFault(h.Ctx, id, c.fault, c.who)
			if got := injectors.ErrorCode(err); c.code == "" && err != nil || c.code != "" && got != c.code {
				t.Errorf("%s confirms %s: %v, want %q", c.who, c.fault, err, c.code)
			}
		}
		if n := len(h.EventTimes(id, control.EventFaultConfirmed, "")); n != 1 {
			t.Errorf("%d confirmations journaled, want 1", n)
		}
	})
}
