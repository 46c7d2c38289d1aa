package scenarios_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestParse_rejectsWithGoldenErrors runs every bad scenario in
// testdata/errors and compares the full error list with its golden file.
func TestParse_rejectsWithGoldenErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("found %d error cases, expected the full set in testdata/errors", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := scenarios.Parse(filepath.Base(f), data)
			if err == nil {
				t.Fatalf("parsed without error, want errors: %+v", s.Metadata)
			}
			if s != nil {
				t.Errorf("got a scenario along with the error")
			}
			var list scenarios.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T %v, want a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != filepath.Base(f) || e.Line < 1 || e.Column < 1 || e.Message == "" {
					t.Errorf("error without a full position or message: %+v", e)
				}
			}
			golden(t, "errors/"+name+".golden", []byte(err.Error()+"\n"))
		})
	}
}

func TestParse_reportsEveryErrorInFileOrder(t *testing.T) {
	data, err := os.ReadFile("testdata/errors/duplicate-ids.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = scenarios.Parse("dup.yaml", data)
	var list scenarios.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want ErrorList, got %v", err)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Line < list[i-1].Line {
			t.Errorf("errors out of file order: %v", err)
		}
	}
	if len(list) < 3 {
		t.Fatalf("got %d errors, want at least 3 (persona, channel, fault):\n%v", len(list), err)
	}
	for i, want := range []string{`duplicate persona id "cs"`, `duplicate channel id "incident"`, `duplicate fault id "db-config"`} {
		if list[i].Message != want {
			t.Errorf("error %d = %q, want %q", i, list[i].Message, want)
		}
	}
}

