package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServe_skipsAHostileScenarioAndStopsOnSIGTERM: a scenario whose text
// nests ranges without bound is reported and skipped, the room serves the
// other scenarios, and the first SIGTERM stops the process.
func TestServe_skipsAHostileScenarioAndStopsOnSIGTERM(t *testing.T) {
	bin := buildFiredrill(t)
	pluginDir := buildFlagfile(t)
	dir := t.TempDir()
	flags := filepath.Join(dir, "flags.json")
	scDir := filepath.Join(dir, "scenarios")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(flags, []byte(`{"payments":"on","refunds":"on"}`), 0o644))
	must(os.MkdirAll(scDir, 0o755))
	for _, f := range []string{"serve/flags.yaml", "hostile/hostile-template.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		must(err)
		must(os.WriteFile(filepath.Join(scDir, filepath.Base(f)), bytes.ReplaceAll(b, []byte("FLAGS_FILE"), []byte(flags)), 0o644))
	}
	cfg := filepath.Join(dir, "firedrill.yaml")
	must(os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\ndataDir: "+filepath.Join(dir, "data")+"\nauth:\n  adminToken: signal-test-admin-token-1\n"+
		"plugins:\n  dir: "+pluginDir+"\nscenarios:\n  dirs: ["+scDir+"]\n"), 0o600))

	var stdout, stderr syncBuffer
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	must(cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	room := regexp.MustCompile(`drill room on http://\S+`)
	deadline := time.After(30 * time.Second)
	for !room.MatchString(stdout.String()) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited (%v) before serving\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("serve did not open the room within 30s\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(stderr.String(), "hostile-template.yaml") || !strings.Contains(stderr.String(), "loops more than") {
		t.Errorf("serve did not report the hostile scenario:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 scenario(s) loaded") {
		t.Errorf("serve did not load the good scenario:\n%s", stdout.String())
	}
	must(cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\nstderr: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve still runs 30s after SIGTERM\nstderr: %s", stderr.String())
	}
}
