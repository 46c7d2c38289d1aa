package kubernetes_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func probe(t *testing.T, in *kubernetes.Injector, typ string, target injectors.Target, p map[string]any) injectors.ProbeResult {
	t.Helper()
	res, err := in.Probe(context.Background(), injectors.Probe{Type: typ, Target: target, Params: params(t, p)})
	if err != nil {
		t.Fatalf("Probe %s: %v", typ, err)
	}
	return res
}

func eventuallyProbe(t *testing.T, in *kubernetes.Injector, typ string, target injectors.Target, p map[string]any, wantOK bool, wantDetail string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s ok=%v", typ, wantOK), func() (bool, string) {
		res := probe(t, in, typ, target, p)
		return res.OK == wantOK && strings.Contains(res.Detail, wantDetail), fmt.Sprintf("%+v", res)
	})
}

func TestDeploymentAvailableProbeFollowsAScaleFault(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "api", 2)
	in := newInjector(t)
	target := injectors.Target{Namespace: ns, Kind: "Deployment", Name: "api"}
	eventuallyProbe(t, in, "deployment-available", target, nil, true, "2 of 2 replicas available")
	rec := lifecycle(t, in, fault("scale", ns, "Deployment", "api", map[string]any{"replicas": 0}))
	eventuallyProbe(t, in, "deployment-available", target, nil, false, "0 of 0")
	eventuallyProbe(t, in, "deployment-available", target, map[string]any{"minAvailable": 0}, true, "want at least 0")
	if err := in.Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	eventuallyProbe(t, in, "deployment-available", target, nil, true, "2 of 2")
	t.Run("missing deployment is not ok", func(t *testing.T) {
		res := probe(t, in, "deployment-available", injectors.Target{Namespace: ns, Name: "nope"}, nil)
		if res.OK || !strings.Contains(res.Detail, "does not exist") {
			t.Errorf("got %+v", res)
		}
	})
}

func TestDeploymentAvailableProbeFailsDuringABadImageRollout(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "web", 1)
	waitAvailable(t, ns, "web", 1)
	in := newInjector(t)
	lifecycle(t, in, fault("bad-image", ns, "Deployment", "web", map[string]any{"image": "invalid/web:nope"}))
	eventuallyProbe(t, in, "deployment-available", injectors.Target{Namespace: ns, Name: "web"}, nil, false, "rollout not finished")
	eventuallyProbe(t, in, "pod-status", injectors.Target{Namespace: ns, Selector: labelsOf("web")}, nil, false, "ErrImagePull")
}

func TestPodStatusProbe(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "worker", 2)
	waitAvailable(t, ns, "worker", 2)
	in := newInjector(t)
	sel := injectors.Target{Namespace: ns, Selector: labelsOf("worker")}
	eventuallyProbe(t, in, "pod-status", sel, map[string]any{"phase": "Running", "maxRestarts": 0}, true, "2 pods Running")
	eventuallyProbe(t, in, "pod-status", sel, map[string]any{"minPods": 3}, false, "want at least 3")
	eventuallyProbe(t, in, "pod-status", injectors.Target{Namespace: ns, Selector: labelsOf("nobody")}, nil, false, "0 pods match")

	lifecycle(t, in, fault("env-var", ns, "Deployment", "worker", map[string]any{"name": "MODE", "value": "invalid"}))
	eventuallyProbe(t, in, "pod-status", sel, map[string]any{"maxRestarts": 0}, false, "restarted 1 times (max 0)")
	eventuallyProbe(t, in, "pod-status", sel, nil, false, "CrashLoopBackOff")
}

func TestEndpointsProbeFollowsAServiceSelectorFault(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "web", 2)
	makeService(t, ns, "web", labelsOf("web"))
	in := newInjector(t)
	target := injectors.Target{Namespace: ns, Kind: "Service", Name: "web"}
	eventuallyProbe(t, in, "endpoints", target, map[string]any{"minReady": 2}, true, "has 2 ready endpoints")
	rec := lifecycle(t, in, fault("service-selector", ns, "Service", "web", nil))
	eventuallyProbe(t, in, "endpoints", target, nil, false, "has 0 ready endpoints")
	if err := in.Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	eventuallyProbe(t, in, "endpoints", target, map[string]any{"minReady": 2}, true, "has 2 ready endpoints")
}

