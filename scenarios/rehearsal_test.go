package scenarios_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// TestRehearsal_validSectionPerDifficulty loads a scenario with robots and
// compares, per difficulty, the steps left to play with the golden file:
// steps limited to other levels go, and so do steps about a fault left out
// at that level.
func TestRehearsal_validSectionPerDifficulty(t *testing.T) {
	s, err := scenarios.Parse("valid.yaml", mustRead(t, "testdata/rehearsal/valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) > 0 {
		t.Fatalf("warnings: %v", s.Warnings)
	}
	var b strings.Builder
	for _, d := range []scenarios.Difficulty{scenarios.Hard, scenarios.Medium, scenarios.Easy} {
		c, err := s.ForDifficulty(d)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s\n", d)
		for _, r := range c.Rehearsal.Robots {
			for _, st := range r.Steps {
				fmt.Fprintf(&b, "%s: %s\n", r.ID, st.Describe())
			}
		}
	}
	golden(t, "rehearsal/valid.golden", []byte(b.String()))
	if err := scenarios.ValidateSchema(mustRead(t, "testdata/rehearsal/valid.yaml")); err != nil {
		t.Fatalf("the schema refuses what the loader accepts: %v", err)
	}
}

// TestRehearsal_roundTripsThroughJSON keeps the section when a drill stores
// its scenario as JSON, and a clone never shares steps with the original.
func TestRehearsal_roundTripsThroughJSON(t *testing.T) {
	s, err := scenarios.Parse("valid.yaml", mustRead(t, "testdata/rehearsal/valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back scenarios.Scenario
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := len(back.Rehearsal.Robots[1].Steps), 3; got != want {
		t.Fatalf("robot fixer has %d steps after the round trip, expected %d", got, want)
	}
	c := s.Clone()
	c.Rehearsal.Robots[0].Steps[1].Fields["impact"] = "changed"
	if s.Rehearsal.Robots[0].Steps[1].Fields["impact"] == "changed" {
		t.Fatal("the clone shares notice fields with the original")
	}
}

// TestRehearsal_schemaRefusesWhatTheLoaderRefuses checks the editor's schema
// on the bad rehearsal section.
func TestRehearsal_schemaRefusesWhatTheLoaderRefuses(t *testing.T) {
	err := scenarios.ValidateSchema(mustRead(t, "testdata/errors/rehearsal-shape.yaml"))
	if err == nil || !strings.Contains(err.Error(), "/rehearsal") {
		t.Fatalf("got %v, want an error about /rehearsal", err)
	}
}
