package main_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

const (
	exampleLayered = "../../scenarios/examples/layered-payment-outage.yaml"
	exampleChained = "../../scenarios/examples/chained-order-api.yaml"
	exampleKorean  = "../../scenarios/examples/db-connection-settings.yaml"
	exampleBad     = "../../scenarios/testdata/errors/chain-unknown-fault.yaml"
	// exampleCandidates keeps two candidate drills in one file.
	exampleCandidates = "../../scenarios/examples/order-db-candidates.yaml"
)

// runScenarioCmd executes the real program in-process with a clean environment.
func runScenarioCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	m := main.NewMain()
	var out, errb bytes.Buffer
	m.Stdin = strings.NewReader("")
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(string) string { return "" }
	code = m.Run(context.Background(), args)
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return code, out.String(), errb.String()
}

func TestValidateCmd(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"exits 0 when every file is valid", []string{"validate", exampleLayered, exampleChained, exampleKorean}, 0,
			[]string{exampleLayered + ": ok (layered-payment-outage)", exampleKorean + ": ok (db-connection-settings)"}},
		{"exits 1 and prints every error with its position", []string{"validate", exampleLayered, exampleBad}, 1,
			[]string{exampleBad + `:32:20: faults[1].after.fault: unknown fault "db-confg", expected one of: cache, db-config`, exampleBad + ": 1 error"}},
		{"exits 1 on a missing file", []string{"validate", "nope.yaml"}, 1, []string{"nope.yaml: load scenario nope.yaml:"}},
		{"exits 1 at once on a text whose ranges nest without bound", []string{"validate", "testdata/hostile/hostile-template.yaml"}, 1,
			[]string{"hostile-template.yaml:39:11: injects[0].text: invalid template:", "the text loops more than 10000 times"}},
		{"exits 2 on an unknown output format", []string{"validate", "-o", "xml", exampleLayered}, 2, nil},
		{"exits 1 without files", []string{"validate"}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runScenarioCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("stdout lacks %q:\n%s", c, out)
				}
			}
		})
	}
}

