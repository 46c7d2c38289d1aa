package kubernetes_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

type ref struct{ kind, name string }

// TestEveryFaultTypeInjectsAndRevertsExactly runs each fault type of the
// catalog against the real API server: inject, observe the effect through
// the API, revert, and compare the objects with their state before, ignoring
// server-managed fields. Reverting again changes nothing.
func TestEveryFaultTypeInjectsAndRevertsExactly(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, ns string)
		fault   func(ns string) injectors.Fault
		objects []ref // compared before and after
		effect  func(t *testing.T, ns string)
	}{
		{
			name:  "scale deployment to zero",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "api", 2); waitAvailable(t, ns, "api", 2) },
			fault: func(ns string) injectors.Fault {
				return fault("scale", ns, "Deployment", "api", map[string]any{"replicas": 0})
			},
			objects: []ref{{"Deployment", "api"}},
			effect: func(t *testing.T, ns string) {
				eventually(t, "pods gone", func() (bool, string) {
					l, _ := clustertest.Client(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=api"})
					return l != nil && len(l.Items) == 0, fmt.Sprintf("%d pods", len(l.Items))
				})
			},
		},
		{
			name:  "scale statefulset",
			setup: func(t *testing.T, ns string) { makeStatefulSet(t, ns, "db") },
			fault: func(ns string) injectors.Fault {
				return fault("scale", ns, "StatefulSet", "db", map[string]any{"replicas": 1})
			},
			objects: []ref{{"StatefulSet", "db"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "StatefulSet", ns, "db"), int64(1), "spec", "replicas")
			},
		},
		{
			name:  "bad image rollout",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "web", 1); waitAvailable(t, ns, "web", 1) },
			fault: func(ns string) injectors.Fault {
				return fault("bad-image", ns, "Deployment", "web", map[string]any{"image": "invalid/web:2024-11-31"})
			},
			objects: []ref{{"Deployment", "web"}},
			effect: func(t *testing.T, ns string) {
				eventually(t, "a pod in ErrImagePull", func() (bool, string) {
					l, _ := clustertest.Client(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
					for _, p := range l.Items {
						for _, s := range p.Status.ContainerStatuses {
							if s.State.Waiting != nil && s.State.Waiting.Reason == "ErrImagePull" && s.Image == "invalid/web:2024-11-31" {
								return true, ""
							}
						}
					}
					return false, fmt.Sprintf("%d pods", len(l.Items))
				})
			},
		},
		{
			name: "configmap key changed and workload restarted",
			setup: func(t *testing.T, ns string) {
				makeConfigMap(t, ns, "order-api-config", map[string]string{"PAYMENT_TIMEOUT_MS": "3000", "DB_POOL_MAX": "50"})
				makeDeployment(t, ns, "order-api", 1)
			},
			fault: func(ns string) injectors.Fault {
				return fault("configmap-key", ns, "ConfigMap", "order-api-config", map[string]any{"key": "PAYMENT_TIMEOUT_MS", "value": "50", "restart": "deployment/order-api"})
			},
			objects: []ref{{"ConfigMap", "order-api-config"}, {"Deployment", "order-api"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "ConfigMap", ns, "order-api-config"), "50", "data", "PAYMENT_TIMEOUT_MS")
				d := getObj(t, "Deployment", ns, "order-api")
				if _, ok, _ := unstructured.NestedString(d.Object, "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"); !ok {
					t.Error("deployment was not restarted")
				}
			},
		},
		{
			name:  "configmap key removed",
			setup: func(t *testing.T, ns string) { makeConfigMap(t, ns, "cfg", map[string]string{"A": "1", "B": "2"}) },
			fault: func(ns string) injectors.Fault {
				return fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "B", "remove": true})
			},
			objects: []ref{{"ConfigMap", "cfg"}},
			effect: func(t *testing.T, ns string) {
				if _, ok, _ := unstructured.NestedString(getObj(t, "ConfigMap", ns, "cfg").Object, "data", "B"); ok {
					t.Error("key B still there")
				}
			},
		},
		{
			name: "secret key changed",
			setup: func(t *testing.T, ns string) {
				makeSecret(t, ns, "order-api-db", map[string]string{"DB_URL": "postgres://order:pw@db-primary:5432/orders", "DB_PASSWORD": "s3cret"})
			},
			fault: func(ns string) injectors.Fault {
				return fault("secret-key", ns, "Secret", "order-api-db", map[string]any{"key": "DB_URL", "value": "postgres://order:pw@db-replica-2:5432/orders"})
			},
			objects: []ref{{"Secret", "order-api-db"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "Secret", ns, "order-api-db"), base64.StdEncoding.EncodeToString([]byte("postgres://order:pw@db-replica-2:5432/orders")), "data", "DB_URL")
			},
		},
		{
			name:  "env var changed makes the container crash-loop",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "worker", 1); waitAvailable(t, ns, "worker", 1) },
			fault: func(ns string) injectors.Fault {
				return fault("env-var", ns, "Deployment", "worker", map[string]any{"name": "MODE", "value": "invalid-mode"})
			},
			objects: []ref{{"Deployment", "worker"}},
			effect: func(t *testing.T, ns string) {
				eventually(t, "a pod in CrashLoopBackOff", func() (bool, string) {
					l, _ := clustertest.Client(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=worker"})
					for _, p := range l.Items {
						for _, s := range p.Status.ContainerStatuses {
							if s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" {
								return true, ""
							}
						}
					}
					return false, fmt.Sprintf("%d pods", len(l.Items))
				})
			},
		},
		{
			name:  "env var added",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "worker", 1) },
			fault: func(ns string) injectors.Fault {
				return fault("env-var", ns, "Deployment", "worker", map[string]any{"name": "DEBUG", "value": "1"})
			},
			objects: []ref{{"Deployment", "worker"}},
			effect: func(t *testing.T, ns string) {
				env, _, _ := unstructured.NestedSlice(getObj(t, "Deployment", ns, "worker").Object["spec"].(map[string]any)["template"].(map[string]any), "spec", "containers")
				if !strings.Contains(fmt.Sprint(env), "DEBUG") {
					t.Errorf("DEBUG not in %v", env)
				}
			},
		},
		{
			name:    "service selector broken",
			setup:   func(t *testing.T, ns string) { makeService(t, ns, "web", labelsOf("web")) },
			fault:   func(ns string) injectors.Fault { return fault("service-selector", ns, "Service", "web", nil) },
			objects: []ref{{"Service", "web"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "Service", ns, "web"), "f1", "spec", "selector", "firedrill.dev/broken")
			},
		},
		{
			name:  "network isolated",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "payment-worker", 1) },
			fault: func(ns string) injectors.Fault {
				return fault("network-isolate", ns, "Deployment", "payment-worker", map[string]any{"direction": "egress", "allowDNS": true})
			},
			objects: []ref{{"Deployment", "payment-worker"}},
			effect: func(t *testing.T, ns string) {
				np, err := clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).Get(context.Background(), "payment-worker-egress", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got := np.Spec.PodSelector.MatchLabels["app"]; got != "payment-worker" {
					t.Errorf("policy selects app=%q", got)
				}
				if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != "Egress" || len(np.Spec.Egress) != 1 {
					t.Errorf("policy = %+v, want egress denied except DNS", np.Spec)
				}
			},
		},
		{
			name:  "resources squeezed",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "web", 1) },
			fault: func(ns string) injectors.Fault {
				return fault("resource-squeeze", ns, "Deployment", "web", map[string]any{"container": "web", "memoryLimit": "64Mi"})
			},
			objects: []ref{{"Deployment", "web"}},
			effect: func(t *testing.T, ns string) {
				d, _ := clustertest.Client(t).AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
				r := d.Spec.Template.Spec.Containers[0].Resources
				if r.Limits.Memory().String() != "64Mi" || r.Requests.Memory().String() != "64Mi" || r.Limits.Cpu().String() != "1" {
					t.Errorf("resources = %v / %v, want memory limit and request 64Mi, cpu limit kept", r.Limits, r.Requests)
				}
			},
		},
		{
			name:  "hpa bounds changed",
			setup: func(t *testing.T, ns string) { makeDeployment(t, ns, "api", 2); makeHPA(t, ns, "api") },
			fault: func(ns string) injectors.Fault {
				return fault("hpa-bounds", ns, "HorizontalPodAutoscaler", "api", map[string]any{"minReplicas": 1, "maxReplicas": 1})
			},
			objects: []ref{{"HorizontalPodAutoscaler", "api"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "HorizontalPodAutoscaler", ns, "api"), int64(1), "spec", "maxReplicas")
			},
		},
		{
			name: "traffic surged",
			setup: func(t *testing.T, ns string) {
				makeDeployment(t, ns, "traffic", 1, corev1.Container{Name: "traffic", Image: "registry.shop.internal/traffic:2024-11-25",
					Env: []corev1.EnvVar{{Name: "TARGET", Value: "http://web"}, {Name: "RPS", Value: "30"}}})
			},
			fault: func(ns string) injectors.Fault {
				return fault("traffic-surge", ns, "Deployment", "traffic", map[string]any{"factor": 2.5})
			},
			objects: []ref{{"Deployment", "traffic"}},
			effect: func(t *testing.T, ns string) {
				d, _ := clustertest.Client(t).AppsV1().Deployments(ns).Get(context.Background(), "traffic", metav1.GetOptions{})
				if env := d.Spec.Template.Spec.Containers[0].Env; len(env) != 2 || env[1] != (corev1.EnvVar{Name: "RPS", Value: "75"}) || env[0].Value != "http://web" {
					t.Errorf("env = %v, want RPS 75 (30 x 2.5) and TARGET kept", env)
				}
			},
		},
		{
			name:    "cronjob suspended",
			setup:   func(t *testing.T, ns string) { makeCronJob(t, ns, "settlement") },
			fault:   func(ns string) injectors.Fault { return fault("cronjob-suspend", ns, "CronJob", "settlement", nil) },
			objects: []ref{{"CronJob", "settlement"}},
			effect: func(t *testing.T, ns string) {
				wantField(t, getObj(t, "CronJob", ns, "settlement"), true, "spec", "suspend")
			},
		},
	}
	in := newInjector(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			tt.setup(t, ns)
			before := map[ref]string{}
			for _, r := range tt.objects {
				before[r] = comparable(t, getObj(t, r.kind, ns, r.name))
			}
			f := tt.fault(ns)
			rec := lifecycle(t, in, f)
			tt.effect(t, ns)
			st, err := in.Status(ctx, f, rec)
			if err != nil || st.Effect != injectors.InEffect {
				t.Fatalf("Status after inject = %+v, %v; want in-effect", st, err)
			}
			leftovers, err := in.FindLeftovers(ctx, drillID)
			if err != nil {
				t.Fatal(err)
			}
			if !hasLeftover(leftovers, ns, f.FaultID) {
				t.Errorf("FindLeftovers = %+v, want an object of fault %s in %s", leftovers, f.FaultID, ns)
			}
			for i := 0; i < 2; i++ {
				if err := in.Revert(ctx, rec); err != nil {
					t.Fatalf("Revert #%d: %v", i+1, err)
				}
				for _, r := range tt.objects {
					if got := comparable(t, getObj(t, r.kind, ns, r.name)); got != before[r] {
						t.Errorf("after revert #%d %s %s differs:\n got %s\nwant %s", i+1, r.kind, r.name, got, before[r])
					}
				}
			}
			st, err = in.Status(ctx, f, rec)
			if err != nil || st.Effect != injectors.Reverted {
				t.Errorf("Status after revert = %+v, %v; want reverted", st, err)
			}
			leftovers, _ = in.FindLeftovers(ctx, drillID)
			if hasLeftover(leftovers, ns, f.FaultID) {
				t.Errorf("leftovers after revert: %+v", leftovers)
			}
			if f.Type == "network-isolate" {
				_, err := clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).Get(ctx, "payment-worker-egress", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					t.Errorf("policy still there after revert: %v", err)
				}
			}
		})
	}
}

