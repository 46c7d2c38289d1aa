package kubernetes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// TestDeploymentAvailability_judgesOnlyAStatusWrittenForTheLatestSpec checks
// the deployment-available probe's judgement on Deployment snapshots: a
// status the controller wrote before the latest change (observedGeneration
// behind the generation) never passes, so a scale fault is not resolved by
// the replicas it just removed, nor are replicas above the desired count.
func TestDeploymentAvailability_judgesOnlyAStatusWrittenForTheLatestSpec(t *testing.T) {
	one, zero := int32(1), int32(0)
	tests := []struct {
		name         string
		file         string
		minAvailable *int32
		wantOK       bool
		wantDetail   string
	}{
		{"a stale status after a scale to zero fails minAvailable", "scaled-to-zero-not-yet-observed.yaml", &one, false, "2 of 0 replicas available, 2 updated (status not yet updated for the latest change) (want at least 1 available)"},
		{"a stale status after a scale to zero fails the rollout check", "scaled-to-zero-not-yet-observed.yaml", nil, false, "status not yet updated"},
		{"replicas above a desired zero do not count", "scaled-to-zero-pods-still-counted.yaml", &one, false, "2 of 0 replicas available, 2 updated (want at least 1 available)"},
		{"replicas above the desired count being scaled away leave the desired ones", "scaling-down-healthy.yaml", &one, true, "3 of 2 replicas available"},
		{"the observed scale to zero fails minAvailable", "scaled-to-zero-observed.yaml", &one, false, "0 of 0 replicas available, 0 updated (want at least 1 available)"},
		{"the observed scale to zero holds minAvailable 0", "scaled-to-zero-observed.yaml", &zero, true, "want at least 0 available"},
		{"a scale back not yet observed fails", "scaled-back-not-yet-observed.yaml", &one, false, "status not yet updated"},
		{"a healthy Deployment holds minAvailable", "healthy.yaml", &one, true, "2 of 2 replicas available, 2 updated (want at least 1 available)"},
		{"a healthy Deployment holds the rollout check", "healthy.yaml", nil, true, "2 of 2 replicas available, 2 updated (want all desired replicas available and updated)"},
		{"a new rollout not yet observed fails the rollout check", "rollout-not-yet-observed.yaml", nil, false, "status not yet updated"},
		{"a new rollout not yet observed fails minAvailable", "rollout-not-yet-observed.yaml", &one, false, "status not yet updated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "deployment-status", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict(b, &d); err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			got := kubernetes.DeploymentAvailability(&d, tt.minAvailable)
			if got.OK != tt.wantOK || !strings.Contains(got.Detail, tt.wantDetail) {
				t.Errorf("got ok=%v %q, want ok=%v and a detail containing %q", got.OK, got.Detail, tt.wantOK, tt.wantDetail)
			}
		})
	}
}
