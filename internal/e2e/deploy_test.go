package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/ha"
)

// kustomize builds an overlay of deploy/ with kubectl's kustomize.
func kustomize(t *testing.T, ctx context.Context, kubectl, overlay string) []byte {
	t.Helper()
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", filepath.Join(repoRoot, "deploy", "overlays", overlay))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/overlays/%s: %v\n%s", overlay, err, stderr.String())
	}
	return out
}

// objects splits a multi-document manifest into kind/name -> document.
func objects(t *testing.T, manifest []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" {
			continue
		}
		out[meta.Kind+"/"+meta.Metadata.Namespace+"/"+meta.Metadata.Name] = doc
	}
	return out
}

// TestDeployOverlays: both overlays build and the API server accepts every
// object in a server-side dry run; single is one SQLite replica on a
// volume; ha is three spread replicas with a PodDisruptionBudget, the
// PostgreSQL DSN from a Secret and the sweep CronJob on its own service
// account; and the RBAC of firedrill's own state is exactly what the code
// calls.
func TestDeployOverlays(t *testing.T) {
	cl := clustertest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cache, err := devcluster.DefaultCacheDir(os.Getenv)
	must(t, "the binary cache", err)
	kubectl, err := devcluster.EnsureKubectl(ctx, cache, nil, nil)
	must(t, "kubectl", err)
	cs := cl.Client()
	sharedShop(t) // the opted-in namespace shop, which the RBAC binds in
	for _, ns := range []string{"firedrill"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
	built := map[string]map[string][]byte{}
	for _, overlay := range []string{"single", "ha"} {
		t.Run(overlay+" is accepted by the API server", func(t *testing.T) {
			manifest := kustomize(t, ctx, kubectl, overlay)
			built[overlay] = objects(t, manifest)
			cmd := exec.CommandContext(ctx, kubectl, "--kubeconfig", cl.Kubeconfig(), "--context", devcluster.ContextName,
				"apply", "--server-side", "--dry-run=server", "--field-manager=firedrill-deploy-test", "-f", "-")
			cmd.Stdin = bytes.NewReader(manifest)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("server-side dry run of deploy/overlays/%s: %v\n%s", overlay, err, out)
			}
			if n := strings.Count(string(out), "(server dry run)"); n != len(built[overlay]) {
				t.Fatalf("%d of %d objects dry-run applied:\n%s", n, len(built[overlay]), out)
			}
		})
	}
	t.Run("single is one replica with its journal on a volume", func(t *testing.T) {
		dep := string(built["single"]["Deployment/firedrill/firedrill"])
		for _, want := range []string{"replicas: 1", "type: Recreate", "claimName: firedrill-data"} {
			if !strings.Contains(dep, want) {
				t.Fatalf("single's Deployment lacks %q:\n%s", want, dep)
			}
		}
		if _, ok := built["single"]["CronJob/firedrill/firedrill-sweep"]; ok {
			t.Fatal("single has the sweep CronJob")
		}
	})
	t.Run("ha is three spread replicas on PostgreSQL with a PDB and the sweep", func(t *testing.T) {
		o := built["ha"]
		dep := string(o["Deployment/firedrill/firedrill"])
		for _, want := range []string{"replicas: 3", "podAntiAffinity", "FIREDRILL_STORE_DSN", "name: firedrill-postgres", "FIREDRILL_HA_IDENTITY"} {
			if !strings.Contains(dep, want) {
				t.Fatalf("ha's Deployment lacks %q:\n%s", want, dep)
			}
		}
		if strings.Contains(dep, "persistentVolumeClaim") {
			t.Fatalf("ha's replicas share a volume:\n%s", dep)
		}
		for _, k := range []string{"PodDisruptionBudget/firedrill/firedrill", "Secret/firedrill/firedrill-postgres", "CronJob/firedrill/firedrill-sweep"} {
			if _, ok := o[k]; !ok {
				t.Fatalf("ha lacks %s", k)
			}
		}
		if cj := string(o["CronJob/firedrill/firedrill-sweep"]); !strings.Contains(cj, "serviceAccountName: firedrill-sweep") || !strings.Contains(cj, "- sweep") {
			t.Fatalf("the sweep CronJob does not run firedrill sweep as firedrill-sweep:\n%s", cj)
		}
	})
	t.Run("the RBAC of firedrill's own state is exactly what the code calls", func(t *testing.T) {
		o := built["ha"]
		for _, tc := range []struct {
			role string
			need []ha.Permission
		}{
			{"firedrill-state", ha.ControllerPermissions()},
			{"firedrill-sweep", ha.SweepPermissions()},
		} {
			var role rbacv1.Role
			must(t, "decode Role "+tc.role, yaml.Unmarshal(o["Role/firedrill/"+tc.role], &role))
			granted := grants(role.Rules)
			var needed []string
			for _, p := range tc.need {
				needed = append(needed, p.Group+"/"+p.Resource+":"+p.Verb)
			}
			sort.Strings(needed)
			needed = slices.Compact(needed)
			if !slices.Equal(granted, needed) {
				t.Errorf("Role %s grants %v, the code calls %v", tc.role, granted, needed)
			}
		}
	})
}

// grants flattens rules to sorted "group/resource:verb".
func grants(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, fmt.Sprintf("%s/%s:%s", g, res, v))
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