func fault(typ, ns, kind, name string, p map[string]any) injectors.Fault {
	var raw json.RawMessage
	if p != nil {
		raw, _ = json.Marshal(p)
	}
	return injectors.Fault{DrillID: drillID, FaultID: "f1", Type: typ, Target: injectors.Target{Namespace: ns, Kind: kind, Name: name}, Params: raw}
}

func wantField(t *testing.T, obj *unstructured.Unstructured, want any, path ...string) {
	t.Helper()
	got, ok, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	if err != nil || !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v (found %v), want %v", strings.Join(path, "."), got, ok, want)
	}
}

func hasLeftover(ls []kubernetes.Leftover, ns, faultID string) bool {
	for _, l := range ls {
		if l.Namespace == ns && l.FaultID == faultID {
			return true
		}
	}
	return false
}

func TestPodDeleteDeletesTheChosenPodsAndStatusFollowsTheReplacements(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "api", 4)
	waitAvailable(t, ns, "api", 4)
	cs := clustertest.Client(t)
	ctx := context.Background()
	before, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=api"})
	in := newInjector(t)
	f := injectors.Fault{DrillID: drillID, FaultID: "kill-half", Type: "pod-delete",
		Target: injectors.Target{Namespace: ns, Selector: labelsOf("api")}, Params: params(t, map[string]any{"percent": 50})}
	rec := lifecycle(t, in, f)
	gone := 0
	for _, p := range before.Items {
		got, err := cs.CoreV1().Pods(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && (got.DeletionTimestamp != nil || got.UID != p.UID)) {
			gone++
		}
	}
	if gone != 2 {
		t.Errorf("%d of 4 pods deleted, want 2 (50%%)", gone)
	}
	eventually(t, "status reverted once replacements are ready", func() (bool, string) {
		st, err := in.Status(ctx, f, rec)
		return err == nil && st.Effect == injectors.Reverted, fmt.Sprintf("%+v %v", st, err)
	})
	if err := in.Revert(ctx, rec); err != nil {
		t.Errorf("Revert of pod-delete: %v", err)
	}
}

