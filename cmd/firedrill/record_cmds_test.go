package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro/retrotest"
)

// playedDataDir returns a data directory whose drill database holds one
// played drill with its retro, as the controller leaves it.
func playedDataDir(t *testing.T) string {
	t.Helper()
	dir, h := harnessDataDir(t)
	retrotest.PlayDrill(t, h, "drill-1")
	s := retrotest.PlayRetro(t, h, "drill-1")
	if err := s.Close(h.Ctx, "drill-1", "fiona"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// harnessDataDir returns a fresh data directory and a harness over its drill
// database, on the fake clock at controltest.Start.
func harnessDataDir(t *testing.T) (string, *controltest.Harness) {
	t.Helper()
	dir := t.TempDir()
	return dir, controltest.OpenHarness(t, filepath.Join(dir, "firedrill.db"), clocktesting.NewFakeClock(controltest.Start), controltest.NewInjector(), nil)
}

func TestExportAndVerifyCmds(t *testing.T) {
	dir := playedDataDir(t)
	out := filepath.Join(t.TempDir(), "drill-1.json")

	t.Run("export writes the JSON record to a file", func(t *testing.T) {
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "export", "drill-1", "--format", "json", "-o", out)
		if code != 0 || stdout != "" {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := record.ReadJSON(f); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("verify proves the untouched record against the database", func(t *testing.T) {
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "verify", out)
		if code != 0 || !strings.Contains(stdout, "verified: drill drill-1") || !strings.Contains(stdout, "the head matches event #") ||
			!strings.Contains(stdout, "sections re-derived from the journal (sections version 3): ") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("verify proves a version 2 export of a fault that came back with its sections re-derived as version 2 derived them", func(t *testing.T) {
		v2 := filepath.Join("..", "..", "control", "record", "testdata", "verify", "sections-v2-recurs.json")
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", t.TempDir(), "verify", v2)
		if code != 0 || !strings.Contains(stdout, "verified: drill drill-recurs") || !strings.Contains(stdout, "sections re-derived from the journal (sections version 2): ") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("verify proves an export of an older wording by its chain and says the sections were not compared", func(t *testing.T) {
		old := filepath.Join("..", "..", "control", "record", "testdata", "verify", "unversioned-074eb19.json")
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", t.TempDir(), "verify", old)
		if code != 0 || !strings.Contains(stdout, "verified: drill drill-1, 72 events") ||
			!strings.Contains(stdout, "derived sections NOT compared: the record states no sectionsVersion") || strings.Contains(stdout, "sections re-derived") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("verify names the edited event and exits 1", func(t *testing.T) {
		b, _ := os.ReadFile(out)
		edited := strings.Replace(string(b), `"impact": "users can't pay"`, `"impact": "nobody noticed"`, -1)
		if edited == string(b) {
			t.Fatal("the edit did not apply")
		}
		bad := filepath.Join(t.TempDir(), "edited.json")
		if err := os.WriteFile(bad, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runScenarioCmd(t, "--data-dir", t.TempDir(), "verify", bad)
		if code != 1 || !strings.Contains(stderr, "NOT VERIFIED: event #") || !strings.Contains(stderr, "(notice.posted at 6:00) was altered") {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
	})
	t.Run("verify refuses a file that is not a record", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "x.json")
		_ = os.WriteFile(bad, []byte(`{"hello": 1}`), 0o600)
		code, _, stderr := runScenarioCmd(t, "verify", bad)
		if code != 1 || !strings.Contains(stderr, `unknown field "hello"`) {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
	})
}

func TestExportCmd(t *testing.T) {
	dir := playedDataDir(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"markdown goes to stdout by default", []string{"--data-dir", dir, "export", "drill-1"}, 0, "# Drill record: Payments fail after a quiet config change"},
		{"html is one printable page", []string{"--data-dir", dir, "export", "drill-1", "--format", "html"}, 0, "@page { size: A4;"},
		{"csv lists the accepted actions", []string{"--data-dir", dir, "export", "drill-1", "--format", "csv"}, 0, "drill-1,2026-11-23,payments,"},
		{"github gives issue bodies", []string{"--data-dir", dir, "export", "drill-1", "--format", "github"}, 0, `"kind/alert"`},
		{"an unknown drill exits 1", []string{"--data-dir", dir, "export", "nope"}, 1, "drill nope does not exist"},
		{"an unknown format exits 2", []string{"--data-dir", dir, "export", "drill-1", "--format", "pdf"}, 2, `--format "pdf" is not a format, expected one of md, json, html, csv, github`},
		{"a missing database is named", []string{"--data-dir", t.TempDir(), "export", "drill-1"}, 1, "no drill database at"},
		{"--lang ko writes the Markdown in Korean", []string{"--data-dir", dir, "export", "drill-1", "--lang", "ko"}, 0, "# 훈련 기록: Payments fail after a quiet config change"},
		{"--lang ko writes the printable page in Korean", []string{"--data-dir", dir, "export", "drill-1", "--format", "html", "--lang", "ko"}, 0, "<h2>전체 타임라인</h2>"},
		{"an unknown language exits 2", []string{"--data-dir", dir, "export", "drill-1", "--lang", "ja"}, 2, `--lang "ja" is not a language of the record, expected en or ko`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runScenarioCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.contains) {
				t.Fatalf("exit %d, want %d; expected %q in\nstdout: %.600s\nstderr: %s", code, tt.code, tt.contains, stdout, stderr)
			}
		})
	}
}

func TestHistoryCmd(t *testing.T) {
	dir := playedDataDir(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"prints the season's numbers and awards", []string{"--data-dir", dir, "history", "--team", "payments", "--season", "2026H2"}, 0,
			[]string{"team payments, season 2026H2: 1 drills, 3 people trained", "1.67 → 3.33 (+100%) over 3 answers", "largest before/after gain: Alice, 2 → 4 (+2)", "thanks to the designers: Dana"}},
		{"another season is empty", []string{"--data-dir", dir, "history", "--season", "2026H1"}, 0, []string{"0 drills"}},
		{"a malformed season exits 2", []string{"--data-dir", dir, "history", "--season", "autumn"}, 2, []string{`season "autumn": expected a year and a half, like 2026H2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runScenarioCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(stdout+stderr, c) {
					t.Fatalf("expected %q in\nstdout: %s\nstderr: %s", c, stdout, stderr)
				}
			}
		})
	}
	t.Run("json output is the history document", func(t *testing.T) {
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "history", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var h record.History
		if err := json.Unmarshal([]byte(stdout), &h); err != nil {
			t.Fatal(err)
		}
		if len(h.Drills) != 1 || h.Awards.MostRealistic == nil || h.Awards.MostRealistic.Score != 4.5 {
			t.Fatalf("history %+v", h)
		}
	})
}

// Markdown written to a file links its charts as SVG files beside it.
func TestExportCmd_MarkdownFileWithCharts(t *testing.T) {
	dir := playedDataDir(t)
	out := filepath.Join(t.TempDir(), "drill-1.md")
	code, _, stderr := runScenarioCmd(t, "--data-dir", dir, "export", "drill-1", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"![Drill timeline](drill-1.timeline.svg)", "![Self-ratings before and after](drill-1.ratings.svg)"} {
		if !strings.Contains(string(md), want) {
			t.Fatalf("%s does not link %s", out, want)
		}
	}
	for _, f := range []string{"drill-1.timeline.svg", "drill-1.ratings.svg"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(out), f))
		if err != nil || !strings.HasPrefix(string(b), "<svg ") {
			t.Fatalf("%s: %v %.40s", f, err, b)
		}
	}
}
