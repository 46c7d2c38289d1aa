package clustertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// controllersBound bounds WaitControllers. While kube-apiserver is down the
// watches of the controller manager, the scheduler and kwok back off
// (client-go's reflectors up to 30 s, doubled by jitter, and the backoff is
// only forgotten after two quiet minutes), so after an outage they may take
// a minute or more to act again on a busy machine. A wait bound, not a
// timing assertion: a component that never recovers still fails.
const controllersBound = 3 * time.Minute

// WaitControllers waits until the shared cluster's controllers act again
// after an API server outage (Cluster.StopAPIServer, StartAPIServer): a new
// namespace gets its default service account (the controller manager), and
// a Deployment of one replica in it gets a running, ready pod (the
// Deployment and ReplicaSet controllers, the scheduler and kwok). Outage
// tests call it before they end: the package's later tests share the
// cluster and expect it to work as it did before the outage. It fails t with
// what it last saw.
func WaitControllers(t testing.TB) {
	t.Helper()
	cs := Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), controllersBound)
	defer cancel()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "after-the-outage-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create a namespace after the outage: %v", err)
	}
	defer func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}) }()
	start := time.Now()
	last := "no service account yet"
	saw := func() bool {
		if _, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			last = "service account: " + err.Error()
			return false
		}
		return true
	}
	if !poll(ctx, saw) {
		t.Fatalf("the controller manager did not recover within %s of the outage: namespace %s: %s", controllersBound, ns.Name, last)
	}
	replicas := int32(1)
	labels := map[string]string{"app": "after-the-outage"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "after-the-outage"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns.Name).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create a Deployment after the outage: %v", err)
	}
	last = "no pod yet"
	running := func() bool {
		l, err := cs.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: "app=after-the-outage"})
		if err != nil {
			last = "pods: " + err.Error()
			return false
		}
		var seen []string
		for _, p := range l.Items {
			if p.Status.Phase == corev1.PodRunning && podReady(p) {
				return true
			}
			seen = append(seen, fmt.Sprintf("%s phase=%q node=%q", p.Name, p.Status.Phase, p.Spec.NodeName))
		}
		last = fmt.Sprintf("%d pods: %s", len(l.Items), strings.Join(seen, "; "))
		return false
	}
	if !poll(ctx, running) {
		t.Fatalf("the cluster's controllers did not recover within %s of the outage: a Deployment of one replica in %s has no running, ready pod: %s", controllersBound, ns.Name, last)
	}
	t.Logf("the cluster's controllers act again (waited %s for them after the outage)", time.Since(start).Round(100*time.Millisecond))
}

// poll calls cond every 200 ms until it is true or ctx ends.
func poll(ctx context.Context, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
