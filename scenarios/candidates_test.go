package scenarios_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

func ids[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func TestForCandidate_playsOnlyWhatTheCandidateKeeps(t *testing.T) {
	s := mustLoad(t, "testdata/plan-cases/candidates.yaml")
	tests := []struct {
		candidate                      string
		faults, alerts, injects, hints []string
		solution                       string
	}{
		{"db-config", []string{"db-config"}, []string{}, []string{"first-call", "db-question"}, []string{"hint-config"},
			"Roll back yesterday's ConfigMap change and restart order-api."},
		{"web-scaled", []string{"web-scaled", "second-wave"}, []string{"web-down"}, []string{"first-call", "cart-question"}, []string{"hint-replicas"},
			"Find the change of the last 24 hours and undo it."},
	}
	for _, tt := range tests {
		t.Run(tt.candidate+" keeps its own faults, messages and solution", func(t *testing.T) {
			got, err := s.ForCandidate(tt.candidate)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want []string) {
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("faults", ids(got.Faults, func(f scenarios.Fault) string { return f.ID }), tt.faults)
			check("alerts", ids(got.Alerts, func(a scenarios.Alert) string { return a.ID }), tt.alerts)
			check("injects", ids(got.Injects, func(in scenarios.Inject) string { return in.ID }), tt.injects)
			check("hints", ids(got.Hints, func(h scenarios.HintStage) string { return h.ID }), tt.hints)
			if got.Solution != tt.solution {
				t.Errorf("solution = %q, want %q", got.Solution, tt.solution)
			}
			if got.Candidate == nil || got.Candidate.ID != tt.candidate || len(got.Candidates) != 0 {
				t.Errorf("candidate = %+v, candidates = %v; want %s alone", got.Candidate, got.Candidates, tt.candidate)
			}
			for _, f := range got.Faults {
				if len(f.Candidates) != 0 {
					t.Errorf("fault %s keeps its candidate limit %v", f.ID, f.Candidates)
				}
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the candidate's scenario is invalid: %v", err)
			}
		})
	}
	t.Run("the original is unchanged", func(t *testing.T) {
		if len(s.Faults) != 3 || len(s.Candidates) != 2 || s.Candidate != nil {
			t.Errorf("original changed: %d faults, %d candidates", len(s.Faults), len(s.Candidates))
		}
	})
	t.Run("difficulty applies on top of the candidate", func(t *testing.T) {
		got, err := s.ForPlay("db-config", scenarios.Hard)
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := got.Fault("db-config"); f.At.String() != "5m" || got.Difficulty != scenarios.Hard || got.Candidate.ID != "db-config" {
			t.Errorf("db-config at %s, difficulty %s", f.At, got.Difficulty)
		}
	})
}

func TestForCandidate_refusesAMissingOrWrongChoice(t *testing.T) {
	withCandidates := mustLoad(t, "testdata/plan-cases/candidates.yaml")
	without := mustLoad(t, "testdata/valid-minimal.yaml")
	tests := []struct {
		name      string
		s         *scenarios.Scenario
		candidate string
		want      string
	}{
		{"none chosen lists the candidates", withCandidates, "", `expected one of them to be chosen: db-config ("Yesterday's config change"), web-scaled ("The storefront scaled to zero")`},
		{"an unknown one lists the candidates", withCandidates, "network", `unknown candidate "network", expected one of: db-config`},
		{"a scenario without candidates takes none", without, "db-config", `the scenario has no candidates`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.s.ForCandidate(tt.candidate)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	t.Run("a scenario without candidates plays as written", func(t *testing.T) {
		got, err := without.ForCandidate("")
		if err != nil || len(got.Faults) != len(without.Faults) || got.Candidate != nil {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("plan without a candidate is refused", func(t *testing.T) {
		if _, err := scenarios.Plan(withCandidates, ""); err == nil || !strings.Contains(err.Error(), "web-scaled") {
			t.Fatalf("err = %v, want the candidates listed", err)
		}
	})
}

func TestPlayableCandidates(t *testing.T) {
	if got := mustLoad(t, "testdata/plan-cases/candidates.yaml").PlayableCandidates(); !slices.Equal(got, []string{"db-config", "web-scaled"}) {
		t.Errorf("with candidates: %v", got)
	}
	if got := mustLoad(t, "testdata/valid-minimal.yaml").PlayableCandidates(); !slices.Equal(got, []string{""}) {
		t.Errorf("without candidates: %v", got)
	}
}

// An inject limited to candidates has no spreadsheet column: the export
// refuses it, naming the inject, instead of losing the limit on import.
func TestInjectsCSV_refusesACandidateLimit(t *testing.T) {
	s := mustLoad(t, "testdata/plan-cases/candidates.yaml")
	var b bytes.Buffer
	err := scenarios.ExportInjectsCSV(&b, s)
	if err == nil || !strings.Contains(err.Error(), "inject cart-question uses a candidates limit") {
		t.Fatalf("export = %v, want a refusal naming cart-question", err)
	}
}
