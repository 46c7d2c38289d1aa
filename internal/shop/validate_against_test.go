package shop_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/shop"
	"github.com/firedrill/firedrill/internal/testbin"
)

// TestValidateAgainstDryRunsTheExamples runs the real firedrill binary's
// `validate --against` on the example scenarios: with the shop installed in
// its namespace every fault passes the cluster's server-side dry run; with a
// target object missing, the fault aimed at it is refused by name.
func TestValidateAgainstDryRunsTheExamples(t *testing.T) {
	ctx := context.Background()
	cs := clustertest.Client(t)
	if err := shop.Install(ctx, cs, shop.Namespace); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe := testbin.Firedrill(t)
	examples, _ := filepath.Glob("../../scenarios/examples/*.yaml")
	if len(examples) < 3 {
		t.Fatalf("examples: %v", examples)
	}
	validate := func(files ...string) (int, string) {
		args := append([]string{"validate", "--against", devcluster.ContextName, "--kubeconfig", clustertest.Cluster(t).Kubeconfig()}, files...)
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "FIREDRILL_KUBERNETES_ALLOWED_CONTEXTS="+devcluster.ContextName)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}

	if code, out := validate(examples...); code != 0 || strings.Count(out, ": ok (") != len(examples) {
		t.Fatalf("examples against the cluster: exit %d\n%s", code, out)
	}

	if err := cs.AppsV1().Deployments(shop.Namespace).Delete(ctx, "payment-worker", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out := validate("../../scenarios/examples/layered-payment-outage.yaml")
	if code != 1 || !strings.Contains(out, "faults[") || !strings.Contains(out, "payment-worker") {
		t.Fatalf("missing target not refused: exit %d\n%s", code, out)
	}

	// A context that is not allowed is refused before anything is touched.
	cmd := exec.Command(exe, "validate", "--against", devcluster.ContextName, "--kubeconfig", clustertest.Cluster(t).Kubeconfig(), examples[0])
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "allowedContexts") {
		t.Fatalf("unlisted context: err %v\n%s", err, b)
	}
}
