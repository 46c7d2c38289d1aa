package kubernetes_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestNewFromAKubeconfigFile(t *testing.T) {
	kubeconfig := clustertest.Cluster(t).Kubeconfig()
	tests := []struct {
		name     string
		cfg      kubernetes.Config
		wantErr  string // New fails
		wantCode string // New succeeds, calls fail with this code
	}{
		{name: "current context allowed: works", cfg: kubernetes.Config{Kubeconfig: kubeconfig, AllowedContexts: []string{devcluster.ContextName}}},
		{name: "named context allowed: works", cfg: kubernetes.Config{Kubeconfig: kubeconfig, Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}}},
		{name: "context not in the kubeconfig: New fails", cfg: kubernetes.Config{Kubeconfig: kubeconfig, Context: "prod", AllowedContexts: []string{"prod"}}, wantErr: `context "prod" is not in the kubeconfig`},
		{name: "missing kubeconfig: New fails", cfg: kubernetes.Config{Kubeconfig: filepath.Join(t.TempDir(), "nope")}, wantErr: "load kubeconfig"},
		{name: "no allowed contexts: calls refused", cfg: kubernetes.Config{Kubeconfig: kubeconfig}, wantCode: injectors.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := kubernetes.New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = in.Probe(context.Background(), injectors.Probe{Type: "endpoints", Target: injectors.Target{Namespace: "default", Name: "kubernetes"}})
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("probe through the kubeconfig: %v", err)
			}
		})
	}
}

func TestRevertRefusesARecordFromAnotherContext(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "cfg", map[string]string{"A": "1"})
	rec := lifecycle(t, newInjector(t), fault("configmap-key", ns, "ConfigMap", "cfg", map[string]any{"key": "A", "value": "2"}))
	other := newInjector(t, func(c *kubernetes.Config) {
		c.Context, c.AllowedContexts = "staging", []string{"staging"}
	})
	err := other.Revert(context.Background(), rec)
	wantCode(t, err, injectors.EFORBIDDEN)
	if !strings.Contains(injectors.ErrorMessage(err), `made against context "firedrill-dev"`) {
		t.Errorf("message = %q", injectors.ErrorMessage(err))
	}
	if err := newInjector(t).Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func TestPodDeleteByCountAndItsRefusals(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "api", 3)
	waitAvailable(t, ns, "api", 3)
	in := newInjector(t)
	ctx := context.Background()
	f := injectors.Fault{DrillID: drillID, FaultID: "kill-one", Type: "pod-delete",
		Target: injectors.Target{Namespace: ns, Selector: labelsOf("api")}, Params: params(t, map[string]any{"count": 1})}
	rec, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rec), `"delete":true`); n != 1 {
		t.Errorf("record plans %d deletions, want 1: %s", n, rec)
	}
	tests := []struct {
		name     string
		target   injectors.Target
		params   map[string]any
		wantCode string
	}{
		{name: "no pod matches", target: injectors.Target{Namespace: ns, Selector: labelsOf("nobody")}, params: map[string]any{"count": 1}, wantCode: injectors.ENOTFOUND},
		{name: "no selector", target: injectors.Target{Namespace: ns}, params: map[string]any{"count": 1}, wantCode: injectors.EINVALID},
		{name: "count and percent", target: injectors.Target{Namespace: ns, Selector: labelsOf("api")}, params: map[string]any{"count": 1, "percent": 10}, wantCode: injectors.EINVALID},
		{name: "percent over 100", target: injectors.Target{Namespace: ns, Selector: labelsOf("api")}, params: map[string]any{"percent": 150}, wantCode: injectors.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := in.Validate(ctx, injectors.Fault{DrillID: drillID, FaultID: "x", Type: "pod-delete", Target: tt.target, Params: params(t, tt.params)})
			wantCode(t, err, tt.wantCode)
		})
	}
}

func TestNetworkIsolateBySelectorBothDirections(t *testing.T) {
	ns := clustertest.Namespace(t)
	in := newInjector(t)
	f := injectors.Fault{DrillID: drillID, FaultID: "Cut_Off", Type: "network-isolate",
		Target: injectors.Target{Namespace: ns, Selector: map[string]string{"tier": "db"}}, Params: params(t, map[string]any{"direction": "both", "name": "db-lockdown"})}
	rec := lifecycle(t, in, f)
	// The designer named the policy as the team would.
	np, err := clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).Get(context.Background(), "db-lockdown", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(np.Spec.PolicyTypes) != 2 || len(np.Spec.Ingress) != 0 || len(np.Spec.Egress) != 0 || np.Spec.PodSelector.MatchLabels["tier"] != "db" {
		t.Errorf("policy spec = %+v, want all ingress and egress of tier=db denied", np.Spec)
	}
	if np.Annotations[kubernetes.FaultIDAnnotation] != "Cut_Off" || np.Annotations[kubernetes.DrillIDAnnotation] != drillID {
		t.Errorf("policy annotations = %v", np.Annotations)
	}
	st, err := in.Status(context.Background(), f, rec)
	if err != nil || st.Effect != injectors.InEffect {
		t.Errorf("status = %+v %v", st, err)
	}
	// A participant deletes the policy: that heals the fault, and revert
	// has nothing left to do.
	if err := clustertest.Client(t).NetworkingV1().NetworkPolicies(ns).Delete(context.Background(), "db-lockdown", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err = in.Status(context.Background(), f, rec)
	if err != nil || st.Effect != injectors.Reverted {
		t.Errorf("status after the participant's delete = %+v %v", st, err)
	}
	if err := in.Revert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}
