package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func configMapValue(t *testing.T, ns, name, key string) (string, bool) {
	t.Helper()
	cm, err := clustertest.Client(t).CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := cm.Data[key]
	return v, ok
}

func patchConfigMap(t *testing.T, ns, name, patch string) {
	t.Helper()
	if _, err := clustertest.Client(t).CoreV1().ConfigMaps(ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestRevertLeavesWhatParticipantsChanged(t *testing.T) {
	tests := []struct {
		name       string
		heal       string // merge patch a participant applies after the inject
		wantStatus injectors.Effect
		wantValue  string
	}{
		{name: "healed to the old value: reverted, nothing to do", heal: `{"data":{"DB_POOL_MAX":"50"}}`, wantStatus: injectors.Reverted, wantValue: "50"},
		{name: "fixed to another value: drifted, their value kept", heal: `{"data":{"DB_POOL_MAX":"80"}}`, wantStatus: injectors.Drifted, wantValue: "80"},
	}
	in := newInjector(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
			f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
			rec := lifecycle(t, in, f)
			patchConfigMap(t, ns, "cfg", tt.heal)
			st, err := in.Status(ctx, f, rec)
			if err != nil || st.Effect != tt.wantStatus {
				t.Errorf("Status = %+v, %v; want %s", st, err, tt.wantStatus)
			}
			if err := in.Revert(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != tt.wantValue {
				t.Errorf("after revert DB_POOL_MAX = %q, want %q", v, tt.wantValue)
			}
			cm := getObj(t, "ConfigMap", ns, "cfg")
			if _, ok := cm.GetAnnotations()[kubernetes.FaultIDAnnotation]; ok {
				t.Error("fault annotation left after revert")
			}
		})
	}
}

func TestRevertKeepsUnrelatedLaterEdits(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"PAYMENT_TIMEOUT_MS": "3000", "OTHER": "a"})
	in := newInjector(t)
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "PAYMENT_TIMEOUT_MS", "value": "50"})
	rec := lifecycle(t, in, f)
	patchConfigMap(t, ns, "cfg", `{"metadata":{"labels":{"reviewed":"yes"}},"data":{"OTHER":"b","NEW":"c"}}`)
	if err := in.Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	cm, err := clustertest.Client(t).CoreV1().ConfigMaps(ns).Get(context.Background(), "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PAYMENT_TIMEOUT_MS": "3000", "OTHER": "b", "NEW": "c"}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("data[%s] = %q, want %q", k, cm.Data[k], v)
		}
	}
	if cm.Labels["reviewed"] != "yes" {
		t.Errorf("label added after the inject was lost: %v", cm.Labels)
	}
}

func TestInjectTwiceKeepsTheOriginalValueForRevert(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_PORT": "5432"})
	in := newInjector(t)
	ctx := context.Background()
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_PORT", "value": "5433"})
	prepared, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Inject(ctx, f, prepared); err != nil {
		t.Fatal(err)
	}
	// The controller crashed before persisting the refined record and
	// retries with the prepared one.
	rec, err := in.Inject(ctx, f, prepared)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if v, _ := configMapValue(t, ns, "cfg", "DB_PORT"); v != "5432" {
		t.Errorf("after revert DB_PORT = %q, want 5432", v)
	}
}

func TestRevertWithThePreparedRecordWhenInjectNeverFinished(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_PORT": "5432"})
	in := newInjector(t)
	ctx := context.Background()
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_PORT", "value": "5433"})
	prepared, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	before := comparable(t, getObj(t, "ConfigMap", ns, "cfg"))
	t.Run("never injected: nothing changes", func(t *testing.T) {
		if err := in.Revert(ctx, prepared); err != nil {
			t.Fatal(err)
		}
		if got := comparable(t, getObj(t, "ConfigMap", ns, "cfg")); got != before {
			t.Errorf("got %s, want %s", got, before)
		}
	})
	t.Run("injected, refined record lost: the prepared record reverts", func(t *testing.T) {
		if _, err := in.Inject(ctx, f, prepared); err != nil {
			t.Fatal(err)
		}
		// A new injector, as after a plugin restart: the record alone suffices.
		if err := newInjector(t).Revert(ctx, prepared); err != nil {
			t.Fatal(err)
		}
		if got := comparable(t, getObj(t, "ConfigMap", ns, "cfg")); got != before {
			t.Errorf("got %s, want %s", got, before)
		}
	})
}

