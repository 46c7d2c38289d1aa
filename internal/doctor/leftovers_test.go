package doctor_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/doctor"
	"github.com/firedrill/firedrill/scenarios"
)

// journal writes a drill's journal into a real drill database: created,
// the fault prepared and injected with the injector's revert records, and
// the drill in state.
func journal(t *testing.T, db *sqlite.DB, drillID string, state control.DrillState, faultID string, prepared, injected []byte) {
	t.Helper()
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	created, _ := json.Marshal(control.DrillCreated{ID: drillID, Title: "Thursday drill", TimeScale: 1,
		Scenario: &scenarios.Scenario{Metadata: scenarios.Metadata{Name: "api-down"}, Faults: []scenarios.Fault{{ID: faultID}}}})
	ev := func(typ string, payload any) control.Event {
		b, _ := json.Marshal(payload)
		return control.Event{DrillID: drillID, Type: typ, Time: at, Actor: control.ActorEngine, Payload: b}
	}
	events := []control.Event{
		{DrillID: drillID, Type: control.EventDrillCreated, Time: at, Actor: "facilitator", Payload: created},
		ev(control.EventFaultPrepared, control.FaultEvent{FaultID: faultID, Record: prepared}),
		ev(control.EventFaultInjected, control.FaultEvent{FaultID: faultID, Record: injected}),
	}
	prevHash := ""
	for i := range events {
		if err := events[i].Seal(int64(i), prevHash); err != nil {
			t.Fatal(err)
		}
		prevHash = events[i].Hash
	}
	sum := control.DrillSummary{ID: drillID, Title: "Thursday drill", Scenario: "api-down", State: state,
		Seq: int64(len(events)), Head: prevHash, CreatedAt: at, UpdatedAt: at}
	if err := db.Append(context.Background(), sum, events); err != nil {
		t.Fatal(err)
	}
}

func openDB(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "firedrill.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestLeftovers(t *testing.T) {
	ns := clustertest.Namespace(t)
	installApp(t, ns)
	ctx := context.Background()
	in, err := kubernetes.New(kubernetes.Config{Rest: clustertest.Cluster(t).RESTConfig(), Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}})
	if err != nil {
		t.Fatal(err)
	}
	// A real fault, injected and never reverted: the api scaled to zero.
	drillID, faultID := "drill-"+ns, "api-down"
	f := injectors.Fault{DrillID: drillID, FaultID: faultID, Type: "scale",
		Target: injectors.Target{Namespace: ns, Kind: "Deployment", Name: "api"}, Params: json.RawMessage(`{"replicas":0}`)}
	prepared, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	injected, err := in.Inject(ctx, f, prepared)
	if err != nil {
		t.Fatal(err)
	}
	name := "deployment " + ns + "/api"
	tests := []struct {
		name string
		// db returns the drill database and its path; nil for none.
		db         func(t *testing.T) (doctor.DrillStore, string)
		wantStatus doctor.Status
		wantDetail string
		wantFix    []string
		// run executes the kubectl line of the fix that contains it.
		run string
	}{
		{name: "no drill database: fails, cannot tell whether the drill runs",
			db:         func(t *testing.T) (doctor.DrillStore, string) { return nil, "/nowhere/firedrill.db" },
			wantStatus: doctor.Fail,
			wantDetail: "Deployment NS/api still carries fault api-down of drill DRILL; no drill database at /nowhere/firedrill.db to tell whether that drill still runs",
			wantFix:    []string{"kubectl --context firedrill-dev -n NS edit deployment api", `patch deployment api --type merge -p '{"metadata":{"annotations":{"firedrill.dev/drill-id":null,"firedrill.dev/fault-id":null}}}'`}},
		{name: "drill not in the database: fails as never reverted",
			db:         func(t *testing.T) (doctor.DrillStore, string) { return openDB(t) },
			wantStatus: doctor.Fail,
			wantDetail: "a fault of drill DRILL was never reverted (the drill is not in the drill database at"},
		{name: "drill running: info, in effect as planned",
			db: func(t *testing.T) (doctor.DrillStore, string) {
				db, path := openDB(t)
				journal(t, db, drillID, control.StateRunning, faultID, prepared, injected)
				return db, path
			},
			wantStatus: doctor.Info, wantDetail: "(Thursday drill), which is running: in effect as planned",
			wantFix: []string{"it is reverted when the drill ends"}},
		{name: "drill ended: fails as never reverted, and the printed kubectl command reverts it",
			db: func(t *testing.T) (doctor.DrillStore, string) {
				db, path := openDB(t)
				journal(t, db, drillID, control.StateEnded, faultID, prepared, injected)
				return db, path
			},
			wantStatus: doctor.Fail, wantDetail: "a fault of drill DRILL was never reverted (drill ended, last step fault.injected)",
			wantFix: []string{
				"restart firedrill serve on this data directory",
				`kubectl --context firedrill-dev -n NS patch deployment api --type strategic -p '{"metadata":{"annotations":{"firedrill.dev/drill-id":null,"firedrill.dev/fault-id":null}},"spec":{"replicas":1}}'`,
			},
			run: " patch "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := options(t, nil)
			opts.Drills, opts.DatabasePath = tt.db(t)
			r := doctor.Run(ctx, opts)
			cs := r.Find(doctor.SectionLeftovers, name)
			if len(cs) != 1 {
				t.Fatalf("no single %q leftover:\n%s", name, dump(r))
			}
			c := cs[0]
			repl := strings.NewReplacer("NS", ns, "DRILL", drillID)
			if c.Status != tt.wantStatus || !strings.Contains(c.Detail, repl.Replace(tt.wantDetail)) {
				t.Errorf("check = %+v\nwant status %s, detail with %q", c, tt.wantStatus, repl.Replace(tt.wantDetail))
			}
			for _, w := range tt.wantFix {
				if !strings.Contains(c.Fix, repl.Replace(w)) {
					t.Errorf("fix\n%s\ndoes not contain\n%s", c.Fix, repl.Replace(w))
				}
			}
			if tt.run == "" {
				return
			}
			var line string
			for _, l := range strings.Split(c.Fix, "\n") {
				if strings.Contains(l, tt.run) {
					runKubectl(t, l) // the Deployment, then the ReplicaSets its marks were copied to
					if line == "" {
						line = l
					}
				}
			}
			d, err := clustertest.Client(t).AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *d.Spec.Replicas != 1 || d.Annotations[kubernetes.FaultIDAnnotation] != "" || d.Annotations[kubernetes.DrillIDAnnotation] != "" {
				t.Errorf("after %s: replicas %d, annotations %v; want 1 and no firedrill marks", line, *d.Spec.Replicas, d.Annotations)
			}
			after := doctor.Run(ctx, opts)
			if cs := after.Find(doctor.SectionLeftovers, name); len(cs) != 0 {
				t.Errorf("still a leftover after the fix: %+v", cs)
			}
		})
	}
}

