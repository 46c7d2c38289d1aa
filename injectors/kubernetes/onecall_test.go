package kubernetes_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// countingTransport records the method of every request to the API server.
type countingTransport struct {
	next http.RoundTripper
	mu   *sync.Mutex
	reqs *[]string
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	*c.reqs = append(*c.reqs, r.Method)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// A revert of a plain field change costs one API call: a JSON patch whose
// tests check the injected values. (Healed, edited and layered faults fail
// those tests and fall back to reading and deciding field by field; their
// cases are in revert_test.go.)
func TestRevert_isOneCallWhenNothingChangedSince(t *testing.T) {
	ctx := context.Background()
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
	var mu sync.Mutex
	var reqs []string
	in := newInjector(t, func(c *kubernetes.Config) {
		c.Rest.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &mu, &reqs} })
	})
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
	rec, err := in.Prepare(ctx, f)
	if err == nil {
		rec, err = in.Inject(ctx, f, rec)
	}
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	reqs = nil
	mu.Unlock()
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]string(nil), reqs...)
	mu.Unlock()
	if len(got) != 1 || got[0] != http.MethodPatch {
		t.Fatalf("revert made requests %v, expected one PATCH", got)
	}
	if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != "50" {
		t.Fatalf("DB_POOL_MAX = %q after the revert, expected 50", v)
	}
}
