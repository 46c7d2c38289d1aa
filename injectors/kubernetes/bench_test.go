package kubernetes_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// BenchmarkInjectLatency measures trigger → change visible in a watch: the
// time from calling Inject (the record is already persisted after Prepare)
// until a watcher of the ConfigMap sees the injected value.
func BenchmarkInjectLatency(b *testing.B) {
	ns := clustertest.Namespace(b)
	makeConfigMap(b, ns, "cfg", map[string]string{"PAYMENT_TIMEOUT_MS": "3000"})
	in := newInjector(b)
	ctx := context.Background()
	w, err := clustertest.Client(b).CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=cfg"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		value := fmt.Sprint(50 + i)
		f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "PAYMENT_TIMEOUT_MS", "value": value})
		f.FaultID = fmt.Sprintf("lat-%d", i)
		rec, err := in.Prepare(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if rec, err = in.Inject(ctx, f, rec); err != nil {
			b.Fatal(err)
		}
		for ev := range w.ResultChan() {
			if cm, ok := ev.Object.(*corev1.ConfigMap); ok && cm.Data["PAYMENT_TIMEOUT_MS"] == value {
				break
			}
		}
		total += time.Since(start)
		b.StopTimer()
		if err := in.Revert(ctx, rec); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/inject-visible")
}

// benchFault is one of the 50 faults of the abort benchmarks, with the
// strategic merge patch a person would send (one kubectl patch) to undo it.
type benchFault struct {
	f     injectors.Fault
	kind  string // kubectl resource name
	name  string
	patch string
}

const unmark = `"metadata":{"annotations":{"firedrill.dev/drill-id":null,"firedrill.dev/fault-id":null}}`

// fifty creates the objects of 50 faults of five types in a new namespace
// and returns the faults.
func fifty(b *testing.B) (string, []benchFault) {
	b.Helper()
	ns := clustertest.Namespace(b)
	var out []benchFault
	for i := 0; i < 10; i++ {
		cm := fmt.Sprintf("cfg-%d", i)
		makeConfigMap(b, ns, cm, map[string]string{"DB_POOL_MAX": "50"})
		out = append(out, benchFault{fault("configmap-key", ns, "ConfigMap", cm, map[string]any{"key": "DB_POOL_MAX", "value": "1"}),
			"configmap", cm, `{"data":{"DB_POOL_MAX":"50"},` + unmark + `}`})
		sec := fmt.Sprintf("db-%d", i)
		makeSecret(b, ns, sec, map[string]string{"DB_URL": "db-primary"})
		out = append(out, benchFault{fault("secret-key", ns, "Secret", sec, map[string]any{"key": "DB_URL", "value": "db-replica-2"}),
			"secret", sec, fmt.Sprintf(`{"data":{"DB_URL":%q},`+unmark+`}`, base64.StdEncoding.EncodeToString([]byte("db-primary")))})
		dep := fmt.Sprintf("api-%d", i)
		makeDeployment(b, ns, dep, 1)
		out = append(out, benchFault{fault("scale", ns, "Deployment", dep, map[string]any{"replicas": 0}),
			"deployment", dep, `{"spec":{"replicas":1},` + unmark + `}`})
		wrk := fmt.Sprintf("worker-%d", i)
		makeDeployment(b, ns, wrk, 1)
		out = append(out, benchFault{fault("env-var", ns, "Deployment", wrk, map[string]any{"name": "MODE", "value": "invalid"}),
			"deployment", wrk, fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":%q,"env":[{"name":"MODE","value":"prod"}]}]}}},`+unmark+`}`, wrk)})
		cj := fmt.Sprintf("settle-%d", i)
		makeCronJob(b, ns, cj)
		out = append(out, benchFault{fault("cronjob-suspend", ns, "CronJob", cj, nil),
			"cronjob", cj, `{"spec":{"suspend":false},` + unmark + `}`})
	}
	for i := range out {
		out[i].f.FaultID = fmt.Sprintf("abort-%02d", i)
	}
	return ns, out
}

func injectAll(b *testing.B, in *kubernetes.Injector, faults []benchFault) [][]byte {
	b.Helper()
	recs := make([][]byte, len(faults))
	for i, bf := range faults {
		rec, err := in.Prepare(context.Background(), bf.f)
		if err != nil {
			b.Fatal(err)
		}
		if recs[i], err = in.Inject(context.Background(), bf.f, rec); err != nil {
			b.Fatal(err)
		}
	}
	return recs
}

func checkAllReverted(b *testing.B, in *kubernetes.Injector, faults []benchFault, recs [][]byte) {
	b.Helper()
	for i, bf := range faults {
		st, err := in.Status(context.Background(), bf.f, recs[i])
		if err != nil || st.Effect != injectors.Reverted {
			b.Fatalf("%s after abort: %+v %v", bf.f.FaultID, st, err)
		}
	}
}

// BenchmarkAbort50Faults measures abort → 50 active faults (configmap-key,
// secret-key, scale, env-var, cronjob-suspend; ten each) all reverted, with
// the 50 Reverts issued concurrently, as the engine does on abort. Target:
// at most 1 s.
func BenchmarkAbort50Faults(b *testing.B) {
	_, faults := fifty(b)
	in := newInjector(b)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		recs := injectAll(b, in, faults)
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, len(recs))
		for j := range recs {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				errs[j] = in.Revert(context.Background(), recs[j])
			}(j)
		}
		wg.Wait()
		total += time.Since(start)
		b.StopTimer()
		for j, err := range errs {
			if err != nil {
				b.Fatalf("revert %s: %v", faults[j].f.FaultID, err)
			}
		}
		checkAllReverted(b, in, faults, recs)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/abort-50")
}

