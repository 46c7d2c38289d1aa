package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/grpcplugin"
)

// errCallTimeout marks a call that ran out of the host's call timeout.
var errCallTimeout = errors.New("call timeout")

// proc is one plugin and its process, launched on first use and relaunched
// when it has died.
type proc struct {
	name    string
	path    string
	args    []string
	pin     []byte        // nil when unpinned
	timeout time.Duration // per call
	start   time.Duration // per launch
	log     *slog.Logger

	mu       sync.Mutex
	client   *plugin.Client
	impl     injectors.Injector
	info     injectors.Info
	refused  error // permanent: checksum, API version or name mismatch
	lastErr  error // why the last launch failed, if it did
	launches int
	closed   bool
}

// snapshot returns the plugin's Info from its last launch and the reason it
// cannot be used, if any.
func (p *proc) snapshot() (injectors.Info, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused != nil {
		return p.info, p.refused
	}
	if p.impl == nil && p.lastErr != nil {
		return p.info, p.lastErr
	}
	return p.info, nil
}

// launchCount is how many times the process was launched.
func (p *proc) launchCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.launches
}

func (p *proc) pid() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil || p.client.Exited() {
		return 0, false
	}
	rc := p.client.ReattachConfig()
	if rc == nil || rc.Pid == 0 {
		return 0, false
	}
	return rc.Pid, true
}

// do runs fn against the plugin with the call timeout. A call that finds the
// process unreachable drops it, so that the next call relaunches it.
func (p *proc) do(ctx context.Context, fn func(context.Context, injectors.Injector) error) error {
	impl, err := p.get(ctx)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	err = fn(cctx, impl)
	var ce *grpcplugin.CallError
	if errors.As(err, &ce) && ce.Unreachable() {
		p.drop(impl)
	}
	// The plugin may notice the propagated deadline a moment before cctx
	// does, so any deadline error while the caller's ctx is live is ours.
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", errCallTimeout, err)
	}
	return err
}

// get returns the running plugin, launching it when there is no live
// process. A launch, including the Info call that checks the plugin, is
// bounded by the start timeout.
func (p *proc) get(ctx context.Context) (injectors.Injector, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused != nil {
		return nil, p.refused
	}
	if p.closed {
		return nil, injectors.Errorf(injectors.EINTERNAL, "plugin %s: the plugin host is closed", p.name)
	}
	if p.client != nil && !p.client.Exited() {
		return p.impl, nil
	}
	if p.client != nil {
		p.log.Warn("plugin process has exited; relaunching")
		p.client.Kill()
		p.client, p.impl = nil, nil
	}
	err := p.launch(ctx)
	p.lastErr = err
	return p.impl, err
}

// drop forgets the process behind impl if it is still the current one.
func (p *proc) drop(impl injectors.Injector) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.impl == impl && p.client != nil {
		p.client.Kill()
		p.client, p.impl = nil, nil
	}
}

func (p *proc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.client != nil {
		p.client.Kill()
		p.client, p.impl = nil, nil
	}
}

// launch starts the plugin process, dispenses the injector and checks its
// Info. Called with p.mu held.
func (p *proc) launch(ctx context.Context) error {
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  grpcplugin.Handshake,
		Plugins:          grpcplugin.PluginMap,
		Cmd:              exec.Command(p.path, p.args...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  grpcplugin.DialOptions(),
		StartTimeout:     p.start,
		Logger:           newHclog(p.log),
	}
	if p.pin != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: p.pin, Hash: sha256.New()}
	}
	ctx, cancel := context.WithTimeout(ctx, p.start)
	defer cancel()
	tail := &tailWriter{max: 2048}
	cfg.Stderr = tail
	// After the handshake a plugin's os.Stdout and os.Stderr are streamed to
	// the host; stray prints land in the log instead of being dropped.
	cfg.SyncStdout = &lineLogger{log: p.log, stream: "stdout"}
	cfg.SyncStderr = &lineLogger{log: p.log, stream: "stderr"}
	c := plugin.NewClient(cfg)
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		if last := tail.String(); last != "" {
			err = fmt.Errorf("%w; its last output: %s", err, last)
		}
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			p.refused = injectors.Errorf(injectors.EFORBIDDEN,
				"plugin %s refused: %s no longer matches its pin in plugins.checksums.%s; if the new file is trusted, update the pin (firedrill plugins checksum %s)",
				p.name, p.path, p.name, p.path)
			return p.refused
		}
		return injectors.Errorf(injectors.EINTERNAL, "plugin %s: cannot start %s: %v", p.name, p.path, err)
	}
	raw, err := rpc.Dispense(grpcplugin.PluginName)
	if err != nil {
		c.Kill()
		return injectors.Errorf(injectors.EINTERNAL, "plugin %s: %s serves no injector: %v", p.name, p.path, err)
	}
	impl, ok := raw.(injectors.Injector)
	if !ok {
		c.Kill()
		return injectors.Errorf(injectors.EINTERNAL, "plugin %s: dispensed %T, not an injector", p.name, raw)
	}
	info, err := impl.Info(ctx)
	if err != nil {
		c.Kill()
		return fmt.Errorf("plugin %s: info: %w", p.name, err)
	}
	if err := checkInfo(p.name, info); err != nil {
		c.Kill()
		p.info, p.refused = info, err
		return err
	}
	p.client, p.impl, p.info = c, impl, info
	p.launches++
	pid := 0
	if rc := c.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	level := slog.LevelDebug
	if p.launches > 1 {
		level = slog.LevelInfo // a relaunch is worth knowing about
	}
	p.log.Log(ctx, level, "plugin ready", "path", p.path, "pid", pid, "version", info.Version, "launch", p.launches)
	return nil
}

// checkInfo refuses a plugin that does not speak this host's API version or
// that calls itself by another name than the one it was found under.
func checkInfo(name string, info injectors.Info) error {
	if !slices.Contains(info.APIVersions, injectors.APIVersion) {
		got := "none"
		if len(info.APIVersions) > 0 {
			got = strings.Join(info.APIVersions, ", ")
		}
		return injectors.Errorf(injectors.EFORBIDDEN,
			"plugin %s refused: it supports injector API versions %s, but this firedrill needs %s; install a version of the plugin built for it",
			name, got, injectors.APIVersion)
	}
	if info.Name != name {
		return injectors.Errorf(injectors.EFORBIDDEN,
			"plugin %s refused: the executable says its name is %q; rename the file to %s%s or fix the plugin's Info",
			name, info.Name, ExecutablePrefix, info.Name)
	}
	return nil
}

// tailWriter keeps the last max bytes written to it: a plugin's final words
// on stderr, quoted when it fails to start.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if len(w.buf) > w.max {
		w.buf = w.buf[len(w.buf)-w.max:]
	}
	return len(b), nil
}

// String returns the kept output on one line.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(strings.Fields(strings.ReplaceAll(string(w.buf), "\n", " | ")), " ")
}

// lineLogger logs each line written to it, for what a plugin prints to its
// os.Stdout or os.Stderr instead of logging.
type lineLogger struct {
	log    *slog.Logger
	stream string

	mu  sync.Mutex
	buf []byte
}

const maxLogLine = 64 << 10

func (w *lineLogger) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 && len(w.buf) < maxLogLine {
			return len(b), nil
		}
		if i < 0 {
			i = len(w.buf)
		}
		if line := strings.TrimRight(string(w.buf[:i]), "\r"); line != "" {
			w.log.Info(line, "stream", w.stream)
		}
		w.buf = w.buf[min(i+1, len(w.buf)):]
	}
}
