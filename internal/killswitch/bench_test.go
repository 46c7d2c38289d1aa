package killswitch_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8sclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/scenarios"
)

// undo is the one strategic merge patch a person sends to undo one fault.
const undo = `{"data":{"DB_POOL_MAX":"50"},"metadata":{"annotations":{"firedrill.dev/drill-id":null,"firedrill.dev/fault-id":null}}}`

// BenchmarkKillSwitch measures the kill switch as a facilitator triggers
// it: Engine.AbortReport on a running drill of 10, 50 and 200 ConfigMap
// faults, from the call until every fault is reverted in the cluster and
// journaled (SQLite, its log synced at each commit), through the plugin
// host and the Kubernetes plugin in its own process. Side by side, in the same run and
// on the same objects: the floor (the same undo as N parallel client-go
// PATCHes, one per object, nothing journaled) and N `kubectl patch`
// processes one after another. It prints min/median/max of
// FIREDRILL_BENCH_ROUNDS rounds (default 3) and the ratios. Targets: abort
// at most 3x the floor at 50 and 200 faults, growing linearly.
func BenchmarkKillSwitch(b *testing.B) {
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("FIREDRILL_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	sizes := []int{10, 50, 200}
	r := newRig(b, slices.Max(sizes))
	kubectl, kubectlWhy := findKubectl()
	type row struct {
		n                     int
		abort, floor, kubectl []time.Duration
	}
	var rows []row
	for b.Loop() {
		rows = rows[:0]
		for _, n := range sizes {
			rw := row{n: n}
			for i := 0; i < rounds; i++ {
				rw.abort = append(rw.abort, r.timeAbort(n))
				rw.floor = append(rw.floor, r.timeUndo(n, r.parallelPatch))
			}
			if kubectl != "" {
				rw.kubectl = append(rw.kubectl, r.timeUndo(n, func(n int) { r.serialKubectl(n, kubectl) }))
			}
			rows = append(rows, rw)
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nkill switch: ConfigMap faults, %d rounds, median (min–max)\n", rounds)
	fmt.Fprintf(&out, "%-7s %-26s %-26s %-26s %-14s %s\n", "faults", "engine Abort", "parallel PATCH floor", "serial kubectl", "Abort/floor", "Abort per fault")
	for _, rw := range rows {
		k := "skipped: " + kubectlWhy
		ratioK := ""
		if len(rw.kubectl) > 0 {
			k = spread(rw.kubectl)
			ratioK = fmt.Sprintf(", kubectl/Abort %.1fx", ratio(rw.kubectl, rw.abort))
		}
		fmt.Fprintf(&out, "%-7d %-26s %-26s %-26s %-14s %s%s\n", rw.n, spread(rw.abort), spread(rw.floor), k,
			fmt.Sprintf("%.2fx", ratio(rw.abort, rw.floor)), ms(median(rw.abort)/time.Duration(rw.n)), ratioK)
		b.ReportMetric(float64(median(rw.abort).Microseconds())/1000, fmt.Sprintf("ms/abort-%d", rw.n))
		b.ReportMetric(ratio(rw.abort, rw.floor), fmt.Sprintf("x-floor-%d", rw.n))
	}
	fmt.Fprint(os.Stdout, out.String())
}

// timeAbort injects n faults through a drill and times the facilitator's
// abort until every fault is reverted and journaled.
func (r *rig) timeAbort(n int) time.Duration {
	r.t.Helper()
	id := r.injected(n)
	start := time.Now()
	rep, err := r.engine.AbortReport(r.ctx, id, "facilitator", "benchmark")
	took := time.Since(start)
	if err != nil || len(rep.Pending) > 0 || len(rep.Reverted) != n {
		r.t.Fatalf("abort of %d: %v, %d reverted, pending %v", n, err, len(rep.Reverted), rep.Pending)
	}
	r.allReverted(n)
	return took
}

// timeUndo injects n faults through a drill and times undo(n); the drill
// is aborted afterwards (its reverts find nothing left to do).
func (r *rig) timeUndo(n int, undo func(n int)) time.Duration {
	r.t.Helper()
	id := r.injected(n)
	start := time.Now()
	undo(n)
	took := time.Since(start)
	r.allReverted(n)
	if err := r.engine.Abort(r.ctx, id, "facilitator", "benchmark cleanup"); err != nil {
		r.t.Fatal(err)
	}
	return took
}

// parallelPatch sends the n undo patches at once through client-go, with
// no client-side rate limit: the floor of what any revert can cost on this
// API server.
func (r *rig) parallelPatch(n int) {
	if r.floor == nil {
		rc := clustertest.Cluster(r.t).RESTConfig()
		rc.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
		cs, err := k8sclient.NewForConfig(rc)
		if err != nil {
			r.t.Fatal(err)
		}
		r.floor = cs
		r.parallelPatch(1) // connect before the first measurement
	}
	cs := r.floor
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = cs.CoreV1().ConfigMaps(r.ns).Patch(context.Background(), fmt.Sprintf("cfg-%d", i), types.StrategicMergePatchType, []byte(undo), metav1.PatchOptions{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// serialKubectl runs one `kubectl patch` per object, one after another, as
// a person at a terminal would.
func (r *rig) serialKubectl(n int, kubectl string) {
	kc := clustertest.Cluster(r.t).Kubeconfig()
	for i := 0; i < n; i++ {
		if out, err := exec.Command(kubectl, "--kubeconfig", kc, "-n", r.ns, "patch", "configmap", fmt.Sprintf("cfg-%d", i), "-p", undo).CombinedOutput(); err != nil {
			r.t.Fatalf("kubectl patch: %v\n%s", err, out)
		}
	}
}

// findKubectl returns kubectl built from the module proxy into the binary
// cache (as the demo does), or why the column is skipped.
func findKubectl() (path, why string) {
	cache, err := devcluster.DefaultCacheDir(os.Getenv)
	if err != nil {
		return "", err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	p, err := devcluster.EnsureKubectl(ctx, cache, nil, nil)
	if err != nil {
		return "", "kubectl could not be built: " + err.Error()
	}
	return p, ""
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratio(a, b []time.Duration) float64 { return float64(median(a)) / float64(median(b)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func spread(ds []time.Duration) string {
	if len(ds) == 1 {
		return ms(ds[0])
	}
	return fmt.Sprintf("%s (%s–%s)", ms(median(ds)), ms(slices.Min(ds)), ms(slices.Max(ds)))
}

// BenchmarkFireToWatch measures what a designer sees when firing a fault:
// from Engine.FireFaultNow until a watch of the ConfigMap shows the
// injected value (journal intent and revert record fsynced, Prepare and
// Inject through the plugin process), next to a bare client-go PATCH until
// the same watch shows it. It prints p50 and max of FIREDRILL_BENCH_ROUNDS
// × 30 fires (default 90), each next to a bare PATCH, and the ratio; the
// first fireWarmUp pairs (the plugin's first calls, new connections) are
// not counted. Target: p50 at most 2x bare.
func BenchmarkFireToWatch(b *testing.B) {
	rounds := 90
	if v, err := strconv.Atoi(os.Getenv("FIREDRILL_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = 30 * v
	}
	r := newRig(b, 1)
	cs := clustertest.Cluster(b).Client()
	var fire, bare []time.Duration
	for b.Loop() {
		fire, bare = fire[:0], bare[:0]
		for i := -fireWarmUp; i < rounds; i++ {
			f, p := r.timeFire(), r.timeBarePatch(cs)
			if i >= 0 {
				fire, bare = append(fire, f), append(bare, p)
			}
		}
	}
	fmt.Fprintf(os.Stdout, "\nfire -> change visible in a watch, %d fires: engine p50 %s (min %s, max %s); bare PATCH p50 %s (min %s, max %s); p50 ratio %.2fx\n",
		rounds, ms(median(fire)), ms(slices.Min(fire)), ms(slices.Max(fire)), ms(median(bare)), ms(slices.Min(bare)), ms(slices.Max(bare)), ratio(fire, bare))
	b.ReportMetric(float64(median(fire).Microseconds())/1000, "ms/fire-p50")
	b.ReportMetric(float64(median(bare).Microseconds())/1000, "ms/bare-p50")
	b.ReportMetric(ratio(fire, bare), "x-bare-p50")
}

// fireWarmUp is how many fire and bare PATCH pairs BenchmarkFireToWatch
// makes before it counts any.
const fireWarmUp = 5

// watchFor returns a function that waits until cfg-0's DB_POOL_MAX is v.
func (r *rig) watchFor(v string) func() {
	r.t.Helper()
	w, err := clustertest.Cluster(r.t).Client().CoreV1().ConfigMaps(r.ns).Watch(r.ctx, metav1.ListOptions{FieldSelector: "metadata.name=cfg-0"})
	if err != nil {
		r.t.Fatal(err)
	}
	return func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if cm, ok := ev.Object.(*corev1.ConfigMap); ok && cm.Data["DB_POOL_MAX"] == v {
				return
			}
		}
		r.t.Fatal("watch ended before the change was seen")
	}
}

// timeFire starts a drill whose one fault is due at 80 minutes, fires it
// now and times until the watch sees it; the drill is aborted afterwards.
func (r *rig) timeFire() time.Duration {
	r.t.Helper()
	s := r.scenario(1)
	later := scenarios.Duration(80 * time.Minute)
	s.Faults[0].At = &later
	d, err := r.engine.CreateDrill(r.ctx, control.DrillRequest{Scenario: s, Actor: "facilitator"})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.engine.Start(r.ctx, d.ID, "facilitator"); err != nil {
		r.t.Fatal(err)
	}
	wait := r.watchFor("1")
	start := time.Now()
	if err := r.engine.FireFaultNow(r.ctx, d.ID, s.Faults[0].ID, "designer"); err != nil {
		r.t.Fatal(err)
	}
	wait()
	took := time.Since(start)
	if err := r.engine.Abort(r.ctx, d.ID, "facilitator", "benchmark cleanup"); err != nil {
		r.t.Fatal(err)
	}
	return took
}

// timeBarePatch times a bare PATCH of the same change until the watch sees
// it, then puts the value back.
func (r *rig) timeBarePatch(cs k8sclient.Interface) time.Duration {
	r.t.Helper()
	wait := r.watchFor("1")
	start := time.Now()
	if _, err := cs.CoreV1().ConfigMaps(r.ns).Patch(r.ctx, "cfg-0", types.StrategicMergePatchType, []byte(`{"data":{"DB_POOL_MAX":"1"}}`), metav1.PatchOptions{}); err != nil {
		r.t.Fatal(err)
	}
	wait()
	took := time.Since(start)
	if _, err := cs.CoreV1().ConfigMaps(r.ns).Patch(r.ctx, "cfg-0", types.StrategicMergePatchType, []byte(`{"data":{"DB_POOL_MAX":"50"}}`), metav1.PatchOptions{}); err != nil {
		r.t.Fatal(err)
	}
	return took
}
