package shop

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// The dev cluster's nodes are kwok's: they mark every pod running and ready
// and run no container, so nothing would ever check a container's
// readiness probe or its configuration. The simulator does that part of the
// kubelet's job for the shop's pods, from the same state a real kubelet
// reads:
//
//   - a container whose env names a ConfigMap or Secret key that does not
//     exist (secretKeyRef, configMapKeyRef), or whose envFrom names an
//     object that does not exist, cannot be created: the container waits
//     with CreateContainerConfigError and the pod is not ready;
//   - a container with a readiness probe is ready only while the probe's
//     endpoint answers: order-api's /ready answers only while both its
//     database connections work (see checkDB), so an order API pointed at a
//     database it cannot reach or log in to drops out of its Service and
//     its Deployment is not available — however often it is restarted.
//
// Each change is written to the pod's status and told in an Event, as the
// kubelet does ("Readiness probe failed: …"), so `kubectl get pods` and
// `kubectl describe` show it.

// probePeriod is how often the simulator's kubelet checks the shop's pods.
const probePeriod = 500 * time.Millisecond

// runKubelet checks the shop's pods every probePeriod until ctx ends.
func (s *Simulator) runKubelet(ctx context.Context) { s.every(ctx, probePeriod, s.checkPods) }

// every runs fn at once, then every period on the simulator's clock, until
// ctx ends.
func (s *Simulator) every(ctx context.Context, period time.Duration, fn func(context.Context)) {
	t := s.clock().NewTicker(period)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// checkPods sets each running pod's readiness from its containers'
// configuration and readiness probes.
func (s *Simulator) checkPods(ctx context.Context) {
	pods, err := s.Client.CoreV1().Pods(s.ns()).List(ctx, metav1.ListOptions{LabelSelector: "part-of=shop"})
	if err != nil {
		return
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || crashing(p) {
			continue // kwok's stages own pods that are not running or crash
		}
		reason, message, event := s.podProblem(ctx, p)
		if err := s.setReady(ctx, p, reason, message, event); err != nil && s.Logf != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			s.Logf("shop simulator: set readiness of pod %s: %v", p.Name, err)
		}
	}
}

// crashing reports whether a container of p is crash-looping (kwok's
// crash stage of the dev cluster, for broken env values and OOM kills).
func crashing(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			return true
		}
	}
	return false
}

// podProblem returns why p cannot be ready — the waiting reason of a
// container that cannot be created, or "" for a failing readiness probe —
// with the message and the Event's reason and message; all empty when p
// is ready.
func (s *Simulator) podProblem(ctx context.Context, p *corev1.Pod) (reason, message string, event [2]string) {
	for _, c := range p.Spec.Containers {
		if msg := s.configError(ctx, c); msg != "" {
			return "CreateContainerConfigError", msg, [2]string{"Failed", "Error: " + msg}
		}
	}
	for _, c := range p.Spec.Containers {
		rp := c.ReadinessProbe
		if rp == nil || rp.HTTPGet == nil {
			continue
		}
		if ps := s.readiness(ctx, p.Labels["app"], rp.HTTPGet.Path); len(ps) > 0 {
			return "", "", [2]string{"Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"}
		}
	}
	return "", "", [2]string{}
}

// readiness answers a readiness probe of app's path as the app would.
func (s *Simulator) readiness(ctx context.Context, app, path string) []Problem {
	if app == "order-api" && path == "/ready" {
		return s.checkDB(ctx)
	}
	return nil
}

// configError returns the kubelet's message when c's environment cannot be
// built from the ConfigMaps and Secrets it names, or "".
func (s *Simulator) configError(ctx context.Context, c corev1.Container) string {
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && (r.Optional == nil || !*r.Optional) {
			sec, err := s.secret(ctx, r.Name)
			if err != nil {
				return fmt.Sprintf("secret %q not found", r.Name)
			}
			if _, ok := sec.Data[r.Key]; !ok {
				return fmt.Sprintf("couldn't find key %s in Secret %s/%s", r.Key, s.ns(), r.Name)
			}
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && (r.Optional == nil || !*r.Optional) {
			cm, err := s.configMap(ctx, r.Name)
			if err != nil {
				return fmt.Sprintf("configmap %q not found", r.Name)
			}
			if _, ok := cm.Data[r.Key]; !ok {
				return fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", r.Key, s.ns(), r.Name)
			}
		}
	}
	for _, f := range c.EnvFrom {
		if r := f.SecretRef; r != nil && (r.Optional == nil || !*r.Optional) {
			if _, err := s.secret(ctx, r.Name); err != nil {
				return fmt.Sprintf("secret %q not found", r.Name)
			}
		}
		if r := f.ConfigMapRef; r != nil && (r.Optional == nil || !*r.Optional) {
			if _, err := s.configMap(ctx, r.Name); err != nil {
				return fmt.Sprintf("configmap %q not found", r.Name)
			}
		}
	}
	return ""
}

// setReady writes p's readiness when it changed: not ready with a
// container waiting for reason, not ready with a failing probe, or ready;
// and records the Event of the change.
func (s *Simulator) setReady(ctx context.Context, p *corev1.Pod, reason, message string, event [2]string) error {
	ready := event[0] == ""
	if podIsReady(p) == ready && waitingReason(p) == reason {
		return nil
	}
	now := metav1.NewTime(s.now())
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	for i, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
			p.Status.Conditions[i].Status, p.Status.Conditions[i].LastTransitionTime, p.Status.Conditions[i].Reason = st, now, ""
			if !ready {
				p.Status.Conditions[i].Reason = "ContainersNotReady"
			}
		}
	}
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		cs.Ready = ready
		started := reason == ""
		cs.Started = &started
		if reason != "" {
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}
		} else if cs.State.Running == nil {
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
		}
	}
	if _, err := s.Client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if ready {
		return nil
	}
	_, err := s.Client.CoreV1().Events(p.Namespace).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: p.Name + ".", Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, APIVersion: "v1", FieldPath: "spec.containers{" + p.Spec.Containers[0].Name + "}"},
		Reason:         event[0],
		Message:        event[1],
		Type:           corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "kubelet", Host: p.Spec.NodeName},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
	}, metav1.CreateOptions{})
	return err
}

func (s *Simulator) now() time.Time { return s.clock().Now() }

// clock is the simulator's clock: Clock, or the real one.
func (s *Simulator) clock() clock.WithTicker {
	if s.Clock == nil {
		return clock.RealClock{}
	}
	return s.Clock
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitingReason is the reason the first waiting container waits, or "".
func waitingReason(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && !strings.HasPrefix(w.Reason, "CrashLoop") {
			return w.Reason
		}
	}
	return ""
}
