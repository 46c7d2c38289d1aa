package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill"
)

// runFiredrill runs the real firedrill program in-process with a config file and
// returns its exit code, stdout and stderr.
func runFiredrill(t *testing.T, config string, args ...string) (int, string, string) {
	t.Helper()
	return runFiredrillWith(t, nil, config, args...)
}

// runFiredrillWith is runFiredrill with more environment variables.
func runFiredrillWith(t *testing.T, more map[string]string, config string, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir}
	for k, v := range more {
		env[k] = v
	}
	if config != "" {
		path := filepath.Join(dir, "firedrill.yaml")
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		env["FIREDRILL_CONFIG"] = path
	}
	var stdout, stderr bytes.Buffer
	m := main.NewMain()
	m.Stdin = strings.NewReader("")
	m.Stdout, m.Stderr = &stdout, &stderr
	m.Getenv = func(k string) string { return env[k] }
	code := m.Run(context.Background(), args)
	if err := m.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return code, stdout.String(), stderr.String()
}

// TestPluginCommands builds the example plugin once as a real executable and
// runs the plugin commands against it.
func TestPluginCommands(t *testing.T) {
	pluginDir := buildFlagfile(t)
	exe := filepath.Join(pluginDir, "firedrill-injector-flagfile")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	pin := hex.EncodeToString(sum[:])
	config := func(pin string) string {
		return "plugins:\n  dir: " + pluginDir + "\n  checksums:\n    flagfile: " + pin + "\n"
	}

	t.Run("list shows a pinned plugin and its types", func(t *testing.T) {
		code, out, errOut := runFiredrill(t, config(pin), "plugins", "list")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		row := regexp.MustCompile(`(?m)^flagfile\s+0\.1\.0\s+v1\s+pinned\s+set-flag\s+flag-equals\s+` + regexp.QuoteMeta(exe) + `$`)
		if !row.MatchString(out) {
			t.Fatalf("no flagfile row in:\n%s", out)
		}
	})

	t.Run("list as json carries the checksum", func(t *testing.T) {
		code, out, errOut := runFiredrill(t, config(pin), "plugins", "list", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		var list []struct {
			Name, Pin, Checksum string
			FaultTypes          []string
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(list) != 1 || list[0].Name != "flagfile" || list[0].Pin != "pinned" || list[0].Checksum != pin || list[0].FaultTypes[0] != "set-flag" {
			t.Fatalf("list: %+v", list)
		}
	})

	t.Run("list refuses a mismatched pin and exits 1", func(t *testing.T) {
		wrong := strings.Repeat("ab", 32)
		code, out, _ := runFiredrill(t, config(wrong), "plugins", "list")
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		want := "flagfile: refused: plugin flagfile refused: " + exe + " has SHA-256 " + pin + " but plugins.checksums.flagfile pins " + wrong
		if !strings.Contains(out, want) || !regexp.MustCompile(`(?m)^flagfile\s+-\s+-\s+mismatch\s`).MatchString(out) {
			t.Fatalf("output:\n%s\nwant a mismatch row and %q", out, want)
		}
	})

	t.Run("checksum prints the pin line", func(t *testing.T) {
		code, out, errOut := runFiredrill(t, "", "plugins", "checksum", exe)
		if code != 0 || out != "flagfile: "+pin+"\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("validate checks params against the plugin", func(t *testing.T) {
		scenario := filepath.Join(t.TempDir(), "flag-drill.yaml")
		if err := os.WriteFile(scenario, []byte(pluginFlagScenario), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runFiredrill(t, config(pin), "validate", "--plugins", scenario)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
		}
		for _, want := range []string{
			scenario + ":19:", // the missing value is reported at the fault's params
			`missing required param "value"`,
			"unknown probe type flagfile/flag-is",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("validate output lacks %q:\n%s", want, out)
			}
		}
	})
}

// pluginFlagScenario plants a feature-flag change; its params lack the value and
// its probe names a type the plugin does not have.
const pluginFlagScenario = `apiVersion: firedrill/v1
kind: Scenario
metadata:
  name: flag-drill
  title: Checkout flag flipped
timeLimit: 90m
personas:
  - id: cs
    name: Customer Center
    kind: customer-center
channels:
  - id: incident
    incident: true
faults:
  - id: checkout-flag
    title: Checkout v2 flag flipped
    injector: flagfile/set-flag
    target: {}
    params: {file: /srv/beta/flags.json, key: checkout.v2}
    at: 0m
    resolvedWhen:
      probes:
        - probe: flagfile/flag-is
          params: {file: /srv/beta/flags.json, key: checkout.v2, value: false}
`

func TestPluginsChecksum_RefusesFileNotNamedLikeAPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flagfile")
	if err := os.WriteFile(path, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runFiredrill(t, "", "plugins", "checksum", path)
	if code != 1 || !strings.Contains(errOut, path+": not a plugin file name, expected firedrill-injector-<name>") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestBuiltinKubernetesPlugin_IsLaunchedFromBesideFiredrill builds firedrill
// and its plugins as `make build` does and runs the real binary: the host
// launches the Kubernetes plugin from firedrill's own directory, or from the
// path FIREDRILL_PLUGIN_EXECUTABLE names; without the plugin executable,
// firedrill says where it looked and how to get it.
func TestBuiltinKubernetesPlugin_IsLaunchedFromBesideFiredrill(t *testing.T) {
	exe := buildFiredrill(t)
	plugin := filepath.Join(filepath.Dir(exe), "firedrill-injector-kubernetes")
	dir := t.TempDir()
	// An empty kubeconfig: Info works without a cluster, calls are refused.
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// lonely is firedrill copied alone into a directory of its own.
	lonely := filepath.Join(t.TempDir(), "firedrill")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lonely, b, 0o755); err != nil {
		t.Fatal(err)
	}
	list := func(t *testing.T, bin string, env ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, "plugins", "list", "-o", "json", "--kubeconfig", kubeconfig)
		cmd.Env = append(os.Environ(), append([]string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir}, env...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}
	listsKubernetesFrom := func(t *testing.T, path string, code int, stdout, stderr string) {
		t.Helper()
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		var l []struct {
			Name, Pin, Path string
			APIVersions     []string
			FaultTypes      []string
		}
		if err := json.Unmarshal([]byte(stdout), &l); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if len(l) != 1 || l[0].Name != "kubernetes" || l[0].Pin != "builtin" || l[0].Path != path ||
			len(l[0].APIVersions) == 0 || len(l[0].FaultTypes) < 12 {
			t.Fatalf("list: %+v", l)
		}
	}

	t.Run("found beside firedrill", func(t *testing.T) {
		code, stdout, stderr := list(t, exe)
		listsKubernetesFrom(t, plugin, code, stdout, stderr)
	})
	t.Run("found where FIREDRILL_PLUGIN_EXECUTABLE says", func(t *testing.T) {
		code, stdout, stderr := list(t, lonely, "FIREDRILL_PLUGIN_EXECUTABLE="+plugin)
		listsKubernetesFrom(t, plugin, code, stdout, stderr)
	})
	t.Run("missing says where it looked and how to get it", func(t *testing.T) {
		code, _, stderr := list(t, lonely)
		want := filepath.Join(filepath.Dir(lonely), "firedrill-injector-kubernetes")
		if code == 0 || !strings.Contains(stderr, "built-in plugin kubernetes: no executable "+want) ||
			!strings.Contains(stderr, "make build") || !strings.Contains(stderr, "FIREDRILL_PLUGIN_EXECUTABLE") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("a wrong FIREDRILL_PLUGIN_EXECUTABLE is named", func(t *testing.T) {
		code, _, stderr := list(t, exe, "FIREDRILL_PLUGIN_EXECUTABLE=/nowhere/plugin")
		if code == 0 || !strings.Contains(stderr, "FIREDRILL_PLUGIN_EXECUTABLE names /nowhere/plugin") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}
