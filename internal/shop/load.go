package shop

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The shop's load model. Traffic comes from the traffic Deployment, the
// beta environment's load generator standing for the customers: each of its
// available replicas sends RPS requests a second (60 in all as installed).
// Every request passes through web and, for orders and checkout, order-api.
// A service's capacity is the sum over its ready pods of what their CPU
// limit can serve: rpsPerCore requests a second per core of limit (a pod
// at 500m serves 100). A pod without a CPU limit serves as one at a core.
//
// With utilisation u = traffic / capacity, requests queue as in a real
// service: latency grows as baseLatency/(1-u) and past u = 1 the excess is
// shed with 503s (error rate 1 - 1/u). As installed, web runs at 30% and
// order-api at 20%; a surge to 4x overloads web (two replicas) while
// order-api slows down, and scaling web out to four replicas absorbs it.
const (
	trafficReplicas = 2
	trafficRPS      = 30
	rpsPerCore      = 200.0
	baseLatency     = 30 * time.Millisecond
	// slowUtilisation is where queueing starts to show: above it a request
	// takes visibly longer.
	slowUtilisation = 0.7
	// maxQueueLatency caps the simulated wait of an overloaded service.
	maxQueueLatency = 2 * time.Second
)

// trafficRate returns the requests a second the load generator sends.
func (s *Simulator) trafficRate(ctx context.Context) float64 {
	d, err := s.Client.AppsV1().Deployments(s.ns()).Get(ctx, "traffic", metav1.GetOptions{})
	if err != nil {
		return 0
	}
	v, _ := envOf(d.Spec.Template.Spec, "RPS")
	rps, err := strconv.ParseFloat(v, 64)
	if err != nil || rps < 0 {
		return 0
	}
	return rps * float64(d.Status.AvailableReplicas)
}

// capacity returns the requests a second the ready pods of app can serve,
// and how many they are.
func (s *Simulator) capacity(ctx context.Context, app string) (float64, int) {
	pods, err := s.Client.CoreV1().Pods(s.ns()).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return 0, 0
	}
	total, n := 0.0, 0
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil || !podIsReady(p) {
			continue
		}
		n++
		total += podCapacity(p)
	}
	return total, n
}

// podCapacity is what one pod serves: rpsPerCore per core of its first
// container's CPU limit.
func podCapacity(p *corev1.Pod) float64 {
	if len(p.Spec.Containers) == 0 {
		return 0
	}
	lim, ok := p.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]
	if !ok {
		return rpsPerCore
	}
	return rpsPerCore * float64(lim.MilliValue()) / 1000
}

// checkLoad returns the symptom of app under the current traffic, if any,
// after waiting as long as a request would queue.
func (s *Simulator) checkLoad(ctx context.Context, app string) []Problem {
	rps := s.trafficRate(ctx)
	if rps == 0 {
		return nil
	}
	cap, pods := s.capacity(ctx, app)
	if pods == 0 {
		return nil // checkApp reports a service without ready pods
	}
	u := rps / cap
	switch {
	case u >= 1:
		s.sleep(maxQueueLatency)
		errRate := 100 * (1 - 1/u)
		return []Problem{{app, fmt.Sprintf("503 Service Unavailable: upstream overflow (error rate %.0f%% over 5m, p99 latency %.1fs)", errRate, maxQueueLatency.Seconds()*5),
			fmt.Sprintf("overloaded: %.0f req/s against a capacity of %.0f req/s on %d pods", rps, cap, pods)}}
	case u >= slowUtilisation:
		lat := time.Duration(float64(baseLatency) / (1 - u))
		s.sleep(min(lat, maxQueueLatency))
		if s.Logf != nil {
			s.Logf("shop simulator: %s at %.0f%% of capacity (%.0f req/s on %d pods): requests take %s", app, 100*u, rps, pods, lat.Round(time.Millisecond))
		}
	}
	return nil
}
