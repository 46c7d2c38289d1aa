package host_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

func TestRevert_AfterPluginProcessWasKilled(t *testing.T) {
	ctx := context.Background()
	h, logs := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	file := flagFile(t, map[string]any{"k": "old"})
	f := setFlag(t, "f1", file, "k", "injected")
	rec, err := h.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = h.Inject(ctx, f, rec); err != nil {
		t.Fatal(err)
	}
	pid, ok := h.Pid("flagfile")
	if !ok {
		t.Fatal("no plugin process")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	if err := h.Revert(ctx, "flagfile", rec); err != nil {
		t.Fatalf("revert after kill: %v", err)
	}
	if got := readFlags(t, file); got["k"] != "old" {
		t.Fatalf("after revert: %v", got)
	}
	newPid, ok := h.Pid("flagfile")
	if !ok || newPid == pid {
		t.Fatalf("pid after relaunch: %d (running %v), was %d", newPid, ok, pid)
	}
	h.Close() // flushes the plugin's log
	if n := len(logs.records(t, "plugin ready")); n != 2 {
		t.Errorf("plugin became ready %d times, want 2 (launch and relaunch)", n)
	}
}

func TestRevert_ByANewHostFromTheRecordAlone(t *testing.T) {
	ctx := context.Background()
	dir := pluginDir(t, "flagfile")
	file := flagFile(t, map[string]any{"k": "old"})
	f := setFlag(t, "f1", file, "k", "injected")

	first, _ := openHost(t, host.Config{Dir: dir})
	rec, err := first.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = first.Inject(ctx, f, rec); err != nil {
		t.Fatal(err)
	}
	first.Close() // the controller goes away; only the persisted record is left

	second, _ := openHost(t, host.Config{Dir: dir})
	if err := second.Revert(ctx, "flagfile", rec); err != nil {
		t.Fatalf("revert by new host: %v", err)
	}
	if got := readFlags(t, file); !reflect.DeepEqual(got, map[string]any{"k": "old"}) {
		t.Fatalf("after revert: %v", got)
	}
}

func TestCalls_TimeOutWithAClearError(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "sleepy"), CallTimeout: 2 * time.Second})
	sleep := func(d string) control.ProbeSpec {
		return control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "sleep", Params: []byte(`{"for":"` + d + `"}`)}}
	}

	_, err := h.Probe(ctx, sleep("1m"))
	want := "plugin sleepy did not answer probe sleep within 2s (plugins.callTimeout)"
	if injectors.ErrorMessage(err) != want {
		t.Fatalf("got %v, want message %q", err, want)
	}
	if res, err := h.Probe(ctx, sleep("1ms")); err != nil || !res.OK {
		t.Fatalf("the plugin is still usable after a timeout: %+v %v", res, err)
	}
}

func TestCalls_CanceledByCaller(t *testing.T) {
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "sleepy")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Probe(ctx, control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "sleep", Params: []byte(`{"for":"1m"}`)}})
	if err == nil || strings.Contains(injectors.ErrorMessage(err), "plugins.callTimeout") {
		t.Fatalf("got %v, want the caller's cancellation, not a timeout", err)
	}
}

func TestOpen_RefusesUnsupportedAPIVersion(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "badversion", "flagfile")})

	want := "plugin badversion refused: it supports injector API versions v0, but this firedrill needs v1"
	sts := h.Statuses()
	if sts[0].Name != "badversion" || sts[0].Err == nil || !strings.Contains(sts[0].Err.Error(), want) {
		t.Fatalf("badversion status: %+v", sts[0])
	}
	err := h.Revert(ctx, "badversion", []byte(`{}`))
	if injectors.ErrorCode(err) != injectors.EFORBIDDEN || !strings.Contains(injectors.ErrorMessage(err), want) {
		t.Fatalf("call to refused plugin: %v", err)
	}
	if got := h.Plugins(); len(got) != 1 || got[0].Name != "flagfile" {
		t.Fatalf("usable plugins: %+v, want flagfile only", got)
	}
	if _, ok, err := h.FaultType("badversion", "x"); ok || injectors.ErrorCode(err) != injectors.EFORBIDDEN {
		t.Fatalf("catalog look-up in refused plugin: ok=%v err=%v, want the refusal", ok, err)
	}
}

