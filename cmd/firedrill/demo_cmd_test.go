package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	main "github.com/firedrill/firedrill/cmd/firedrill"
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	kplugin "github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/client"
)

// demoProcess is a running `firedrill demo`, started in its own process
// group the way a terminal starts it, so that Ctrl-C can be sent to the
// whole group.
type demoProcess struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan error
}

func startDemo(t *testing.T, bin, dataDir string, args ...string) *demoProcess {
	t.Helper()
	_ = os.Remove(filepath.Join(dataDir, "demo.json"))
	cmd := exec.Command(bin, append([]string{"demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--build-kubectl=false"}, args...)...)
	// Run outside the checkout, as an installed binary would: the example
	// scenarios come from the binary itself.
	cmd.Dir = t.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &demoProcess{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// ready waits for demo.json, which the demo writes once everything is up
// and it has printed its ready message, and for that message to reach the
// test: the demo's output comes through a pipe the test process copies on
// its own goroutine, so on a busy machine the file can be there before the
// words are in p.stdout.
func (p *demoProcess) ready(t *testing.T, dataDir string) main.DemoState {
	t.Helper()
	// The first run on a machine builds the cluster's binaries.
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dataDir, "demo.json")); err == nil && strings.Contains(p.stdout.String(), "Press Ctrl-C to stop") {
			var st main.DemoState
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatalf("demo.json: %v\n%s", err, b)
			}
			return st
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("demo exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("demo not ready after 30 minutes\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	return main.DemoState{}
}

// interrupt sends Ctrl-C to the demo's process group and waits for it to
// finish, returning its stdout.
func (p *demoProcess) interrupt(t *testing.T) string {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("demo exited with %v after Ctrl-C\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("demo still running 3 minutes after Ctrl-C\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	return p.stdout.String()
}

// processesUnder lists running processes whose command line mentions dir.
func processesUnder(dir string) []string {
	var found []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		cl := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cl, dir) {
			found = append(found, e.Name()+": "+cl)
		}
	}
	return found
}

