package kubernetes_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// A fault that fails after its first change: configmap-key with a restart
// of a Deployment that is deleted between Prepare and Inject, while someone
// edits another key of the ConfigMap in the same window (an edit of the key
// itself makes Prepare's record stale: Inject then writes nothing, see
// TestInject_isOneCallUnlessChangedSincePrepare). Inject changes the
// ConfigMap, fails on the Deployment, and returns the partial-inject
// record; reverting with it restores the value and keeps the person's
// edit.
func TestInject_failsAfterItsFirstChange(t *testing.T) {
	ctx := context.Background()
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	makeConfigMap(t, ns, "payment-config", map[string]string{"DB_POOL_MAX": "50"})
	makeDeployment(t, ns, "payment-api", 1)
	in := newInjector(t)
	f := fault("configmap-key", ns, "ConfigMap", "payment-config", map[string]any{"key": "DB_POOL_MAX", "value": "1", "restart": "deployment/payment-api"})

	prepared, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	// Between Prepare and Inject: the workload goes away and a person
	// edits another key.
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "payment-api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "payment-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["DB_TIMEOUT"] = "40s"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	partial, err := in.Inject(ctx, f, prepared)
	if err == nil {
		t.Fatal("Inject succeeded although the Deployment to restart is gone")
	}
	if len(partial) == 0 {
		t.Fatalf("Inject failed (%v) without the partial-inject record", err)
	}
	if v := cmValue(t, ns); v != "1" {
		t.Fatalf("DB_POOL_MAX = %q after the failed inject, expected the first change (1) in place", v)
	}
	if err := in.Revert(ctx, partial); err != nil {
		t.Fatal(err)
	}
	if v := cmValue(t, ns); v != "50" {
		t.Fatalf("DB_POOL_MAX = %q after reverting with the partial record, expected 50", v)
	}
	if v, _ := configMapValue(t, ns, "payment-config", "DB_TIMEOUT"); v != "40s" {
		t.Fatalf("DB_TIMEOUT = %q after the revert, expected the person's 40s kept", v)
	}
	got, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "payment-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"firedrill.dev/drill-id", "firedrill.dev/fault-id"} {
		if _, ok := got.Annotations[a]; ok {
			t.Fatalf("annotation %s left after the revert", a)
		}
	}
}

func cmValue(t *testing.T, ns string) string {
	t.Helper()
	v, _ := configMapValue(t, ns, "payment-config", "DB_POOL_MAX")
	return v
}
