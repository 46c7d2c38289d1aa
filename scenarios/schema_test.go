package scenarios_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

func TestSchema_isDraft2020JSON(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(scenarios.Schema(), &doc); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", doc["$schema"])
	}
}

// TestSchema_acceptsExamples keeps the schema in step with the loader: every
// example, which the loader accepts, must also pass the editor's schema.
func TestSchema_acceptsExamples(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	incidents, _ := filepath.Glob("examples/incidents/*.yaml")
	cases, _ := filepath.Glob("testdata/plan-cases/*.yaml")
	files = append(append(append(files, incidents...), cases...), "testdata/valid-minimal.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := scenarios.ValidateSchema(mustRead(t, f)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSchema_rejectsWhatTheLoaderRejects(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"unknown field", "unknown-field", "colour"},
		{"wrong type", "wrong-type", "/metadata/title"},
		{"bare-number duration", "bare-number-duration", "/injects/0/at"},
		{"unknown persona kind", "persona-unknown-kind", "/personas/1/kind"},
		{"back room as a channel", "backroom-reuse", "/channels/2/id"},
		{"unknown difficulty", "invalid-difficulty", "/difficulty"},
		{"both at and after", "both-at-and-after", "/faults/1"},
		{"bad injector reference", "bad-injector-ref", "/faults/1/injector"},
		{"no way to resolve", "no-way-to-resolve", "/faults/0/resolvedWhen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := scenarios.ValidateSchema(mustRead(t, "testdata/errors/"+tt.file+".yaml"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error mentioning %s", err, tt.want)
			}
		})
	}
}
