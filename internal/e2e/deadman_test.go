package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/seal"
	"github.com/firedrill/firedrill/internal/ha"
)

// haNamespace is firedrill's own namespace in the dev cluster: its Lease
// and the revert records.
const haNamespace = "firedrill-system"

// haConfig is the config of a controller that keeps its state in the
// cluster, with short election timings so that a dead controller is dead
// within seconds.
func haConfig(t *testing.T, sh *theShop, identity string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := sh.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: haNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", haNamespace, err)
	}
	key, err := seal.NewKeySpec("e2e")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"ha": map[string]any{"namespace": haNamespace, "lease": "firedrill-" + strings.ToLower(t.Name()), "identity": identity,
			"leaseDuration": "4s", "renewDeadline": "3s", "retryPeriod": "1s"},
		"safety":  map[string]any{"deadManAfter": "4s"},
		"records": map[string]any{"keys": []string{key}},
	}
}

// TestDeadManSweep: a controller injects the layered drill's faults with
// its revert records kept in the cluster and no marks on the shop's
// objects; the controller is SIGKILLed and its data directory (database,
// everything) deleted; `firedrill sweep` leaves a live controller's drill
// alone, and once the Lease has gone unrenewed for safety.deadManAfter
// reverts every fault from the records alone: the shop is back to its
// manifests, nothing is marked, no record is left.
func TestDeadManSweep(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	extra := haConfig(t, sh, "deadman-controller")
	srv := startServerWith(t, sh.urls, extra)
	d := newDrill(t, ctx, srv, sh, "layered-payment-outage", "")
	d.begin(t, ctx)
	d.fac.waitFor(t, "worker-isolated injected", eventWait, isFault(control.EventFaultInjected, "worker-isolated"))
	d.fac.waitFor(t, "payment-timeout injected", eventWait, isFault(control.EventFaultInjected, "payment-timeout"))
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 503, "payment")

	// The faults are in effect, and nothing a participant reads with
	// kubectl says firedrill did it.
	if m := sh.marked(t, ctx); len(m) != 0 {
		t.Fatalf("objects carry firedrill marks with kubernetes.visibleMarks off: %v", m)
	}
	recs, err := ha.ListRecords(ctx, sh.ha, haNamespace)
	must(t, "list the revert records", err)
	if len(recs) != 1 || recs[0].DrillID != d.id || len(recs[0].Entries) != 2 {
		t.Fatalf("revert records in the cluster: %+v, want drill %s with 2 faults", recs, d.id)
	}
	for _, e := range recs[0].Entries {
		if !seal.IsSealed(e.Record) {
			t.Fatalf("the record of %s is kept in the clear: %.40q", e.FaultID, e.Record)
		}
	}

	// While the controller renews its Lease, the sweep leaves it alone.
	code, out := run(t, ctx, "sweep", "--config", srv.Config, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep with a live controller: exit %d\n%s", code, out)
	}
	swept := decodeSweep(t, out)
	if len(swept) != 1 || !swept[0].Alive || len(swept[0].Reverted) != 0 {
		t.Fatalf("sweep with a live controller: %+v, want the drill alive and nothing reverted", swept)
	}
	if code, _ := sh.health("web", "/api/checkout/health"); code != 503 {
		t.Fatalf("checkout health after a sweep of a live controller: %d, want still 503", code)
	}

	// The node dies: the controller is killed, its disk is lost.
	must(t, "SIGKILL the controller", srv.cmd.Process.Kill())
	<-srv.exited
	must(t, "delete the data directory", os.RemoveAll(srv.DataDir))
	if _, err := os.Stat(filepath.Join(srv.DataDir, "firedrill.db")); !os.IsNotExist(err) {
		t.Fatalf("the database is still there: %v", err)
	}
	time.Sleep(5 * time.Second) // past safety.deadManAfter (4s)

	code, out = run(t, ctx, "sweep", "--config", srv.Config, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep of a dead controller: exit %d\n%s", code, out)
	}
	swept = decodeSweep(t, out)
	if len(swept) != 1 || swept[0].Alive || len(swept[0].Failed) != 0 || strings.Join(swept[0].Reverted, ",") != "worker-isolated,payment-timeout" && strings.Join(swept[0].Reverted, ",") != "payment-timeout,worker-isolated" {
		t.Fatalf("sweep of a dead controller: %+v, want both faults reverted", swept)
	}
	sh.assertRestored(t, ctx, "the sweep")
	// A second sweep finds nothing to do.
	code, out = run(t, ctx, "sweep", "--config", srv.Config)
	if code != 0 || !strings.Contains(out, "nothing to sweep") {
		t.Fatalf("second sweep: exit %d\n%s", code, out)
	}
}

