package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeconfig writes a kubeconfig with one context, name, on a server that
// is never reached; current says whether it is the current context.
func kubeconfig(t *testing.T, name string, current bool) string {
	t.Helper()
	cur := ""
	if current {
		cur = name
	}
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: ` + name + `
  context: {cluster: c, user: u}
current-context: "` + cur + `"
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDoctorWithoutACluster(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		args     func(t *testing.T) []string
		wantCode int
		// want are lines (or parts of lines) of stdout.
		want []string
	}{
		{name: "no context configured: exit 1 saying where to set one",
			args: func(t *testing.T) []string {
				return []string{"doctor", "--kubeconfig", kubeconfig(t, "beta", false)}
			},
			wantCode: 1,
			want: []string{
				"firedrill doctor: context (none)",
				"✗ context",
				"no Kubernetes context is configured and the kubeconfig has no current context",
				"fix: set kubernetes.context in firedrill.yaml (or --context NAME) and list it in kubernetes.allowedContexts",
				"- targets",
				"NOT ready: fix the failures above",
			}},
		{name: "context not allowed: exit 1 with the allowedContexts fix",
			config: "kubernetes:\n  allowedContexts: [beta]\n",
			args: func(t *testing.T) []string {
				return []string{"doctor", "--kubeconfig", kubeconfig(t, "prod", true), "--context", "prod"}
			},
			wantCode: 1,
			want: []string{
				"firedrill doctor: context prod",
				"context prod is not in kubernetes.allowedContexts (beta): firedrill refuses to touch it",
				"fix: if prod is the beta cluster, add it in firedrill.yaml: kubernetes: {allowedContexts: [prod]}; otherwise pass --context with an allowed one",
			}},
		{name: "context allowed but the API server does not answer: exit 1 with the kubectl command",
			config: "kubernetes:\n  allowedContexts: [beta]\n",
			args: func(t *testing.T) []string {
				return []string{"doctor", "--kubeconfig", kubeconfig(t, "beta", true)}
			},
			wantCode: 1,
			want: []string{
				"✓ context",
				"beta is in kubernetes.allowedContexts",
				"✗ API server",
				"https://127.0.0.1:1 did not answer",
				"fix: check that the cluster is up and reachable from here: kubectl --context beta version",
			}},
		{name: "scenario that does not load: exit 1 pointing to validate",
			args: func(t *testing.T) []string {
				bad := filepath.Join(t.TempDir(), "bad.yaml")
				if err := os.WriteFile(bad, []byte("apiVersion: firedrill/v1\nkind: Scenario\nmetadata: {name: x}\nfaults: 3\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"doctor", "--kubeconfig", kubeconfig(t, "beta", false), bad}
			},
			wantCode: 1,
			want:     []string{"✗ scenario bad.yaml", "fix: see every error with: firedrill validate "}},
	}
	plugin := kubePlugin(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFiredrillWith(t, plugin, tt.config, tt.args(t)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// kubePlugin builds the Kubernetes plugin executable and returns the
// environment that names it: doctor asks the cluster through its helper,
// and a test binary has none beside it.
func kubePlugin(t *testing.T) map[string]string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "firedrill-injector-kubernetes")
	goBuild(t, "github.com/firedrill/firedrill/cmd/firedrill-injector-kubernetes", exe)
	return map[string]string{"FIREDRILL_PLUGIN_EXECUTABLE": exe}
}

func TestDoctorJSON(t *testing.T) {
	code, stdout, stderr := runFiredrillWith(t, kubePlugin(t), "", "doctor", "-o", "json", "--kubeconfig", kubeconfig(t, "beta", false))
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (no context)\n%s\n%s", code, stdout, stderr)
	}
	var r struct {
		Context string `json:"context"`
		Checks  []struct {
			Section, Name, Status, Detail, Fix string
		} `json:"checks"`
		Summary struct{ OK, Fail, Skip int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if r.Context != "" || r.Summary.Fail != 1 || len(r.Checks) == 0 || r.Checks[0].Section != "configuration" || r.Checks[0].Name != "context" || r.Checks[0].Status != "fail" || r.Checks[0].Fix == "" {
		t.Errorf("report = %+v, want one failure: the configuration's context, with a fix", r)
	}
	code, _, stderr = runFiredrill(t, "", "doctor", "-o", "yaml")
	if code != 2 || !strings.Contains(stderr, `--output "yaml" is not a format`) {
		t.Errorf("-o yaml: exit %d, stderr %q; want 2 and the reason", code, stderr)
	}
}

// TestDoctorPlugins runs doctor with a real plugin executable in
// plugins.dir, pinned right, pinned wrong and not pinned.
func TestDoctorPlugins(t *testing.T) {
	pluginDir := buildFlagfile(t)
	exe := filepath.Join(pluginDir, "firedrill-injector-flagfile")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	pin := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("ab", 32)
	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{name: "pinned and matching: ok with name, version and API",
			config: "plugins:\n  dir: " + pluginDir + "\n  checksums:\n    flagfile: " + pin + "\n",
			want:   []string{"✓ plugin flagfile", "flagfile 0.", "(API v1;", "pinned (sha256 " + pin[:12]}},
		{name: "pin mismatch: fails with the command to pin it again",
			config: "plugins:\n  dir: " + pluginDir + "\n  checksums:\n    flagfile: " + wrong + "\n",
			want:   []string{"✗ plugin flagfile", "does not match its pin in plugins.checksums: refused", "fix: if the new file is trusted, pin it again with the line printed by: firedrill plugins checksum " + exe}},
		{name: "not pinned: warns with the command to pin it",
			config: "plugins:\n  dir: " + pluginDir + "\n",
			want:   []string{"! plugin flagfile", "not pinned", "fix: pin it under plugins.checksums with the line printed by: firedrill plugins checksum " + exe}},
		{name: "pin of a plugin that is not there: warns",
			config: "plugins:\n  dir: " + pluginDir + "\n  checksums:\n    flagfile: " + pin + "\n    ghost: " + pin + "\n",
			want:   []string{"! pin ghost", "plugins.checksums pins ghost, but no plugin of that name is in plugins.dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stdout, stderr := runFiredrill(t, tt.config, "doctor", "--kubeconfig", kubeconfig(t, "beta", false))
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s\nstderr:\n%s", w, stdout, stderr)
				}
			}
		})
	}
}
