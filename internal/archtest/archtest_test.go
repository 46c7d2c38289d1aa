package archtest_test

import (
	"strings"
	"sync"
	"testing"

	. "github.com/firedrill/firedrill/internal/archtest"
)

// The lines of the house, as docs/architecture.md draws them. They hold for
// production code: test files may cross them (a ui test may start the local
// cluster through clustertest, which uses client-go), since tests are linked
// into neither the binary nor a plugin.
var (
	// contract is the plugin contract: the error type and the fault,
	// target, probe and status types a plugin and the engine share.
	contract = Exactly("injectors")
	// core is the engine and what folds its journal.
	core = Any(Exactly("control"), Exactly("control/record"), Exactly("control/retro"))
	// transport is how plugins are spoken to: gRPC, go-plugin, the
	// generated protocol and the packages built on them.
	transport = Any(Within("google.golang.org/grpc"), Within("github.com/hashicorp/go-plugin"),
		Under("injectors/proto"), Under("injectors/grpcplugin"), Under("injectors/sdk"), Under("injectors/host"))
	clientGo = Within("k8s.io/client-go")
	// clusterAdapters may use client-go: the Kubernetes injector, the local
	// cluster and its test helpers, and the sample shop. firedrill's own
	// state in the cluster (internal/ha) speaks JSON over internal/kubeconn.
	clusterAdapters = Any(Under("injectors/kubernetes"), Under("internal/kubeclient"), Under("internal/devcluster"), Under("internal/shop"))
	examplePlugin   = Under("injectors/examples")
	pgx             = Within("github.com/jackc/pgx")
	// pgAdapters may use pgx: the PostgreSQL stores and their helpers.
	pgAdapters = Any(Under("control/postgres"), Under("ui/postgres"), Under("internal/pgdb"), Under("internal/pgtest"))
)

// rules are the lines; each subtest is named after the outcome it keeps.
var rules = []struct {
	name string
	rule Rule
}{
	{"scenarios import nothing else of ours", Rule{
		From:      Under("scenarios"),
		Forbidden: All(Ours, Not(Under("scenarios"))),
	}},
	{"the core imports no ui, client-go or plugin transport", Rule{
		From:      core,
		Forbidden: Any(Under("ui"), clientGo, transport),
	}},
	{"the core imports no database driver", Rule{
		From:      core,
		Forbidden: Any(pgx, Within("modernc.org/sqlite")),
	}},
	{"pgx is used only by the PostgreSQL adapters", Rule{
		From:      Not(pgAdapters),
		Forbidden: pgx,
		// Wiring an adapter in is not using pgx.
		Through: Not(pgAdapters),
	}},
	{"the plugin contract imports nothing else of ours and no transport", Rule{
		From:      contract,
		Forbidden: Any(All(Ours, Not(contract)), transport, clientGo),
	}},
	{"ui never imports the Kubernetes injector", Rule{
		From:      Under("ui"),
		Forbidden: Under("injectors/kubernetes"),
	}},
	{"client-go is used only by the cluster adapters", Rule{
		From:      Not(clusterAdapters),
		Forbidden: clientGo,
		// Wiring an adapter in is not using client-go.
		Through: Not(clusterAdapters),
	}},
	{"the firedrill binary links neither the local cluster nor the sample shop (firedrill-dev runs them)", Rule{
		From:      Exactly("cmd/firedrill"),
		Forbidden: Any(Under("internal/devcluster"), Under("internal/shop"), Under("internal/demo/democluster")),
	}},
	{"the firedrill binary links neither k8s.io/api, apimachinery nor client-go: it asks the cluster through the plugin executable's helper, and ha over kubeconn (its memory, issue 13)", Rule{
		From: Exactly("cmd/firedrill"),
		Forbidden: Any(Within("k8s.io/api"), Within("k8s.io/apimachinery"), clientGo,
			Exactly("injectors/kubernetes"), Under("internal/kubeclient")),
	}},
	{"the Kubernetes plugin links no typed clientset, discovery, OpenAPI or JSON Schema library (its memory, issue 13)", Rule{
		From: Exactly("cmd/firedrill-injector-kubernetes"),
		Forbidden: Any(Within("k8s.io/client-go/kubernetes"), Within("k8s.io/client-go/gentype"), Within("k8s.io/client-go/discovery"),
			Within("k8s.io/kube-openapi"), Within("github.com/santhosh-tekuri/jsonschema"), Within("golang.org/x/text/message")),
	}},
	{"the API client and the wire types do not import the server", Rule{
		From:      Any(Under("ui/client"), Under("ui/wire")),
		Forbidden: Exactly("ui"),
	}},
	{"the example plugin depends on neither control nor scenarios", Rule{
		From:      examplePlugin,
		Forbidden: Any(Under("control"), Under("scenarios")),
	}},
}

func TestArchitecture(t *testing.T) {
	g := loadGraph(t)
	for _, tc := range rules {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := g.Check(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				t.Errorf("forbidden import chain: %s", v)
			}
		})
	}
}

// The checker itself, on a small graph: it names the shortest offending
// chain, does not look into the packages Through excludes, and refuses a
// rule that selects nothing.
func TestCheck(t *testing.T) {
	m := Module + "/"
	g := Graph{
		m + "cmd":     {m + "adapter", m + "core", "fmt"},
		m + "core":    {m + "util", "fmt"},
		m + "util":    {m + "leaf", "bad/pkg/sub"},
		m + "leaf":    {"fmt"},
		m + "adapter": {"bad/pkg"},
		"bad/pkg":     nil,
		"bad/pkg/sub": nil,
		"fmt":         nil,
	}
	bad := Within("bad/pkg")
	tests := []struct {
		name    string
		rule    Rule
		want    []string
		wantErr string
	}{
		{"a transitive import is reported with its shortest chain",
			Rule{From: Exactly("core"), Forbidden: bad},
			[]string{"core → util → bad/pkg/sub"}, ""},
		{"every selected package is checked",
			Rule{From: Any(Exactly("cmd"), Exactly("core"), Exactly("leaf")), Forbidden: bad},
			[]string{"cmd → adapter → bad/pkg", "core → util → bad/pkg/sub"}, ""},
		{"packages outside Through are not looked into",
			Rule{From: Exactly("cmd"), Forbidden: Within("bad/pkg/sub"), Through: Not(Exactly("core"))},
			nil, ""},
		{"a clean package passes",
			Rule{From: Exactly("leaf"), Forbidden: bad},
			nil, ""},
		{"a rule about no package is refused",
			Rule{From: Exactly("nowhere"), Forbidden: bad},
			nil, "selects no package"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := g.Check(tc.rule)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, expected one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, strings.ReplaceAll(v.String(), m, ""))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("violations:\n%s\nexpected:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

var (
	graphOnce sync.Once
	graph     Graph
	graphErr  error
)

func loadGraph(t *testing.T) Graph {
	t.Helper()
	graphOnce.Do(func() { graph, graphErr = Load(".") })
	if graphErr != nil {
		t.Fatal(graphErr)
	}
	return graph
}
