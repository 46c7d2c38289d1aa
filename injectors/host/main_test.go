package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

// binDir holds the plugin executables built once for the whole test binary.
var binDir string

// TestMain builds the example plugin, the test plugins and the test host
// process as real executables; every test runs them as subprocesses.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "firedrill-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/firedrill/firedrill/injectors/examples/flagfile",
		"./testdata/badversion",
		"./testdata/sleepy",
		"./testdata/hostproc",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build test plugins:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pluginDir returns a plugin directory holding the named built plugins under
// their plugin file names.
func pluginDir(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.Symlink(filepath.Join(binDir, n), filepath.Join(dir, host.ExecutablePrefix+n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// logBuffer collects the host's log as JSON lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the logged records that have msg as their message.
func (b *logBuffer) records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// openHost opens a host with a generous start timeout (the machine may be
// busy building) and closes it when the test ends.
func openHost(t testing.TB, cfg host.Config) (*host.Host, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := host.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open host: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h, logs
}

// flagFile writes a JSON flag file and returns its path.
func flagFile(t testing.TB, flags map[string]any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flags.json")
	b, err := json.Marshal(flags)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readFlags reads a flag file back.
func readFlags(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var flags map[string]any
	if err := json.Unmarshal(b, &flags); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return flags
}

// setFlag is a set-flag fault of the flagfile plugin.
func setFlag(t testing.TB, id, file, key string, value any) control.FaultSpec {
	t.Helper()
	params, err := json.Marshal(map[string]any{"file": file, "key": key, "value": value})
	if err != nil {
		t.Fatal(err)
	}
	return control.FaultSpec{Plugin: "flagfile", Fault: injectors.Fault{DrillID: "drill-1", FaultID: id, Type: "set-flag", Params: params}}
}

// flagEquals is a flag-equals probe of the flagfile plugin.
func flagEquals(t testing.TB, file, key string, value any) control.ProbeSpec {
	t.Helper()
	params, err := json.Marshal(map[string]any{"file": file, "key": key, "value": value})
	if err != nil {
		t.Fatal(err)
	}
	return control.ProbeSpec{Plugin: "flagfile", Probe: injectors.Probe{Type: "flag-equals", Params: params}}
}
