package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// pool holds param values of every JSON type, at and around the bounds and
// patterns the schemas use.
var pool = []any{
	"x", "", "a b", "/healthz", "healthz", "http://x", "https://x/y", "ftp://x", "50m", "0.5", "1.5.2", "64Mi", "1Gi", "64MB",
	"FOO_BAR", "foo-bar", "9LIVES", "app", "nginx:1.27", "Running", "Pending", "ingress", "egress", "both",
	0, 1, -1, 2, 3, 99, 100, 101, 599, 600, 1.5, 0.5, 1.0, 1e9,
	true, false, nil, map[string]any{}, map[string]any{"app": "web"}, map[string]any{"app": 1}, []any{}, []any{"a"},
}

// TestParamSchema_agreesWithJSONSchema checks the plugin's own params check
// against a full JSON Schema implementation (the one firedrill's scenario
// validator uses) on every schema in schemas/: every property with every
// value of the pool, every pair of properties with a few values each, and
// the empty object. They must accept and refuse the same params, and the
// plugin must name the offending field.
func TestParamSchema_agreesWithJSONSchema(t *testing.T) {
	files, err := filepath.Glob("catalog/schemas/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("schemas: %v %v", files, err)
	}
	for _, file := range files {
		typ := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(typ, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			full := compileFull(t, file, doc)
			var props struct {
				Properties map[string]struct{ Examples []any } `json:"properties"`
			}
			if err := json.Unmarshal(doc, &props); err != nil {
				t.Fatal(err)
			}
			names := make([]string, 0, len(props.Properties))
			values := append([]any{}, pool...)
			for n, p := range props.Properties {
				names = append(names, n)
				values = append(values, p.Examples...)
			}
			sort.Strings(names)
			cases := []map[string]any{{}, {"unknown": "x"}}
			for _, n := range names {
				for _, v := range values {
					cases = append(cases, map[string]any{n: v})
				}
			}
			few := []any{"x", "/healthz", "50m", "64Mi", 1, 0, 100, true, map[string]any{"app": "web"}}
			for i, a := range names {
				for _, b := range names[i+1:] {
					for _, va := range few {
						for _, vb := range few {
							cases = append(cases, map[string]any{a: va, b: vb})
						}
					}
				}
			}
			accepted := 0
			for _, c := range cases {
				raw, err := json.Marshal(c)
				if err != nil {
					t.Fatal(err)
				}
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				wantOK := full.Validate(inst) == nil
				err = kubernetes.ValidateParams(typ, raw)
				if (err == nil) != wantOK {
					t.Errorf("params %s: plugin says %v, JSON Schema says valid=%v", raw, err, wantOK)
					continue
				}
				if err != nil && !strings.Contains(err.Error(), "params of "+typ+": at /") {
					t.Errorf("params %s: %q does not say where", raw, err)
				}
				if wantOK {
					accepted++
				}
			}
			if accepted == 0 || accepted == len(cases) {
				t.Errorf("%d of %d cases accepted: the cases do not exercise the schema", accepted, len(cases))
			}
		})
	}
}

func compileFull(t *testing.T, file string, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	url := "mem://" + filepath.Base(file)
	if err := c.AddResource(url, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParamSchema_saysWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, typ, params, want string
	}{
		{"a wrong type names the field and both types", "scale", `{"replicas":"three"}`, `at /replicas: got string, want integer`},
		{"a missing property is named", "configmap-key", `{}`, `at /: missing property "key"`},
		{"an unknown property is named", "scale", `{"replicas":1,"nope":2}`, `at /: property "nope" is not allowed`},
		{"a number under its minimum", "scale", `{"replicas":-1}`, `at /replicas: -1 is less than the minimum 0`},
		{"a string off its pattern", "http-get", `{"path":"healthz"}`, `at /path: "healthz" does not match ^/`},
		{"two properties that exclude each other", "http-get", `{"url":"http://x","path":"/y"}`, `url, path must not all be given together`},
		{"none of the alternatives", "resource-squeeze", `{"container":"web"}`, `matches none of the alternatives`},
		{"not JSON", "scale", `{`, `params: not JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kubernetes.ValidateParams(tt.typ, json.RawMessage(tt.params))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}
