package shop_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// TestBrokenDatabaseHostNeverResolvesWithoutAFix plays the scenario README's
// own fault on the dev cluster: DB_HOST in order-api-config points at a host
// that does not exist and order-api is restarted, through the Kubernetes
// injector. The fault's resolution probes (the order API available, orders
// answering) must stay failing for as long as nobody fixes anything — the
// new pods come up, but a real order API cannot reach its database, so they
// never turn ready — and must pass once a participant puts DB_HOST back and
// restarts order-api.
func TestBrokenDatabaseHostNeverResolvesWithoutAFix(t *testing.T) {
	_, ns, urls := setup(t)
	ctx := context.Background()
	in := shopInjector(t, urls)
	probes := []injectors.Probe{
		{Type: "deployment-available", Target: injectors.Target{Namespace: ns, Kind: "Deployment", Name: "order-api"}, Params: json.RawMessage(`{}`)},
		{Type: "http-get", Target: injectors.Target{Namespace: ns, Kind: "Service", Name: "web"}, Params: json.RawMessage(`{"path":"/api/orders/health","expectStatus":200}`)},
	}
	// resolved reports whether every resolution probe passes, as the
	// engine's check does, with the details.
	resolved := func() (bool, []string) {
		t.Helper()
		ok := true
		var details []string
		for _, p := range probes {
			res, err := in.Probe(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			ok = ok && res.OK
			details = append(details, res.Detail)
		}
		return ok, details
	}
	waitResolved := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok, details := resolved()
			if ok == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("resolution probes pass=%v, want %v: %q", ok, want, details)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	waitResolved(true)

	fault := injectors.Fault{
		DrillID: "drill-nofix", FaultID: "db-config", Type: "configmap-key",
		Target: injectors.Target{Namespace: ns, Kind: "ConfigMap", Name: "order-api-config"},
		Params: json.RawMessage(`{"key":"DB_HOST","value":"db-old.shop.svc","restart":"deployment/order-api"}`),
	}
	rec, err := in.Prepare(ctx, fault)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = in.Inject(ctx, fault, rec); err != nil {
		t.Fatal(err)
	}
	waitResolved(false)
	// Nobody fixes anything: the restart completes, the pods come up, and
	// still the probes must not pass, not even once (a stability window
	// would otherwise start).
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if ok, details := resolved(); ok {
			t.Fatalf("the fault resolved itself with nobody fixing it: %q", details)
		}
	}
	// What participants see with kubectl: pods running but not ready, and
	// the kubelet's events saying why.
	cs := clustertest.Client(t)
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=order-api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				t.Fatalf("pod %s is ready with a database it cannot reach", p.Name)
			}
		}
	}
	evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "reason=Unhealthy"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs.Items) == 0 || !strings.Contains(evs.Items[0].Message, "Readiness probe failed") || !strings.HasPrefix(evs.Items[0].InvolvedObject.Name, "order-api-") {
		t.Fatalf("no readiness event for order-api: %+v", evs.Items)
	}
	// A participant's fix: DB_HOST back, order-api restarted.
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	waitResolved(true)
}
