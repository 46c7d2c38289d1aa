package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func TestScenario_Persona(t *testing.T) {
	s := &scenarios.Scenario{Personas: []scenarios.Persona{{ID: "cc", Name: "Customer center"}, {ID: "cto", Name: "CTO"}}}
	if p, ok := s.Persona("cto"); !ok || p.Name != "CTO" {
		t.Fatalf("persona cto = %v, %v; expected the CTO", p, ok)
	}
	if p, ok := s.Persona("ghost"); ok {
		t.Fatalf("persona ghost = %v, expected none", p)
	}
}

func TestScenario_HasChannel(t *testing.T) {
	s := &scenarios.Scenario{Channels: []scenarios.Channel{{ID: "incident"}, {ID: "general"}}}
	tests := []struct {
		id   string
		want bool
	}{
		{"incident", true},
		{"general", true},
		{scenarios.BackroomChannel, true},
		{"random", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := s.HasChannel(tt.id); got != tt.want {
				t.Fatalf("HasChannel(%q) = %v, expected %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestScenario_IncidentChannel(t *testing.T) {
	tests := []struct {
		name     string
		channels []scenarios.Channel
		want     string
	}{
		{"the marked channel wins", []scenarios.Channel{{ID: "general"}, {ID: "incident"}, {ID: "war-room", Incident: true}}, "war-room"},
		{"else the channel named incident", []scenarios.Channel{{ID: "general"}, {ID: "incident"}}, "incident"},
		{"else the first channel", []scenarios.Channel{{ID: "general"}, {ID: "ops"}}, "general"},
		{"without channels, incident", nil, "incident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scenarios.Scenario{Channels: tt.channels}
			if got := s.IncidentChannel(); got != tt.want {
				t.Fatalf("IncidentChannel() = %q, expected %q", got, tt.want)
			}
		})
	}
}

func TestScenario_ValidateNotice(t *testing.T) {
	s := &scenarios.Scenario{Notices: scenarios.Notices{Incident: &scenarios.NoticeTemplate{Fields: []scenarios.NoticeField{
		{ID: "impact", Label: "Impact", Type: scenarios.FieldText, Required: true},
		{ID: "grade", Label: "Grade", Type: scenarios.FieldSelect, Options: []string{"P1", "P2"}, Required: true},
		{ID: "start", Label: "Start", Type: scenarios.FieldTime},
	}}}}
	tests := []struct {
		name    string
		kind    scenarios.NoticeKind
		in      map[string]string
		want    map[string]string
		errs    []string // field:problem
		message string
	}{
		{"a filled form is trimmed and kept", scenarios.NoticeIncident, map[string]string{"impact": " users cannot pay ", "grade": "P1", "start": ""},
			map[string]string{"impact": "users cannot pay", "grade": "P1"}, nil, ""},
		{"every field at fault is named with its problem", scenarios.NoticeIncident, map[string]string{"grade": "P9", "start": "soon", "zeta": "x", "alpha": ""},
			nil, []string{"impact:required", "grade:option", "start:time", "alpha:unknown", "zeta:unknown"}, ""},
		{"a kind the scenario has no form for is refused", scenarios.NoticeResolution, nil, nil, nil, "has no resolution notice form"},
		{"a kind that is not a notice is refused", "party", nil, nil, nil, `notice kind "party" is not a kind`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ValidateNotice(tt.kind, tt.in)
			var fe scenarios.NoticeErrors
			switch {
			case tt.message != "":
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("error %v, expected %q", err, tt.message)
				}
			case tt.errs != nil:
				if !errors.As(err, &fe) {
					t.Fatalf("error %v, expected field errors %v", err, tt.errs)
				}
				var names []string
				for _, e := range fe {
					names = append(names, e.Field.ID+":"+e.Problem)
				}
				if !reflect.DeepEqual(names, tt.errs) {
					t.Fatalf("field errors %v, expected %v", names, tt.errs)
				}
			default:
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("ValidateNotice = %v, %v; expected %v", got, err, tt.want)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	valid, err := os.ReadFile("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"b.yaml": valid, "a.yml": []byte("apiVersion: [broken"), "notes.txt": []byte("not a scenario")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := scenarios.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || filepath.Base(files[0].Path) != "a.yml" || filepath.Base(files[1].Path) != "b.yaml" {
		t.Fatalf("files %+v, expected a.yml and b.yaml in name order", files)
	}
	if files[0].Err == nil || files[0].Scenario != nil {
		t.Fatalf("the broken file loaded: %+v", files[0])
	}
	if files[1].Err != nil || files[1].Scenario == nil || files[1].Scenario.Source != files[1].Path {
		t.Fatalf("the valid file did not load: %+v", files[1])
	}
	if _, err := scenarios.LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing directory loaded")
	}
}

// Validate holds a scenario built in code to the loader's rules, naming
// the field path, and leaves the scenario as it was given.
func TestScenario_Validate(t *testing.T) {
	load := func(t *testing.T) *scenarios.Scenario {
		t.Helper()
		s, err := scenarios.Load("testdata/valid-minimal.yaml")
		if err != nil {
			t.Fatal(err)
		}
		s.Source = ""
		return s
	}
	tests := []struct {
		name string
		edit func(s *scenarios.Scenario)
		want string // "" = valid
	}{
		{"a loaded scenario is valid", func(*scenarios.Scenario) {}, ""},
		{"an unknown difficulty is refused", func(s *scenarios.Scenario) { s.Difficulty = "brutal" }, `difficulty: unknown difficulty "brutal"`},
		{"a fault with no way to resolve it is refused", func(s *scenarios.Scenario) {
			s.Faults[0].ResolvedWhen = scenarios.ResolvedWhen{}
		}, "faults[0].resolvedWhen: no way to resolve the fault"},
		{"a time limit over the cap is refused", func(s *scenarios.Scenario) { s.TimeLimit = scenarios.Duration(2 * time.Hour) }, "timeLimit: 120m is above the 90m cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t)
			tt.edit(s)
			before := fmt.Sprintf("%+v", *s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			} else if strings.Contains(err.Error(), ":1:1:") {
				t.Fatalf("Validate = %v: a scenario built in code has no line and column to give", err)
			}
			if after := fmt.Sprintf("%+v", *s); after != before {
				t.Fatalf("Validate changed the scenario:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
