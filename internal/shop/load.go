package shop

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The shop's load model. Traffic comes from the traffic Deployment, the
// beta environment's load generator standing for the customers: each of its
// available replicas sends RPS requests a second (60 in all as installed).
// Every request passes through web and, for orders and checkout, order-api.
// A service's Service spreads the requests evenly over its ready endpoints;
// each pod serves what its own CPU limit allows: rpsPerCore requests a
// second per core of limit (a pod at 500m serves 100). A pod without a CPU
// limit serves as one at a core.
//
// With a pod's utilisation u = its share of the traffic / its capacity, its
// requests queue as in a real service: latency grows as baseLatency/(1-u)
// and past u = 1 the excess is shed with 503s (1 - 1/u of its requests).
// One slow pod (its CPU limit lowered in place: pod-slow) thus fails or
// slows its share of the requests while the others are fine, until it
// leaves the Service's endpoints. As installed, web runs at 30% and
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
	d, err := s.deployment(ctx, "traffic")
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

// podLoad is how one pod behind a Service fares under its share of the
// traffic.
type podLoad struct {
	pod      string
	rps      float64 // requests a second it receives
	capacity float64 // requests a second it can serve
	// cpu is the CPU it uses, in cores: its utilisation (at most 1) of
	// what its limit allows.
	cpu     float64
	errors  float64       // the share of its requests it sheds
	latency time.Duration // how long its requests take
}

// load returns the traffic and how each pod serving app fares under it.
// The pods serving app are the ready endpoints of its Service (app's
// name): a pod taken out of the Service (relabelled to isolate it) gets
// no traffic, and the Service spreads the traffic evenly over the rest.
func (s *Simulator) load(ctx context.Context, app string) (float64, []podLoad) {
	rps := s.trafficRate(ctx)
	pods := s.servingPods(ctx, app)
	out := make([]podLoad, len(pods))
	for i, p := range pods {
		pl := podLoad{pod: p.Name, rps: rps / float64(len(pods)), capacity: podCapacity(p), latency: baseLatency}
		u := math.Inf(1)
		if pl.capacity > 0 {
			u = pl.rps / pl.capacity
		}
		pl.cpu = math.Min(u, 1) * podCPULimit(p)
		switch {
		case u >= 1:
			pl.errors, pl.latency = 1-1/u, maxQueueLatency
		case u >= slowUtilisation:
			pl.latency = min(time.Duration(float64(baseLatency)/(1-u)), maxQueueLatency)
		}
		out[i] = pl
	}
	return rps, out
}

// servingPods returns the pods behind the ready endpoints of Service svc,
// in the order of their names.
func (s *Simulator) servingPods(ctx context.Context, svc string) []*corev1.Pod {
	slices, err := s.endpointSlices(ctx, s.ns(), svc)
	if err != nil {
		return nil
	}
	names := map[string]bool{}
	for _, sl := range slices {
		for _, ep := range sl.Endpoints {
			if (ep.Conditions.Ready == nil || *ep.Conditions.Ready) && ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				names[ep.TargetRef.Name] = true
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	list, err := s.pods(ctx)
	if err != nil {
		return nil
	}
	var out []*corev1.Pod
	for _, p := range list {
		if names[p.Name] && p.DeletionTimestamp == nil && podIsReady(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// podCapacity is what one pod serves: rpsPerCore per core of its first
// container's CPU limit.
func podCapacity(p *corev1.Pod) float64 { return rpsPerCore * podCPULimit(p) }

// podCPULimit is the CPU limit of p's first container in cores; a
// container without a limit counts as one core.
func podCPULimit(p *corev1.Pod) float64 {
	if len(p.Spec.Containers) == 0 {
		return 0
	}
	lim, ok := p.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]
	if !ok {
		return 1
	}
	return float64(lim.MilliValue()) / 1000
}

// checkLoad returns the symptom of app under the current traffic, if any,
// after waiting as long as a request would queue. The error rate is the
// pods' shed requests over all requests: one pod that cannot keep up sheds
// only its share. The latency a request shows is the slowest pod's (the
// p99 of the service, as long as that pod takes 1% of the traffic or more).
func (s *Simulator) checkLoad(ctx context.Context, app string) []Problem {
	rps, pods := s.load(ctx, app)
	if rps == 0 || len(pods) == 0 {
		return nil // checkApp reports a service without ready endpoints
	}
	errs, worst := 0.0, pods[0]
	for _, p := range pods {
		errs += p.errors / float64(len(pods))
		if p.latency > worst.latency {
			worst = p
		}
	}
	u := worst.rps / worst.capacity
	switch {
	case errs > 0:
		s.sleep(maxQueueLatency)
		return []Problem{{app, fmt.Sprintf("503 Service Unavailable: upstream overflow (error rate %.0f%% over 5m, p99 latency %.1fs)", 100*errs, maxQueueLatency.Seconds()*5),
			fmt.Sprintf("overloaded: %.0f req/s on %d pods; %s gets %.0f req/s against a capacity of %.0f req/s", rps, len(pods), worst.pod, worst.rps, worst.capacity)}}
	case worst.latency > baseLatency:
		s.sleep(worst.latency)
		if s.Logf != nil {
			s.Logf("shop simulator: %s pod %s at %.0f%% of its capacity (%.0f req/s on %d pods): requests take %s", app, worst.pod, 100*u, rps, len(pods), worst.latency.Round(time.Millisecond))
		}
	}
	return nil
}
