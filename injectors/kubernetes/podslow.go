package kubernetes

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// pod-slow makes one pod of a selector sick while its siblings stay
// healthy, as a bad instance is in production: its CPU limit is lowered in
// place (the pod's resize subresource; no restart, the pod keeps its name
// and stays ready), so it keeps receiving its share of the Service's
// requests and serves them slowly or not at all. Its owner's pod template
// is untouched: a replacement pod is healthy. Revert puts the pod's
// resources back while it still holds the lowered values.
//
// Participants end it by taking the pod out of the Service (relabel it, so
// that it leaves the endpoints and its controller starts a replacement,
// and keep it for investigation), by resizing it back, or by deleting it
// (the evidence is lost, which the retro can discuss). A pod they isolated
// is kept until the fault is reverted (the end of the drill): its
// controller let go of it and nothing would ever remove it, so Revert
// deletes it rather than leave a stray pod in beta.

// defaultSlowCPU is the CPU limit of a slow pod when params do not say.
const defaultSlowCPU = "50m"

// resizeSubresource is the pod subresource that changes a running pod's
// container resources.
const resizeSubresource = catalog.ResizeSubresource

type podSlowParams struct {
	CPULimit  string `json:"cpuLimit"`
	Container string `json:"container"`
}

// preparePodSlow picks the first running, ready pod (by name) matching the
// selector and plans its resize.
func preparePodSlow(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
	pp := p.(*podSlowParams)
	if len(f.Target.Selector) == 0 {
		return injectors.Errorf(injectors.EINVALID, "target.selector: required for pod-slow (the labels of the pods one of which turns slow)")
	}
	cpu := pp.CPULimit
	if cpu == "" {
		cpu = defaultSlowCPU
	}
	q, err := resource.ParseQuantity(cpu)
	if err != nil || q.Sign() <= 0 {
		return injectors.Errorf(injectors.EINVALID, "params.cpuLimit: %q is not a positive CPU quantity (e.g. 50m)", cpu)
	}
	pods, err := in.selectedPods(ctx, f.Target)
	if err != nil {
		return err
	}
	var live []corev1.Pod
	for _, pod := range pods.Items {
		if pod.Status.Phase == corev1.PodRunning && podReady(&pod) {
			live = append(live, pod)
		}
	}
	if len(live) == 0 {
		return injectors.Errorf(injectors.ENOTFOUND, "no running, ready pod matches %v in namespace %s", f.Target.Selector, f.Target.Namespace)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].Name < live[j].Name })
	o, err := in.planObject(ctx, f, "Pod", f.Target.Namespace, live[0].Name, func(obj map[string]any) ([]change, error) {
		return planPodCPU(obj, pp.Container, q)
	})
	if err != nil {
		return err
	}
	o.Subresource = resizeSubresource
	o.Controlled = metav1.GetControllerOf(&live[0]) != nil
	rec.Objects = append(rec.Objects, o)
	return nil
}

// removeIsolatedPod deletes the slow pod of record o when its controller
// has let go of it since the fault was prepared: participants isolated it
// (relabelled it out of its ReplicaSet's selector) and kept it for the
// investigation, which the end of the drill closes. A pod still
// controlled, gone, or replaced by another of the same name is left alone.
func (in *Injector) removeIsolatedPod(ctx context.Context, o objRecord) error {
	return in.deleteIf(ctx, o, func(pod *unstructured.Unstructured) bool {
		return string(pod.GetUID()) == o.UID && pod.GetDeletionTimestamp() == nil && metav1.GetControllerOfNoCopy(pod) == nil
	})
}

// planPodCPU plans the container's CPU limit at q, and its CPU request
// too when the request is above q (the API server refuses a request above
// the limit).
func planPodCPU(obj map[string]any, container string, q resource.Quantity) ([]change, error) {
	seg, err := podContainerSegment(obj, container)
	if err != nil {
		return nil, err
	}
	base := []string{"spec", "containers", seg, "resources"}
	out := []change{plan(obj, append(clone(base), "limits", "cpu"), q.String(), false)}
	reqPath := append(clone(base), "requests", "cpu")
	if cur, ok := getPath(obj, reqPath); ok {
		r, err := resource.ParseQuantity(fmt.Sprint(cur))
		if err != nil {
			return nil, fmt.Errorf("read %v: %w", reqPath, err)
		}
		if r.Cmp(q) > 0 {
			out = append(out, plan(obj, reqPath, q.String(), false))
		}
	}
	return out, nil
}

// podContainerSegment names the container of a pod (not a pod template)
// a fault acts on: the given one, or the only one.
func podContainerSegment(obj map[string]any, name string) (string, error) {
	spec, _ := obj["spec"].(map[string]any)
	return containerSegment(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": spec}}}, name)
}

// selectedPods lists the pods the target's selector matches in its
// namespace.
func (in *Injector) selectedPods(ctx context.Context, t injectors.Target) (*corev1.PodList, error) {
	var pods *corev1.PodList
	err := in.retry(ctx, func() error {
		var err error
		pods, err = in.cs.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(t.Selector).String()})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	return pods, nil
}