// BenchmarkAbort50FaultsOneAPICallEach reverts the same 50 faults the way a
// person with a script would: one strategic merge patch per object,
// sequentially, through client-go (no read, no conflict check).
func BenchmarkAbort50FaultsOneAPICallEach(b *testing.B) {
	ns, faults := fifty(b)
	in := newInjector(b)
	d := dyn(b)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		recs := injectAll(b, in, faults)
		b.StartTimer()
		start := time.Now()
		for _, bf := range faults {
			if err := patchOne(d, ns, bf); err != nil {
				b.Fatalf("patch %s: %v", bf.f.FaultID, err)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		checkAllReverted(b, in, faults, recs)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/abort-50")
}

// patchOne sends the one patch that undoes bf.
func patchOne(d dynamic.Interface, ns string, bf benchFault) error {
	_, err := d.Resource(gvrs[bf.f.Target.Kind]).Namespace(ns).Patch(context.Background(), bf.name, types.StrategicMergePatchType, []byte(bf.patch), metav1.PatchOptions{})
	return err
}

// BenchmarkAbort50FaultsKubectl reverts the same 50 faults with one
// `kubectl patch` process each, sequentially, as a person at a terminal
// would. kubectl is built into the binary cache on first use.
func BenchmarkAbort50FaultsKubectl(b *testing.B) {
	c := clustertest.Cluster(b)
	cacheDir, err := devcluster.DefaultCacheDir(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	kubectl, err := devcluster.EnsureKubectl(context.Background(), cacheDir, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ns, faults := fifty(b)
	in := newInjector(b)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		recs := injectAll(b, in, faults)
		b.StartTimer()
		start := time.Now()
		for _, bf := range faults {
			out, err := exec.Command(kubectl, "--kubeconfig", c.Kubeconfig(), "-n", ns, "patch", bf.kind, bf.name, "-p", bf.patch).CombinedOutput()
			if err != nil {
				b.Fatalf("kubectl patch %s %s: %v\n%s", bf.kind, bf.name, err, out)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		checkAllReverted(b, in, faults, recs)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/abort-50")
}