func TestRevertRetriesWhileTheAPIServerIsDown(t *testing.T) {
	c := clustertest.Cluster(t)
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_URL": "db-primary"})
	in := newInjector(t)
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_URL", "value": "db-replica-2"})
	rec := lifecycle(t, in, f)

	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	// The later tests share the cluster: whatever happens here, the API
	// server is back and the controllers act again before they run (in one
	// of three loaded runs the next test's namespace got no service account
	// within 60 s while the controller manager's watches backed off).
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = c.StartAPIServer(context.Background())
		}
		clustertest.WaitControllers(t)
	})
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() { done <- in.Revert(ctx, rec) }()
	select {
	case err := <-done:
		t.Fatalf("Revert returned while the API server was down: %v", err)
	case <-time.After(2 * time.Second):
	}
	restarted = true
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Revert after the API server came back: %v", err)
	}
	if v, _ := configMapValue(t, ns, "cfg", "DB_URL"); v != "db-primary" {
		t.Errorf("DB_URL = %q, want db-primary", v)
	}
}

func TestSafetyRailsRefuse(t *testing.T) {
	optedIn := clustertest.Namespace(t)
	plain := clustertest.PlainNamespace(t)
	makeConfigMap(t, optedIn, "cfg", map[string]string{"A": "1"})
	makeConfigMap(t, plain, "cfg", map[string]string{"A": "1"})
	tests := []struct {
		name     string
		cfg      func(*kubernetes.Config)
		ns       string
		target   injectors.Target
		wantCode string
		wantMsg  string
	}{
		{name: "context not allowed", cfg: func(c *kubernetes.Config) { c.AllowedContexts = []string{"prod"} }, ns: optedIn,
			wantCode: injectors.EFORBIDDEN, wantMsg: "kubernetes.allowedContexts"},
		{name: "namespace not opted in", ns: plain, wantCode: injectors.EFORBIDDEN, wantMsg: "label it firedrill.dev/drill-target=true"},
		{name: "kube-system always", ns: "kube-system", wantCode: injectors.EFORBIDDEN, wantMsg: "protected"},
		{name: "kube-node-lease always", ns: "kube-node-lease", wantCode: injectors.EFORBIDDEN, wantMsg: "protected"},
		{name: "configured protected namespace", cfg: func(c *kubernetes.Config) { c.ProtectedNamespaces = []string{optedIn} }, ns: optedIn,
			wantCode: injectors.EFORBIDDEN, wantMsg: "kubernetes.protectedNamespaces"},
		{name: "node not opted in", target: injectors.Target{Kind: "Node", Name: "kwok-node-0"}, wantCode: injectors.EFORBIDDEN, wantMsg: "node \"kwok-node-0\" is not opted in"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mut []func(*kubernetes.Config)
			if tt.cfg != nil {
				mut = append(mut, tt.cfg)
			}
			in := newInjector(t, mut...)
			f := fault("configmap-key", tt.ns, "ConfigMap", "cfg", map[string]any{"key": "A", "value": "2"})
			if tt.target.Kind == "Node" {
				f = injectors.Fault{DrillID: drillID, FaultID: "f1", Type: "node-cordon", Target: tt.target}
			}
			for name, call := range map[string]func() error{
				"Validate": func() error { return in.Validate(ctx, f) },
				"Prepare":  func() error { _, err := in.Prepare(ctx, f); return err },
			} {
				err := call()
				wantCode(t, err, tt.wantCode)
				if !strings.Contains(injectors.ErrorMessage(err), tt.wantMsg) {
					t.Errorf("%s: message %q does not say %q", name, injectors.ErrorMessage(err), tt.wantMsg)
				}
			}
		})
	}
	if v, _ := configMapValue(t, plain, "cfg", "A"); v != "1" {
		t.Errorf("refused fault changed the ConfigMap: A=%q", v)
	}
}

