package kubernetes_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/injectors"
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

// countingInjector returns an injector whose API requests are counted;
// requests returns the methods of the requests since its last call.
func countingInjector(t *testing.T) (in *kubernetes.Injector, requests func() []string) {
	var mu sync.Mutex
	var reqs []string
	in = newInjector(t, func(c *kubernetes.Config) {
		c.Rest.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &mu, &reqs} })
	})
	return in, func() []string {
		mu.Lock()
		defer mu.Unlock()
		got := reqs
		reqs = nil
		return got
	}
}

// A revert of a plain field change costs one API call: a JSON patch whose
// tests check the injected values. (Healed, edited and layered faults fail
// those tests and fall back to reading and deciding field by field; their
// cases are in revert_test.go.)
func TestRevert_isOneCallWhenNothingChangedSince(t *testing.T) {
	ctx := context.Background()
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
	in, requests := countingInjector(t)
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
	rec, err := in.Prepare(ctx, f)
	if err == nil {
		rec, err = in.Inject(ctx, f, rec)
	}
	if err != nil {
		t.Fatal(err)
	}
	requests()
	if err := in.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got := requests()
	if len(got) != 1 || got[0] != http.MethodPatch {
		t.Fatalf("revert made requests %v, expected one PATCH", got)
	}
	if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != "50" {
		t.Fatalf("DB_POOL_MAX = %q after the revert, expected 50", v)
	}
}

