// Package host runs firedrill's injector plugins: it discovers plugin
// executables in the plugin directory, verifies them against the SHA-256
// checksums pinned in config, launches them through hashicorp/go-plugin with
// automatic mutual TLS, checks that they speak firedrill's injector API
// version, bounds every call with a timeout, relaunches a plugin whose process
// died, and routes the plugins' log lines into firedrill's log.
//
// Host implements control.Injector for the drill engine (each call is routed
// to the plugin the spec names) and answers catalog look-ups of fault and
// probe types for the scenario validator.
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/grpcplugin"
)

// Config configures a Host.
type Config struct {
	// Dir is searched for executables named firedrill-injector-<name>. Empty
	// means no plugin directory: only the built-in plugins are available.
	Dir string
	// Checksums pins plugins by name to the hex SHA-256 of their executable
	// (a "sha256:" prefix is accepted). A plugin whose file does not match its
	// pin is refused. A plugin without a pin runs, with a warning in the log,
	// unless RequireChecksums is set, in which case it is refused.
	Checksums map[string]string
	// RequireChecksums refuses every plugin from Dir that has no pin.
	RequireChecksums bool
	// CallTimeout bounds each call to a plugin. It must be positive.
	CallTimeout time.Duration
	// StartTimeout bounds the launch of a plugin process, up to and
	// including its answer to Info. Zero means CallTimeout.
	StartTimeout time.Duration
	// Builtins are the plugins installed with firedrill (Path is an
	// executable beside firedrill, Args the settings it passes them). They
	// are not checksummed: they are part of the installation.
	Builtins []Builtin
	// Logger receives the host's log and every plugin's log lines, with a
	// "plugin" attribute naming the plugin. Nil discards them.
	Logger *slog.Logger
}

// Builtin is a plugin that is launched as a command other than an executable
// in the plugin directory: a plugin installed with firedrill.
type Builtin struct {
	Name string
	Path string
	Args []string
}

// Checksum statuses of a plugin, as reported in PluginStatus.
const (
	ChecksumBuiltin  = "builtin"  // installed with firedrill, not checksummed
	ChecksumPinned   = "pinned"   // matches its pin in plugins.checksums
	ChecksumUnpinned = "unpinned" // no pin in plugins.checksums
	ChecksumMismatch = "mismatch" // differs from its pin; the plugin is refused
)

// PluginStatus is what the host knows about one discovered plugin.
type PluginStatus struct {
	Name string
	Path string
	Args []string
	// Checksum is the hex SHA-256 of the executable; empty for built-ins.
	Checksum       string
	ChecksumStatus string
	// Info is the plugin's self-description; zero if it never loaded.
	Info injectors.Info
	// Err says why the plugin cannot be used; nil when it can.
	Err error
	// Launches counts the plugin's process launches: 1 after the first
	// use, one more for every relaunch after its process died.
	Launches int
}

// Host runs injector plugins. It is safe for concurrent use.
type Host struct {
	timeout time.Duration
	start   time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	procs  map[string]*proc
	status map[string]*PluginStatus
	order  []string
}

var _ control.Injector = (*Host)(nil)

