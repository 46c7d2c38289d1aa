package authoring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/authoring"
	"github.com/firedrill/firedrill/scenarios"
)

const (
	layered = "../../scenarios/examples/layered-payment-outage.yaml"
	chained = "../../scenarios/examples/chained-order-api.yaml"
	badFile = "../../scenarios/testdata/errors/bad-duration.yaml"
)

// refuser is a plugin that refuses the faults it is told to, the way the
// Kubernetes injector's dry run refuses a write.
type refuser map[string]error

func (r refuser) Validate(ctx context.Context, f control.FaultSpec) error { return r[f.FaultID] }

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		paths     []string
		dry       authoring.FaultValidator
		valid     bool
		wantText  []string
		wantFiles int
	}{
		{"valid files are ok with their scenario names", []string{layered, chained}, nil, true,
			[]string{layered + ": ok (layered-payment-outage)", chained + ": ok (chained-order-api)"}, 2},
		{"an invalid file lists its positioned errors and their count", []string{layered, badFile}, nil, false,
			[]string{layered + ": ok", "bad-duration.yaml:", badFile + ": "}, 2},
		{"a missing file is one error for the whole file", []string{"nowhere.yaml"}, nil, false,
			[]string{"nowhere.yaml: 1 error\n"}, 1},
		{"a fault refused by its plugin fails the dry run at every difficulty", []string{chained},
			refuser{"order-api-down": injectors.Errorf(injectors.EINVALID, "namespace is not opted in")}, false,
			[]string{`is refused by`, "namespace is not opted in (difficulty hard)", "(difficulty easy)"}, 1},
		{"a fault that cannot be checked says so", []string{layered},
			refuser{"worker-isolated": errors.New("connection refused")}, false,
			[]string{"could not be checked", "connection refused"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := authoring.Validate(context.Background(), tc.paths, tc.dry)
			if rep.Valid != tc.valid || len(rep.Files) != tc.wantFiles {
				t.Fatalf("valid %v with %d files, expected %v with %d", rep.Valid, len(rep.Files), tc.valid, tc.wantFiles)
			}
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, text.String())
				}
			}
			var js bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var back authoring.Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Valid != tc.valid || len(back.Files) != len(rep.Files) {
				t.Fatalf("JSON %s: %v", js.String(), err)
			}
		})
	}
}

func TestCheckVariant(t *testing.T) {
	withVariants, err := scenarios.Load(chained)
	if err != nil {
		t.Fatal(err)
	}
	without, err := scenarios.Load(layered)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		s       *scenarios.Scenario
		variant scenarios.Difficulty
		wantErr string
	}{
		{"no variant asked is fine", without, "", ""},
		{"a variant of the scenario is fine", withVariants, scenarios.Hard, ""},
		{"another variant names the levels and the scenario's", withVariants, "brutal", "expected one of: hard, medium, easy; this scenario has variants for hard, medium, easy"},
		{"a level without variants is played as written", without, scenarios.Easy, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := authoring.CheckVariant(tc.s, tc.variant)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, expected %q", err, tc.wantErr)
			}
		})
	}
}

func TestImportInjects(t *testing.T) {
	dir := t.TempDir()
	sheet := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := sheet("good.csv", "time,persona,channel,text\n3m,cs,cs-inquiries,customers cannot pay\n")
	badRef := sheet("ref.csv", "time,persona,channel,text\n3m,cs,cs-inquiries,ok\n4m,ceo,incident,hi\n")
	badCell := sheet("cell.csv", "time,persona,channel,text\nsoon,cs,cs-inquiries,ok\n")

	t.Run("a good sheet replaces the injects and writes back", func(t *testing.T) {
		data, err := os.ReadFile(layered)
		if err != nil {
			t.Fatal(err)
		}
		copyPath := filepath.Join(dir, "copy.yaml")
		if err := os.WriteFile(copyPath, data, 0o640); err != nil {
			t.Fatal(err)
		}
		im, err := authoring.ImportInjects(copyPath, good)
		if err != nil || len(im.Problems) > 0 {
			t.Fatalf("import: %v %v", err, im)
		}
		block, err := im.Block()
		if err != nil || !strings.Contains(string(block), "customers cannot pay") {
			t.Fatalf("block %s: %v", block, err)
		}
		if err := im.Write(); err != nil {
			t.Fatal(err)
		}
		s, err := scenarios.Load(copyPath)
		if err != nil || len(s.Injects) != 1 || s.Injects[0].Text != "customers cannot pay" {
			t.Fatalf("written scenario: %v, %v", s, err)
		}
		if fi, _ := os.Stat(copyPath); fi.Mode().Perm() != 0o640 {
			t.Fatalf("mode %v, expected the file's own 0640", fi.Mode().Perm())
		}
	})
	t.Run("a bad reference names the sheet's row", func(t *testing.T) {
		im, err := authoring.ImportInjects(layered, badRef)
		if err != nil || len(im.Problems) != 1 || im.Problems[0] != badRef+`: row 3: injects[1].persona: unknown persona "ceo", expected one of: committee, cs, cto, monitor` {
			t.Fatalf("problems %q, %v", im.Problems, err)
		}
	})
	t.Run("a bad cell names its row and column", func(t *testing.T) {
		im, err := authoring.ImportInjects(layered, badCell)
		if err != nil || len(im.Problems) != 1 || !strings.Contains(im.Problems[0], `row 2, column 1 (time): invalid duration "soon"`) {
			t.Fatalf("problems %q, %v", im.Problems, err)
		}
	})
	t.Run("a missing sheet is an error", func(t *testing.T) {
		if _, err := authoring.ImportInjects(layered, filepath.Join(dir, "none.csv")); err == nil {
			t.Fatal("no error")
		}
	})
}