// assertRestored asserts that the shop is back to its manifests and
// answers again, with nothing marked and no revert record left in the
// cluster after what restored it.
func (sh *theShop) assertRestored(t *testing.T, ctx context.Context, after string) {
	t.Helper()
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 200, "ok")
	sh.assertClean(t, ctx)
	recs, err := ha.ListRecords(ctx, sh.ha, haNamespace)
	must(t, "list the revert records after "+after, err)
	if len(recs) != 0 {
		t.Fatalf("revert records left after %s: %+v", after, recs)
	}
}

func decodeSweep(t *testing.T, out string) []ha.SweptDrill {
	t.Helper()
	var swept []ha.SweptDrill
	// Plugin logs go to stderr, which run folds into out: take the JSON.
	i := strings.Index(out, "[")
	if i < 0 {
		t.Fatalf("sweep printed no JSON:\n%s", out)
	}
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&swept); err != nil {
		t.Fatalf("sweep output: %v\n%s", err, out)
	}
	return swept
}

// TestDeadManSweepRun: a headless `firedrill run` is a controller too: it
// holds its Lease and keeps its faults' revert records in the cluster
// before injecting them. When it is SIGKILLed with its data directory
// lost, `firedrill sweep` reverts its faults from those records alone.
func TestDeadManSweepRun(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	needBinary(t)
	dir := t.TempDir()
	cfg := serverConfig(t, filepath.Join(dir, "data"), "127.0.0.1:0", sh.urls, haConfig(t, sh, "deadman-run"))
	b, err := yaml.Marshal(cfg)
	must(t, "the config", err)
	conf := filepath.Join(dir, "firedrill.yaml")
	must(t, "write the config", os.WriteFile(conf, b, 0o600))

	scenario := filepath.Join(repoRoot, "scenarios", "examples", "layered-payment-outage.yaml")
	cmd := exec.CommandContext(ctx, binary, "run", "--config", conf, "-o", "json", scenario)
	cmd.Env = cleanEnv()
	stdin, err := cmd.StdinPipe()
	must(t, "run's stdin", err)
	defer stdin.Close()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	must(t, "start firedrill run", cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("firedrill run stdout:\n%s\nstderr:\n%s", tail(stdout.String(), 40), tail(stderr.String(), 60))
			// A failure half way must not leave the shared shop broken
			// for the tests after this one: the sweep reverts what the
			// killed run injected, from its records in the cluster.
			time.Sleep(5 * time.Second) // past safety.deadManAfter (4s)
			if code, out := run(t, context.Background(), "sweep", "--config", conf, "-o", "json"); code != 0 {
				t.Logf("clean-up sweep: exit %d\n%s", code, out)
			}
		}
	}()
	// One JSON event per line: the scenario inside drill.created names
	// fault.injected too (its rehearsal robots wait for it).
	injected := regexp.MustCompile(`(?m)^\{"event":"fault\.injected"`)
	if err := poll(ctx, eventWait, func() bool { return len(injected.FindAllString(stdout.String(), -1)) == 2 }); err != nil {
		t.Fatalf("firedrill run did not inject both faults within %s", eventWait)
	}
	if !regexp.MustCompile(`firedrill: replica \S+ leads`).MatchString(stderr.String()) {
		t.Fatalf("firedrill run did not say it leads its Lease:\n%s", tail(stderr.String(), 20))
	}
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 503, "payment")
	recs, err := ha.ListRecords(ctx, sh.ha, haNamespace)
	must(t, "list the revert records", err)
	if len(recs) != 1 || len(recs[0].Entries) != 2 {
		t.Fatalf("revert records in the cluster: %+v, want one drill with 2 faults", recs)
	}
	for _, e := range recs[0].Entries {
		if !seal.IsSealed(e.Record) {
			t.Fatalf("the record of %s is kept in the clear: %.40q", e.FaultID, e.Record)
		}
	}

	// The machine dies: the run is killed, its disk is lost.
	must(t, "SIGKILL firedrill run", cmd.Process.Kill())
	<-exited
	must(t, "delete the data directory", os.RemoveAll(cfg["dataDir"].(string)))
	time.Sleep(5 * time.Second) // past safety.deadManAfter (4s)

	code, out := run(t, ctx, "sweep", "--config", conf, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep of a killed run: exit %d\n%s", code, out)
	}
	swept := decodeSweep(t, out)
	if len(swept) != 1 || swept[0].Alive || len(swept[0].Failed) != 0 || len(swept[0].Reverted) != 2 {
		t.Fatalf("sweep of a killed run: %+v, want both faults reverted", swept)
	}
	sh.assertRestored(t, ctx, "the sweep")
}