// An inject of a plain field change costs one API call after Prepare: a
// patch the API server applies only to the version Prepare read. An
// object changed in between makes it fail; Inject then
// reads it again, and when the changed field no longer holds the value the
// (persisted) record restores, it writes nothing and fails with ECONFLICT:
// the caller prepares again, and Revert restores the value found then.
func TestInject_isOneCallUnlessChangedSincePrepare(t *testing.T) {
	tests := []struct {
		name       string
		between    string // DB_POOL_MAX written between Prepare and Inject, if any
		annotated  bool   // the ConfigMap carries an annotation of its own
		wantReqs   []string
		wantBefore string
	}{
		{name: "unchanged: one PATCH", wantReqs: []string{http.MethodPatch}, wantBefore: "50"},
		{name: "unchanged with annotations of its own: one PATCH", annotated: true, wantReqs: []string{http.MethodPatch}, wantBefore: "50"},
		{name: "changed since Prepare: the failed PATCH, a read, a conflict, and after a new Prepare one PATCH", between: "70", wantReqs: []string{http.MethodPatch, http.MethodGet}, wantBefore: "70"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ns := clustertest.Namespace(t)
			makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
			cs := clustertest.Cluster(t).Client()
			if tt.annotated {
				if _, err := cs.CoreV1().ConfigMaps(ns).Patch(ctx, "cfg", types.MergePatchType, []byte(`{"metadata":{"annotations":{"team":"payments"}}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			in, requests := countingInjector(t)
			f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
			rec, err := in.Prepare(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if tt.between != "" {
				if _, err := cs.CoreV1().ConfigMaps(ns).Patch(ctx, "cfg", types.MergePatchType, []byte(`{"data":{"DB_POOL_MAX":"`+tt.between+`"}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			requests()
			stale, err := in.Inject(ctx, f, rec)
			if got := requests(); !slices.Equal(got, tt.wantReqs) {
				t.Fatalf("inject made requests %v, expected %v", got, tt.wantReqs)
			}
			if tt.between != "" {
				if injectors.ErrorCode(err) != injectors.ECONFLICT || stale != nil {
					t.Fatalf("inject with a stale record: %v, record %q; expected ECONFLICT and no record", err, stale)
				}
				if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != tt.between {
					t.Fatalf("DB_POOL_MAX = %q after the refused inject, expected %s untouched", v, tt.between)
				}
				if rec, err = in.Prepare(ctx, f); err != nil {
					t.Fatal(err)
				}
				requests()
				stale, err = in.Inject(ctx, f, rec)
				if got := requests(); !slices.Equal(got, []string{http.MethodPatch}) {
					t.Fatalf("inject after the new Prepare made requests %v, expected one PATCH", got)
				}
			}
			if rec = stale; err != nil {
				t.Fatal(err)
			}
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["DB_POOL_MAX"] != "1" || cm.Annotations[kubernetes.FaultIDAnnotation] != f.FaultID || cm.Annotations[kubernetes.DrillIDAnnotation] != f.DrillID {
				t.Fatalf("after the inject: data %v, annotations %v; expected the value 1 and firedrill's marks", cm.Data, cm.Annotations)
			}
			if tt.annotated && cm.Annotations["team"] != "payments" {
				t.Fatalf("the object's own annotation was lost: %v", cm.Annotations)
			}
			if err := in.Revert(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != tt.wantBefore {
				t.Fatalf("DB_POOL_MAX = %q after the revert, expected %s (the value before the inject)", v, tt.wantBefore)
			}
		})
	}
}

// Inject writes a plain field change in one call whether its value is a
// string or an object (a merge patch for the one, the JSON patch for the
// other), and an object value replaces the field whole: a Service's
// selector is the fault's selector afterwards, not the old one merged with
// it. (Numbers, as scale's replicas, are checked by the catalog tests: a
// Deployment's controller writes its status, so their inject may take the
// read-and-write path.)
func TestInject_isOneCallForEachKindOfValue(t *testing.T) {
	ctx := context.Background()
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
	makeService(t, ns, "web", map[string]string{"app": "web"})
	cs := clustertest.Cluster(t).Client()
	tests := []struct {
		name  string
		fault injectors.Fault
		check func() (got string, want string)
	}{
		{name: "a string: the key holds it", fault: fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"}),
			check: func() (string, string) { v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); return v, "1" }},
		{name: "an object: the selector is exactly it", fault: fault("service-selector", ns, "Service", "web", map[string]any{"selector": map[string]any{"tier": "none"}}),
			check: func() (string, string) {
				s, err := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(s.Spec.Selector), "map[tier:none]"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, requests := countingInjector(t)
			rec, err := in.Prepare(ctx, tt.fault)
			if err != nil {
				t.Fatal(err)
			}
			requests()
			if rec, err = in.Inject(ctx, tt.fault, rec); err != nil {
				t.Fatal(err)
			}
			if got := requests(); !slices.Equal(got, []string{http.MethodPatch}) {
				t.Fatalf("inject made requests %v, expected one PATCH", got)
			}
			if got, want := tt.check(); got != want {
				t.Fatalf("after the inject: %s, expected %s", got, want)
			}
			if err := in.Revert(ctx, rec); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A namespace opted in a moment ago is accepted, and one whose label was
// just removed is refused once the API server's cache has seen it: the
// namespace check takes the cache's yes, and reads a no again from etcd.
func TestPrepare_namespaceOptInIsReadAgainWhenTheCacheRefuses(t *testing.T) {
	ctx := context.Background()
	ns := clustertest.PlainNamespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
	in := newInjector(t)
	f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
	label := func(v string) {
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, kubernetes.DrillTargetLabel, v)
		if _, err := clustertest.Cluster(t).Client().CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := in.Prepare(ctx, f); injectors.ErrorCode(err) != injectors.EFORBIDDEN {
		t.Fatalf("prepare in a namespace not opted in: %v, expected EFORBIDDEN", err)
	}
	label(`"true"`)
	if _, err := in.Prepare(ctx, f); err != nil {
		t.Fatalf("prepare right after the namespace was opted in: %v", err)
	}
	label("null")
	eventually(t, "the opt-out refused", func() (bool, string) {
		_, err := in.Prepare(ctx, f)
		return injectors.ErrorCode(err) == injectors.EFORBIDDEN, fmt.Sprint(err)
	})
}
