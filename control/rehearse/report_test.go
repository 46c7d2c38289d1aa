package rehearse_test

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control/rehearse"
)

// The report's first line names the difficulty only when the scenario has
// one: a scenario without variants is rehearsed at no level, and its line
// must not read "at  (drill …".
func TestReport_WriteText_headerNamesTheDifficultyOnlyWhenThereIsOne(t *testing.T) {
	tests := []struct {
		name string
		rep  rehearse.Report
		want string
	}{
		{"with a difficulty", rehearse.Report{Scenario: "s", Difficulty: "hard", DrillID: "d-1", TimeScale: 600},
			"Rehearsal of s at hard (drill d-1, clock ×600)\n"},
		{"without variants", rehearse.Report{Scenario: "s", DrillID: "d-1", TimeScale: 600},
			"Rehearsal of s (drill d-1, clock ×600)\n"},
		{"with a candidate", rehearse.Report{Scenario: "s", Candidate: "pool", Difficulty: "easy", DrillID: "d-1", TimeScale: 60},
			"Rehearsal of s (candidate pool) at easy (drill d-1, clock ×60)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := tt.rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(b.String(), "PASSED"); first != tt.want {
				t.Errorf("header = %q, want %q", first, tt.want)
			}
		})
	}
}
