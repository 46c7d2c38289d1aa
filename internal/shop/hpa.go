package shop

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The dev cluster has no metrics server, and its controller manager runs
// without the HPA controller (see devcluster): the simulator plays both for
// the shop, from the load model. Every hpaPeriod it computes, for each
// HorizontalPodAutoscaler of the namespace aimed at a Deployment with a CPU
// target, the CPU each pod behind the Deployment's Service uses (its
// utilisation times its CPU limit, as the load model has it), and scales
// the Deployment the way the real controller does:
//
//   - desired = ceil(ready pods × current/target), kept when within 10%;
//   - scaling up at most to max(2 × current, current + 4) per period;
//   - scaling down to the highest recommendation of the stabilisation
//     window (spec.behavior.scaleDown, 5 minutes by default);
//   - always within minReplicas and maxReplicas, and not at all while the
//     Deployment is at zero replicas.
//
// It writes the HPA's status (current and desired replicas, the CPU
// metric, the AbleToScale/ScalingActive/ScalingLimited conditions) and a
// SuccessfulRescale Event, so `kubectl get hpa` and `kubectl describe hpa`
// show what a real cluster shows — "ScalingLimited True TooManyReplicas"
// under a surge when hpa-bounds lowered maxReplicas.

// hpaPeriod is how often the simulated HPA controller runs.
const hpaPeriod = 5 * time.Second

// hpaTolerance is the ratio band within which no scaling happens.
const hpaTolerance = 0.1

// defaultScaleDownWindow is the default scale-down stabilisation window.
const defaultScaleDownWindow = 5 * time.Minute

// recommendation is one past desired replica count of an HPA.
type recommendation struct {
	at       time.Time
	replicas int32
}

// hpaState is what the simulated controller remembers between periods.
type hpaState struct {
	mu   sync.Mutex
	recs map[string][]recommendation // by HPA name
}

// runHPAs runs the simulated HPA controller until ctx ends.
func (s *Simulator) runHPAs(ctx context.Context) { s.every(ctx, hpaPeriod, s.reconcileHPAs) }

// reconcileHPAs reconciles every HPA of the namespace once.
func (s *Simulator) reconcileHPAs(ctx context.Context) {
	list, err := s.Client.AutoscalingV2().HorizontalPodAutoscalers(s.ns()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range list.Items {
		if err := s.reconcileHPA(ctx, &list.Items[i]); err != nil && s.Logf != nil && ctx.Err() == nil {
			s.Logf("shop simulator: horizontal pod autoscaler %s: %v", list.Items[i].Name, err)
		}
	}
}

// cpuTarget returns the HPA's CPU resource metric target, or nil.
func cpuTarget(h *autoscalingv2.HorizontalPodAutoscaler) *autoscalingv2.MetricTarget {
	for _, m := range h.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU {
			return &m.Resource.Target
		}
	}
	return nil
}

// cpuMetric is the CPU the pods serving a Deployment use.
type cpuMetric struct {
	pods    int
	average resource.Quantity // cores a pod
	util    *int32            // percent of the pods' CPU request, when they all have one
	ratio   float64           // current / target
}

// measureCPU reads the CPU use of the pods serving app from the load model
// and compares it with the target.
func (s *Simulator) measureCPU(ctx context.Context, app string, target *autoscalingv2.MetricTarget) (cpuMetric, error) {
	_, loads := s.load(ctx, app)
	if len(loads) == 0 {
		return cpuMetric{}, fmt.Errorf("no ready pod serves %s: no metrics", app)
	}
	requests := map[string]float64{}
	for _, p := range s.servingPods(ctx, app) {
		if r, ok := p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; ok {
			requests[p.Name] = float64(r.MilliValue()) / 1000
		}
	}
	used, requested := 0.0, 0.0
	for _, l := range loads {
		used += l.cpu
		requested += requests[l.pod]
	}
	m := cpuMetric{pods: len(loads), average: *resource.NewMilliQuantity(int64(math.Round(1000*used/float64(len(loads)))), resource.DecimalSI)}
	if len(requests) == len(loads) && requested > 0 {
		u := int32(math.Round(100 * used / requested))
		m.util = &u
	}
	switch {
	case target.Type == autoscalingv2.UtilizationMetricType && target.AverageUtilization != nil:
		if m.util == nil {
			return m, fmt.Errorf("missing request for cpu in the pods of %s", app)
		}
		m.ratio = float64(*m.util) / float64(*target.AverageUtilization)
	case target.Type == autoscalingv2.AverageValueMetricType && target.AverageValue != nil:
		m.ratio = float64(m.average.MilliValue()) / float64(target.AverageValue.MilliValue())
	default:
		return m, fmt.Errorf("unsupported CPU target %s", target.Type)
	}
	return m, nil
}

