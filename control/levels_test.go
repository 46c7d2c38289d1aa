package control_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// TestDifficulty_changesMoreThanParams plays one scenario at two levels on
// the fake clock: at hard the first fault starts later and needs a longer
// stabilisation, the chained fault is left out, and the customer-center
// inquiry limited to easy and medium is not posted.
func TestDifficulty_changesMoreThanParams(t *testing.T) {
	scenario := func() *scenarios.Scenario {
		s := controltest.PaymentScenario()
		three := scenarios.Duration(3 * time.Minute)
		off := false
		s.Faults[0].Variants[scenarios.Hard] = scenarios.FaultVariant{At: &three,
			ResolvedWhen: &scenarios.ResolvedWhen{Probes: s.Faults[0].ResolvedWhen.Probes, StableFor: scenarios.Duration(5 * time.Minute)}}
		s.Faults[2].Variants = map[scenarios.Difficulty]scenarios.FaultVariant{scenarios.Hard: {Enabled: &off}}
		s.Faults[3].Variants = map[scenarios.Difficulty]scenarios.FaultVariant{scenarios.Hard: {Enabled: &off}}
		s.Injects[0].Difficulties = []scenarios.Difficulty{scenarios.Easy, scenarios.Medium}
		return s
	}
	tests := []struct {
		name       string
		difficulty scenarios.Difficulty
		injected   time.Duration
		resolved   time.Duration // fixed at 10m, seen by the next probe at 10m10s
		chained    []time.Duration
		inquiries  int // the inquiry and its follow-up
		faults     int
	}{
		{"medium plays the faults as written", scenarios.Medium, 0, 12*time.Minute + 10*time.Second, []time.Duration{14*time.Minute + 10*time.Second}, 2, 4},
		{"hard starts later, stabilises longer and leaves the chained faults out", scenarios.Hard, 3 * time.Minute, 15*time.Minute + 10*time.Second, nil, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			id := startDrillAt(t, h, scenario(), tt.difficulty)
			h.AdvanceTo(id, 10*time.Minute)
			h.Injector.Fix("db-config")
			h.AdvanceTo(id, 30*time.Minute)
			at(t, h, id, control.EventFaultInjected, `"faultId":"db-config"`, tt.injected)
			at(t, h, id, control.EventFaultResolved, `"faultId":"db-config"`, tt.resolved)
			at(t, h, id, control.EventFaultInjected, `"faultId":"cache-evict"`, tt.chained...)
			if got := len(h.EventTimes(id, control.EventInjectPosted, `"injectId":"cc-inquiry"`)); got != tt.inquiries {
				t.Errorf("cc-inquiry posted %d times, want %d", got, tt.inquiries)
			}
			if got := len(h.Drill(id).Faults); got != tt.faults {
				t.Errorf("%d faults in the drill, want %d", got, tt.faults)
			}
		})
	}
}
