package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/pgtest"
	"github.com/firedrill/firedrill/internal/testbin"
)

// pg is the PostgreSQL server the replicas of the failover test share,
// started by the first test that needs it.
var pg pgtest.Lazy

// The binary under test (with its built-in plugins beside it), built once
// by TestMain.
var (
	binary   string
	repoRoot string
	buildErr error
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "firedrill-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	repoRoot, buildErr = testbin.ModuleRoot()
	if buildErr == nil {
		binary, buildErr = testbin.Build(tmp, testbin.Options{})
	}
	code := clustertest.Main(m)
	pg.Stop()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// needBinary fails t when the binary could not be built.
func needBinary(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("the firedrill binary: %v", buildErr)
	}
}

// syncBuffer collects a process's output for the test and the failure dump.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d earlier lines …", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// adminToken is the facilitator's credential of the served room.
const adminToken = "e2e-facilitator-token-0123456789"

// timeScale runs a drill minute in a wall second: the 90-minute cap is 90 s.
const timeScale = 60

// server is `firedrill serve` running as a subprocess.
type server struct {
	URL     string
	DataDir string
	Config  string
	stdout  *syncBuffer
	stderr  *syncBuffer
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// startServer writes a config file and runs `firedrill serve --config` on a
// free loopback port, against the dev cluster, with the example scenarios
// and the shop simulator's service URLs. It returns once the room answers.
func startServer(t *testing.T, serviceURLs map[string]string) *server {
	t.Helper()
	return startServerWith(t, serviceURLs, nil)
}

// startServerWith is startServer with extra top-level config sections
// (e.g. "ha", "records"), which replace the defaults' sections of the
// same name.
func startServerWith(t *testing.T, serviceURLs map[string]string, extra map[string]any) *server {
	t.Helper()
	dir := t.TempDir()
	s := launchServer(t, serverConfig(t, filepath.Join(dir, "data"), "127.0.0.1:0", serviceURLs, extra), dir)
	s.URL = s.waitPrinted(t, `firedrill: drill room on (\S+)`, 90*time.Second)
	if strings.Contains(s.stderr.String(), "some scenarios were not loaded") {
		t.Fatalf("firedrill serve did not load every example scenario:\n%s", s.stderr)
	}
	return s
}

// serverConfig is the config of a server against the dev cluster, with the
// example scenarios and the shop simulator's service URLs; extra's
// sections replace the defaults' sections of the same name.
func serverConfig(t *testing.T, dataDir, listen string, serviceURLs map[string]string, extra map[string]any) map[string]any {
	cfg := map[string]any{
		"dataDir": dataDir,
		"listen":  listen,
		"auth":    map[string]any{"adminToken": adminToken},
		"kubernetes": map[string]any{
			"kubeconfig":      clustertest.Cluster(t).Kubeconfig(),
			"context":         devcluster.ContextName,
			"allowedContexts": []string{devcluster.ContextName},
			"serviceURLs":     serviceURLs,
		},
		"drill":     map[string]any{"timeScale": timeScale, "onRestart": "abort"},
		"scenarios": map[string]any{"dirs": []string{filepath.Join(repoRoot, "scenarios", "examples")}},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// launchServer writes cfg to dir/firedrill.yaml and starts `firedrill
// serve --config` on it, without waiting for it to serve.
func launchServer(t *testing.T, cfg map[string]any, dir string) *server {
	t.Helper()
	needBinary(t)
	s := &server{DataDir: cfg["dataDir"].(string), Config: filepath.Join(dir, "firedrill.yaml"),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(binary, "serve", "--config", s.Config)
	s.cmd.Dir = dir
	s.cmd.Env = cleanEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start firedrill serve: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("firedrill serve (%s) stdout:\n%s", s.Config, tail(s.stdout.String(), 40))
			t.Logf("firedrill serve (%s) stderr:\n%s", s.Config, tail(s.stderr.String(), 120))
		}
	})
	return s
}

// waitPrinted waits until the server prints a line matching pattern and
// returns the pattern's first group (or the whole match).
func (s *server) waitPrinted(t *testing.T, pattern string, timeout time.Duration) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(timeout)
	for {
		if m := re.FindStringSubmatch(s.stdout.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-s.exited:
			t.Fatalf("firedrill serve exited before printing %q (%v)\nstdout:\n%s\nstderr:\n%s", pattern, s.waitErr, s.stdout, tail(s.stderr.String(), 60))
		case <-deadline:
			t.Fatalf("firedrill serve did not print %q within %s\nstdout:\n%s\nstderr:\n%s", pattern, timeout, s.stdout, tail(s.stderr.String(), 60))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cleanEnv is the test's environment without FIREDRILL_* variables, so that
// only the config file configures the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FIREDRILL_") {
			env = append(env, kv)
		}
	}
	return env
}

// stop stops the server the way a person does, with Ctrl-C (SIGINT), and
// waits for it to exit cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("interrupt firedrill serve: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("firedrill serve did not exit within 60s of SIGINT\nstderr:\n%s", tail(s.stderr.String(), 60))
	}
	if s.waitErr != nil {
		t.Fatalf("firedrill serve exited with %v after SIGINT\nstderr:\n%s", s.waitErr, tail(s.stderr.String(), 60))
	}
	if !strings.Contains(s.stdout.String(), "stopping") {
		t.Errorf("firedrill serve did not say it was stopping:\n%s", s.stdout)
	}
}

// run runs the binary with args and returns its exit code and output.
func run(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	needBinary(t)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("firedrill %s: %v", strings.Join(args, " "), err)
	}
	return 0, string(out)
}