// reconcileHPA does one period of the HPA controller for h.
func (s *Simulator) reconcileHPA(ctx context.Context, h *autoscalingv2.HorizontalPodAutoscaler) error {
	ref := h.Spec.ScaleTargetRef
	target := cpuTarget(h)
	if ref.Kind != "Deployment" || target == nil {
		return nil
	}
	deployments := s.Client.AppsV1().Deployments(s.ns())
	scale, err := deployments.GetScale(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	current := scale.Spec.Replicas
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	maxR := h.Spec.MaxReplicas
	st := h.Status.DeepCopy()
	st.CurrentReplicas = scale.Status.Replicas
	now := s.now()
	var desired int32
	var reason, limited string
	switch {
	case current == 0 && minR != 0:
		setHPACondition(st, autoscalingv2.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
		st.DesiredReplicas = 0
		return s.writeHPAStatus(ctx, h, st)
	case current > maxR:
		desired, reason = maxR, "Current number of replicas above Spec.MaxReplicas"
	case current < minR:
		desired, reason = minR, "Current number of replicas below Spec.MinReplicas"
	default:
		m, err := s.measureCPU(ctx, ref.Name, target)
		if err != nil {
			setHPACondition(st, autoscalingv2.ScalingActive, corev1.ConditionFalse, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: "+err.Error(), now)
			st.CurrentMetrics = nil
			return s.writeHPAStatus(ctx, h, st)
		}
		st.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
			Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageValue: &m.average, AverageUtilization: m.util}}}}
		setHPACondition(st, autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from cpu resource", now)
		recommended := current
		if math.Abs(m.ratio-1) > hpaTolerance {
			recommended = int32(math.Ceil(m.ratio * float64(m.pods)))
		}
		desired = s.stabilise(h, current, recommended, now)
		desired, limited = limitReplicas(current, desired, minR, maxR)
		reason = "cpu resource above target"
		if desired < current {
			reason = "All metrics below target"
		}
	}
	if limited != "" {
		setHPACondition(st, autoscalingv2.ScalingLimited, corev1.ConditionTrue, limited, limitedMessage[limited], now)
	} else {
		setHPACondition(st, autoscalingv2.ScalingLimited, corev1.ConditionFalse, "DesiredWithinRange", "the desired count is within the acceptable range", now)
	}
	st.DesiredReplicas = desired
	if desired != current {
		scale.Spec.Replicas = desired
		if _, err := deployments.UpdateScale(ctx, ref.Name, scale, metav1.UpdateOptions{}); err != nil {
			setHPACondition(st, autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: "+err.Error(), now)
			return s.writeHPAStatus(ctx, h, st)
		}
		t := metav1.NewTime(now)
		st.LastScaleTime = &t
		setHPACondition(st, autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired), now)
		s.hpaEvent(ctx, h, fmt.Sprintf("New size: %d; reason: %s", desired, reason), now)
	} else {
		setHPACondition(st, autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size", now)
	}
	return s.writeHPAStatus(ctx, h, st)
}

var limitedMessage = map[string]string{
	"TooManyReplicas": "the desired replica count is more than the maximum replica count",
	"TooFewReplicas":  "the desired replica count is less than the minimum replica count",
	"ScaleUpLimit":    "the desired replica count is increasing faster than the maximum scale rate",
}

// limitReplicas keeps desired within the scale-up rate and the bounds, and
// says which limit applied ("" when none).
func limitReplicas(current, desired, minR, maxR int32) (int32, string) {
	if up := max(2*current, current+4); desired > up && up < maxR {
		return up, "ScaleUpLimit"
	}
	if desired > maxR {
		return maxR, "TooManyReplicas"
	}
	if desired < minR {
		return minR, "TooFewReplicas"
	}
	return desired, ""
}

// stabilise applies the scale-down stabilisation window: the count never
// drops below the highest recommendation of the window.
func (s *Simulator) stabilise(h *autoscalingv2.HorizontalPodAutoscaler, current, recommended int32, now time.Time) int32 {
	window := defaultScaleDownWindow
	if b := h.Spec.Behavior; b != nil && b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
		window = time.Duration(*b.ScaleDown.StabilizationWindowSeconds) * time.Second
	}
	s.hpas.mu.Lock()
	defer s.hpas.mu.Unlock()
	if s.hpas.recs == nil {
		s.hpas.recs = map[string][]recommendation{}
	}
	kept := []recommendation{{now, recommended}}
	down := recommended
	for _, r := range s.hpas.recs[h.Name] {
		if now.Sub(r.at) < window {
			kept = append(kept, r)
			down = max(down, r.replicas)
		}
	}
	s.hpas.recs[h.Name] = kept
	if recommended >= current {
		return recommended
	}
	return min(current, down)
}

// setHPACondition sets one condition of st, keeping its transition time
// while its status does not change.
func setHPACondition(st *autoscalingv2.HorizontalPodAutoscalerStatus, typ autoscalingv2.HorizontalPodAutoscalerConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) {
	for i, c := range st.Conditions {
		if c.Type == typ {
			if c.Status != status {
				st.Conditions[i].LastTransitionTime = metav1.NewTime(now)
			}
			st.Conditions[i].Status, st.Conditions[i].Reason, st.Conditions[i].Message = status, reason, message
			return
		}
	}
	st.Conditions = append(st.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{Type: typ, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(now)})
}

func (s *Simulator) writeHPAStatus(ctx context.Context, h *autoscalingv2.HorizontalPodAutoscaler, st *autoscalingv2.HorizontalPodAutoscalerStatus) error {
	h = h.DeepCopy()
	h.Status = *st
	_, err := s.Client.AutoscalingV2().HorizontalPodAutoscalers(s.ns()).UpdateStatus(ctx, h, metav1.UpdateOptions{})
	return err
}

// hpaEvent records a rescale as the HPA controller does.
func (s *Simulator) hpaEvent(ctx context.Context, h *autoscalingv2.HorizontalPodAutoscaler, msg string, now time.Time) {
	t := metav1.NewTime(now)
	_, _ = s.Client.CoreV1().Events(h.Namespace).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: h.Name + ".", Namespace: h.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "HorizontalPodAutoscaler", Namespace: h.Namespace, Name: h.Name, UID: h.UID, APIVersion: "autoscaling/v2"},
		Reason:         "SuccessfulRescale",
		Message:        msg,
		Type:           corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "horizontal-pod-autoscaler"},
		FirstTimestamp: t,
		LastTimestamp:  t,
		Count:          1,
	}, metav1.CreateOptions{})
}