// Open discovers the plugins, launches each one and asks it for its Info. A
// plugin that is refused (checksum mismatch, missing pin under
// RequireChecksums, unsupported API version, failing to start) does not make
// Open fail: it is reported by Statuses, logged, and every call routed to it
// returns the reason. Open fails only for configuration errors.
func Open(ctx context.Context, cfg Config) (*Host, error) {
	if cfg.CallTimeout <= 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "plugins.callTimeout: %v must be positive", cfg.CallTimeout)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.StartTimeout < 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "plugin start timeout: %v must not be negative", cfg.StartTimeout)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = cfg.CallTimeout
	}
	h := &Host{timeout: cfg.CallTimeout, start: cfg.StartTimeout, log: log, procs: map[string]*proc{}, status: map[string]*PluginStatus{}}

	pins := map[string][]byte{}
	for name, s := range cfg.Checksums {
		b, err := parsePin(name, s)
		if err != nil {
			return nil, err
		}
		pins[name] = b
	}

	for _, b := range cfg.Builtins {
		if !validName.MatchString(b.Name) || b.Path == "" {
			return nil, injectors.Errorf(injectors.EINVALID, "built-in plugin %q: needs a lower-case name and an executable path", b.Name)
		}
		h.add(&PluginStatus{Name: b.Name, Path: b.Path, Args: b.Args, ChecksumStatus: ChecksumBuiltin}, nil)
	}

	if cfg.Dir != "" {
		found, skipped, err := discover(cfg.Dir)
		if err != nil {
			return nil, err
		}
		for name, err := range skipped {
			h.log.Warn("plugin skipped", "plugin", name, "error", err)
			if _, taken := h.status[name]; !taken {
				h.add(&PluginStatus{Name: name, Err: err}, nil)
			}
		}
		for _, c := range found {
			if _, taken := h.status[c.name]; taken {
				h.log.Warn("plugin skipped: name taken", "plugin", c.name, "path", c.path)
				continue
			}
			st := &PluginStatus{Name: c.name, Path: c.path}
			sum, err := FileChecksum(c.path)
			if err != nil {
				st.Err = injectors.Errorf(injectors.EINVALID, "plugin %s: %v", c.name, err)
				h.add(st, nil)
				continue
			}
			st.Checksum = sum
			pin, pinned := pins[c.name]
			switch {
			case pinned && fmt.Sprintf("%x", pin) != sum:
				st.ChecksumStatus = ChecksumMismatch
				st.Err = injectors.Errorf(injectors.EFORBIDDEN,
					"plugin %s refused: %s has SHA-256 %s but plugins.checksums.%s pins %x; if the new file is trusted, update the pin (firedrill plugins checksum %s)",
					c.name, c.path, sum, c.name, pin, c.path)
			case pinned:
				st.ChecksumStatus = ChecksumPinned
			case cfg.RequireChecksums:
				st.ChecksumStatus = ChecksumUnpinned
				st.Err = injectors.Errorf(injectors.EFORBIDDEN,
					"plugin %s refused: no pin in plugins.checksums and plugins.requireChecksums is set; pin it with the line printed by: firedrill plugins checksum %s",
					c.name, c.path)
			default:
				st.ChecksumStatus = ChecksumUnpinned
				h.log.Warn("plugin is not pinned; add its checksum to plugins.checksums", "plugin", c.name, "path", c.path, "sha256", sum)
			}
			h.add(st, pin)
		}
	}
	for name := range pins {
		if st, ok := h.status[name]; !ok {
			h.log.Warn("plugins.checksums pins a plugin that was not found", "plugin", name, "dir", cfg.Dir)
		} else if st.ChecksumStatus == ChecksumBuiltin {
			h.log.Warn("plugins.checksums pins a built-in plugin; built-ins are part of the firedrill executable and are not checked", "plugin", name)
		}
	}

	var wg sync.WaitGroup
	for _, name := range h.order {
		p := h.procs[name]
		if p == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.get(ctx); err != nil {
				h.log.Error("plugin not loaded", "plugin", name, "error", err)
			}
		}()
	}
	wg.Wait()
	for _, name := range h.order {
		if p := h.procs[name]; p != nil {
			st := h.status[name]
			st.Info, st.Err = p.snapshot()
			st.Launches = p.launchCount()
		}
	}
	return h, nil
}

// add records a discovered plugin; it is runnable when st.Err is nil.
func (h *Host) add(st *PluginStatus, pin []byte) {
	h.status[st.Name] = st
	h.order = append(h.order, st.Name)
	sort.Strings(h.order)
	if st.Err == nil {
		h.procs[st.Name] = &proc{name: st.Name, path: st.Path, args: st.Args, pin: pin, timeout: h.timeout, start: h.start, log: h.log.With("plugin", st.Name)}
	}
}

// Close stops every plugin process.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.procs {
		p.stop()
	}
	return nil
}

// Statuses reports every discovered plugin, usable or not, sorted by name.
func (h *Host) Statuses() []PluginStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]PluginStatus, 0, len(h.order))
	for _, name := range h.order {
		st := *h.status[name]
		if p := h.procs[name]; p != nil {
			st.Info, st.Err = p.snapshot()
			st.Launches = p.launchCount()
		}
		out = append(out, st)
	}
	return out
}

// Plugins returns the Info of every usable plugin, sorted by name.
func (h *Host) Plugins() []injectors.Info {
	var out []injectors.Info
	for _, st := range h.Statuses() {
		if st.Err == nil {
			out = append(out, st.Info)
		}
	}
	return out
}

// Pid returns the process id of the plugin's running process, if any, for
// operators looking for it and for tests that kill it.
func (h *Host) Pid(plugin string) (int, bool) {
	p, err := h.proc(plugin)
	if err != nil {
		return 0, false
	}
	return p.pid()
}

// proc returns the runnable plugin of that name, or why there is none.
func (h *Host) proc(name string) (*proc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.procs[name]; ok {
		return p, nil
	}
	if st, ok := h.status[name]; ok && st.Err != nil {
		return nil, st.Err
	}
	known := make([]string, 0, len(h.procs))
	for n := range h.procs {
		known = append(known, n)
	}
	sort.Strings(known)
	if len(known) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "no plugin named %q: no plugins are loaded (check plugins.dir)", name)
	}
	return nil, injectors.Errorf(injectors.ENOTFOUND, "no plugin named %q, expected one of: %s", name, strings.Join(known, ", "))
}

// FaultType returns the params JSON Schema of a plugin's fault type, for
// the scenario validator (scenarios.Catalog). ok is false when there is no
// plugin of that name or it has no such type; err is set when the plugin
// exists but is refused, and says why. A type without a schema returns a nil
// schema and ok.
func (h *Host) FaultType(plugin, typ string) (schema []byte, ok bool, err error) {
	return h.lookupType(plugin, typ, func(i injectors.Info) []injectors.TypeInfo { return i.FaultTypes })
}