// runKubectl runs a kubectl command line doctor printed, with the dev
// cluster's kubeconfig and kubectl.
func runKubectl(t *testing.T, line string) {
	t.Helper()
	if !strings.HasPrefix(line, "kubectl ") {
		t.Fatalf("fix line %q is not a kubectl command", line)
	}
	cache, err := devcluster.DefaultCacheDir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", line)
	cmd.Env = append(os.Environ(),
		"KUBECONFIG="+clustertest.Cluster(t).Kubeconfig(),
		"PATH="+devcluster.BinDir(cache)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
}

// TestPrintedRevertCommands injects real faults of several shapes (a field,
// a container's image, an added env var, a removed ConfigMap key, a created
// NetworkPolicy), leaves them behind in a drill the database says ended,
// runs the kubectl command doctor prints for each, and asks the injector
// whether the fault is reverted.
func TestPrintedRevertCommands(t *testing.T) {
	tests := []struct {
		name   string
		typ    string
		target injectors.Target
		params string
		object string // the leftover check's name; NS replaced
	}{
		{name: "bad-image: the container image put back", typ: "bad-image",
			target: injectors.Target{Kind: "Deployment", Name: "api"}, params: `{"container":"api","image":"registry.test/api:nope"}`, object: "deployment NS/api"},
		{name: "env-var added: the variable removed", typ: "env-var",
			target: injectors.Target{Kind: "Deployment", Name: "api"}, params: `{"container":"api","name":"FEATURE_X","value":"on"}`, object: "deployment NS/api"},
		{name: "configmap-key removed: the key put back", typ: "configmap-key",
			target: injectors.Target{Name: "api-config"}, params: `{"key":"DB_HOST","remove":true}`, object: "configmap NS/api-config"},
		{name: "cronjob-suspend: the flag put back", typ: "cronjob-suspend",
			target: injectors.Target{Kind: "CronJob", Name: "settle"}, object: "cronjob NS/settle"},
		{name: "network-isolate: the NetworkPolicy deleted", typ: "network-isolate",
			target: injectors.Target{Kind: "Deployment", Name: "api"}, params: `{"direction":"both"}`, object: "networkpolicy NS/api-policy"},
	}
	ctx := context.Background()
	in, err := kubernetes.New(kubernetes.Config{Rest: clustertest.Cluster(t).RESTConfig(), Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			installApp(t, ns)
			settled(t, ns, "api") // the app ran before the drill
			tgt := tt.target
			tgt.Namespace = ns
			f := injectors.Fault{DrillID: "drill-" + ns, FaultID: "f-1", Type: tt.typ, Target: tgt}
			if tt.params != "" {
				f.Params = json.RawMessage(tt.params)
			}
			prepared, err := in.Prepare(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			injected, err := in.Inject(ctx, f, prepared)
			if err != nil {
				t.Fatal(err)
			}
			// Doctor finds the leftover long after the drill: the
			// controller has copied the marks to the fault's ReplicaSet.
			settled(t, ns, "api")
			db, path := openDB(t)
			journal(t, db, f.DrillID, control.StateClosed, f.FaultID, prepared, injected)
			opts := options(t, nil)
			opts.Drills, opts.DatabasePath = db, path
			name := strings.ReplaceAll(tt.object, "NS", ns)
			cs := doctor.Run(ctx, opts).Find(doctor.SectionLeftovers, name)
			if len(cs) != 1 || cs[0].Status != doctor.Fail {
				t.Fatalf("leftover %s: got %+v, want one failure", name, cs)
			}
			for _, line := range strings.Split(cs[0].Fix, "\n") {
				runKubectl(t, line)
			}
			// Asked once the controller has acted on the reverted
			// Deployment, so a copy of the marks it made late is seen.
			settled(t, ns, "api")
			st, err := in.Status(ctx, f, injected)
			if err != nil {
				t.Fatal(err)
			}
			if st.Effect != injectors.Reverted {
				t.Errorf("after %q the fault is %s (%s), want reverted", cs[0].Fix, st.Effect, st.Detail)
			}
			if left, err := in.FindLeftovers(ctx, f.DrillID); err != nil || len(left) != 0 {
				t.Errorf("leftovers after the fix = %v, %v; want none", left, err)
			}
		})
	}
}