func TestValidateCmd_jsonOutput(t *testing.T) {
	code, out, _ := runScenarioCmd(t, "validate", "--output", "json", exampleLayered, exampleBad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got struct {
		Valid bool `json:"valid"`
		Files []struct {
			File   string                 `json:"file"`
			Valid  bool                   `json:"valid"`
			Errors []scenarios.FieldError `json:"errors"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.Valid || len(got.Files) != 2 || !got.Files[0].Valid || got.Files[1].Valid {
		t.Fatalf("got %+v", got)
	}
	e := got.Files[1].Errors
	if len(e) != 1 || e[0].Line != 32 || e[0].Column != 20 || e[0].Path != "faults[1].after.fault" {
		t.Errorf("errors = %+v", e)
	}
	if got.Files[0].Errors == nil {
		t.Errorf("a valid file must list an empty errors array, not null")
	}
}

func TestSchemaCmd_printsTheJSONSchema(t *testing.T) {
	code, out, _ := runScenarioCmd(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out != string(scenarios.Schema()) {
		t.Errorf("printed schema differs from scenarios.Schema()")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
}

func TestPlanCmd(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"prints the timeline at the chosen variant", []string{"plan", exampleChained, "--variant", "hard"}, 0,
			[]string{"difficulty: hard", "kubernetes/secret-key", "WAITING ON EVENTS", "after order-api-down resolved +4m", "90m  end"}},
		{"uses the scenario's difficulty by default", []string{"plan", exampleChained}, 0, []string{"difficulty: medium", "kubernetes/bad-image"}},
		{"prints Korean text", []string{"plan", exampleKorean}, 0, []string{"주문 API의 DB 접속 주소 변경"}},
		{"plays a level without variants as written", []string{"plan", exampleLayered, "--variant", "hard"}, 0,
			[]string{"difficulty: hard", "0m   fault   worker-isolated"}},
		{"exits 2 on a level that does not exist", []string{"plan", exampleLayered, "--variant", "brutal"}, 2, nil},
		{"exits 1 on an invalid scenario", []string{"plan", exampleBad}, 1, nil},
		{"plans the chosen candidate and lists the others", []string{"plan", exampleCandidates, "--candidate", "pool-size"}, 0,
			[]string{"▶ candidate pool-size — The connection pool shrunk to one", "  candidate db-address — Yesterday's database address change", "pool-too-small"}},
		{"exits 2 when a scenario with candidates is planned without one", []string{"plan", exampleCandidates}, 2, nil},
		{"exits 2 on a candidate the file does not keep", []string{"plan", exampleCandidates, "--candidate", "network"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runScenarioCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("stdout lacks %q:\n%s", c, out)
				}
			}
		})
	}
}

func TestPlanCmd_invalidScenarioPrintsErrors(t *testing.T) {
	_, _, errOut := runScenarioCmd(t, "plan", exampleBad)
	if !strings.Contains(errOut, `faults[1].after.fault: unknown fault "db-confg"`) {
		t.Errorf("stderr = %s", errOut)
	}
}

func TestPlanCmd_jsonOutput(t *testing.T) {
	code, out, _ := runScenarioCmd(t, "plan", "-o", "json", "--variant", "easy", exampleChained)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var tl scenarios.Timeline
	if err := json.Unmarshal([]byte(out), &tl); err != nil {
		t.Fatal(err)
	}
	if tl.Difficulty != scenarios.Easy || tl.Scheduled[0].Detail != "kubernetes/scale shop/Deployment/order-api" {
		t.Errorf("timeline = %+v", tl.Scheduled[0])
	}
}

func TestInjectsCmd_exportAndImport(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "injects.csv")
	if code, _, errOut := runScenarioCmd(t, "injects", "export", exampleLayered, "-o", csvPath); code != 0 {
		t.Fatalf("export exit %d: %s", code, errOut)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(scenarios.InjectCSVColumns, ",") || len(rows) != 6 {
		t.Fatalf("exported %d rows, header %v", len(rows), rows[0])
	}

	t.Run("prints the injects block", func(t *testing.T) {
		code, out, errOut := runScenarioCmd(t, "injects", "import", exampleLayered, "--csv", csvPath)
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if !strings.HasPrefix(out, "injects:\n  - id: cs-cannot-pay\n") {
			t.Errorf("block = %s", out)
		}
	})

	t.Run("writes the scenario with --write", func(t *testing.T) {
		scenario := filepath.Join(dir, "copy.yaml")
		data, err := os.ReadFile(exampleKorean)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(scenario, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sheet := filepath.Join(dir, "ko.csv")
		if err := os.WriteFile(sheet, []byte("time,persona,channel,text\n3m,cs,cs-inquiries,주문이 안 됩니다\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runScenarioCmd(t, "injects", "import", scenario, "--csv", sheet, "--write")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		s, err := scenarios.Load(scenario)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Injects) != 1 || s.Injects[0].Text != "주문이 안 됩니다" || s.Metadata.Language != "ko" {
			t.Errorf("injects = %+v", s.Injects)
		}
	})

	t.Run("names the CSV row of a bad reference", func(t *testing.T) {
		sheet := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(sheet, []byte("time,persona,channel,text\n3m,cs,cs-inquiries,ok\n4m,ceo,incident,hi\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runScenarioCmd(t, "injects", "import", exampleLayered, "--csv", sheet)
		if code != 1 || !strings.Contains(out, sheet+`: row 3: injects[1].persona: unknown persona "ceo"`) {
			t.Errorf("exit %d, out = %s", code, out)
		}
	})

	t.Run("names the row and column of a bad cell", func(t *testing.T) {
		sheet := filepath.Join(dir, "cell.csv")
		if err := os.WriteFile(sheet, []byte("time,persona,channel,text\nsoon,cs,cs-inquiries,ok\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runScenarioCmd(t, "injects", "import", exampleLayered, "--csv", sheet)
		if code != 1 || !strings.Contains(out, "row 2, column 1 (time): invalid duration \"soon\"") {
			t.Errorf("exit %d, out = %s", code, out)
		}
	})

	t.Run("requires --csv", func(t *testing.T) {
		if code, _, _ := runScenarioCmd(t, "injects", "import", exampleLayered); code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
	})
}
