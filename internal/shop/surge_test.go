package shop_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/scenarios"
)

// TestTrafficSurgeExamplePlaysOnTheShop plays the surge of the example
// traffic-surge-leak-cascade on the dev cluster as the scenario writes it —
// its fault (kubernetes/traffic-surge of the load generator), its alert's
// check and its resolution probe, only moved into the test's namespace —
// and the participants' fix its solution names: the alert's check fails
// from the cluster's state, the fault does not resolve until web is scaled
// out, then it does; revert puts the rate back.
func TestTrafficSurgeExamplePlaysOnTheShop(t *testing.T) {
	cs, ns, urls := setup(t)
	ctx := context.Background()
	sc, err := scenarios.Load("../../scenarios/examples/incidents/traffic-surge-leak-cascade.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fault *scenarios.Fault
	for i := range sc.Faults {
		if sc.Faults[i].ID == "surge" {
			fault = &sc.Faults[i]
		}
	}
	var alert *scenarios.Alert
	for i := range sc.Alerts {
		if sc.Alerts[i].ID == "web-errors" {
			alert = &sc.Alerts[i]
		}
	}
	if fault == nil || alert == nil || len(fault.ResolvedWhen.Probes) != 1 {
		t.Fatalf("the example lost its surge fault, its web-errors alert or its one resolution probe")
	}
	in, err := kubernetes.New(kubernetes.Config{
		Rest:            clustertest.Cluster(t).RESTConfig(),
		Context:         devcluster.ContextName,
		AllowedContexts: []string{devcluster.ContextName},
		ServiceURLs:     urls,
	})
	if err != nil {
		t.Fatal(err)
	}
	probe := func(p scenarios.Probe) injectors.Probe {
		b, _ := json.Marshal(p.Params)
		return injectors.Probe{Type: p.Probe.Type, Target: injectors.Target{Namespace: ns, Kind: p.Target.Kind, Name: p.Target.Name}, Params: b}
	}
	waitProbe := func(what string, p injectors.Probe, want bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := in.Probe(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: OK=%v (%s), want %v", what, res.OK, res.Detail, want)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	alertCheck, resolution := probe(alert.Probe), probe(fault.ResolvedWhen.Probes[0])
	waitProbe("the alert's check before the surge", alertCheck, true)

	params, _ := json.Marshal(fault.Params)
	f := injectors.Fault{DrillID: "drill-surge", FaultID: fault.ID, Type: fault.Injector.Type,
		Target: injectors.Target{Namespace: ns, Kind: fault.Target.Kind, Name: fault.Target.Name}, Params: params}
	rec, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = in.Inject(ctx, f, rec); err != nil {
		t.Fatal(err)
	}
	waitProbe("the alert's check during the surge", alertCheck, false)
	eventually(t, urls[ns+"/web"]+"/api/orders/health", 503, "upstream overflow")
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if res, err := in.Probe(ctx, resolution); err != nil || res.OK {
			t.Fatalf("the surge resolved with nobody scaling out: %+v %v", res, err)
		}
	}
	// The solution's fix: web scaled out to four replicas.
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitProbe("the resolution probe once web is scaled out", resolution, true)
	waitProbe("the alert's check once web is scaled out", alertCheck, true)
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "traffic", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if env := d.Spec.Template.Spec.Containers[0].Env; env[1].Value != "30" {
		t.Fatalf("after revert the load generator's env is %v, want RPS 30", env)
	}
}