func TestParse_hostileInput(t *testing.T) {
	huge := append([]byte("apiVersion: firedrill/v1\nsolution: |\n"), bytes.Repeat([]byte("  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), scenarios.MaxFileSize/64)...)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"refused when larger than the size limit", huge, "larger than the limit of 1048576 bytes"},
		{"refused when nested too deep", []byte("a: " + strings.Repeat("[", 500) + strings.Repeat("]", 500)), "nested deeper than 32 levels"},
		{"refused when using too many aliases", mustRead(t, "testdata/errors/alias-bomb.yaml"), "more than 64 aliases"},
		{"refused when a document follows", []byte("a: 1\n---\nb: 2\n"), "a second YAML document follows"},
		{"refused when empty", []byte("\n\n"), "file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenarios.Parse("hostile.yaml", tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLoad_refusesOversizedFileBeforeReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("#"), scenarios.MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := scenarios.Load(path)
	var list scenarios.ErrorList
	if !errors.As(err, &list) || list[0].File != path || !strings.Contains(list[0].Message, "larger than the limit") {
		t.Fatalf("got %v, want a size-limit error naming %s", err, path)
	}
}

func TestLoad_missingFileIsAPlainError(t *testing.T) {
	_, err := scenarios.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t *testing.T, path string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("load %s:\n%v", path, err)
	}
	return s
}

func TestLoad_appliesDocumentedDefaults(t *testing.T) {
	s := mustLoad(t, "testdata/valid-minimal.yaml")
	if s.Source != "testdata/valid-minimal.yaml" {
		t.Errorf("Source = %q", s.Source)
	}
	if s.TimeLimit.D() != 90*time.Minute {
		t.Errorf("TimeLimit = %v, want 90m", s.TimeLimit)
	}
	if s.Difficulty != "" {
		t.Errorf("Difficulty = %q, want none without variants", s.Difficulty)
	}
	db, _ := s.Fault("db-config")
	cache, _ := s.Fault("cache")
	if db.At == nil || *db.At != 0 {
		t.Errorf("db-config At = %v, want 0m", db.At)
	}
	if cache.At != nil || cache.After.Event != scenarios.ChainResolved {
		t.Errorf("cache At = %v After = %+v, want a chain on resolved", cache.At, cache.After)
	}
	if !*db.AutoRevertAtEnd || !*cache.AutoRevertAtEnd {
		t.Errorf("AutoRevertAtEnd not defaulted to true")
	}
	if got := cache.ResolvedWhen.Probes[0].Interval.D(); got != 10*time.Second {
		t.Errorf("probe interval = %v, want 10s", got)
	}
	if got := s.Alerts[0].Probe.Interval.D(); got != 10*time.Second {
		t.Errorf("alert probe interval = %v, want 10s", got)
	}
	if got := s.Hints[0].At.D(); got != 70*time.Minute {
		t.Errorf("first hint at %v, want 70m", got)
	}
	if s.IncidentChannel() != "incident" {
		t.Errorf("IncidentChannel = %q", s.IncidentChannel())
	}
	n := s.Notices
	if n.Incident == nil || n.StatusUpdate == nil || n.Resolution == nil {
		t.Fatalf("notices not filled from the built-in templates: %+v", n)
	}
	if n.Incident.Channel != "incident" || n.Resolution.Channel != "incident" {
		t.Errorf("notice channels = %q, %q, want the incident channel", n.Incident.Channel, n.Resolution.Channel)
	}
	ids := map[string]scenarios.NoticeField{}
	for _, f := range n.Incident.Fields {
		ids[f.ID] = f
	}
	for _, id := range []string{"started", "impact", "channel", "grade", "status", "nextUpdate"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("incident notice lacks field %q", id)
		}
	}
	if got := strings.Join(ids["grade"].Options, ","); got != "SEV1,SEV2,SEV3,SEV4" {
		t.Errorf("grade options = %s", got)
	}
	if got := strings.Join(ids["status"].Options, ","); got != "investigating,identified,monitoring,resolved" {
		t.Errorf("status options = %s", got)
	}
	var res []string
	for _, f := range n.Resolution.Fields {
		res = append(res, f.ID)
	}
	if got := strings.Join(res, ","); got != "started,ended,impact,cause,recovery,affectedCustomers,followUp" {
		t.Errorf("resolution fields = %s", got)
	}
	if len(s.Retro.Questions) != 0 {
		t.Errorf("retro questions = %v, want none: the standard questions are the retro's, not the scenario's", s.Retro.Questions)
	}
}

func TestLoad_stagesHintsWithoutTimes(t *testing.T) {
	s := mustLoad(t, "examples/chained-order-api.yaml")
	var got []string
	for _, h := range s.Hints {
		got = append(got, h.At.String())
	}
	if strings.Join(got, ",") != "1h10m,1h15m,1h20m" {
		t.Errorf("hint stages at %v, want 70m, 75m, 80m", got)
	}
	if s.Difficulty != scenarios.Medium {
		t.Errorf("Difficulty = %q, want medium", s.Difficulty)
	}
}

func TestLoad_examplesAreValid(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	if len(files) < 3 {
		t.Fatalf("found %d examples, want at least 3", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := mustLoad(t, f)
			if len(s.Injects) < 4 || len(s.Hints) < 3 || s.Solution == "" || s.Briefing == "" || len(s.Retro.Questions) == 0 {
				t.Errorf("example is not complete: %d injects, %d hints, solution %t, briefing %t, %d retro questions",
					len(s.Injects), len(s.Hints), s.Solution != "", s.Briefing != "", len(s.Retro.Questions))
			}
		})
	}
}

func TestLoad_koreanExampleKeepsUTF8(t *testing.T) {
	s := mustLoad(t, "examples/db-connection-settings.yaml")
	if s.Metadata.Language != "ko" || s.Metadata.Title != "주문 API 데이터베이스 연결 설정 장애" {
		t.Fatalf("metadata = %+v", s.Metadata)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("비상대책위원회")) {
		t.Errorf("JSON lost the Korean persona name")
	}
}

func TestErrorList_JSON(t *testing.T) {
	_, err := scenarios.Parse("x.yaml", mustRead(t, "testdata/errors/chain-unknown-fault.yaml"))
	var list scenarios.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want ErrorList, got %v", err)
	}
	b, _ := json.Marshal(list)
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"file": "x.yaml", "line": float64(32), "column": float64(20), "path": "faults[1].after.fault",
		"message": `unknown fault "db-confg", expected one of: cache, db-config`}
	if len(back) != 1 {
		t.Fatalf("got %s", b)
	}
	for k, v := range want {
		if back[0][k] != v {
			t.Errorf("%s = %v, want %v", k, back[0][k], v)
		}
	}
}

// TestParse_warnsWithGolden parses every scenario in testdata/warnings,
// which is valid but probably not what its designer meant, and compares its
// warnings with the golden file.
func TestParse_warnsWithGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/warnings/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no warning cases in testdata/warnings")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Parse(filepath.Base(f), mustRead(t, f))
			if err != nil {
				t.Fatalf("want a valid scenario, got %v", err)
			}
			if len(s.Warnings) == 0 {
				t.Fatal("no warnings")
			}
			for _, e := range s.Warnings {
				if !e.Warning() || e.Line < 1 || e.Column < 1 || e.Path == "" {
					t.Errorf("warning without severity, position or path: %+v", e)
				}
			}
			golden(t, "warnings/"+name+".golden", []byte(s.Warnings.Error()+"\n"))
		})
	}
}
