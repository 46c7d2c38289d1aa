package devcluster_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

func deployment(ns, name string, replicas int32, c corev1.Container) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{c}},
			},
		},
	}
}

// waitPods polls the pods of app until ok accepts them or 30 seconds pass,
// and returns the last description of the pods.
func waitPods(t *testing.T, cs kubernetes.Interface, ns, app string, ok func([]corev1.Pod) bool) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return false, nil
		}
		pods = l.Items
		return ok(pods), nil
	})
	if err != nil {
		t.Fatalf("pods of %s never reached the expected state: %s", app, describe(pods))
	}
	return pods
}

func describe(pods []corev1.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "\n%s phase=%s", p.Name, p.Status.Phase)
		for _, s := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, " %s(ready=%v restarts=%d", s.Name, s.Ready, s.RestartCount)
			if s.State.Waiting != nil {
				fmt.Fprintf(&b, " waiting=%s", s.State.Waiting.Reason)
			}
			b.WriteString(")")
		}
	}
	return b.String()
}

func TestDeploymentPodsReachRunningOnFakeNodes(t *testing.T) {
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	d := deployment(ns, "web", 3, corev1.Container{Name: "web", Image: "nginx:1.27"})
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitPods(t, cs, ns, "web", func(ps []corev1.Pod) bool {
		ready := 0
		for _, p := range ps {
			if p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready && p.Status.PodIP != "" {
				ready++
			}
		}
		return ready == 3
	})
	for _, p := range pods {
		if !strings.HasPrefix(p.Spec.NodeName, "kwok-node-") {
			t.Errorf("pod %s scheduled to %q, want a kwok node", p.Name, p.Spec.NodeName)
		}
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Status.AvailableReplicas == 3, nil
	})
	if err != nil {
		t.Fatal("deployment never reported 3 available replicas")
	}
}

func TestImagesThatDoNotExistWaitInErrImagePull(t *testing.T) {
	cs := clustertest.Client(t)
	tests := []struct {
		name, image string
		pulls       bool
	}{
		{"an invalid/ image is not pulled", "invalid/api:broken", false},
		{"a tag the shop registry does not hold is not pulled", "registry.shop.internal/order-api:2024-11-31", false},
		{"an image the shop registry holds runs", "registry.shop.internal/order-api:2024-11-30", true},
		{"an image from elsewhere runs", "nginx:1.27", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			d := deployment(ns, "api", 1, corev1.Container{Name: "api", Image: tt.image})
			if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitPods(t, cs, ns, "api", func(ps []corev1.Pod) bool {
				for _, p := range ps {
					for _, s := range p.Status.ContainerStatuses {
						if tt.pulls && p.Status.Phase == corev1.PodRunning && s.Ready {
							return true
						}
						if !tt.pulls && p.Status.Phase == corev1.PodPending && s.State.Waiting != nil && s.State.Waiting.Reason == "ErrImagePull" {
							return true
						}
					}
				}
				return false
			})
		})
	}
}

func TestBrokenContainersGoToCrashLoopBackOff(t *testing.T) {
	cs := clustertest.Client(t)
	limits := func(mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	tests := []struct {
		name      string
		container corev1.Container
		reason    string // of the last termination; "" when the container runs
	}{
		{"a broken env crashes with an error", corev1.Container{Name: "worker", Image: "worker:1",
			Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: "invalid-password"}}}, "Error"},
		{"a memory limit below 128Mi is OOM-killed", corev1.Container{Name: "worker", Image: "worker:1", Resources: limits("64Mi")}, "OOMKilled"},
		{"a memory limit of 128Mi runs", corev1.Container{Name: "worker", Image: "worker:1", Resources: limits("128Mi")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			d := deployment(ns, "worker", 1, tt.container)
			if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitPods(t, cs, ns, "worker", func(ps []corev1.Pod) bool {
				for _, p := range ps {
					for _, s := range p.Status.ContainerStatuses {
						if tt.reason == "" && s.Ready && s.RestartCount == 0 && p.Status.Phase == corev1.PodRunning {
							return true
						}
						if tt.reason != "" && s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" && s.RestartCount >= 1 && !s.Ready &&
							s.LastTerminationState.Terminated != nil && s.LastTerminationState.Terminated.Reason == tt.reason {
							return true
						}
					}
				}
				return false
			})
		})
	}
}

func TestKubeconfigHasTheFiredrillDevContext(t *testing.T) {
	c := clustertest.Cluster(t)
	cfg, err := clientcmd.LoadFromFile(c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != devcluster.ContextName {
		t.Errorf("current context = %q, want %q", cfg.CurrentContext, devcluster.ContextName)
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, devcluster.ContextName, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("API through the kubeconfig: %v", err)
	}
	if ns.Name != "kube-system" {
		t.Errorf("got namespace %q", ns.Name)
	}
}

func TestAPIServerComesBackAfterARestart(t *testing.T) {
	c := clustertest.Cluster(t)
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept"}, Data: map[string]string{"k": "v"}}
	if _, err := c.Client().CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{}); err == nil {
		t.Fatal("API answered while kube-apiserver was stopped")
	}
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.Client().CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got.Data["k"] != "v" {
		t.Errorf("after restart data = %v, want k=v (etcd state kept)", got.Data)
	}
}
