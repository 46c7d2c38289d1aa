package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/shop"
	"github.com/firedrill/firedrill/scenarios/examples"
	"github.com/firedrill/firedrill/ui/client"
)

// demoDefaultDir is where `firedrill demo` keeps everything unless
// --data-dir says otherwise: the drill database, the cluster's state and
// the generated configuration. The repository's .gitignore lists it.
const demoDefaultDir = "firedrill-data"

// demoStateFile is written when the demo is ready, for scripts and tests:
// the room's URL, the admin token, the demo drill and its join links.
const demoStateFile = "demo.json"

// demoConfigFile is the configuration the demo writes and serves with; it
// also works for `firedrill serve --config` against the same cluster.
const demoConfigFile = "firedrill.yaml"

// demoOptions are the demo's own flags.
type demoOptions struct {
	scenario     string
	difficulty   string
	participants []string
	observers    []string
	buildKubectl bool
}

// DemoState is what demo.json holds once the demo is ready.
type DemoState struct {
	URL          string            `json:"url"`
	AdminToken   string            `json:"adminToken"`
	Config       string            `json:"config"`
	Kubeconfig   string            `json:"kubeconfig"`
	Context      string            `json:"context"`
	Namespace    string            `json:"namespace"`
	ServiceURLs  map[string]string `json:"serviceURLs"`
	DrillID      string            `json:"drillId,omitempty"`
	ConsoleURL   string            `json:"consoleUrl,omitempty"`
	JoinLinks    []DemoJoinLink    `json:"joinLinks,omitempty"`
	Kubectl      string            `json:"kubectl,omitempty"`
	TimeScale    float64           `json:"timeScale"`
	ClusterLogs  string            `json:"clusterLogs"`
	StartedAfter string            `json:"startedAfter"`
}

// DemoJoinLink is one person of the demo drill and their join link.
type DemoJoinLink struct {
	Name string       `json:"name"`
	Role control.Role `json:"role"`
	URL  string       `json:"url"`
}

func init() {
	registerCommand(func(m *Main) *cobra.Command {
		var o demoOptions
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
		cmd.Flags().StringVar(&o.scenario, "scenario", "layered-payment-outage", "scenario of the demo drill created at start (empty: none)")
		cmd.Flags().StringVar(&o.difficulty, "difficulty", "", "difficulty of the demo drill (default: the scenario's)")
		cmd.Flags().StringSliceVar(&o.participants, "participant", []string{"Alex", "Sam"}, "participants of the demo drill, each gets a join link")
		cmd.Flags().StringSliceVar(&o.observers, "observer", []string{"Olivia"}, "observers of the demo drill")
		cmd.Flags().BoolVar(&o.buildKubectl, "build-kubectl", true, "build kubectl into the cache in the background when it is not on PATH")
		return cmd
	})
}

// demoStep prints one numbered step of the demo's start-up.
func (m *Main) demoStep(n int, format string, args ...any) {
	fmt.Fprintf(m.Stdout, "[%d/5] %s\n", n, fmt.Sprintf(format, args...))
}

