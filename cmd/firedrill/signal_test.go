package main_test

import (
	"bytes"
	"errors"
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
	// The scenario count is printed after the room's address: wait for it,
	// not only for the address, or a slow machine races the check below.
	loaded := regexp.MustCompile(`\d+ scenario\(s\) loaded`)
	deadline := time.After(30 * time.Second)
	for !loaded.MatchString(stdout.String()) {
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

// stuckValidate starts `firedrill validate` on a named pipe that a writer
// holds open without writing: the read blocks in the kernel and ignores the
// command's cancellation, as any command stuck in a call that does not take
// a context would. It returns once validate is blocked reading.
func stuckValidate(t *testing.T, bin string) (cmd *exec.Cmd, stderr *syncBuffer, exited <-chan error) {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "scenario.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	stderr = &syncBuffer{}
	cmd = exec.Command(bin, "validate", fifo)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = &syncBuffer{}, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	// Opening the pipe for writing without blocking succeeds once validate
	// has opened it for reading; the writer then stays open and silent.
	deadline := time.Now().Add(30 * time.Second)
	for {
		fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			t.Cleanup(func() { syscall.Close(fd) })
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("validate did not open the pipe within 30s: %v\nstderr: %s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, stderr, done
}

// wantExit130 waits for the process to exit with status 130 and a message
// on stderr.
func wantExit130(t *testing.T, exited <-chan error, stderr *syncBuffer, within time.Duration, msg string) {
	t.Helper()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("validate exited with %v, want exit status 130\nstderr: %s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), msg) {
			t.Errorf("stderr does not say %q:\n%s", msg, stderr.String())
		}
	case <-time.After(within):
		t.Fatalf("validate still runs %s after the signal\nstderr: %s", within, stderr.String())
	}
}

// TestStuckCommand: a command that does not return after SIGINT or SIGTERM
// exits anyway with status 130, once its grace (5 s for validate) has passed
// or at once on a second signal.
func TestStuckCommand(t *testing.T) {
	bin := buildFiredrill(t)
	t.Run("exits after the grace on the first signal", func(t *testing.T) {
		cmd, stderr, exited := stuckValidate(t, bin)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		wantExit130(t, exited, stderr, 60*time.Second, "still running 5s after the signal: exiting")
	})
	t.Run("exits at once on a second signal", func(t *testing.T) {
		cmd, stderr, exited := stuckValidate(t, bin)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The second signal counts once the first has been taken: send
		// it until the process is gone, well inside the 5 s grace.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					_ = cmd.Process.Signal(syscall.SIGTERM)
				}
			}
		}()
		wantExit130(t, exited, stderr, 60*time.Second, "second signal: exiting now")
	})
}
