package kubernetes_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func hideMarks(c *kubernetes.Config) { c.HideMarks = true }

// noMarks fails when obj carries any firedrill.dev/ annotation or label.
func noMarks(t *testing.T, what string, annotations, labels map[string]string) {
	t.Helper()
	for _, m := range []map[string]string{annotations, labels} {
		for k := range m {
			if strings.HasPrefix(k, "firedrill.dev/") {
				t.Fatalf("%s carries %s with the marks hidden", what, k)
			}
		}
	}
}

// TestHiddenMarks: with the marks hidden, a fault leaves no firedrill trace
// on what it touches, and still reverts exactly: a participant's fix is
// kept, an untouched field is put back, a created object is found by its
// UID and deleted, and an Inject retried after a crash keeps the true
// "before" value.
func TestHiddenMarks(t *testing.T) {
	in := newInjector(t, hideMarks)
	ctx := context.Background()
	t.Run("a participant's fix is kept, the rest is put back", func(t *testing.T) {
		ns := clustertest.Namespace(t)
		makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50", "TIMEOUT": "3000"})
		a := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
		recA := lifecycle(t, in, a)
		b := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "TIMEOUT", "value": "5"})
		b.FaultID = "f-2"
		recB := lifecycle(t, in, b)
		cm := getObj(t, "ConfigMap", ns, "cfg")
		noMarks(t, "the injected ConfigMap", cm.GetAnnotations(), cm.GetLabels())
		patchConfigMap(t, ns, "cfg", `{"data":{"DB_POOL_MAX":"80"}}`)
		for _, rec := range [][]byte{recB, recA} {
			if err := in.Revert(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != "80" {
			t.Fatalf("DB_POOL_MAX = %q after revert, want the participant's 80", v)
		}
		if v, _ := configMapValue(t, ns, "cfg", "TIMEOUT"); v != "3000" {
			t.Fatalf("TIMEOUT = %q after revert, want 3000 back", v)
		}
		cm = getObj(t, "ConfigMap", ns, "cfg")
		noMarks(t, "the reverted ConfigMap", cm.GetAnnotations(), cm.GetLabels())
	})
	t.Run("an inject retried after a crash keeps the true before value", func(t *testing.T) {
		ns := clustertest.Namespace(t)
		makeConfigMap(t, ns, "cfg", map[string]string{"DB_POOL_MAX": "50"})
		f := fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "DB_POOL_MAX", "value": "1"})
		rec := lifecycle(t, in, f)
		again, err := in.Inject(ctx, f, rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Revert(ctx, again); err != nil {
			t.Fatal(err)
		}
		if v, _ := configMapValue(t, ns, "cfg", "DB_POOL_MAX"); v != "50" {
			t.Fatalf("DB_POOL_MAX = %q after a twice-injected fault was reverted, want 50", v)
		}
	})
	t.Run("a created object is pinned by its UID and deleted", func(t *testing.T) {
		ns := clustertest.Namespace(t)
		makeDeployment(t, ns, "worker", 1)
		f := fault("network-isolate", ns, "Deployment", "worker", map[string]any{"direction": "egress", "allowDNS": true})
		rec := lifecycle(t, in, f)
		st, err := in.Status(ctx, f, rec)
		if err != nil || st.Effect != injectors.InEffect {
			t.Fatalf("Status = %+v, %v; want in effect", st, err)
		}
		nps, err := clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(nps.Items) != 1 {
			t.Fatalf("NetworkPolicies: %v, %v; want the one the fault created", nps, err)
		}
		noMarks(t, "the created NetworkPolicy", nps.Items[0].Annotations, nps.Items[0].Labels)
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatal(err)
		}
		nps, err = clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(nps.Items) != 0 {
			t.Fatalf("NetworkPolicies after revert: %d, %v; want none", len(nps.Items), err)
		}
	})
}