func (m *Main) demo(cmd *cobra.Command, o demoOptions) error {
	ctx := cmd.Context()
	clk := clock.RealClock{}
	begin := clk.Now()

	dir := demoDefaultDir
	if f := cmd.Flags().Lookup("data-dir"); f != nil && f.Changed {
		dir = f.Value.String()
	} else if v := m.Getenv("FIREDRILL_DATA_DIR"); v != "" {
		dir = v
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo: data directory: %w", err)
	}

	// Take the port first: a busy default port should not cost a cluster
	// start to find out.
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		if f := cmd.Flags().Lookup("listen"); (f != nil && f.Changed) || !errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("demo: listen on %s: %w", m.Config.Listen, err)
		}
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("demo: listen: %w", err)
		}
		fmt.Fprintf(m.Stdout, "%s is taken; serving on %s instead (choose with --listen)\n", m.Config.Listen, ln.Addr())
	}
	closeLn := true
	defer func() {
		if closeLn {
			ln.Close()
		}
	}()

	cache, err := devcluster.DefaultCacheDir(m.Getenv)
	if err != nil {
		return err
	}
	if missing := devcluster.Missing(cache); len(missing) > 0 {
		m.demoStep(1, "Building the Kubernetes binaries %v into %s.\n      This happens once per machine and takes about 15-20 minutes on 2 cores; progress follows.", missing, devcluster.BinDir(cache))
	} else {
		m.demoStep(1, "Kubernetes binaries: cached in %s", devcluster.BinDir(cache))
	}
	if err := devcluster.EnsureBinaries(ctx, cache, m.Stderr, clk); err != nil {
		return fmt.Errorf("demo: build the Kubernetes binaries: %w", err)
	}

	clusterDir := filepath.Join(dir, "cluster")
	m.demoStep(2, "Starting the local cluster (context %s; state and logs in %s)", devcluster.ContextName, clusterDir)
	c, err := devcluster.Start(ctx, devcluster.Options{WorkDir: clusterDir, Log: io.Discard, Getenv: m.Getenv})
	if err != nil {
		return fmt.Errorf("demo: start the local cluster (logs in %s): %w", filepath.Join(clusterDir, "logs"), err)
	}
	m.OnClose(func() error {
		fmt.Fprintln(m.Stdout, "firedrill demo: stopping the local cluster")
		return c.Stop()
	})

	m.demoStep(3, "Deploying the sample shop into namespace %q", shop.Namespace)
	cs := c.Client()
	if err := shop.Install(ctx, cs, shop.Namespace); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = shop.WaitReady(wctx, cs, shop.Namespace, clk)
	cancel()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	sim := &shop.Simulator{Client: cs, Namespace: shop.Namespace}
	serviceURLs, err := sim.Start(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	m.OnClose(sim.Close)

	scenarioDir, err := demoScenarioDir(dir)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, demoConfigFile)
	token, err := demoAdminToken(cfgPath, m.Config.Auth.AdminToken)
	if err != nil {
		return err
	}
	if err := m.writeDemoConfig(cfgPath, dir, ln.Addr().String(), token, c.Kubeconfig(), serviceURLs, scenarioDir); err != nil {
		return err
	}
	// Serve with the demo's configuration, exactly as `firedrill serve
	// --config` would; the built-in plugin is handed the same file.
	if err := cmd.Flags().Set("config", cfgPath); err != nil {
		return err
	}
	cfg, err := LoadConfig(cmd, m.Getenv)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	m.Config = cfg

	kubectl := make(chan string, 1)
	if p, err := exec.LookPath("kubectl"); err == nil {
		kubectl <- p
	} else if o.buildKubectl {
		go func() {
			p, err := devcluster.EnsureKubectl(ctx, cache, io.Discard, clk)
			if err != nil {
				if ctx.Err() == nil {
					fmt.Fprintf(m.Stderr, "firedrill demo: building kubectl failed (the drill works without it): %v\n", err)
				}
				return
			}
			fmt.Fprintf(m.Stdout, "\nfiredrill demo: kubectl is built: %s\n  alias kubectl=%s\n", p, p)
			kubectl <- p
		}()
	}

	m.demoStep(4, "Opening the drill room (data in %s)", dir)
	st := DemoState{
		AdminToken: token, Config: cfgPath, Kubeconfig: c.Kubeconfig(), Context: devcluster.ContextName,
		Namespace: shop.Namespace, ServiceURLs: serviceURLs, TimeScale: cfg.Drill.TimeScale,
		ClusterLogs: filepath.Join(clusterDir, "logs"),
	}
	closeLn = false
	return m.serve(cmd, roomHooks{
		Listener: ln,
		Ready: func(ctx context.Context, r *servedRoom) error {
			st.URL = r.URL
			if o.scenario != "" {
				m.demoStep(5, "Creating the demo drill from scenario %q", o.scenario)
				if err := createDemoDrill(ctx, r, token, o, &st); err != nil {
					return fmt.Errorf("demo: create the demo drill: %w", err)
				}
			} else {
				m.demoStep(5, "No demo drill (--scenario is empty); create one in the console")
			}
			select {
			case p := <-kubectl:
				st.Kubectl = p
			default:
			}
			st.StartedAfter = clk.Since(begin).Round(100 * time.Millisecond).String()
			b, _ := json.MarshalIndent(st, "", "  ")
			if err := os.WriteFile(filepath.Join(dir, demoStateFile), b, 0o600); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			m.printDemoReady(st)
			return nil
		},
		Stopping: func(ctx context.Context, r *servedRoom) error {
			_ = os.Remove(filepath.Join(dir, demoStateFile))
			return m.demoStop(ctx, r.Engine)
		},
	})
}