func TestValidateReportsBadFaultsAndChangesNothing(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "api", 1, corev1.Container{Name: "api", Image: "api:1"}, corev1.Container{Name: "sidecar", Image: "proxy:1"})
	makeService(t, ns, "web", labelsOf("web"))
	before := comparable(t, getObj(t, "Deployment", ns, "api"))
	in := newInjector(t)
	tests := []struct {
		name     string
		f        injectors.Fault
		wantCode string
		wantMsg  string
	}{
		{name: "unknown type", f: fault("melt-cpu", ns, "Deployment", "api", nil), wantCode: injectors.EINVALID, wantMsg: "expected one of pod-delete, scale"},
		{name: "missing required param", f: fault("scale", ns, "Deployment", "api", map[string]any{}), wantCode: injectors.EINVALID, wantMsg: "replicas"},
		{name: "param of the wrong type", f: fault("scale", ns, "Deployment", "api", map[string]any{"replicas": "three"}), wantCode: injectors.EINVALID, wantMsg: "at /replicas"},
		{name: "unknown param", f: fault("scale", ns, "Deployment", "api", map[string]any{"replicas": 1, "replica": 2}), wantCode: injectors.EINVALID, wantMsg: "replica"},
		{name: "kind the type does not support", f: fault("scale", ns, "ConfigMap", "api", map[string]any{"replicas": 1}), wantCode: injectors.EINVALID, wantMsg: "expected one of Deployment, StatefulSet"},
		{name: "missing object", f: fault("scale", ns, "Deployment", "nope", map[string]any{"replicas": 1}), wantCode: injectors.ENOTFOUND, wantMsg: "Deployment " + ns + "/nope not found"},
		{name: "container ambiguous", f: fault("bad-image", ns, "Deployment", "api", map[string]any{"image": "invalid/x"}), wantCode: injectors.EINVALID, wantMsg: "params.container: required because the pod template has 2 containers"},
		{name: "container unknown", f: fault("bad-image", ns, "Deployment", "api", map[string]any{"image": "invalid/x", "container": "db"}), wantCode: injectors.EINVALID, wantMsg: "no container \"db\""},
		{name: "surge below one", f: fault("traffic-surge", ns, "Deployment", "api", map[string]any{"factor": 0.5, "container": "api"}), wantCode: injectors.EINVALID, wantMsg: "/factor"},
		{name: "surge of a workload without a rate", f: fault("traffic-surge", ns, "Deployment", "api", map[string]any{"factor": 3, "container": "api"}), wantCode: injectors.EINVALID, wantMsg: "has no variable RPS holding a request rate"},
		{name: "rejected by the server's dry run", f: fault("service-selector", ns, "Service", "web", map[string]any{"selector": map[string]any{"app": "not a label value!"}}), wantCode: injectors.EINVALID, wantMsg: "the API server refused the change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := in.Validate(context.Background(), tt.f)
			wantCode(t, err, tt.wantCode)
			if !strings.Contains(injectors.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("message %q does not say %q", injectors.ErrorMessage(err), tt.wantMsg)
			}
		})
	}
	t.Run("valid fault passes the dry run and changes nothing", func(t *testing.T) {
		if err := in.Validate(context.Background(), fault("bad-image", ns, "Deployment", "api", map[string]any{"image": "invalid/x", "container": "api"})); err != nil {
			t.Fatal(err)
		}
		if got := comparable(t, getObj(t, "Deployment", ns, "api")); got != before {
			t.Errorf("Validate changed the object:\n got %s\nwant %s", got, before)
		}
	})
}

