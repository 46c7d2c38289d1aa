package kubernetes_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// TestExampleScenariosUseValidParams checks the params of every kubernetes
// fault and probe in scenarios/examples against the schemas Info publishes,
// so that the catalog and the examples designers copy never disagree.
func TestExampleScenariosUseValidParams(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example scenarios found")
	}
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		walk(doc, func(m map[string]any) {
			for _, key := range []string{"injector", "probe"} {
				ref, ok := m[key].(string)
				if !ok || !strings.HasPrefix(ref, "kubernetes/") {
					continue
				}
				typ := strings.TrimPrefix(ref, "kubernetes/")
				params, _ := m["params"].(map[string]any)
				if params == nil {
					params = map[string]any{}
				}
				raw, err := json.Marshal(params)
				if err != nil {
					t.Fatal(err)
				}
				if err := kubernetes.ValidateParams(typ, raw); err != nil {
					t.Errorf("%s: %s %s: %v", filepath.Base(file), key, ref, err)
				}
				checked++
			}
		})
	}
	if checked == 0 {
		t.Error("the examples use no kubernetes faults or probes")
	}
}

// walk calls fn on every mapping in v.
func walk(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, c := range x {
			walk(c, fn)
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}
