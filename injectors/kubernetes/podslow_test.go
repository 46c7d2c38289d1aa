package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func slowFault(ns string, p string) injectors.Fault {
	return injectors.Fault{DrillID: drillID, FaultID: "sick-pod", Type: "pod-slow",
		Target: injectors.Target{Namespace: ns, Kind: "Pod", Selector: labelsOf("api")}, Params: json.RawMessage(p)}
}

// cpuOf returns the CPU limit and request of the pod's first container.
func cpuOf(t *testing.T, ns, name string) (string, string) {
	t.Helper()
	p, err := clustertest.Client(t).CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Spec.Containers[0].Resources
	return r.Limits.Cpu().String(), r.Requests.Cpu().String()
}

func apiPods(t *testing.T, ns string) []string {
	t.Helper()
	list, err := clustertest.Client(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=api"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && ready(&p) {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// ready reports the pod's Ready condition: pod-slow picks among running,
// ready pods, so the test's list must too.
func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestPodSlow: one pod of the selector, and only it, has its CPU lowered in
// place (same pod, same UID, its siblings and the Deployment's template
// untouched); Status sees it; Revert puts it back; a pod deleted since (a
// participant replaced it) leaves Revert nothing to do.
func TestPodSlow(t *testing.T) {
	in := newInjector(t)
	ctx := context.Background()
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "api", 2)
	waitAvailable(t, ns, "api", 2)
	pods := apiPods(t, ns)
	if len(pods) != 2 {
		t.Fatalf("pods %v, want 2", pods)
	}

	t.Run("one pod slowed in place and put back", func(t *testing.T) {
		f := slowFault(ns, `{"cpuLimit":"50m"}`)
		rec := lifecycle(t, in, f)
		if lim, req := cpuOf(t, ns, pods[0]); lim != "50m" || req != "50m" {
			t.Fatalf("slow pod %s: cpu limit %s request %s, want 50m and 50m", pods[0], lim, req)
		}
		if lim, req := cpuOf(t, ns, pods[1]); lim != "1" || req != "200m" {
			t.Fatalf("sibling %s: cpu limit %s request %s, want it untouched (1, 200m)", pods[1], lim, req)
		}
		d, err := clustertest.Client(t).AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil || d.Spec.Template.Spec.Containers[0].Resources.Limits.Cpu().String() != "1" {
			t.Fatalf("the Deployment's template changed (or %v): the fault is one pod's", err)
		}
		st, err := in.Status(ctx, f, rec)
		if err != nil || st.Effect != injectors.InEffect {
			t.Fatalf("Status = %+v, %v; want in effect", st, err)
		}
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if lim, req := cpuOf(t, ns, pods[0]); lim != "1" || req != "200m" {
			t.Fatalf("after revert %s: cpu limit %s request %s, want 1 and 200m", pods[0], lim, req)
		}
		if got := apiPods(t, ns); len(got) != 2 || got[0] != pods[0] {
			t.Fatalf("pods after revert %v, want the same %v (no restart)", got, pods)
		}
		st, err = in.Status(ctx, f, rec)
		if err != nil || st.Effect != injectors.Reverted {
			t.Fatalf("Status after revert = %+v, %v; want reverted", st, err)
		}
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatalf("second revert: %v", err)
		}
	})
	t.Run("a slow pod deleted since leaves revert nothing to do", func(t *testing.T) {
		f := slowFault(ns, `{}`)
		rec := lifecycle(t, in, f)
		if lim, _ := cpuOf(t, ns, pods[0]); lim != "50m" {
			t.Fatalf("cpu limit %s, want the default 50m", lim)
		}
		if err := clustertest.Client(t).CoreV1().Pods(ns).Delete(ctx, pods[0], metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a participant isolates the slow pod and keeps it until the revert removes it", func(t *testing.T) {
		// The Deployment's status can still count the pod deleted above
		// before its ReplicaSet sees the deletion: wait for the pods
		// themselves, two running and ready, the deleted one gone.
		deleted := pods[0]
		var pods []string
		eventually(t, "two ready api pods besides the deleted one", func() (bool, string) {
			pods = apiPods(t, ns)
			return len(pods) == 2 && pods[0] != deleted && pods[1] != deleted, fmt.Sprint(pods)
		})
		f := slowFault(ns, `{"cpuLimit":"20m"}`)
		rec := lifecycle(t, in, f)
		p, err := in.Participant()
		if err != nil {
			t.Fatal(err)
		}
		did, err := p.Isolate(ctx, f.Target)
		if err != nil {
			t.Fatal(err)
		}
		if want := "kubectl label pod " + ns + "/" + pods[0] + " app=api-isolated --overwrite"; len(did) != 1 || did[0] != want {
			t.Fatalf("did %q, want [%q]", did, want)
		}
		kept, err := clustertest.Client(t).CoreV1().Pods(ns).Get(ctx, pods[0], metav1.GetOptions{})
		if err != nil || kept.DeletionTimestamp != nil || kept.Labels["app"] != "api-isolated" {
			t.Fatalf("the isolated pod: %v, %v; want it kept, labelled app=api-isolated", kept.Labels, err)
		}
		eventually(t, "a replacement for the isolated pod", func() (bool, string) {
			got := apiPods(t, ns)
			return len(got) == 2 && got[0] != pods[0] && got[1] != pods[0], fmt.Sprint(got)
		})
		if _, err := p.Isolate(ctx, f.Target); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("second Isolate: %v, want ENOTFOUND (every pod healthy)", err)
		}
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatal(err)
		}
		// Its ReplicaSet let go of it: nothing else would ever remove it,
		// so the end of the drill does, rather than leave a stray pod.
		eventually(t, "the isolated pod removed by the revert", func() (bool, string) {
			p, err := clustertest.Client(t).CoreV1().Pods(ns).Get(ctx, pods[0], metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, ""
			}
			return err == nil && p.DeletionTimestamp != nil, fmt.Sprintf("%v %v", p.Labels, err)
		})
		if got := apiPods(t, ns); len(got) != 2 {
			t.Fatalf("pods after the revert %v, want the Deployment's two replicas untouched", got)
		}
		if err := in.Revert(ctx, rec); err != nil {
			t.Fatalf("second revert: %v", err)
		}
	})
	for _, tt := range []struct {
		name string
		f    injectors.Fault
	}{
		{"no selector is refused", injectors.Fault{DrillID: drillID, FaultID: "x", Type: "pod-slow", Target: injectors.Target{Namespace: ns, Kind: "Pod", Name: pods[1]}}},
		{"a cpuLimit that is no quantity is refused", slowFault(ns, `{"cpuLimit":"fast"}`)},
		{"an unknown param is refused", slowFault(ns, `{"memoryLimit":"64Mi"}`)},
		{"a Deployment target is refused", injectors.Fault{DrillID: drillID, FaultID: "x", Type: "pod-slow", Target: injectors.Target{Namespace: ns, Kind: "Deployment", Name: "api"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, in.Validate(ctx, tt.f), injectors.EINVALID)
		})
	}
}
