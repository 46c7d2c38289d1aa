package kubernetes_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestNewInCluster(t *testing.T) {
	devRest := func() (*rest.Config, error) { return clustertest.Cluster(t).RESTConfig(), nil }
	notInPod := func() (*rest.Config, error) { return nil, rest.ErrNotInCluster }
	tests := []struct {
		name       string
		cfg        kubernetes.Config
		wantErr    string // New fails with this
		wantCode   string // New succeeds; calls fail with this code
		wantLoaded bool   // the in-cluster loader was called
	}{
		{name: "allowed and in a pod: uses the service account's configuration",
			cfg: kubernetes.Config{Context: kubernetes.InClusterContext, AllowedContexts: []string{kubernetes.InClusterContext}, InClusterConfig: devRest}, wantLoaded: true},
		{name: "not allowed: calls refused without loading the configuration",
			cfg:      kubernetes.Config{Context: kubernetes.InClusterContext, AllowedContexts: []string{"firedrill-dev"}, InClusterConfig: devRest},
			wantCode: injectors.EFORBIDDEN},
		{name: "allowed outside a pod: New fails saying firedrill must run in a pod",
			cfg:     kubernetes.Config{Context: kubernetes.InClusterContext, AllowedContexts: []string{kubernetes.InClusterContext}, InClusterConfig: notInPod},
			wantErr: `context "in-cluster" uses the in-cluster configuration, which needs firedrill to run in a pod with a service account`, wantLoaded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded := false
			if load := tt.cfg.InClusterConfig; load != nil {
				tt.cfg.InClusterConfig = func() (*rest.Config, error) { loaded = true; return load() }
			}
			in, err := kubernetes.New(tt.cfg)
			if loaded != tt.wantLoaded {
				t.Errorf("in-cluster configuration loaded = %v, want %v", loaded, tt.wantLoaded)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Context() != kubernetes.InClusterContext {
				t.Errorf("Context() = %q, want %q", in.Context(), kubernetes.InClusterContext)
			}
			_, err = in.FindLeftovers(context.Background(), "no-such-drill")
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				if !strings.Contains(err.Error(), "kubernetes.allowedContexts") || in.RESTConfig() != nil {
					t.Errorf("refusal %q should name kubernetes.allowedContexts and leave no REST config", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("list through the in-cluster configuration: %v", err)
			}
			if in.RESTConfig() == nil {
				t.Error("RESTConfig() = nil for an allowed context")
			}
		})
	}
	t.Run("default loader outside a pod: New fails with the reason", func(t *testing.T) {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		t.Setenv("KUBERNETES_SERVICE_PORT", "")
		_, err := kubernetes.New(kubernetes.Config{Context: kubernetes.InClusterContext, AllowedContexts: []string{kubernetes.InClusterContext}})
		if !errors.Is(err, rest.ErrNotInCluster) || !strings.Contains(err.Error(), "deploy/base/firedrill.yaml") {
			t.Fatalf("New err = %v, want ErrNotInCluster and the pointer to deploy/base/firedrill.yaml", err)
		}
	})
}
