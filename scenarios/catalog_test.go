package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// mapCatalog is a catalog from fixed schemas, standing in for the plugin
// host in this unit test of the loader's logic.
type mapCatalog struct {
	faults, probes map[string]string
	err            error
}

func (c mapCatalog) FaultType(plugin, typ string) ([]byte, bool, error) {
	s, ok := c.faults[plugin+"/"+typ]
	return []byte(s), ok, c.err
}

func (c mapCatalog) ProbeType(plugin, typ string) ([]byte, bool, error) {
	s, ok := c.probes[plugin+"/"+typ]
	return []byte(s), ok, c.err
}

var testCatalog = mapCatalog{
	faults: map[string]string{
		"kubernetes/configmap-key": `{"type":"object","required":["key","value"],"additionalProperties":false,
			"properties":{"key":{"type":"string"},"value":{"type":"string"},"restart":{"type":"string"}}}`,
		"kubernetes/scale": `{"type":"object","properties":{"replicas":{"type":"integer","minimum":0}}}`,
	},
	probes: map[string]string{"kubernetes/deployment-available": `{"type":"object","additionalProperties":false}`},
}

func TestWithCatalog(t *testing.T) {
	base := string(mustRead(t, "testdata/valid-minimal.yaml"))
	tests := []struct {
		name    string
		old     string
		new     string
		catalog scenarios.Catalog
		want    []string
	}{
		{"accepts known types with valid params", "", "", testCatalog, nil},
		{"rejects an unknown fault type", "injector: kubernetes/scale", "injector: kubernetes/scael", testCatalog,
			[]string{`m.yaml:29:15: faults[1].injector: unknown fault type kubernetes/scael, expected a type offered by the "kubernetes" plugin`}},
		{"rejects an unknown probe type", "      probes:\n        - probe: kubernetes/deployment-available", "      probes:\n        - probe: kubernetes/deployment-avail", testCatalog,
			[]string{`faults[1].resolvedWhen.probes[0].probe: unknown probe type kubernetes/deployment-avail`}},
		{"locates a params error at the param", "params: {key: DB_HOST, value: nowhere}", "params: {key: DB_HOST, value: 5, colour: red}", testCatalog,
			[]string{`m.yaml:23:46: faults[0].params.colour: unknown param "colour", expected one of: key, restart, value`, "m.yaml:23:35: faults[0].params.value: value is a number, expected a string (put it in quotes)"}},
		{"validates variant params merged over the fault's", "params: {key: DB_HOST, value: nowhere}", "params: {key: DB_HOST, value: nowhere}\n    variants:\n      hard:\n        params: {value: 7}", testCatalog,
			[]string{"faults[0].variants.hard.params.value: value is a number, expected a string (put it in quotes)"}},
		{"reports a catalog failure", "", "", mapCatalog{err: errors.New("plugin host down")}, []string{"cannot look up fault type kubernetes/configmap-key: plugin host down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := base
			if tt.old != "" {
				if !strings.Contains(doc, tt.old) {
					t.Fatalf("test case does not apply: %q", tt.old)
				}
				doc = strings.Replace(doc, tt.old, tt.new, 1)
			}
			_, err := scenarios.Parse("m.yaml", []byte(doc), scenarios.WithCatalog(tt.catalog))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// dirCatalog serves the params schemas of the built-in kubernetes plugin
// from its source tree, so that the examples are checked against the real
// schemas without starting the plugin.
type dirCatalog struct {
	dir            string
	faults, probes map[string]bool
}

func (c dirCatalog) lookup(known map[string]bool, plugin, typ string) ([]byte, bool, error) {
	if plugin != "kubernetes" || !known[typ] {
		return nil, false, nil
	}
	b, err := os.ReadFile(filepath.Join(c.dir, typ+".json"))
	return b, err == nil, err
}

func (c dirCatalog) FaultType(plugin, typ string) ([]byte, bool, error) {
	return c.lookup(c.faults, plugin, typ)
}

func (c dirCatalog) ProbeType(plugin, typ string) ([]byte, bool, error) {
	return c.lookup(c.probes, plugin, typ)
}

func TestExamples_matchTheKubernetesPluginSchemas(t *testing.T) {
	set := func(names string) map[string]bool {
		m := map[string]bool{}
		for _, n := range strings.Fields(names) {
			m[n] = true
		}
		return m
	}
	cat := dirCatalog{
		dir:    "../injectors/kubernetes/catalog/schemas",
		faults: set("pod-delete scale bad-image configmap-key secret-key env-var service-selector network-isolate resource-squeeze node-cordon hpa-bounds cronjob-suspend traffic-surge pod-slow"),
		probes: set("deployment-available pod-status endpoints http-get"),
	}
	files, _ := filepath.Glob("examples/*.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := scenarios.Load(f, scenarios.WithCatalog(cat)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Params whose mapping could not be read (here a duplicate key) are
// reported once, at the problem: not also as "missing required param" for
// what the unread mapping held.
func TestCatalog_unreadParamsAreNotAlsoCheckedAgainstTheSchema(t *testing.T) {
	doc := strings.Replace(string(mustRead(t, "testdata/valid-minimal.yaml")),
		"    params: {key: DB_HOST, value: nowhere}\n",
		"    params: {key: DB_HOST, value: nowhere, value: again}\n    variants:\n      hard: {params: {value: elsewhere}}\n", 1)
	_, err := scenarios.Parse("m.yaml", []byte(doc), scenarios.WithCatalog(testCatalog))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Error(), `faults[0].params.value: duplicate key "value"`) {
		t.Fatalf("got %v, want only the duplicate key", err)
	}
}