func TestNodeCordonWithDrainEvictsOptedInPodsAndUncordons(t *testing.T) {
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	ctx := context.Background()
	const node = "kwok-node-1"
	setNodeLabel(t, node, "true")
	t.Cleanup(func() { setNodeLabel(t, node, "") })
	// Place every pod on the node to drain: keep the other node cordoned
	// while the Deployment starts, then open it for the evicted pods.
	setUnschedulable(t, "kwok-node-0", true)
	makeDeployment(t, ns, "api", 4)
	waitAvailable(t, ns, "api", 4)
	setUnschedulable(t, "kwok-node-0", false)
	before := comparable(t, getObj(t, "Node", "", node))
	onNode := func() int {
		l, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		n := 0
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil {
				n++
			}
		}
		return n
	}
	if n := onNode(); n != 4 {
		t.Fatalf("%d of 4 pods on %s before the drain, want all", n, node)
	}
	in := newInjector(t)
	f := injectors.Fault{DrillID: drillID, FaultID: "cordon", Type: "node-cordon",
		Target: injectors.Target{Kind: "Node", Name: node}, Params: params(t, map[string]any{"drain": true})}
	rec := lifecycle(t, in, f)
	wantField(t, getObj(t, "Node", "", node), true, "spec", "unschedulable")
	eventually(t, "pods moved off the cordoned node", func() (bool, string) {
		n := onNode()
		return n == 0, fmt.Sprintf("%d pods still on %s", n, node)
	})
	waitAvailable(t, ns, "api", 4)
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// The node lifecycle controller removes its unschedulable taint shortly
	// after the uncordon.
	eventually(t, "node back as before", func() (bool, string) {
		got := comparable(t, getObj(t, "Node", "", node))
		return got == before, fmt.Sprintf("\n got %s\nwant %s", got, before)
	})
}

func setNodeLabel(t testing.TB, node, value string) {
	t.Helper()
	var patch string
	if value == "" {
		patch = fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, kubernetes.DrillTargetLabel)
	} else {
		patch = fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, kubernetes.DrillTargetLabel, value)
	}
	if _, err := clustertest.Client(t).CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

var _ = corev1.PodRunning

func setUnschedulable(t testing.TB, node string, v bool) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%v}}`, v)
	if !v {
		patch = `{"spec":{"unschedulable":null}}`
	}
	if _, err := clustertest.Client(t).CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}