// ProbeType is FaultType for probe types.
func (h *Host) ProbeType(plugin, typ string) (schema []byte, ok bool, err error) {
	return h.lookupType(plugin, typ, func(i injectors.Info) []injectors.TypeInfo { return i.ProbeTypes })
}

func (h *Host) lookupType(plugin, typ string, types func(injectors.Info) []injectors.TypeInfo) ([]byte, bool, error) {
	p, err := h.proc(plugin)
	if injectors.ErrorCode(err) == injectors.ENOTFOUND {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	info, err := p.snapshot()
	if err != nil {
		return nil, false, err
	}
	for _, t := range types(info) {
		if t.Name == typ {
			return []byte(t.ParamsSchema), true, nil
		}
	}
	return nil, false, nil
}

// Validate asks the fault's plugin to check it without changing anything.
func (h *Host) Validate(ctx context.Context, f control.FaultSpec) error {
	return h.call(ctx, f.Plugin, "validate "+f.FaultID, true, func(ctx context.Context, i injectors.Injector) error {
		return i.Validate(ctx, f.Fault)
	})
}

// Prepare asks the fault's plugin for the revert record.
func (h *Host) Prepare(ctx context.Context, f control.FaultSpec) (record []byte, err error) {
	err = h.call(ctx, f.Plugin, "prepare "+f.FaultID, true, func(ctx context.Context, i injectors.Injector) error {
		record, err = i.Prepare(ctx, f.Fault)
		return err
	})
	return record, err
}

// Inject asks the fault's plugin to apply it. Inject is never retried: if
// the plugin dies during the call, the fault may or may not be in effect, and
// the engine reverts with the record from Prepare.
func (h *Host) Inject(ctx context.Context, f control.FaultSpec, record []byte) (newRecord []byte, err error) {
	err = h.call(ctx, f.Plugin, "inject "+f.FaultID, false, func(ctx context.Context, i injectors.Injector) error {
		newRecord, err = i.Inject(ctx, f.Fault, record)
		return err
	})
	return newRecord, err
}

// Status asks the fault's plugin whether it is still in effect. An effect
// outside the contract's three is an error, not a guess.
func (h *Host) Status(ctx context.Context, f control.FaultSpec, record []byte) (injectors.Status, error) {
	var st injectors.Status
	err := h.call(ctx, f.Plugin, "status "+f.FaultID, true, func(ctx context.Context, i injectors.Injector) error {
		var err error
		st, err = i.Status(ctx, f.Fault, record)
		return err
	})
	if err != nil {
		return injectors.Status{}, err
	}
	switch st.Effect {
	case injectors.InEffect, injectors.Drifted, injectors.Reverted:
		return st, nil
	}
	return injectors.Status{}, fmt.Errorf("plugin %s: status %s: unknown effect %q", f.Plugin, f.FaultID, st.Effect)
}

// Revert asks the plugin to undo the fault recorded in record. It is retried
// once on a new process if the plugin's process is found dead, which is safe
// because Revert is idempotent.
func (h *Host) Revert(ctx context.Context, plugin string, record []byte) error {
	return h.call(ctx, plugin, "revert", true, func(ctx context.Context, i injectors.Injector) error {
		return i.Revert(ctx, record)
	})
}

// Probe asks the probe's plugin to evaluate it.
func (h *Host) Probe(ctx context.Context, p control.ProbeSpec) (res injectors.ProbeResult, err error) {
	err = h.call(ctx, p.Plugin, "probe "+p.Type, true, func(ctx context.Context, i injectors.Injector) error {
		res, err = i.Probe(ctx, p.Probe)
		return err
	})
	return res, err
}

// call runs fn against the named plugin within the call timeout. When the
// plugin's process turns out to be dead and retry is set, the process is
// relaunched and fn runs once more.
func (h *Host) call(ctx context.Context, plugin, what string, retry bool, fn func(context.Context, injectors.Injector) error) error {
	p, err := h.proc(plugin)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for attempt := 0; ; attempt++ {
		err := p.do(ctx, fn)
		var ce *grpcplugin.CallError
		if err != nil && retry && attempt == 0 && errors.As(err, &ce) && ce.Unreachable() {
			p.log.Warn("plugin process unreachable; relaunching and retrying", "call", what, "error", err)
			continue
		}
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ce) && ce.Unreachable():
			p.log.Error("plugin process died during a call", "call", what, "error", err)
			return injectors.Errorf(injectors.EINTERNAL, "plugin %s died during %s; it is relaunched on the next call (its last log lines are in firedrill's log)", plugin, what)
		case errors.Is(err, errCallTimeout):
			return injectors.Errorf(injectors.EINTERNAL, "plugin %s did not answer %s within %s (plugins.callTimeout)", plugin, what, h.timeout)
		}
		return fmt.Errorf("plugin %s: %s: %w", plugin, what, err)
	}
}