// demoScenarioDir returns the directory of example scenarios to serve: the
// checkout's scenarios/examples when the demo runs from one (edits show up
// at the next start), otherwise the embedded copies, written to dir.
func demoScenarioDir(dir string) (string, error) {
	if fi, err := os.Stat(filepath.Join("scenarios", "examples", "layered-payment-outage.yaml")); err == nil && fi.Mode().IsRegular() {
		return filepath.Abs(filepath.Join("scenarios", "examples"))
	}
	out := filepath.Join(dir, "scenarios")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	err := fs.WalkDir(examples.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := examples.FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, p), b, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("demo: write the example scenarios: %w", err)
	}
	return out, nil
}

// demoAdminToken keeps the admin token of an earlier demo run in the same
// data directory, so a bookmarked console keeps working; a configured token
// wins, and a new random one is made the first time.
func demoAdminToken(cfgPath, configured string) (string, error) {
	if len(configured) >= 16 {
		return configured, nil
	}
	if b, err := os.ReadFile(cfgPath); err == nil {
		var old struct {
			Auth struct {
				AdminToken string `yaml:"adminToken"`
			} `yaml:"auth"`
		}
		if yaml.Unmarshal(b, &old) == nil && len(old.Auth.AdminToken) >= 16 {
			return old.Auth.AdminToken, nil
		}
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("demo: admin token: %w", err)
	}
	return hex.EncodeToString(raw), nil
}

