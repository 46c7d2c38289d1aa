package authoring_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// TestReadme_listsEveryParamOfTheBuiltinTypes keeps the params table of
// scenarios/README.md ("Params of each type") equal to the built-in
// catalog: a designer writing from the docs alone finds every param of
// every fault and probe type there.
func TestReadme_listsEveryParamOfTheBuiltinTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // "fault scale", "probe http-get" → params cell
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || !strings.Contains(line, "`") {
			continue
		}
		kind, names := "fault", strings.TrimSpace(cells[1])
		if rest, ok := strings.CutPrefix(names, "probe "); ok {
			kind, names = "probe", rest
		}
		for _, n := range strings.Split(names, ",") {
			rows[kind+" "+strings.Trim(strings.TrimSpace(n), "`")] = cells[2]
		}
	}
	info := kubernetes.Describe()
	check := func(kind string, types []injectors.TypeInfo) {
		for _, ty := range types {
			t.Run(kind+" "+ty.Name, func(t *testing.T) {
				row, ok := rows[kind+" "+ty.Name]
				if !ok {
					t.Fatalf("no row for %s %s in the params table of scenarios/README.md", kind, ty.Name)
				}
				var schema struct {
					Properties map[string]json.RawMessage `json:"properties"`
				}
				if err := json.Unmarshal(ty.ParamsSchema, &schema); err != nil {
					t.Fatal(err)
				}
				for p := range schema.Properties {
					if !strings.Contains(row, "`"+p+"`") {
						t.Errorf("param %s of %s %s is missing from its row: %s", p, kind, ty.Name, row)
					}
				}
			})
		}
	}
	check("fault", info.FaultTypes)
	check("probe", info.ProbeTypes)
}