func TestHTTPGetProbe(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			fmt.Fprint(w, `{"status":"ok","PAYMENT_TIMEOUT_MS":3000}`)
		case "/slow":
			clk.Step(800 * time.Millisecond) // the answer takes 800ms of the injected clock
			fmt.Fprint(w, "ok")
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	in := newInjector(t, func(c *kubernetes.Config) { c.Clock = clk })
	tests := []struct {
		name       string
		params     map[string]any
		wantOK     bool
		wantDetail string
	}{
		{name: "healthy answers ok", params: map[string]any{"url": srv.URL + "/health"}, wantOK: true, wantDetail: "status 200"},
		{name: "body matches", params: map[string]any{"url": srv.URL + "/health", "expectBody": "3000"}, wantOK: true, wantDetail: "status 200"},
		{name: "body mismatch fails", params: map[string]any{"url": srv.URL + "/health", "expectBody": "50"}, wantOK: false, wantDetail: `body does not contain "50"`},
		{name: "wrong status fails", params: map[string]any{"url": srv.URL + "/orders"}, wantOK: false, wantDetail: "status 503 (want 200)"},
		{name: "expected error status ok", params: map[string]any{"url": srv.URL + "/orders", "expectStatus": 503}, wantOK: true, wantDetail: "status 503"},
		{name: "slow answer fails the latency budget", params: map[string]any{"url": srv.URL + "/slow", "maxLatencyMs": 300}, wantOK: false, wantDetail: "took 800ms (max 300ms)"},
		{name: "slow answer within a larger budget", params: map[string]any{"url": srv.URL + "/slow", "maxLatencyMs": 1000}, wantOK: true, wantDetail: "in 800ms"},
		{name: "unreachable fails", params: map[string]any{"url": "http://127.0.0.1:1/x", "timeoutMs": 2000}, wantOK: false, wantDetail: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := probe(t, in, "http-get", injectors.Target{}, tt.params)
			if res.OK != tt.wantOK || !strings.Contains(res.Detail, tt.wantDetail) {
				t.Errorf("got %+v, want ok=%v with %q", res, tt.wantOK, tt.wantDetail)
			}
		})
	}
	t.Run("service without a serving pod is not ok", func(t *testing.T) {
		ns := clustertest.Namespace(t)
		makeService(t, ns, "web", labelsOf("web"))
		res := probe(t, in, "http-get", injectors.Target{Namespace: ns, Kind: "Service", Name: "web"}, map[string]any{"path": "/health", "timeoutMs": 5000})
		if res.OK {
			t.Errorf("got %+v, want not ok (kwok pods serve nothing)", res)
		}
	})
}

func TestProbeRefusesBadInput(t *testing.T) {
	in := newInjector(t)
	tests := []struct {
		name     string
		p        injectors.Probe
		wantCode string
		wantMsg  string
	}{
		{name: "unknown type", p: injectors.Probe{Type: "ping"}, wantCode: injectors.EINVALID, wantMsg: "expected one of deployment-available"},
		{name: "url and path both", p: injectors.Probe{Type: "http-get", Params: []byte(`{"url":"http://x","path":"/y"}`)}, wantCode: injectors.EINVALID, wantMsg: "params of http-get"},
		{name: "protected namespace", p: injectors.Probe{Type: "endpoints", Target: injectors.Target{Namespace: "kube-system", Name: "kube-dns"}}, wantCode: injectors.EFORBIDDEN, wantMsg: "protected"},
		{name: "selector missing", p: injectors.Probe{Type: "pod-status", Target: injectors.Target{Namespace: "default"}}, wantCode: injectors.EINVALID, wantMsg: "target.selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := in.Probe(context.Background(), tt.p)
			wantCode(t, err, tt.wantCode)
			if !strings.Contains(injectors.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("message %q does not say %q", injectors.ErrorMessage(err), tt.wantMsg)
			}
		})
	}
}

// A deployment-state probe's detail is the same poll after poll, and changes
// when someone scales the Deployment, restarts it (kubectl rollout restart)
// or deletes one of its pods (pods: true): what a watch (an inject on
// cluster.changed) compares.
func TestDeploymentStateProbeSeesWhatPeopleChange(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "db", 1)
	waitAvailable(t, ns, "db", 1)
	in := newInjector(t)
	target := injectors.Target{Namespace: ns, Kind: "Deployment", Name: "db"}
	withPods := map[string]any{"pods": true}
	first := probe(t, in, "deployment-state", target, withPods)
	if !first.OK || !strings.Contains(first.Detail, "1 replicas, images db=registry.example/db:1, restarted never, pods db-") {
		t.Fatalf("first poll %+v", first)
	}
	if again := probe(t, in, "deployment-state", target, withPods); again != first {
		t.Fatalf("two polls of an unchanged Deployment differ: %q, then %q", first.Detail, again.Detail)
	}
	cs := clustertest.Client(t)
	ctx := context.Background()
	t.Run("a deleted pod is a change", func(t *testing.T) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
		if err != nil || len(pods.Items) == 0 {
			t.Fatalf("pods of db: %v (%v)", pods, err)
		}
		if err := cs.CoreV1().Pods(ns).Delete(ctx, pods.Items[0].Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted pod seen", func() (bool, string) {
			res := probe(t, in, "deployment-state", target, withPods)
			return res.Detail != first.Detail, res.Detail
		})
		if res := probe(t, in, "deployment-state", target, nil); strings.Contains(res.Detail, "pods") {
			t.Errorf("without pods: true the detail names pods: %q", res.Detail)
		}
	})
	t.Run("a rollout restart and a scale are changes", func(t *testing.T) {
		before := probe(t, in, "deployment-state", target, nil)
		patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-30T12:00:00Z"}}}}}`)
		if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "db", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		restarted := probe(t, in, "deployment-state", target, nil)
		if !strings.Contains(restarted.Detail, "restarted 2026-11-30T12:00:00Z") || restarted.Detail == before.Detail {
			t.Fatalf("after a rollout restart: %q (before %q)", restarted.Detail, before.Detail)
		}
		if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "db", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if scaled := probe(t, in, "deployment-state", target, nil); !strings.HasPrefix(scaled.Detail, "3 replicas") {
			t.Fatalf("after a scale to 3: %q", scaled.Detail)
		}
	})
	t.Run("a missing Deployment is not ok", func(t *testing.T) {
		res := probe(t, in, "deployment-state", injectors.Target{Namespace: ns, Kind: "Deployment", Name: "nope"}, nil)
		if res.OK || !strings.Contains(res.Detail, "does not exist") {
			t.Fatalf("missing Deployment: %+v", res)
		}
	})
}
