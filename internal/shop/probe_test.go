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

// TestHTTPProbeFollowsTheShop runs the scenarios' own http-get probe (from
// the layered example) through the Kubernetes injector, both ways it can
// reach the shop simulator: routed by kubernetes.serviceURLs (the demo's own
// configuration), and, as with a configuration of one's own that names no
// serviceURLs, through the API server's service proxy, which the dev
// cluster connects to the simulator playing the pods (Cluster.RoutePods).
// Each way, it sees the probe follow a configmap-key fault injected and
// reverted by the same injector.
func TestHTTPProbeFollowsTheShop(t *testing.T) {
	_, ns, urls := setup(t)
	tests := []struct {
		name        string
		serviceURLs map[string]string
		via         string // what the probe's detail names
	}{
		{name: "through kubernetes.serviceURLs", serviceURLs: urls, via: urls[ns+"/web"]},
		{name: "through the API server's service proxy", via: "service " + ns + "/web/api/checkout/health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probeFollowsFault(t, ns, shopInjector(t, tt.serviceURLs), tt.via)
		})
	}
	t.Run("the service proxy reaches only the pods the simulator plays", func(t *testing.T) {
		res, err := shopInjector(t, nil).Probe(context.Background(), injectors.Probe{
			Type:   "http-get",
			Target: injectors.Target{Namespace: ns, Kind: "Service", Name: "db"},
			Params: json.RawMessage(`{"path":"/","expectStatus":200}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || !strings.Contains(res.Detail, "status 503") {
			t.Fatalf("probe of the db Service (no simulator behind it): OK=%v %s, want a 503", res.OK, res.Detail)
		}
	})
}

// probeFollowsFault probes web's /api/checkout/health with in until it
// passes, checks the answer came via via, and sees it fail while
// order-api's payment timeout is squeezed and pass again after the revert.
func probeFollowsFault(t *testing.T, ns string, in *kubernetes.Injector, via string) {
	t.Helper()
	ctx := context.Background()
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
	if !strings.Contains(res.Detail, via) {
		t.Fatalf("probe did not go via %s: %s", via, res.Detail)
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
// kubernetes.serviceURLs does; without urls they go through the API
// server's service proxy.
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
