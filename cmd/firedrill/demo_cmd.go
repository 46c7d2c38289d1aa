package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/scenarios"
)

// DemoState is what demo.json holds once the demo is ready.
type DemoState = demo.State

func newDemoCmd(m *Main) *cobra.Command {
	var o demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "One command to a running drill: local cluster, sample shop, drill room, a demo drill with join links",
		Long: `demo starts everything a first drill needs on this machine, without Docker:

  1. the local Kubernetes control plane's binaries (built from the Go module
     proxy the first time, about 15-20 minutes on 2 cores; cached afterwards),
  2. the local cluster (etcd, kube-apiserver, controller-manager, scheduler and
     kwok fake nodes), context "firedrill-dev",
  3. the sample shop in the opted-in namespace "shop" (web, order-api,
     payment-worker, db, their ConfigMaps, Secrets, Services, a CronJob), with
     a simulator that serves its HTTP endpoints from the cluster's state,
  4. the drill room with the example scenarios, SQLite in the data directory,
  5. a demo drill in draft, with join links for two participants and an
     observer.

It prints the facilitator console's URL, the admin token and the join links,
and writes them to <data-dir>/demo.json. Ctrl-C aborts running drills (every
fault is reverted), checks that nothing in the cluster still carries a
firedrill annotation, and stops the cluster. Running it again reuses the
binaries and the drill history; the cluster starts fresh.

Everything the demo keeps is in --data-dir (default ./firedrill-data): the
drill databases, the cluster's state and logs (cluster/), the generated
configuration (firedrill.yaml, usable with --config by other commands while
the demo runs) and demo.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.demo(cmd, o) },
	}
	addSettingFlag(cmd, "listen")
	addSettingFlag(cmd, "drill.timeScale")
	cmd.Flags().StringVar(&o.Scenario, "scenario", "layered-payment-outage", "scenario of the demo drill created at start (empty: none)")
	cmd.Flags().StringVar(&o.Difficulty, "difficulty", "", "difficulty of the demo drill (default: the scenario's)")
	cmd.Flags().StringVar(&o.Candidate, "candidate", "", "candidate the demo drill plays, for a scenario that keeps candidates (e.g. --scenario order-db-candidates --candidate pool-size)")
	cmd.Flags().StringSliceVar(&o.Participants, "participant", []string{"Alex", "Sam"}, "participants of the demo drill, each gets a join link")
	cmd.Flags().StringSliceVar(&o.Observers, "observer", []string{"Olivia"}, "observers of the demo drill")
	cmd.Flags().BoolVar(&o.BuildKubectl, "build-kubectl", true, "build kubectl into the cache in the background when it is not on PATH")
	return cmd
}

// demo wires the demo's steps (internal/demo) to the drill room that serve
// runs: the cluster and the shop first, then the room with the demo's
// configuration, then the demo drill once the room answers.
func (m *Main) demo(cmd *cobra.Command, o demo.Options) error {
	ctx := cmd.Context()
	clk := clock.RealClock{}
	begin := clk.Now()
	dir, err := m.demoDir(cmd)
	if err != nil {
		return err
	}
	ln, err := demo.Listen(m.Config.Listen, cmd.Flags().Changed("listen"), m.Stdout)
	if err != nil {
		return err
	}
	served := false
	defer func() {
		if !served {
			ln.Close()
		}
	}()
	exe, err := devPath()
	if err != nil {
		return err
	}
	// The cluster and the shop run in firedrill-dev (internal/demo/democluster);
	// the drill room runs here, as serve runs it.
	h, err := demo.StartHost(ctx, exe, []string{demo.HostCommand, "--dir", dir, fmt.Sprintf("--build-kubectl=%t", o.BuildKubectl)}, m.Stdout, m.Stderr)
	if err != nil {
		return err
	}
	m.OnClose(h.Close)
	st, err := m.configureDemo(cmd, dir, ln.Addr().String(), h)
	if err != nil {
		return err
	}

	demo.Step(m.Stdout, 4, "Opening the drill room (data in %s)", dir)
	served = true
	return m.serve(cmd, roomHooks{
		Listener: ln,
		Ready: func(ctx context.Context, r *servedRoom) error {
			st.URL = r.URL
			if o.Scenario != "" {
				demo.Step(m.Stdout, 5, "Creating the demo drill from scenario %q", o.Scenario)
				if err := demo.CreateDrill(ctx, r.URL, st.AdminToken, demoLibrary{r}, o, &st); err != nil {
					return fmt.Errorf("demo: create the demo drill: %w", err)
				}
			} else {
				demo.Step(m.Stdout, 5, "No demo drill (--scenario is empty); create one in the console")
			}
			select {
			case p := <-h.Kubectl:
				st.Kubectl = p
			default:
			}
			st.StartedAfter = clk.Since(begin).Round(100 * time.Millisecond).String()
			// The ready message first: demo.json's presence says the demo
			// is ready and has said so.
			demo.PrintReady(m.Stdout, st)
			return demo.WriteState(dir, st)
		},
		Stopping: func(ctx context.Context, r *servedRoom) error {
			_ = os.Remove(filepath.Join(dir, demo.StateFile))
			return errors.Join(demo.AbortRunning(ctx, r.Engine, m.Stdout), h.CheckLeftovers(ctx))
		},
	})
}

// demoDir returns the demo's data directory, made absolute and created:
// --data-dir, FIREDRILL_DATA_DIR, or demo.DefaultDir (not the data
// directory of the other commands).
func (m *Main) demoDir(cmd *cobra.Command) (string, error) {
	dir := demo.DefaultDir
	if f := cmd.Flags().Lookup("data-dir"); f != nil && f.Changed {
		dir = f.Value.String()
	} else if v := m.Getenv("FIREDRILL_DATA_DIR"); v != "" {
		dir = v
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demo: data directory: %w", err)
	}
	return dir, nil
}

// configureDemo writes the demo's configuration and loads it as m.Config,
// exactly as `firedrill serve --config` would (the built-in plugin is handed
// the same file), and returns the demo's state so far.
func (m *Main) configureDemo(cmd *cobra.Command, dir, listen string, h *demo.Host) (demo.State, error) {
	scenarioDirs, err := demo.ScenarioDirs(dir)
	if err != nil {
		return demo.State{}, err
	}
	cfgPath := filepath.Join(dir, demo.ConfigFile)
	token, err := demo.AdminToken(cfgPath, m.Config.Auth.AdminToken)
	if err != nil {
		return demo.State{}, err
	}
	p := m.Config.Plugins
	if err := demo.WriteConfig(cfgPath, demo.Config{
		DataDir: dir, Listen: listen, AdminToken: token, Kubeconfig: h.Kubeconfig, ServiceURLs: h.ServiceURLs,
		ScenarioDirs: append(scenarioDirs, m.Config.Scenarios.Dirs...),
		LogLevel:     m.Config.Log.Level, LogFormat: m.Config.Log.Format,
		Plugins:   demo.Plugins{Dir: p.Dir, Checksums: p.Checksums, CallTimeout: p.CallTimeout, RequireChecksums: p.RequireChecksums},
		TimeScale: m.Config.Drill.TimeScale,
	}); err != nil {
		return demo.State{}, err
	}
	if err := cmd.Flags().Set("config", cfgPath); err != nil {
		return demo.State{}, err
	}
	cfg, err := LoadConfig(cmd, m.Getenv)
	if err != nil {
		return demo.State{}, fmt.Errorf("demo: %w", err)
	}
	m.Config = cfg
	return demo.State{
		AdminToken: token, Config: cfgPath, Kubeconfig: h.Kubeconfig, Context: demo.ContextName,
		Namespace: demo.Namespace, ServiceURLs: h.ServiceURLs, TimeScale: cfg.Drill.TimeScale, ClusterLogs: h.Logs,
	}, nil
}

// demoLibrary is the served room's scenario library, as the demo drill
// needs it.
type demoLibrary struct{ r *servedRoom }

func (l demoLibrary) Scenario(name string) (*scenarios.Scenario, error) {
	return l.r.Library.Scenario(name)
}

func (l demoLibrary) Names() []string {
	names := []string{}
	for _, e := range l.r.Library.Scenarios() {
		names = append(names, e.Name)
	}
	return names
}