func kubeClient(t *testing.T, kubeconfig, context string) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitEvents reads the stream until every wanted event type has been seen.
func waitEvents(t *testing.T, s *client.Stream, want map[string]int) {
	t.Helper()
	seen := map[string]int{}
	var last []string
	for {
		e, err := s.Next()
		if err != nil {
			t.Fatalf("stream: %v; waiting for %v, saw %v, last events %v", err, want, seen, last)
		}
		seen[e.Type]++
		last = append(last, e.Type)
		if len(last) > 12 {
			last = last[1:]
		}
		done := true
		for typ, n := range want {
			if seen[typ] < n {
				done = false
			}
		}
		if done {
			return
		}
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local cluster")
	}
	bin := buildFiredrill(t)
	dataDir := filepath.Join(t.TempDir(), "firedrill-data")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var first main.DemoState
	t.Run("first run serves a demo drill whose faults are reverted by Ctrl-C", func(t *testing.T) {
		p := startDemo(t, bin, dataDir, "--time-scale", "60")
		st := p.ready(t, dataDir)
		first = st
		out := p.stdout.String()
		for _, want := range []string{"[5/5]", st.URL + "/login", st.AdminToken, "Olivia", "observer", "export KUBECONFIG=" + st.Kubeconfig, "Press Ctrl-C"} {
			if !strings.Contains(out, want) {
				t.Errorf("the ready message lacks %q:\n%s", want, out)
			}
		}
		if len(st.JoinLinks) != 3 || st.DrillID == "" {
			t.Fatalf("demo state: drill %q with %d join links, want a drill and 3 links", st.DrillID, len(st.JoinLinks))
		}

		// A participant's join link works.
		alex, _ := client.New(st.URL)
		if err := alex.Join(ctx, st.JoinLinks[0].URL); err != nil {
			t.Fatalf("join as %s: %v", st.JoinLinks[0].Name, err)
		}
		// The facilitator starts the drill; its faults are injected into the
		// shop in the demo's cluster.
		fc, _ := client.New(st.URL)
		if err := fc.Login(ctx, st.AdminToken); err != nil {
			t.Fatal(err)
		}
		stream, err := fc.Stream(ctx, st.DrillID, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		for _, a := range []string{"briefing", "start"} {
			if err := fc.Lifecycle(ctx, st.DrillID, a, "demo test"); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		// A stuck stream must fail the test with what the demo said, not hang.
		timer := time.AfterFunc(2*time.Minute, func() {
			t.Errorf("no two fault.injected events after 2 minutes\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
			stream.Close()
		})
		waitEvents(t, stream, map[string]int{control.EventFaultInjected: 2})
		timer.Stop()
		cs := kubeClient(t, st.Kubeconfig, st.Context)
		np, err := cs.NetworkingV1().NetworkPolicies(st.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil || len(np.Items) != 1 {
			t.Fatalf("network policies in %s: %v, %v; want the injected one", st.Namespace, np, err)
		}
		if np.Items[0].Annotations["firedrill.dev/drill-id"] != st.DrillID {
			t.Errorf("the injected policy's annotations %v do not name drill %s", np.Items[0].Annotations, st.DrillID)
		}

		out = p.interrupt(t)
		for _, want := range []string{"aborted drill " + st.DrillID, "no object in the cluster carries a firedrill annotation", "stopping the local cluster"} {
			if !strings.Contains(out, want) {
				t.Errorf("after Ctrl-C the output lacks %q:\n%s", want, out)
			}
		}
		if left := processesUnder(dataDir); len(left) > 0 {
			t.Errorf("processes left running after Ctrl-C:\n%s", strings.Join(left, "\n"))
		}

		// The record says every fault was reverted.
		exp := exec.Command(bin, "export", st.DrillID, "--format", "json", "--data-dir", dataDir)
		exp.Dir = t.TempDir()
		b, err := exp.Output()
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		var rec struct {
			State   string `json:"state"`
			Metrics struct {
				Faults []struct {
					ID         string `json:"id"`
					Phase      string `json:"phase"`
					RevertedAt *int64 `json:"revertedAtMs"`
				} `json:"faults"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.State != string(control.StateAborted) || len(rec.Metrics.Faults) != 2 {
			t.Fatalf("record: state %q with %d faults, want aborted with 2", rec.State, len(rec.Metrics.Faults))
		}
		for _, f := range rec.Metrics.Faults {
			if f.Phase != "reverted" || f.RevertedAt == nil {
				t.Errorf("fault %s is %s in the record, want reverted", f.ID, f.Phase)
			}
		}
	})

	t.Run("second run reuses the cache, the token and the drill history", func(t *testing.T) {
		if first.DrillID == "" {
			t.Skip("the first run failed")
		}
		p := startDemo(t, bin, dataDir, "--scenario", "chained-order-api", "--participant", "Kim", "--observer", "")
		st := p.ready(t, dataDir)
		out := p.stdout.String()
		if !strings.Contains(out, "Kubernetes binaries: cached") {
			t.Errorf("the second run does not say the binaries are cached:\n%s", out)
		}
		if st.AdminToken != first.AdminToken {
			t.Errorf("admin token changed between runs: %q then %q", first.AdminToken, st.AdminToken)
		}
		if st.DrillID == first.DrillID || len(st.JoinLinks) != 1 || st.JoinLinks[0].Name != "Kim" {
			t.Errorf("second demo drill %s with links %+v; want a new drill with Kim only", st.DrillID, st.JoinLinks)
		}
		fc, _ := client.New(st.URL)
		if err := fc.Login(ctx, st.AdminToken); err != nil {
			t.Fatal(err)
		}
		probeWithoutServiceURLs(ctx, t, st)
		var old struct {
			State string `json:"state"`
		}
		if err := fc.Drill(ctx, first.DrillID, &old); err != nil || old.State != string(control.StateAborted) {
			t.Errorf("the first run's drill: state %q, err %v; want it kept, aborted", old.State, err)
		}
		out = p.interrupt(t)
		if !strings.Contains(out, "no object in the cluster carries a firedrill annotation") {
			t.Errorf("after Ctrl-C the output lacks the clean-cluster check:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "demo.json")); err == nil {
			t.Error("demo.json is left behind after the demo stopped")
		}
	})
}

// probeWithoutServiceURLs runs the resolution probe of
// traffic-surge-leak-cascade's hpa-capped (http-get of web's
// /api/orders/health) against the demo's shop as a configuration of one's
// own does — the demo's kubeconfig and context, no kubernetes.serviceURLs —
// so through the API server's service proxy. It once answered 503 for ever
// ("no endpoints available": the proxy reached no pod), and the fault was
// never resolved in a rehearsal against the demo.
func probeWithoutServiceURLs(ctx context.Context, t *testing.T, st main.DemoState) {
	t.Helper()
	sc, err := scenarios.Load("../../scenarios/examples/incidents/traffic-surge-leak-cascade.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sp *scenarios.Probe
	for _, f := range sc.Faults {
		if f.ID == "hpa-capped" && len(f.ResolvedWhen.Probes) > 0 {
			sp = &f.ResolvedWhen.Probes[0]
		}
	}
	if sp == nil || sp.Probe.Type != "http-get" {
		t.Fatalf("the example lost hpa-capped's http-get resolution probe: %+v", sp)
	}
	params, _ := json.Marshal(sp.Params)
	probe := injectors.Probe{Type: sp.Probe.Type, Target: injectors.Target{Namespace: sp.Target.Namespace, Kind: sp.Target.Kind, Name: sp.Target.Name}, Params: params}
	in, err := kplugin.New(kplugin.Config{Kubeconfig: st.Kubeconfig, Context: st.Context, AllowedContexts: []string{st.Context}})
	if err != nil {
		t.Fatal(err)
	}
	// The shop is healthy; a slow answer on a loaded machine (the probe's
	// maxLatencyMs) is asked again.
	var res injectors.ProbeResult
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		if res, err = in.Probe(ctx, probe); err != nil {
			t.Fatal(err)
		}
		if res.OK || time.Now().After(deadline) {
			break
		}
	}
	if !res.OK || !strings.Contains(res.Detail, "GET service shop/web/api/orders/health: status 200") {
		t.Errorf("the healthy shop's %q probe through the API server's service proxy: %s, want status 200", sp.Name, res.Detail)
	}
}
