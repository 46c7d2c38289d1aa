package shop_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/firedrill/firedrill/injectors"
	kplugin "github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/scenarios"
)

// TestIncidentExamplesPlayOnTheShop plays incident examples on the dev
// cluster as their files write them — the fault (through the Kubernetes
// plugin), the alert's check and the resolution probes, only moved into the
// test's namespace — and the fix their solution names, done the way a
// participant does it: each alert's check fails from the cluster's state
// once the fault is in, the fault does not resolve while nobody fixes it,
// and after the fix both the resolution probes and the alert's check pass.
func TestIncidentExamplesPlayOnTheShop(t *testing.T) {
	tests := []struct {
		file, fault, alert string
		symptom            [2]string // a shop URL path and what it answers
		fix                func(t *testing.T, cs kubernetes.Interface, ns string)
	}{
		{"traffic-surge-leak-cascade", "hpa-capped surge", "web-errors", [2]string{"web /api/orders/health", "upstream overflow (error rate 17%"},
			func(t *testing.T, cs kubernetes.Interface, ns string) { // the HPA's cap raised back: it scales web to four
				if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Patch(context.Background(), "web", types.MergePatchType, []byte(`{"spec":{"maxReplicas":6}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}},
		{"lunch-peak-order-delay", "payment-timeout", "checkout-errors", [2]string{"web /api/checkout/health", "payments time out"},
			func(t *testing.T, cs kubernetes.Interface, ns string) { // every change of the last 24 h: the timeout back to 3000
				if _, err := cs.CoreV1().ConfigMaps(ns).Patch(context.Background(), "order-api-config", types.MergePatchType, []byte(`{"data":{"PAYMENT_TIMEOUT_MS":"3000"}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}},
		{"release-breaks-one-platform", "web-release", "web-order-errors", [2]string{"web /api/orders/health", "dial tcp order-api:8080: connect: connection refused"},
			func(t *testing.T, cs kubernetes.Interface, ns string) { // rolled back
				patchDeployment(t, cs, ns, "web",
					`{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"ORDER_API","value":"http://order-api"}]}]}}}}`)
			}},
		{"one-sick-web-pod", "sick-pod", "web-errors", [2]string{"web /api/orders/health", "upstream overflow (error rate 33%"},
			func(t *testing.T, cs kubernetes.Interface, ns string) { // the sick pod isolated, kept
				isolateSickPod(t, cs, ns)
			}},
		{"night-duplicate-orders", "dedup-off", "", [2]string{"order-api /internal/orders/duplicates", "orders created twice since"},
			func(t *testing.T, cs kubernetes.Interface, ns string) { // the check back on
				if _, err := cs.CoreV1().ConfigMaps(ns).Patch(context.Background(), "order-api-config", types.MergePatchType, []byte(`{"data":{"ORDER_DEDUP_CHECK":"on"}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}},
	}
	cs, ns, urls := setup(t)
	ctx := context.Background()
	in := shopInjector(t, urls)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			sc, err := scenarios.Load("../../scenarios/examples/incidents/" + tt.file + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			// The last fault named is the one whose probes are watched; the
			// ones before it are injected first (a latent condition).
			ids := strings.Fields(tt.fault)
			fault := findFault(sc, ids[len(ids)-1])
			if fault == nil || len(fault.ResolvedWhen.Probes) == 0 {
				t.Fatalf("the example lost fault %s or its resolution probes", tt.fault)
			}
			// An example without an alert (nothing alerts on duplicate
			// orders) checks its resolution probes where the others check
			// the alert.
			alertCheck := inNamespace(fault.ResolvedWhen.Probes[0], ns)
			if tt.alert != "" {
				alert := findAlert(sc, tt.alert)
				if alert == nil {
					t.Fatalf("the example lost alert %s", tt.alert)
				}
				alertCheck = inNamespace(alert.Probe, ns)
			}
			var resolution []injectors.Probe
			for _, p := range fault.ResolvedWhen.Probes {
				resolution = append(resolution, inNamespace(p, ns))
			}
			all := func() bool {
				for _, p := range resolution {
					if res, err := in.Probe(ctx, p); err != nil || !res.OK {
						return false
					}
				}
				return true
			}
			waitFor(t, "the alert's check before the fault", func() bool { return probeOK(t, in, alertCheck) })

			var recs [][]byte
			for _, id := range ids {
				sf := findFault(sc, id)
				if sf == nil {
					t.Fatalf("the example lost fault %s", id)
				}
				params, _ := json.Marshal(sf.Params)
				f := injectors.Fault{DrillID: "drill-examples", FaultID: sf.ID, Type: sf.Injector.Type,
					Target: injectors.Target{Namespace: ns, Kind: sf.Target.Kind, Name: sf.Target.Name, Selector: sf.Target.Selector}, Params: params}
				rec, err := in.Prepare(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if rec, err = in.Inject(ctx, f, rec); err != nil {
					t.Fatal(err)
				}
				recs = append(recs, rec)
			}
			waitFor(t, "the alert's check failing from the cluster's state", func() bool { return !probeOK(t, in, alertCheck) })
			svc, path, _ := strings.Cut(tt.symptom[0], " ")
			eventually(t, urls[ns+"/"+svc]+path, 503, tt.symptom[1])
			// Longer than two periods of the shop's HPA: an autoscaler
			// absorbing the fault would show here.
			for end := time.Now().Add(12 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
				if all() {
					t.Fatal("the fault resolved with nobody fixing it")
				}
			}
			tt.fix(t, cs, ns)
			waitFor(t, "the resolution probes after the fix", all)
			waitFor(t, "the alert's check after the fix", func() bool { return probeOK(t, in, alertCheck) })
			for i := len(recs) - 1; i >= 0; i-- {
				if err := in.Revert(ctx, recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			// Leave the shop as installed for the next example: healthy,
			// and every rollout a fix or a revert started finished. A
			// healthy answer alone comes while old pods still run, and a
			// fault aimed at one pod (pod-slow picks the first by name)
			// could pick one the rollout is about to replace.
			patchDeployment(t, cs, ns, "web", `{"spec":{"replicas":2}}`)
			waitFor(t, "the shop back to normal", func() bool { code, _ := get(t, urls[ns+"/web"]+"/api/checkout/health"); return code == 200 })
			waitFor(t, "every rollout of the shop finished", func() bool { return rolledOut(t, cs, ns) })
		})
	}
}

func findFault(sc *scenarios.Scenario, id string) *scenarios.Fault {
	for i := range sc.Faults {
		if sc.Faults[i].ID == id {
			return &sc.Faults[i]
		}
	}
	return nil
}

func findAlert(sc *scenarios.Scenario, id string) *scenarios.Alert {
	for i := range sc.Alerts {
		if sc.Alerts[i].ID == id {
			return &sc.Alerts[i]
		}
	}
	return nil
}

// inNamespace is the scenario's probe aimed at the test's namespace.
func inNamespace(p scenarios.Probe, ns string) injectors.Probe {
	b, _ := json.Marshal(p.Params)
	return injectors.Probe{Type: p.Probe.Type, Target: injectors.Target{Namespace: ns, Kind: p.Target.Kind, Name: p.Target.Name, Selector: p.Target.Selector}, Params: b}
}

func probeOK(t *testing.T, in *kplugin.Injector, p injectors.Probe) bool {
	t.Helper()
	res, err := in.Probe(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return res.OK
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
	}
}

// rolledOut reports whether every Deployment of ns is rolled out, as
// kubectl rollout status says, and no pod it replaced is left.
func rolledOut(t *testing.T, cs kubernetes.Interface, ns string) bool {
	t.Helper()
	ctx := context.Background()
	ds, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		st := d.Status
		if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != want || st.Replicas != want || st.AvailableReplicas != want {
			return false
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			t.Fatal(err)
		}
		if int32(len(pods.Items)) != want {
			return false // a replaced pod still terminating
		}
	}
	return true
}

// patchDeployment strategic-merge-patches Deployment name of ns, as
// kubectl patch does.
func patchDeployment(t *testing.T, cs kubernetes.Interface, ns, name, patch string) {
	t.Helper()
	if _, err := cs.AppsV1().Deployments(ns).Patch(context.Background(), name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("kubectl patch deployment %s: %v", name, err)
	}
}

// isolateSickPod takes the web pod whose CPU limit differs from the
// Deployment's out of the Service, as a participant does to keep it:
// kubectl label pod NAME app=web-isolated --overwrite.
func isolateSickPod(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Spec.Containers[0].Resources.Limits.Cpu().String() == "500m" {
			continue
		}
		if _, err := cs.CoreV1().Pods(ns).Patch(ctx, p.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"app":"web-isolated"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatalf("kubectl label pod %s: %v", p.Name, err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("isolated %d pods, want the one sick pod", n)
	}
}
