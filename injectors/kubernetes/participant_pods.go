package kubernetes

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/retry"

	"github.com/firedrill/firedrill/injectors"
)

// IsolatedSuffix is what Isolate appends to the value of each selector
// label of a pod it takes out of service.
const IsolatedSuffix = "-isolated"

// Isolate takes the sick pods among those the target selects out of
// service and keeps them for investigation, as a person isolates a bad
// instance instead of deleting it: a pod whose container resources differ
// from its owner's pod template (resized in place) is relabelled, each
// label of the selector getting IsolatedSuffix (`kubectl label pod NAME
// app=web-isolated --overwrite`). It leaves the Service's endpoints, its
// ReplicaSet lets go of it and starts a healthy replacement, and it keeps
// running with its evidence. It returns what it did, in kubectl's words.
func (p *Participant) Isolate(ctx context.Context, t injectors.Target) ([]string, error) {
	if len(t.Selector) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "target.selector: the labels of the pods to look at are required")
	}
	cs := p.in.cs
	pods, err := cs.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(t.Selector).String()})
	if err != nil {
		return nil, fmt.Errorf("kubectl get pods -l %s: %w", labels.SelectorFromSet(t.Selector), err)
	}
	var did []string
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		sick, err := p.differsFromOwner(ctx, pod)
		if err != nil {
			return did, err
		}
		if !sick {
			continue
		}
		keys := make([]string, 0, len(t.Selector))
		for k := range t.Selector {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		what := "kubectl label pod " + t.Namespace + "/" + pod.Name
		for _, k := range keys {
			what += fmt.Sprintf(" %s=%s%s", k, t.Selector[k], IsolatedSuffix)
		}
		what += " --overwrite"
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			live, err := cs.CoreV1().Pods(t.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, k := range keys {
				live.Labels[k] = t.Selector[k] + IsolatedSuffix
			}
			_, err = cs.CoreV1().Pods(t.Namespace).Update(ctx, live, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			return did, fmt.Errorf("%s: %w", what, err)
		}
		did = append(did, what)
	}
	if len(did) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "nothing to isolate: every pod matching %v in %s runs as its owner's template says", t.Selector, t.Namespace)
	}
	return did, nil
}

// differsFromOwner reports whether a pod's container resources differ
// from its ReplicaSet's pod template, as `kubectl describe` of both shows.
// A pod without a ReplicaSet owner is not compared.
func (p *Participant) differsFromOwner(ctx context.Context, pod *corev1.Pod) (bool, error) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return false, nil
	}
	rs, err := p.in.cs.AppsV1().ReplicaSets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("kubectl get replicaset %s/%s: %w", pod.Namespace, ref.Name, err)
	}
	want := rs.Spec.Template.Spec.Containers
	if len(want) != len(pod.Spec.Containers) {
		return false, nil
	}
	for i, c := range pod.Spec.Containers {
		if !apiequality.Semantic.DeepEqual(c.Resources, want[i].Resources) {
			return true, nil
		}
	}
	return false, nil
}