func TestOpen_RefusesPluginWhoseNameDiffersFromItsFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(binDir, "flagfile"), filepath.Join(dir, host.ExecutablePrefix+"flags")); err != nil {
		t.Fatal(err)
	}
	h, _ := openHost(t, host.Config{Dir: dir})
	err := h.Revert(context.Background(), "flags", []byte(`{}`))
	if injectors.ErrorCode(err) != injectors.EFORBIDDEN || !strings.Contains(injectors.ErrorMessage(err), `the executable says its name is "flagfile"`) {
		t.Fatalf("got %v", err)
	}
}

func TestPluginLogs_ReachTheHostLog(t *testing.T) {
	ctx := context.Background()
	h, logs := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	file := flagFile(t, map[string]any{})
	f := setFlag(t, "f1", file, "k", true)
	rec, err := h.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Inject(ctx, f, rec); err != nil {
		t.Fatal(err)
	}
	h.Close() // waits for the plugin's stderr to be drained

	recs := logs.records(t, "flag set")
	if len(recs) != 1 {
		t.Fatalf("got %d 'flag set' records in the host log, want 1", len(recs))
	}
	r := recs[0]
	if r["plugin"] != "flagfile" || r["level"] != "INFO" || r["key"] != "k" || r["file"] != file || r["value"] != "true" {
		t.Fatalf("plugin log record: %v", r)
	}
	// go-plugin's own lines keep the plugin's name, with the executable apart.
	exited := logs.records(t, "plugin process exited")
	if len(exited) != 1 || exited[0]["plugin"] != "flagfile" || exited[0]["level"] != "DEBUG" || !strings.HasSuffix(exited[0]["executable"].(string), host.ExecutablePrefix+"flagfile") {
		t.Fatalf("plugin process exited records: %v", exited)
	}
}

func TestBuiltin_IsLaunchedWithItsArguments(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Builtins: []host.Builtin{{
		Name: "flagfile", Path: filepath.Join(binDir, "flagfile"), Args: []string{"plugin", "flagfile"},
	}}})
	sts := h.Statuses()
	if len(sts) != 1 || sts[0].ChecksumStatus != host.ChecksumBuiltin || sts[0].Err != nil {
		t.Fatalf("statuses: %+v", sts)
	}
	file := flagFile(t, map[string]any{"k": 1.0})
	if res, err := h.Probe(ctx, flagEquals(t, file, "k", 1)); err != nil || !res.OK {
		t.Fatalf("probe through builtin: %+v %v", res, err)
	}
}

func TestCalls_PluginThatDiesMidCallIsRelaunchedForTheNextCall(t *testing.T) {
	ctx := context.Background()
	h, logs := openHost(t, host.Config{Dir: pluginDir(t, "sleepy")})

	_, err := h.Probe(ctx, control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "crash"}})
	want := "plugin sleepy died during probe crash; it is relaunched on the next call"
	if injectors.ErrorCode(err) != injectors.EINTERNAL || !strings.Contains(injectors.ErrorMessage(err), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if res, err := h.Probe(ctx, control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "sleep", Params: []byte(`{"for":"1ms"}`)}}); err != nil || !res.OK {
		t.Fatalf("next call: %+v %v", res, err)
	}
	h.Close()
	// Launched at open, relaunched for the one retry of the idempotent probe
	// (which crashed again), and relaunched for the next call.
	if n := len(logs.records(t, "plugin ready")); n != 3 {
		t.Errorf("plugin became ready %d times, want 3", n)
	}
	if n := len(logs.records(t, "panic: crashing on purpose")); n != 2 {
		t.Errorf("the plugin's last words were logged %d times, want 2", n)
	}
}

