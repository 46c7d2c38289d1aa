package demo_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/scenarios"
)

// The admin token survives restarts of the demo in the same directory; a
// configured one wins; a short one is never used.
func TestAdminToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, demo.ConfigFile)
	first, err := demo.AdminToken(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Fatalf("new token %q, expected 32 hex characters", first)
	}
	if err := demo.WriteConfig(cfg, demo.Config{AdminToken: first}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		configured string
		want       string
	}{
		{"the token of the last run is kept", "", first},
		{"a configured token wins", "a-configured-token-1234", "a-configured-token-1234"},
		{"a configured token too short is not used", "short", first},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := demo.AdminToken(cfg, tc.configured); err != nil || got != tc.want {
				t.Fatalf("token %q, %v; expected %q", got, err, tc.want)
			}
		})
	}
}

// The written configuration is the one serve loads: the cluster's context
// allowed, the example scenarios first, drills aborted at restart.
func TestWriteConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), demo.ConfigFile)
	err := demo.WriteConfig(path, demo.Config{
		DataDir: "/data", Listen: "127.0.0.1:9", AdminToken: "0123456789abcdef", Kubeconfig: "/kc",
		ServiceURLs: map[string]string{"shop/web": "http://127.0.0.1:1"}, ScenarioDirs: []string{"/examples", "/mine"},
		LogLevel: "info", LogFormat: "text", Plugins: demo.Plugins{Dir: "/plugins", CallTimeout: 30 * time.Second}, TimeScale: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# Written by `firedrill demo`") {
		t.Fatalf("no header:\n%s", b)
	}
	var doc struct {
		Kubernetes struct {
			Context         string   `yaml:"context"`
			AllowedContexts []string `yaml:"allowedContexts"`
		} `yaml:"kubernetes"`
		Plugins struct {
			CallTimeout string `yaml:"callTimeout"`
		} `yaml:"plugins"`
		Drill struct {
			OnRestart string  `yaml:"onRestart"`
			TimeScale float64 `yaml:"timeScale"`
		} `yaml:"drill"`
		Scenarios struct {
			Dirs []string `yaml:"dirs"`
		} `yaml:"scenarios"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Kubernetes.Context != devcluster.ContextName || strings.Join(doc.Kubernetes.AllowedContexts, ",") != devcluster.ContextName ||
		doc.Plugins.CallTimeout != "30s" || doc.Drill.OnRestart != "abort" || doc.Drill.TimeScale != 10 ||
		strings.Join(doc.Scenarios.Dirs, ",") != "/examples,/mine" {
		t.Fatalf("config:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, %v; it holds the admin token", fi.Mode(), err)
	}
}

// Outside a checkout the embedded example scenarios are written out, and
// they load.
func TestScenarioDir_writesTheEmbeddedExamplesOutsideACheckout(t *testing.T) {
	t.Chdir(t.TempDir())
	data := t.TempDir()
	dir, err := demo.ScenarioDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(data, "scenarios") {
		t.Fatalf("scenario dir %s, expected one in the data directory", dir)
	}
	if _, err := scenarios.Load(filepath.Join(dir, "layered-payment-outage.yaml")); err != nil {
		t.Fatalf("the demo's scenario does not load: %v", err)
	}
}

// A busy default port is replaced by a free one, and the person is told;
// a port asked for explicitly is not.
func TestListen(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	t.Run("a busy default port falls back to a free one", func(t *testing.T) {
		var out bytes.Buffer
		ln, err := demo.Listen(addr, false, &out)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if ln.Addr().String() == addr || !strings.Contains(out.String(), addr+" is taken") {
			t.Fatalf("listening on %s, said %q", ln.Addr(), out.String())
		}
	})
	t.Run("a busy explicit port is an error", func(t *testing.T) {
		if ln, err := demo.Listen(addr, true, &bytes.Buffer{}); err == nil {
			ln.Close()
			t.Fatal("no error")
		}
	})
}

// The ready message names the console, the token, every join link and the
// drill clock's speed.
func TestPrintReady(t *testing.T) {
	var out bytes.Buffer
	demo.PrintReady(&out, demo.State{
		URL: "http://127.0.0.1:8080", AdminToken: "tok", DrillID: "d1", ConsoleURL: "http://127.0.0.1:8080/console/drills/d1",
		JoinLinks: []demo.JoinLink{{Name: "Alex", Role: "participant", URL: "http://127.0.0.1:8080/join/x"}},
		Namespace: "shop", Kubeconfig: "/kc", TimeScale: 10, StartedAfter: "3s", Config: "/data/demo/firedrill.yaml",
	})
	for _, want := range []string{"http://127.0.0.1:8080/login", "tok", "/console/drills/d1", "Alex", "/join/x", "export KUBECONFIG=/kc", "10× (a 90-minute drill takes 9m0s)", "kubectl is not on PATH",
		"also in /data/demo/demo.json (kept while the demo runs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ready message lacks %q:\n%s", want, out.String())
		}
	}
}
