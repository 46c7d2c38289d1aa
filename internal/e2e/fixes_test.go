package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
)

// The participants' fixes, done through the Kubernetes API the way a person
// does with kubectl: they compare what they see with the shop's manifests
// (the baseline) and put back what differs. None of them calls firedrill.

// deleteStrayNetworkPolicies deletes every NetworkPolicy the shop's
// manifests do not have (`kubectl delete networkpolicy …`), and returns
// their names.
func (s *theShop) deleteStrayNetworkPolicies(t *testing.T, ctx context.Context) []string {
	t.Helper()
	nps, err := s.cs.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("kubectl get networkpolicy: %v", err)
	}
	var names []string
	for _, np := range nps.Items {
		if contains(s.baseline.NetworkPolicies, np.Name) {
			continue
		}
		if err := s.cs.NetworkingV1().NetworkPolicies(ns).Delete(ctx, np.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("kubectl delete networkpolicy %s: %v", np.Name, err)
		}
		names = append(names, np.Name)
	}
	return names
}

// restoreConfigMapKey puts a ConfigMap key back to the manifest's value
// (`kubectl edit configmap`).
func (s *theShop) restoreConfigMapKey(t *testing.T, ctx context.Context, name, key string) string {
	t.Helper()
	want := s.baseline.ConfigMaps[name][key]
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := s.cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cm.Data[key] = want
		_, err = s.cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("kubectl edit configmap %s: %v", name, err)
	}
	return want
}

// updateDeployment changes a Deployment with conflict retries.
func (s *theShop) updateDeployment(t *testing.T, ctx context.Context, name, what string, change func(d *appsv1.Deployment)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(d)
		_, err = s.cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("%s deployment %s: %v", what, name, err)
	}
}

// rolloutRestart is `kubectl rollout restart deployment/NAME`.
func (s *theShop) rolloutRestart(t *testing.T, ctx context.Context, name string, clk clock.Clock) {
	t.Helper()
	s.updateDeployment(t, ctx, name, "kubectl rollout restart", func(d *appsv1.Deployment) {
		if d.Spec.Template.Annotations == nil {
			d.Spec.Template.Annotations = map[string]string{}
		}
		d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = clk.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	})
}

// rolloutUndo is `kubectl rollout undo deployment/NAME`: the pod template
// of the ReplicaSet of the previous revision goes back into the Deployment.
// It returns the image it rolled back to.
func (s *theShop) rolloutUndo(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kubectl rollout undo: %v", err)
	}
	rss, err := s.cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("kubectl rollout undo: %v", err)
	}
	current := d.Annotations["deployment.kubernetes.io/revision"]
	var prev *appsv1.ReplicaSet
	prevRev := -1
	for i := range rss.Items {
		rs := &rss.Items[i]
		if owner := metav1.GetControllerOf(rs); owner == nil || owner.UID != d.UID {
			continue
		}
		rev := rs.Annotations["deployment.kubernetes.io/revision"]
		var n int
		if _, err := fmt.Sscan(rev, &n); err != nil || rev == current {
			continue
		}
		if n > prevRev {
			prev, prevRev = rs, n
		}
	}
	if prev == nil {
		t.Fatalf("kubectl rollout undo deployment/%s: no previous revision (current %s)", name, current)
	}
	s.updateDeployment(t, ctx, name, "kubectl rollout undo", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec = prev.Spec.Template.Spec
	})
	return prev.Spec.Template.Spec.Containers[0].Image
}

// scaleBack is `kubectl scale --replicas=N` with the manifest's count.
func (s *theShop) scaleBack(t *testing.T, ctx context.Context, name string) int32 {
	t.Helper()
	want := s.baseline.Deployments[name].Replicas
	s.updateDeployment(t, ctx, name, "kubectl scale", func(d *appsv1.Deployment) { d.Spec.Replicas = &want })
	return want
}

// restoreResources puts a container's resources (limits and requests) back
// to the manifest's, as `kubectl set resources` with the manifest's values
// does, and returns the memory limit.
func (s *theShop) restoreResources(t *testing.T, ctx context.Context, name, container string) string {
	t.Helper()
	var pod corev1.PodSpec
	if err := json.Unmarshal(s.baseline.Deployments[name].Pod, &pod); err != nil {
		t.Fatal(err)
	}
	var want *corev1.ResourceRequirements
	for i := range pod.Containers {
		if pod.Containers[i].Name == container {
			want = &pod.Containers[i].Resources
		}
	}
	if want == nil {
		t.Fatalf("the manifest of %s has no container %s", name, container)
	}
	s.updateDeployment(t, ctx, name, "kubectl set resources", func(d *appsv1.Deployment) {
		for i := range d.Spec.Template.Spec.Containers {
			if d.Spec.Template.Spec.Containers[i].Name == container {
				d.Spec.Template.Spec.Containers[i].Resources = *want
			}
		}
	})
	mem := want.Limits[corev1.ResourceMemory]
	return mem.String()
}

// resumeCronJob is `kubectl patch cronjob NAME -p '{"spec":{"suspend":false}}'`.
func (s *theShop) resumeCronJob(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cj, err := s.cs.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		f := false
		cj.Spec.Suspend = &f
		_, err = s.cs.BatchV1().CronJobs(ns).Update(ctx, cj, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("kubectl patch cronjob %s: %v", name, err)
	}
}

// memoryLimit returns a container's memory limit as kubectl shows it.
func (s *theShop) memoryLimit(t *testing.T, ctx context.Context, name, container string) (string, *appsv1.Deployment) {
	t.Helper()
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == container {
			m := c.Resources.Limits[corev1.ResourceMemory]
			return m.String(), d
		}
	}
	t.Fatal(fmt.Sprintf("deployment %s has no container %s", name, container))
	return "", nil
}