// writeDemoConfig writes the demo's configuration file. Settings of the
// user's own configuration that do not concern the cluster (plugins, log)
// are kept.
func (m *Main) writeDemoConfig(path, dataDir, listen, token, kubeconfig string, serviceURLs map[string]string, scenarioDir string) error {
	dirs := append([]string{scenarioDir}, m.Config.Scenarios.Dirs...)
	doc := map[string]any{
		"dataDir": dataDir,
		"listen":  listen,
		"log":     map[string]any{"level": m.Config.Log.Level, "format": m.Config.Log.Format},
		"auth":    map[string]any{"adminToken": token},
		"kubernetes": map[string]any{
			"kubeconfig":      kubeconfig,
			"context":         devcluster.ContextName,
			"allowedContexts": []string{devcluster.ContextName},
			"serviceURLs":     serviceURLs,
		},
		"plugins": map[string]any{
			"dir": m.Config.Plugins.Dir, "checksums": m.Config.Plugins.Checksums,
			"callTimeout": m.Config.Plugins.CallTimeout.String(), "requireChecksums": m.Config.Plugins.RequireChecksums,
		},
		// The demo's cluster starts fresh every time: a drill left running
		// by a killed demo is aborted at the next start, never resumed.
		"drill":     map[string]any{"onRestart": "abort", "timeScale": m.Config.Drill.TimeScale},
		"scenarios": map[string]any{"dirs": dirs},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	head := "# Written by `firedrill demo` at every start (the cluster's ports and the\n" +
		"# simulator's URLs change). While the demo runs, other commands can use it:\n" +
		"#   firedrill doctor --config " + path + "\n"
	if err := os.WriteFile(path, append([]byte(head), b...), 0o600); err != nil {
		return fmt.Errorf("demo: write %s: %w", path, err)
	}
	return nil
}

// createDemoDrill creates the demo drill through the drill room's own API,
// as a facilitator would in the console.
func createDemoDrill(ctx context.Context, r *servedRoom, token string, o demoOptions, st *DemoState) error {
	fc, err := client.New(r.URL)
	if err != nil {
		return err
	}
	if err := fc.Login(ctx, token); err != nil {
		return err
	}
	sc, err := r.Library.Scenario(o.scenario)
	if err != nil {
		names := make([]string, 0)
		for _, e := range r.Library.Scenarios() {
			names = append(names, e.Name)
		}
		return fmt.Errorf("scenario %q is not in the library (loaded: %s)", o.scenario, strings.Join(names, ", "))
	}
	d, err := fc.CreateDrill(ctx, o.scenario, "Demo: "+sc.Metadata.Title, o.difficulty)
	if err != nil {
		return err
	}
	st.DrillID = d.ID
	st.ConsoleURL = r.URL + "/console/drills/" + d.ID
	add := func(names []string, role control.Role) error {
		for _, n := range names {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			l, err := fc.AddPerson(ctx, d.ID, n, role)
			if err != nil {
				return err
			}
			st.JoinLinks = append(st.JoinLinks, DemoJoinLink{Name: n, Role: role, URL: l.URL})
		}
		return nil
	}
	if err := add(o.participants, control.RoleParticipant); err != nil {
		return err
	}
	return add(o.observers, control.RoleObserver)
}

func (m *Main) printDemoReady(st DemoState) {
	w := m.Stdout
	fmt.Fprintf(w, "\nfiredrill demo is ready (started in %s).\n\n", st.StartedAfter)
	fmt.Fprintf(w, "  Facilitator console   %s/login\n", st.URL)
	fmt.Fprintf(w, "  Admin token           %s\n", st.AdminToken)
	if st.DrillID != "" {
		fmt.Fprintf(w, "  Demo drill            %s  (draft: brief, then start it in the console)\n", st.ConsoleURL)
		fmt.Fprintf(w, "\n  Join links — open each in its own browser profile or private window:\n")
		for _, l := range st.JoinLinks {
			fmt.Fprintf(w, "    %-10s %-12s %s\n", l.Name, l.Role, l.URL)
		}
	}
	fmt.Fprintf(w, "\n  The sample shop runs in namespace %q of the local cluster:\n", st.Namespace)
	kubectl := "kubectl"
	if st.Kubectl != "" {
		kubectl = st.Kubectl
	}
	fmt.Fprintf(w, "    export KUBECONFIG=%s\n", st.Kubeconfig)
	fmt.Fprintf(w, "    %s -n %s get deploy,cm,secret,svc,cronjob,networkpolicy\n", kubectl, st.Namespace)
	if u := st.ServiceURLs[st.Namespace+"/web"]; u != "" {
		fmt.Fprintf(w, "    curl %s/api/checkout/health\n", u)
	}
	if st.Kubectl == "" {
		fmt.Fprintf(w, "    (kubectl is not on PATH; the demo builds one into the cache and says when it is ready)\n")
	}
	if st.TimeScale == 1 {
		fmt.Fprintf(w, "\n  Drill clock: real time, 90-minute cap. Rehearse faster: firedrill demo --time-scale 10\n")
	} else {
		fmt.Fprintf(w, "\n  Drill clock: %g× (a 90-minute drill takes %s)\n", st.TimeScale, (time.Duration(float64(90*time.Minute) / st.TimeScale)).Round(time.Second))
	}
	fmt.Fprintf(w, "  Everything above is also in %s.\n", demoStateFile)
	fmt.Fprintf(w, "\nPress Ctrl-C to stop: running drills are aborted, every fault is reverted, the cluster stops.\n")
}

// demoStop aborts every running drill (the engine reverts its faults before
// Abort returns) and then looks for anything in the cluster that still
// carries a firedrill annotation.
func (m *Main) demoStop(ctx context.Context, e *control.Engine) error {
	fmt.Fprintln(m.Stdout, "\nfiredrill demo: stopping; aborting running drills and reverting their faults")
	ds, err := e.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return fmt.Errorf("demo: list drills: %w", err)
	}
	var errs []error
	for _, d := range ds {
		if d.State != control.StateRunning {
			continue
		}
		if err := e.Abort(ctx, d.ID, "firedrill-demo", "the demo was stopped (Ctrl-C)"); err != nil {
			errs = append(errs, fmt.Errorf("abort drill %s: %w", d.ID, err))
			continue
		}
		fmt.Fprintf(m.Stdout, "firedrill demo: aborted drill %s (%s); its faults are reverted\n", d.ID, d.Title)
	}
	k := m.Config.Kubernetes
	in, err := kubernetes.New(kubernetes.Config{Kubeconfig: k.Kubeconfig, Context: k.Context, AllowedContexts: k.AllowedContexts})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("demo: check for leftovers: %w", err))...)
	}
	left, err := in.FindLeftovers(ctx, "")
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("demo: check for leftovers: %w", err))
	case len(left) > 0:
		for _, l := range left {
			fmt.Fprintf(m.Stderr, "firedrill demo: still carries a firedrill annotation: %s %s/%s (drill %s, fault %s)\n", l.Kind, l.Namespace, l.Name, l.DrillID, l.FaultID)
		}
		errs = append(errs, fmt.Errorf("demo: %d object(s) in the cluster still carry firedrill annotations", len(left)))
	default:
		fmt.Fprintln(m.Stdout, "firedrill demo: no object in the cluster carries a firedrill annotation")
	}
	return errors.Join(errs...)
}
