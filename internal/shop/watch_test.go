package shop_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/shop"
)

// apiReads records the reads of the shop's objects a client makes: GETs and
// LISTs, not watches, of the kinds a request of the shop looks at. The
// simulated kubelet's pod list (by label) and the HPA controller's reads
// of its own objects are not counted: they run on the simulator's clock,
// not on a request.
type apiReads struct {
	mu    sync.Mutex
	reads []string
	next  http.RoundTripper
}

func (a *apiReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Query().Get("watch") != "true" && !strings.HasSuffix(r.URL.Path, "/scale") {
		for _, kind := range []string{"/deployments", "/services", "/endpointslices", "/networkpolicies", "/configmaps", "/secrets", "/cronjobs", "/pods"} {
			if strings.Contains(r.URL.Path, kind) && !(kind == "/pods" && r.URL.Query().Get("labelSelector") != "") {
				a.mu.Lock()
				a.reads = append(a.reads, r.URL.Path)
				a.mu.Unlock()
				break
			}
		}
	}
	return a.next.RoundTrip(r)
}

func (a *apiReads) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.reads
	a.reads = nil
	return out
}

// TestRequestsAnswerFromTheWatch: a request of the shop reads nothing from
// the API server; the simulator answers from the objects it watches. Each
// request used to make some twenty-five reads one after another, and on a
// loaded machine those took longer than the shop's own simulated latency
// (a healthy shop answered in 400-700 ms, and the surge example's
// maxLatencyMs probe of 300 ms never held after the fix). A change still
// shows: a payment timeout squeezed through the API fails checkout, and
// its revert heals it.
func TestRequestsAnswerFromTheWatch(t *testing.T) {
	cs, ns, _ := setup(t)
	reads := &apiReads{}
	rc := clustertest.Cluster(t).RESTConfig()
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { reads.next = rt; return reads })
	counted, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// A clock that never moves: the simulator's kubelet and HPA controller
	// make one pass at the start and no more.
	sim := &shop.Simulator{Client: counted, Namespace: ns, Clock: clocktesting.NewFakeClock(time.Now()), Sleep: func(time.Duration) {}}
	urls, err := sim.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	t.Logf("reads while the simulator started: %d", len(reads.take()))
	web := urls[ns+"/web"]
	for _, path := range []string{"/api/orders/health", "/api/checkout/health", "/"} {
		if code, body := get(t, web+path); code != http.StatusOK {
			t.Fatalf("GET %s: %d %s, want 200", path, code, body)
		}
	}
	if got := reads.take(); len(got) > 0 {
		t.Errorf("3 requests read the API server %d times, want none (the simulator watches): %v", len(got), got)
	}
	timeout := func(ms string) {
		t.Helper()
		if _, err := cs.CoreV1().ConfigMaps(ns).Patch(ctx, "order-api-config", types.MergePatchType, []byte(`{"data":{"PAYMENT_TIMEOUT_MS":"`+ms+`"}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	timeout("50")
	eventually(t, web+"/api/checkout/health", http.StatusServiceUnavailable, "payments time out")
	timeout("3000")
	eventually(t, web+"/api/checkout/health", http.StatusOK, "ok")
	if got := reads.take(); len(got) > 0 {
		t.Errorf("the requests after a change read the API server %d times, want none: %v", len(got), got)
	}
}
