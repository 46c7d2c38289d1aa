package demo_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
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
// every one of them loads from the directories the demo serves, the
// incidents/ examples included; in a checkout the checkout's directories
// are served as they are.
func TestScenarioDirs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(wd, "..", "..")
	want, err := filepath.Glob(filepath.Join(checkout, "scenarios", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	top, _ := filepath.Glob(filepath.Join(checkout, "scenarios", "examples", "*.yaml"))
	want = append(want, top...)
	for _, tc := range []struct {
		name, chdir string
		inData      bool
	}{
		{"outside a checkout the embedded examples are written to the data directory", t.TempDir(), true},
		{"in a checkout its own examples are served", checkout, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(tc.chdir)
			data := t.TempDir()
			dirs, err := demo.ScenarioDirs(data)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, d := range dirs {
				if strings.HasPrefix(d, data) != tc.inData {
					t.Errorf("scenario dir %s: in the data directory %s is %t, want %t", d, data, !tc.inData, tc.inData)
				}
				got, _ := filepath.Glob(filepath.Join(d, "*.yaml"))
				for _, f := range got {
					if _, err := scenarios.Load(f); err != nil {
						t.Errorf("%s does not load: %v", f, err)
					}
					files = append(files, filepath.Base(f))
				}
			}
			if len(files) != len(want) || len(files) < 6 {
				t.Fatalf("the demo serves %d example files %v; the checkout has %d", len(files), files, len(want))
			}
			if !slices.Contains(files, "traffic-surge-leak-cascade.yaml") || !slices.Contains(files, "layered-payment-outage.yaml") {
				t.Errorf("the demo's examples %v lack an incident or the layered example", files)
			}
		})
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
