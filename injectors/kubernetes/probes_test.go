package kubernetes_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
		// kwok pods serve nothing; the detail says the 503 is the service
		// proxy's own answer, not the Service's (the proxy may first not
		// know the new Service: 404 services "web" not found).
		eventuallyProbe(t, in, "http-get", injectors.Target{Namespace: ns, Kind: "Service", Name: "web"}, map[string]any{"path": "/health", "timeoutMs": 5000},
			false, `status 503 (want 200) from the API server's service proxy: no endpoints available for service "web"`)
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

// onRequest is a transport to the API server that calls before (which may
// fail the request) before it sends a request.
type onRequest struct {
	rt     http.RoundTripper
	before func(*http.Request) error
}

func (o onRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := o.before(r); err != nil {
		return nil, err
	}
	return o.rt.RoundTrip(r)
}

// TestHTTPGetProbeThroughTheServiceProxy GETs a Service's pod, played by a
// local server (Cluster.RoutePods), through the API server's service proxy
// without params.url: reading the Service's port for it is not counted as
// the answer's latency, and a failure to read it is a failing check that
// says so; without get services the probe sends no port, which still
// reaches an unnamed port, and says which permission is missing.
func TestHTTPGetProbeThroughTheServiceProxy(t *testing.T) {
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	cs := clustertest.Client(t)
	makeDeployment(t, ns, "web", 1)
	for _, s := range []corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "named"}, Spec: corev1.ServiceSpec{Selector: labelsOf("web"), Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unnamed"}, Spec: corev1.ServiceSpec{Selector: labelsOf("web"), Ports: []corev1.ServicePort{{Port: 80}}}},
	} {
		if _, err := cs.CoreV1().Services(ns).Create(ctx, &s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The service proxy picks a pod from the Service's v1 Endpoints.
		eventually(t, "Endpoints of "+s.Name+" list the pod", func() (bool, string) {
			ep, err := cs.CoreV1().Endpoints(ns).Get(ctx, s.Name, metav1.GetOptions{})
			return err == nil && len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1, fmt.Sprintf("%v %v", ep, err)
		})
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(pods.Items) != 1 || pods.Items[0].Status.PodIP == "" {
		t.Fatalf("the web pod: %v, %v", pods, err)
	}
	podIP := pods.Items[0].Status.PodIP
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	unroute := clustertest.Cluster(t).RoutePods(func(ctx context.Context, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); host != podIP {
			return nil, fmt.Errorf("not the web pod of %s", ns)
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	})
	defer unroute()

	isServiceGet := func(r *http.Request) bool {
		return r.Method == http.MethodGet && (r.URL.Path == "/api/v1/namespaces/"+ns+"/services/named" || r.URL.Path == "/api/v1/namespaces/"+ns+"/services/unnamed")
	}
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC))
	slowGet := newInjector(t, func(c *kubernetes.Config) {
		c.Clock = clk
		c.Rest.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return onRequest{rt, func(r *http.Request) error {
				if isServiceGet(r) {
					clk.Step(800 * time.Millisecond) // reading the port takes 800ms of the injected clock
				}
				return nil
			}}
		})
	})
	failedGet := newInjector(t, func(c *kubernetes.Config) {
		c.Rest.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return onRequest{rt, func(r *http.Request) error {
				if isServiceGet(r) {
					return errors.New("dial tcp 127.0.0.1:6443: i/o timeout")
				}
				return nil
			}}
		})
	})
	rc, _ := clustertest.ServiceAccount(t, ns, nil, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"services/proxy"}, Verbs: []string{"get"}}})
	proxyOnly := newInjector(t, func(c *kubernetes.Config) { c.Rest = rc })

	tests := []struct {
		name       string
		in         *kubernetes.Injector
		service    string
		params     map[string]any
		wantOK     bool
		wantDetail string
		wantNot    string
	}{
		{name: "reading the port does not count toward the latency budget", in: slowGet, service: "named",
			params: map[string]any{"path": "/health", "maxLatencyMs": 300}, wantOK: true, wantDetail: "status 200 in 0s"},
		{name: "a failure to read the port is a failing check that says so", in: failedGet, service: "named",
			params: map[string]any{"path": "/health"}, wantOK: false, wantDetail: "GET service " + ns + "/named/health: read its port: ", wantNot: "status"},
		{name: "without get services an unnamed port still answers and the detail names the permission", in: proxyOnly, service: "unnamed",
			params: map[string]any{"path": "/health"}, wantOK: true, wantDetail: "grant get services in " + ns + " or give params.port"},
		{name: "without get services a named port fails and the detail names the permission", in: proxyOnly, service: "named",
			params: map[string]any{"path": "/health"}, wantOK: false, wantDetail: "grant get services in " + ns + " or give params.port"},
		{name: "without get services params.port answers", in: proxyOnly, service: "named",
			params: map[string]any{"path": "/health", "port": "http"}, wantOK: true, wantDetail: "status 200", wantNot: "grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.in.Probe(ctx, injectors.Probe{Type: "http-get", Target: injectors.Target{Namespace: ns, Kind: "Service", Name: tt.service}, Params: params(t, tt.params)})
			if err != nil {
				t.Fatalf("Probe: %v, want a check", err)
			}
			if res.OK != tt.wantOK || !strings.Contains(res.Detail, tt.wantDetail) || (tt.wantNot != "" && strings.Contains(res.Detail, tt.wantNot)) {
				t.Errorf("got %+v, want ok=%v with %q", res, tt.wantOK, tt.wantDetail)
			}
		})
	}
}
