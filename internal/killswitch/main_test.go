package killswitch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sclient "k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors/host"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/injectors/sdk"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/scenarios"
)

// pluginEnv makes the test binary serve the Kubernetes plugin instead of
// running tests: the plugin host launches this binary as its plugin
// process, so that every call crosses a real process boundary (go-plugin,
// gRPC over mTLS) as in production, without building firedrill.
const (
	pluginEnv     = "FIREDRILL_KILLSWITCH_PLUGIN"
	kubeconfigEnv = "FIREDRILL_KILLSWITCH_KUBECONFIG"
	// revertQPSEnv and revertBurstEnv set the plugin's revert rate limit
	// (kubernetes.Config.RevertQPS, RevertBurst); unset, the defaults.
	revertQPSEnv   = "FIREDRILL_KUBERNETES_REVERT_QPS"
	revertBurstEnv = "FIREDRILL_KUBERNETES_REVERT_BURST"
)

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) != "" {
		servePlugin()
		return
	}
	os.Exit(clustertest.Main(m))
}

func servePlugin() {
	qps, _ := strconv.ParseFloat(os.Getenv(revertQPSEnv), 32)
	burst, _ := strconv.Atoi(os.Getenv(revertBurstEnv))
	in, err := kubernetes.New(kubernetes.Config{
		Kubeconfig: os.Getenv(kubeconfigEnv), Context: devcluster.ContextName,
		AllowedContexts: []string{devcluster.ContextName}, RevertQPS: float32(qps), RevertBurst: burst,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sdk.Serve(in)
}

// rig is the real stack: engine, SQLite journal, plugin host, Kubernetes
// plugin process, dev cluster.
type rig struct {
	t      testing.TB
	ctx    context.Context
	ns     string
	dbPath string
	// maxBytes limits the journal (sqlite.DB.MaxBytes); 0 means no limit.
	maxBytes int64
	db       *sqlite.DB
	host     *host.Host
	engine   *control.Engine
	// floor is the unthrottled client of the PATCH floor, connected once.
	floor k8sclient.Interface
}

// newRig starts the stack on the shared dev cluster with n ConfigMaps
// (cfg-0 … cfg-n-1, DB_POOL_MAX=50) in a fresh namespace.
func newRig(t testing.TB, n int) *rig {
	t.Helper()
	c := clustertest.Cluster(t)
	os.Setenv(pluginEnv, "1")
	os.Setenv(kubeconfigEnv, c.Kubeconfig())
	ns := clustertest.Namespace(t)
	cs := c.Client()
	for i := 0; i < n; i++ {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cfg-%d", i)},
			Data:       map[string]string{"DB_POOL_MAX": "50"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, ctx: context.Background(), ns: ns, dbPath: filepath.Join(t.TempDir(), "firedrill.db")}
	r.open(nil)
	return r
}

// open (re)opens the journal, the host and the engine, as a restarted
// firedrill does.
func (r *rig) open(configure func(*control.Engine)) {
	r.t.Helper()
	db := sqlite.NewDB(r.dbPath)
	db.MaxBytes = r.maxBytes
	if err := db.Open(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	h, err := host.Open(r.ctx, host.Config{CallTimeout: 30 * time.Second, Builtins: []host.Builtin{{Name: "kubernetes", Path: os.Args[0]}}})
	if err != nil {
		r.t.Fatal(err)
	}
	e := control.NewEngine(db, h, clock.RealClock{})
	e.PrepareAhead = control.DefaultPrepareAhead // as cmd/firedrill wires it
	if configure != nil {
		configure(e)
	}
	if err := e.Open(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	r.db, r.host, r.engine = db, h, e
	r.t.Cleanup(r.close)
}

func (r *rig) close() {
	if r.engine != nil {
		r.engine.Close()
		r.host.Close()
		r.db.Close()
		r.engine = nil
	}
}

// scenario returns a drill of n configmap-key faults on cfg-0 … cfg-n-1,
// all injected at the start.
func (r *rig) scenario(n int) *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Faults, s.Alerts, s.Hints, s.Injects = nil, nil, nil, nil
	zero := scenarios.Duration(0)
	for i := 0; i < n; i++ {
		s.Faults = append(s.Faults, scenarios.Fault{
			ID: fmt.Sprintf("pool-%03d", i), Title: "DB pool set to 1", Impact: "payments time out",
			Injector: scenarios.InjectorRef{Plugin: "kubernetes", Type: "configmap-key"},
			Target:   scenarios.Target{Namespace: r.ns, Kind: "ConfigMap", Name: fmt.Sprintf("cfg-%d", i)},
			Params:   map[string]any{"key": "DB_POOL_MAX", "value": "1"},
			At:       &zero, ResolvedWhen: scenarios.ResolvedWhen{Manual: true},
		})
	}
	return s
}

// injected starts a drill of n faults and waits until all are in effect.
func (r *rig) injected(n int) string {
	r.t.Helper()
	d, err := r.engine.CreateDrill(r.ctx, control.DrillRequest{Scenario: r.scenario(n), Actor: "facilitator"})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.engine.Start(r.ctx, d.ID, "facilitator"); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		in := 0
		err := r.engine.View(r.ctx, d.ID, func(d *control.Drill) error {
			for _, f := range d.Faults {
				if f.Phase == control.FaultInEffect {
					in++
				} else if f.Phase == control.FaultFailed {
					return fmt.Errorf("fault %s failed: %s", f.ID, f.LastError)
				}
			}
			return nil
		})
		if err != nil {
			r.t.Fatal(err)
		}
		if in == n {
			return d.ID
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d of %d faults injected after 5 minutes", in, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// values returns how many of cfg-0 … cfg-n-1 hold each DB_POOL_MAX value,
// and how many still carry firedrill's marks.
func (r *rig) values(n int) (map[string]int, int) {
	r.t.Helper()
	out, marked := map[string]int{}, 0
	list, err := clustertest.Cluster(r.t).Client().CoreV1().ConfigMaps(r.ns).List(r.ctx, metav1.ListOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, cm := range list.Items {
		if cm.Name == "kube-root-ca.crt" {
			continue
		}
		out[cm.Data["DB_POOL_MAX"]]++
		if _, ok := cm.Annotations[kubernetes.FaultIDAnnotation]; ok {
			marked++
		}
	}
	return out, marked
}

// allReverted fails unless every ConfigMap is back to 50 and unmarked.
func (r *rig) allReverted(n int) {
	r.t.Helper()
	v, marked := r.values(n)
	if len(v) != 1 || v["50"] == 0 || marked != 0 {
		r.t.Fatalf("after the revert of %d faults: values %v, %d still marked; expected all back to 50, none marked", n, v, marked)
	}
}