func TestInfoDescribesEveryTypeWithASchema(t *testing.T) {
	in, err := kubernetes.New(kubernetes.Config{Rest: clustertest.Cluster(t).RESTConfig(), Context: "elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := in.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var faults, probes []string
	for _, ft := range info.FaultTypes {
		faults = append(faults, ft.Name)
		var s map[string]any
		if err := json.Unmarshal(ft.ParamsSchema, &s); err != nil || s["type"] != "object" {
			t.Errorf("%s: schema is not an object schema: %v", ft.Name, err)
		}
	}
	for _, pt := range info.ProbeTypes {
		probes = append(probes, pt.Name)
		if len(pt.ParamsSchema) == 0 {
			t.Errorf("%s: no schema", pt.Name)
		}
	}
	wantFaults := "pod-delete scale bad-image configmap-key secret-key env-var service-selector network-isolate resource-squeeze node-cordon hpa-bounds cronjob-suspend traffic-surge pod-slow"
	if got := strings.Join(faults, " "); got != wantFaults {
		t.Errorf("fault types = %s, want %s", got, wantFaults)
	}
	if got := strings.Join(probes, " "); got != "deployment-available pod-status endpoints deployment-state http-get" {
		t.Errorf("probe types = %s", got)
	}
	if info.Name != "kubernetes" || len(info.APIVersions) == 0 {
		t.Errorf("info = %+v", info)
	}
	if in.Context() != "elsewhere" {
		t.Errorf("Context() = %q", in.Context())
	}
	_ = devcluster.ContextName
}

// TestLayeredFaultsOnOneObjectRevertInAnyOrder covers the layered shape of
// a drill: two faults change the same Deployment; whichever is reverted
// first, the object ends exactly as it was, without leftover annotations.
func TestLayeredFaultsOnOneObjectRevertInAnyOrder(t *testing.T) {
	for _, order := range []string{"first fault reverted first", "second fault reverted first"} {
		t.Run(order, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			makeDeployment(t, ns, "order-api", 1)
			before := comparable(t, getObj(t, "Deployment", ns, "order-api"))
			in := newInjector(t)
			envFault := fault("env-var", ns, "Deployment", "order-api", map[string]any{"name": "MODE", "value": "invalid"})
			envFault.FaultID = "env"
			imageFault := fault("bad-image", ns, "Deployment", "order-api", map[string]any{"image": "invalid/order-api:2"})
			imageFault.FaultID = "image"
			recs := [][]byte{lifecycle(t, in, envFault), lifecycle(t, in, imageFault)}
			if got := getObj(t, "Deployment", ns, "order-api").GetAnnotations()[kubernetes.FaultIDAnnotation]; got != "env,image" {
				t.Errorf("fault annotation = %q, want env,image", got)
			}
			if order == "second fault reverted first" {
				recs[0], recs[1] = recs[1], recs[0]
			}
			for _, rec := range recs {
				if err := in.Revert(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
			}
			if got := comparable(t, getObj(t, "Deployment", ns, "order-api")); got != before {
				t.Errorf("after both reverts\n got %s\nwant %s", got, before)
			}
		})
	}
}

// The deployment controller copies a Deployment's annotations onto its
// ReplicaSets and never takes them off: revert takes the fault's marks off
// every ReplicaSet that was current while the fault was in effect, and the
// leftover scan would report any it missed.
func TestRevertTakesTheMarksOffTheDeploymentsReplicaSets(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "web", 1)
	waitAvailable(t, ns, "web", 1)
	in := newInjector(t)
	// A new pod template makes a second ReplicaSet while the fault is in
	// effect; it carries the marks, and stays behind as an old ReplicaSet
	// when the revert brings the first one back.
	f := fault("env-var", ns, "Deployment", "web", map[string]any{"name": "MODE", "value": "broken"})
	f.DrillID = "d-replicasets"
	rec := lifecycle(t, in, f)
	rss := func() []unstructured.Unstructured {
		l, err := dyn(t).Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	eventually(t, "the fault's ReplicaSet carries its marks", func() (bool, string) {
		marked := 0
		for _, rs := range rss() {
			if rs.GetAnnotations()[kubernetes.FaultIDAnnotation] == f.FaultID {
				marked++
			}
		}
		return marked >= 1, fmt.Sprintf("%d of %d ReplicaSets marked", marked, len(rss()))
	})
	left, err := in.FindLeftovers(context.Background(), f.DrillID)
	if err != nil {
		t.Fatal(err)
	}
	if kinds := leftoverKinds(left); !slices.Contains(kinds, "ReplicaSet") {
		t.Errorf("while the fault is in effect the leftover scan finds %v, want ReplicaSets among them", kinds)
	}
	if err := in.Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss() {
		if a := rs.GetAnnotations(); a[kubernetes.FaultIDAnnotation] != "" || a[kubernetes.DrillIDAnnotation] != "" {
			t.Errorf("ReplicaSet %s still carries %v after the revert", rs.GetName(), a)
		}
	}
	if left, err := in.FindLeftovers(context.Background(), f.DrillID); err != nil || len(left) != 0 {
		t.Errorf("leftovers after the revert: %v, %v; want none", left, err)
	}
}

func leftoverKinds(ls []kubernetes.Leftover) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Kind)
	}
	return out
}

// A participant who puts back only the memory limit a resource squeeze
// lowered must not keep the revert from putting back the request the fault
// lowered with it.
func TestRevertOfAPartlyFixedResourceSqueezePutsBackTheRest(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "web", 1)
	in := newInjector(t)
	rec := lifecycle(t, in, fault("resource-squeeze", ns, "Deployment", "web", map[string]any{"container": "web", "memoryLimit": "64Mi"}))
	cs := clustertest.Client(t)
	ctx := context.Background()
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"memory":"512Mi"}}}]}}}}`
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Spec.Template.Spec.Containers[0].Resources
	if r.Limits.Memory().String() != "512Mi" || r.Requests.Memory().String() != "256Mi" {
		t.Errorf("after the revert memory limit %s, request %s; want 512Mi and 256Mi", r.Limits.Memory(), r.Requests.Memory())
	}
}