func TestOpen_ReportsWhyAPluginFailedToStart(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'cannot read /etc/broken.conf' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, host.ExecutablePrefix+"broken"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h, _ := openHost(t, host.Config{Dir: dir})
	st := h.Statuses()[0]
	if st.Err == nil || !strings.Contains(st.Err.Error(), "its last output: cannot read /etc/broken.conf") {
		t.Fatalf("status: %+v", st)
	}
}

func TestCalls_FailAfterClose(t *testing.T) {
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	h.Close()
	err := h.Revert(context.Background(), "flagfile", []byte(`{}`))
	if err == nil || !strings.Contains(injectors.ErrorMessage(err), "the plugin host is closed") {
		t.Fatalf("got %v", err)
	}
}

func TestPluginPrints_ReachTheHostLog(t *testing.T) {
	logs := &logBuffer{}
	printed := make(chan struct{})
	var once sync.Once
	h, err := host.Open(context.Background(), host.Config{
		Dir: pluginDir(t, "sleepy"), CallTimeout: 30 * time.Second, StartTimeout: time.Minute,
		Logger: slog.New(notify{slog.NewJSONHandler(logs, nil), "printed, not logged", func() { once.Do(func() { close(printed) }) }}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Probe(context.Background(), control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "print"}}); err != nil {
		t.Fatal(err)
	}
	// The print travels on go-plugin's stdio stream, apart from the call's answer.
	select {
	case <-printed:
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin's print never reached the host log")
	}
	r := logs.records(t, "printed, not logged")
	if len(r) != 1 || r[0]["plugin"] != "sleepy" || r[0]["stream"] != "stdout" {
		t.Fatalf("records: %v", r)
	}
}

// notify is a slog handler that calls fn when a record with message msg is
// handled.
type notify struct {
	slog.Handler
	msg string
	fn  func()
}

func (n notify) Handle(ctx context.Context, r slog.Record) error {
	err := n.Handler.Handle(ctx, r)
	if r.Message == n.msg {
		n.fn()
	}
	return err
}

func (n notify) WithAttrs(as []slog.Attr) slog.Handler {
	return notify{n.Handler.WithAttrs(as), n.msg, n.fn}
}

func (n notify) WithGroup(g string) slog.Handler { return notify{n.Handler.WithGroup(g), n.msg, n.fn} }

func TestBuiltin_TakesPrecedenceOverAPluginFileOfTheSameName(t *testing.T) {
	sum, err := host.FileChecksum(filepath.Join(binDir, "sleepy"))
	if err != nil {
		t.Fatal(err)
	}
	h, logs := openHost(t, host.Config{
		Dir:       pluginDir(t, "flagfile"),
		Checksums: map[string]string{"flagfile": sum},
		Builtins:  []host.Builtin{{Name: "flagfile", Path: filepath.Join(binDir, "flagfile")}},
	})
	sts := h.Statuses()
	if len(sts) != 1 || sts[0].ChecksumStatus != host.ChecksumBuiltin || sts[0].Err != nil {
		t.Fatalf("statuses: %+v", sts)
	}
	if len(logs.records(t, "plugin skipped: name taken")) != 1 {
		t.Error("the shadowed plugin file was not logged")
	}
	if len(logs.records(t, "plugins.checksums pins a built-in plugin; built-ins are part of the firedrill executable and are not checked")) != 1 {
		t.Error("the ignored pin was not logged")
	}
}

func TestCalls_UseMutualTLS(t *testing.T) {
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "sleepy")})
	res, err := h.Probe(context.Background(), control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "mtls"}})
	if err != nil || !res.OK {
		t.Fatalf("the plugin was not given a client certificate: %+v %v", res, err)
	}
}
