package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/gctune"
	"github.com/firedrill/firedrill/internal/lowprio"
	"github.com/firedrill/firedrill/internal/metrics"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui"
)

// roomDatabaseFile is the drill room's own database (hashed join tokens) in
// the data directory.
const roomDatabaseFile = "room.db"

// shutdownGrace bounds how long serve waits for requests in flight when it
// is stopped.
const shutdownGrace = 10 * time.Second

func newServeCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the drill room: facilitator console, drill channels, observer view",
		Long: `serve runs the drill engine over the drill database in the data directory and
serves the drill room over HTTP: the facilitator console (sign in with
auth.adminToken or the password of auth.adminPasswordHash), and the rooms
people open with their join links. Scenarios are loaded from scenarios.dirs.
Faults are injected through the injector plugins. Stop it with Ctrl-C: open
drills keep their state and are picked up at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.serve(cmd, roomHooks{}) },
	}
	addSettingFlag(cmd, "listen")
	addSettingFlag(cmd, "publicURL")
	addSettingFlag(cmd, "plugins.dir")
	addSettingFlag(cmd, "drill.timeScale")
	addSettingFlag(cmd, "kubernetes.context")
	addSettingFlag(cmd, "kubernetes.kubeconfig")
	return cmd
}

// roomHooks let a command that wraps serve (demo) take part in the drill
// room's life. Every field is optional.
type roomHooks struct {
	// Listener, when set, is served instead of listening on cfg.Listen.
	Listener net.Listener
	// Ready runs once the room answers requests. An error stops the room.
	Ready func(ctx context.Context, r *servedRoom) error
	// Stopping runs when serve has been told to stop, before the HTTP
	// server shuts down, with a context of its own (the command's is done).
	Stopping func(ctx context.Context, r *servedRoom) error
}

// servedRoom is a running drill room, as hooks see it.
type servedRoom struct {
	// URL is the room's base URL, e.g. http://127.0.0.1:8080.
	URL    string
	Engine *control.Engine
	// Library holds the scenarios that loaded: the files of scenarios.dirs
	// (read again when they change) and those written in the studio.
	Library *ui.Catalog
	// GC is the garbage collector's targets the room runs with.
	GC gctune.Settings
}

// scenarioPoll is how often the scenario files are checked for changes.
const scenarioPoll = 2 * time.Second

// stoppingGrace bounds the Stopping hook (reverting faults of drills that
// are still running, for the demo).
const stoppingGrace = 2 * time.Minute

// openRoom opens what the drill room serves: the drill database and the
// room's own, the plugins, the scenario library, the engine and the HTTP
// API; everything is closed when m is.
func (m *Main) openRoom(cmd *cobra.Command) (*servedRoom, *ui.Server, error) {
	ctx := cmd.Context()
	cfg := m.Config
	admin := ui.AdminCredential{Token: cfg.Auth.AdminToken, PasswordHash: cfg.Auth.AdminPasswordHash}
	if !admin.Configured() {
		return nil, nil, &ExitError{Code: 2, Err: errors.New("serve: no facilitator credential: set auth.adminToken (FIREDRILL_AUTH_ADMIN_TOKEN) or auth.adminPasswordHash in the config")}
	}
	if t := cfg.Auth.AdminToken; t != "" && len(t) < 16 {
		return nil, nil, &ExitError{Code: 2, Err: fmt.Errorf("serve: auth.adminToken is %d characters long, expected at least 16", len(t))}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := m.openJournal(ctx)
	if err != nil {
		return nil, nil, err
	}
	if h, ok := db.(interface{ Health() error }); ok {
		m.journalHealth = h.Health
	}
	tokens, err := m.openRoomStore(ctx, cfg.Store.Driver)
	if err != nil {
		return nil, nil, err
	}
	h, err := m.openPluginHost(ctx, cmd)
	if err != nil {
		return nil, nil, err
	}
	lib, err := ui.NewCatalog(ctx, cfg.Scenarios.Dirs, tokens, scenarios.WithCatalog(h))
	if err != nil {
		return nil, nil, err
	}
	if ps := lib.Problems(); len(ps) > 0 {
		// One broken scenario must not keep the room closed: report every
		// problem and serve the scenarios that loaded.
		fmt.Fprintf(m.Stderr, "firedrill: some scenarios were not loaded:\n%s\n", strings.Join(ps, "\n"))
	}
	// Changed scenario files are read again without a restart; a file that
	// breaks is reported on the studio's library page and in the log.
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	m.OnClose(func() error { stopWatch(); return nil })
	go lib.Watch(watchCtx, clock.RealClock{}, scenarioPoll)
	if len(cfg.Scenarios.Dirs) == 0 {
		fmt.Fprintln(m.Stderr, "firedrill: scenarios.dirs is empty: no scenario to create drills from")
	}

	m.metrics = metrics.New(clock.RealClock{})
	e, err := m.openEngine(ctx, db, h)
	if err != nil {
		return nil, nil, err
	}

	prog, err := m.openProgram(db, e, lib)
	if err != nil {
		return nil, nil, err
	}
	proxies, err := cfg.proxies()
	if err != nil {
		return nil, nil, err
	}
	// The keys that seal revert records also seal anonymous retro answers.
	keys, err := m.recordKeyring()
	if err != nil {
		return nil, nil, err
	}
	// The studio's Rehearse button plays drills with robot participants on
	// the configured cluster; without an allowed cluster it is off.
	rehearsals, _, rerr := m.rehearsalRunner(e)
	if rerr != nil {
		m.pluginLogger().Info("rehearsals with robot participants are off", "reason", rerr.Error())
	}
	gc := m.gcTuner()
	srv, err := ui.NewServer(ui.Config{
		Streaming:  gc.Streaming,
		Rehearsals: rehearsals,
		Engine:     e, Journal: db, Studio: lib, Tokens: tokens, Sessions: tokens, Links: tokens, Admin: admin, OIDC: cfg.Auth.OIDC.ui(),
		PublicURL: cfg.PublicURL, TrustedProxies: proxies, Logger: m.pluginLogger(), Program: prog, SurveyURL: cfg.Program.SurveyURL,
		Metrics: m.metrics.Handler(), MetricsToken: cfg.Metrics.Token, Ready: m.ready, RecordKeys: keys,
	})
	if err != nil {
		return nil, nil, err
	}
	m.metrics.Watch(metrics.Sources{
		Engine: e,
		Hub: func() (int, int64) {
			st := srv.HubStats()
			return st.Subscribers, st.Dropped
		},
		PluginLaunches: func() map[string]int {
			out := map[string]int{}
			for _, st := range h.Statuses() {
				out[st.Name] = st.Launches
			}
			return out
		},
		Leading: m.leading,
	})
	m.OnClose(srv.Close)
	return &servedRoom{Engine: e, Library: lib, GC: gc.Settings()}, srv, nil
}

// gcTuner sets the garbage collector's targets for serve once and
// returns what raises them while browsers stream: its marks are what makes
// chat messages late (see internal/gctune). It reads the environment of
// the process, which is what the runtime read, not Main's Getenv.
func (m *Main) gcTuner() *gctune.Tuner {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gc == nil {
		m.gc = gctune.Apply(os.Getenv, os.ReadFile, clock.RealClock{})
	}
	return m.gc
}

// releaseStartupGarbage collects the garbage of opening the room and gives
// the free heap back to the system at once. Opening it allocates about
// 9 MiB (the scenario library's YAML and JSON Schema validation, the
// plugin's launch and its TLS certificate, the journal's migrations) of
// which about 2.4 MiB stay live; the runtime would keep the rest of those
// pages (1-2.6 MiB unreturned, plus up to 2.6 MiB of not yet collected
// garbage) until its scavenger got to them, which an idle room may never
// ask for (issue 13: idle memory). One GC, once, at start.
func releaseStartupGarbage() { debug.FreeOSMemory() }

// serve runs the drill room until the command's context is done, with the
// hooks of a command that wraps it.
func (m *Main) serve(cmd *cobra.Command, hooks roomHooks) error {
	ctx := cmd.Context()
	cfg := m.Config
	// A follower too keeps to the container's memory limit.
	m.gcTuner()
	// The SQLite journal commits the chat messages the room streamed
	// already on a thread of their own at a lower priority, given one
	// processor more (internal/lowprio), so that those commits wait for
	// the room's sockets and not the other way round.
	var procs string
	if cfg.Store.Driver != driverPostgres {
		p := lowprio.Processors(os.Getenv)
		m.lowPriority, procs = p.Added, p.String()
	}
	st, err := m.openClusterState()
	if err != nil {
		return err
	}
	ln := hooks.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	// Slow clients cannot hold connections: every request has timeouts
	// (streams keep their own deadlines), and one address holds at most
	// ui.DefaultConnsPerAddr connections at once.
	ln = ui.LimitListener(ln, ui.DefaultConnsPerAddr)
	handler := &switchHandler{}
	hs := ui.NewHTTPServer(handler, ui.DefaultTimeouts)
	served := make(chan error, 1)
	var lost <-chan struct{}
	if st != nil {
		// A follower serves health and forwards the room to the leader
		// until it leads; only the leader opens the engine.
		handler.set(ui.FollowerHandler(st.elector.Leader))
		go func() { served <- hs.Serve(ln) }()
		var led bool
		if lost, led, err = m.lead(ctx, st, m.Stdout); err != nil {
			return fmt.Errorf("serve: %w", err)
		} else if !led {
			return nil
		}
	}
	room, srv, err := m.openRoom(cmd)
	if err != nil {
		return err
	}
	releaseStartupGarbage()
	handler.set(srv.Handler())
	if st == nil {
		go func() { served <- hs.Serve(ln) }()
	}

	base := strings.TrimRight(cfg.PublicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(m.Stdout, "firedrill: drill room on %s\n", base)
	fmt.Fprintf(m.Stdout, "firedrill: facilitator console: %s/login (sign in with the admin credential)\n", base)
	fmt.Fprintf(m.Stdout, "firedrill: %d scenario(s) loaded; drill clock time scale %g\n", len(room.Library.Scenarios()), cfg.Drill.TimeScale)
	fmt.Fprintf(m.Stdout, "firedrill: %s\n", room.GC)
	if procs != "" {
		fmt.Fprintf(m.Stdout, "firedrill: %s\n", procs)
	}

	room.URL = base
	var hookErr error
	if hooks.Ready != nil {
		hookErr = hooks.Ready(ctx, room)
	}
	if hookErr == nil {
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-lost:
			// The fence is shut already: no plugin call is made from now on.
			return &ExitError{Code: 1, Err: fmt.Errorf("serve: this replica lost the leader Lease %s; exiting so that it restarts as a follower", st.lease)}
		case <-ctx.Done():
		}
	}
	if hooks.Stopping != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stoppingGrace)
		hookErr = errors.Join(hookErr, hooks.Stopping(sctx, room))
		cancel()
	} else {
		fmt.Fprintln(m.Stdout, "firedrill: stopping; open drills keep their state")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return errors.Join(hookErr, fmt.Errorf("serve: shutdown: %w", err))
	}
	return hookErr
}

// switchHandler serves the handler set last: the follower's until this
// replica leads, the drill room's after.
type switchHandler struct {
	h atomic.Pointer[http.Handler]
}

func (s *switchHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h.Load()
	if h == nil {
		http.Error(w, "firedrill is starting", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// leading reports whether this replica may act on faults: always for a
// single controller, while it holds the Lease for a replica of several.
func (m *Main) leading() bool { return m.elector == nil || m.elector.Leading() }

// ready is /readyz of the leader's room: ready while it holds the Lease
// and its journal takes appends. A journal whose log could not be synced
// takes none until a restart (control/sqlite); /readyz, which anyone may
// read, says so without the file's path or the system's error, which the
// log gets once.
func (m *Main) ready() error {
	if m.elector != nil {
		if err := m.elector.Fence(); err != nil {
			return err
		}
	}
	if m.journalHealth != nil {
		if err := m.journalHealth(); err != nil {
			if m.journalFailed.CompareAndSwap(false, true) {
				m.pluginLogger().Error("the journal takes no appends until firedrill restarts", "err", err.Error())
			}
			return errors.New("the journal could not be synced to the disk after a commit and takes no appends until firedrill restarts; see the log")
		}
	}
	return nil
}
