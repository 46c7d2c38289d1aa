package control_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// candidateScenario is the payment scenario kept as two candidates: "pool"
// (the pool size with its chained faults) and "coupon" (the discount flag).
func candidateScenario() *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Candidates = []scenarios.Candidate{
		{ID: "pool", Title: "Pool size", Description: "The chained drill.", Solution: "Put the pool back to 50."},
		{ID: "coupon", Title: "Coupon flag", Description: "A business problem only."},
	}
	for i := range s.Faults {
		s.Faults[i].Candidates = []string{"pool"}
	}
	s.Faults[1].Candidates = []string{"coupon"}
	s.Alerts[0].Candidates = []string{"pool"}
	s.Hints[1].Candidates = []string{"coupon"}
	return s
}

// TestCandidates plays each candidate of one file on the fake clock: only
// its faults, alerts and hints are played, the drill and its journal name
// the candidate, and replay and a restarted controller keep it.
func TestCandidates(t *testing.T) {
	tests := []struct {
		candidate string
		injected  string // fires at 0m
		never     string
		hints     []string
		solution  string
		chained   int // times cache-evict, chained on db-config, fired
	}{
		{"pool", "db-config", "coupon-flag", []string{"h1", "h3"}, "Put the pool back to 50.", 1},
		{"coupon", "coupon-flag", "db-config", []string{"h1", "h2", "h3"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.candidate+" plays only its own faults", func(t *testing.T) {
			s := candidateScenario()
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startRequest(t, h, control.DrillRequest{Scenario: s, Candidate: tt.candidate})
			h.AdvanceTo(id, 4*time.Minute)
			h.Injector.Fix("db-config")
			h.AdvanceTo(id, 20*time.Minute)
			at(t, h, id, control.EventFaultInjected, `"faultId":"`+tt.injected+`"`, 0)
			at(t, h, id, control.EventFaultInjected, `"faultId":"`+tt.never+`"`)
			if got := h.EventTimes(id, control.EventFaultInjected, `"faultId":"cache-evict"`); len(got) != tt.chained {
				t.Errorf("chained cache-evict fired at %v, want %d times", got, tt.chained)
			}
			d := h.Drill(id)
			if d.Candidate != tt.candidate || d.Scenario.Candidate == nil || d.Scenario.Candidate.ID != tt.candidate {
				t.Fatalf("drill candidate %q, scenario candidate %+v; want %s", d.Candidate, d.Scenario.Candidate, tt.candidate)
			}
			var hints []string
			for _, hs := range d.Scenario.Hints {
				hints = append(hints, hs.ID)
			}
			if !reflect.DeepEqual(hints, tt.hints) {
				t.Errorf("hints %v, want %v", hints, tt.hints)
			}
			if tt.solution != "" && d.Scenario.Solution != tt.solution {
				t.Errorf("solution %q, want the candidate's %q", d.Scenario.Solution, tt.solution)
			}
			created := h.Events(id)[0]
			if created.Type != control.EventDrillCreated || !strings.Contains(string(created.Payload), `"candidate":"`+tt.candidate+`"`) {
				t.Fatalf("first event %s does not journal the candidate: %.200s", created.Type, created.Payload)
			}
			replayed, err := control.Replay(h.Events(id))
			if err != nil {
				t.Fatal(err)
			}
			if replayed.Candidate != tt.candidate || len(replayed.Scenario.Faults) != len(d.Scenario.Faults) {
				t.Fatalf("replayed drill plays %q with %d faults, want %s with %d", replayed.Candidate, len(replayed.Scenario.Faults), tt.candidate, len(d.Scenario.Faults))
			}
			h.Close()
			again := controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
			if r := again.Drill(id); r.Candidate != tt.candidate || !reflect.DeepEqual(r.Scenario.Candidate, d.Scenario.Candidate) {
				t.Fatalf("restarted controller plays %q (%+v), want %s", r.Candidate, r.Scenario.Candidate, tt.candidate)
			}
		})
	}
}

// A drill of a scenario with candidates is refused without a candidate or
// with one the file does not keep, naming the candidates; a scenario
// without candidates refuses one.
func TestCandidates_refusedChoices(t *testing.T) {
	tests := []struct {
		name      string
		s         *scenarios.Scenario
		candidate string
		want      string
	}{
		{"none picked", candidateScenario(), "", `expected one of them to be chosen: pool ("Pool size"), coupon ("Coupon flag")`},
		{"unknown", candidateScenario(), "cache", `unknown candidate "cache"`},
		{"a scenario without candidates", controltest.PaymentScenario(), "pool", "the scenario has no candidates"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			h := controltest.NewHarness(t)
			_, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{Scenario: tt.s, Candidate: tt.candidate})
			if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want EINVALID saying %q", err, tt.want)
			}
		})
	}
}
