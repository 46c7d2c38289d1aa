package shop_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// TestHTTPProbeReachesServicesThroughServiceURLs runs the scenarios' own
// http-get probe (from the layered example) through the Kubernetes injector,
// routed by kubernetes.serviceURLs to the shop simulator, and sees it follow
// a configmap-key fault injected and reverted by the same injector.
func TestHTTPProbeReachesServicesThroughServiceURLs(t *testing.T) {
	_, ns, urls := setup(t)
	ctx := context.Background()
	in := shopInjector(t, urls)
	probe := injectors.Probe{
		Type:   "http-get",
		Target: injectors.Target{Namespace: ns, Kind: "Service", Name: "web"},
		Params: json.RawMessage(`{"path":"/api/checkout/health","expectStatus":200}`),
	}
	waitProbe := func(want bool) injectors.ProbeResult {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := in.Probe(ctx, probe)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK == want || time.Now().After(deadline) {
				if res.OK != want {
					t.Fatalf("probe OK=%v (%s), want %v", res.OK, res.Detail, want)
				}
				return res
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	res := waitProbe(true)
	if !strings.Contains(res.Detail, urls[ns+"/web"]) {
		t.Fatalf("probe did not use the service URL: %s", res.Detail)
	}

	fault := injectors.Fault{
		DrillID: "drill-shop", FaultID: "payment-timeout", Type: "configmap-key",
		Target: injectors.Target{Namespace: ns, Kind: "ConfigMap", Name: "order-api-config"},
		Params: json.RawMessage(`{"key":"PAYMENT_TIMEOUT_MS","value":"50"}`),
	}
	rec, err := in.Prepare(ctx, fault)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = in.Inject(ctx, fault, rec); err != nil {
		t.Fatal(err)
	}
	res = waitProbe(false)
	if !strings.Contains(res.Detail, "status 503") {
		t.Fatalf("probe detail: %s", res.Detail)
	}
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	waitProbe(true)
	cm, err := clustertest.Client(t).CoreV1().ConfigMaps(ns).Get(ctx, "order-api-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["PAYMENT_TIMEOUT_MS"] != "3000" || cm.Annotations["firedrill.dev/drill-id"] != "" {
		t.Fatalf("after revert: data %v annotations %v", cm.Data, cm.Annotations)
	}
}

// shopInjector is the Kubernetes plugin against the dev cluster, routing
// http-get probes to the shop simulator's urls, as firedrill serve's
// kubernetes.serviceURLs does.
func shopInjector(t *testing.T, urls map[string]string) *kubernetes.Injector {
	t.Helper()
	in, err := kubernetes.New(kubernetes.Config{
		Rest:            clustertest.Cluster(t).RESTConfig(),
		Context:         devcluster.ContextName,
		AllowedContexts: []string{devcluster.ContextName},
		ServiceURLs:     urls,
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}
