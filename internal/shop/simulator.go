package shop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
)

// Simulator serves the shop's HTTP endpoints on loopback. It watches the
// shop's objects in the cluster, and every request answers from them as the
// real service would with that configuration: a missing DB password fails order requests, a
// payment timeout of 50 ms fails payments, an isolated payment worker fails
// checkout, and so on.
//
// What a request returns is what a real service shows — 5xx, timeouts,
// latency, error rates and the error lines a real application logs — never
// the cause: the drill must not give itself away. The cause of each problem
// stays behind the scenes, in Problem.Cause, for Logf and for tests.
type Simulator struct {
	Client kubernetes.Interface
	// Namespace defaults to Namespace.
	Namespace string
	// Sleep is how the simulator waits to simulate latency; nil sleeps on
	// Clock. Tests replace it.
	Sleep func(time.Duration)
	// Clock paces the simulator's kubelet (see runKubelet); nil is the
	// real clock.
	Clock clock.WithTicker
	// Logf, when set, receives the cause of each problem a request met:
	// the simulator's own knowledge, for whoever runs the demo, never for
	// the people playing the drill.
	Logf func(format string, args ...any)

	servers     []*http.Server
	addrs       map[string]string // service name → listener address
	stopKubelet context.CancelFunc
	view        *view // the watched objects of the namespace, once Start has them
	hpas        hpaState
}

// Problem is one reason a service is unhealthy: the symptom a real
// service shows (what a request returns and the service logs) and the
// cause the simulator knows but never shows.
type Problem struct {
	Service string `json:"service"`
	// Reason is the symptom, worded as the real service would.
	Reason string `json:"reason"`
	// Cause is why, in the simulator's words; it is not part of any answer.
	Cause string `json:"-"`
}

func (s *Simulator) ns() string {
	if s.Namespace == "" {
		return Namespace
	}
	return s.Namespace
}

// Start listens on 127.0.0.1 for the web and order-api services and returns
// their base URLs keyed "namespace/service", the form firedrill's
// kubernetes.serviceURLs setting takes. The servers stop when ctx ends or
// Close is called.
func (s *Simulator) Start(ctx context.Context) (map[string]string, error) {
	kctx, stop := context.WithCancel(ctx)
	// The servers answer from the simulator's view of the shop: it is
	// complete before they listen.
	if err := s.watch(kctx); err != nil {
		stop()
		return nil, err
	}
	s.stopKubelet = stop
	urls := map[string]string{}
	s.addrs = map[string]string{}
	for name, h := range map[string]http.Handler{"web": s.webHandler(), "order-api": s.orderAPIHandler()} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("shop simulator: listen for %s: %w", name, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		s.servers = append(s.servers, srv)
		go srv.Serve(ln)
		urls[s.ns()+"/"+name] = "http://" + ln.Addr().String()
		s.addrs[name] = ln.Addr().String()
	}
	go s.runKubelet(kctx)
	go s.runHPAs(kctx)
	go func() { <-ctx.Done(); s.Close() }()
	return urls, nil
}

// Close stops the servers, the simulated kubelet and HPA controller, and
// the simulator's watches of the shop.
func (s *Simulator) Close() error {
	var errs []error
	if s.stopKubelet != nil {
		s.stopKubelet()
	}
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	s.servers = nil
	return errors.Join(errs...)
}

// DialPod connects to the simulator as the pod at addr ("IP:port"), for the
// dev cluster's API server proxy (devcluster.Cluster.RoutePods): a pod of
// the simulator's namespace that a simulated Service (web, order-api)
// selects, on that Service's target port. kwok runs no containers, so
// without it `kubectl get --raw .../services/web:80/proxy/...` and the
// http-get probe through the API server reach nothing. Any other address
// is an error.
func (s *Simulator) DialPod(ctx context.Context, addr string) (net.Conn, error) {
	ip, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("shop simulator: %w", err)
	}
	pods, err := s.pods(ctx)
	if err != nil {
		return nil, fmt.Errorf("shop simulator: pod at %s: %w", addr, err)
	}
	for _, pod := range pods {
		if pod.Status.PodIP != ip {
			continue
		}
		for name, local := range s.addrs {
			svc, err := s.service(ctx, s.ns(), name)
			if err != nil || len(svc.Spec.Selector) == 0 || !klabels.SelectorFromSet(svc.Spec.Selector).Matches(klabels.Set(pod.Labels)) {
				continue
			}
			for _, sp := range svc.Spec.Ports {
				if sp.TargetPort.String() == port || containerPort(pod, sp.TargetPort.String()) == port {
					var d net.Dialer
					return d.DialContext(ctx, "tcp", local)
				}
			}
		}
	}
	return nil, fmt.Errorf("shop simulator: no pod of namespace %s behind a simulated Service at %s", s.ns(), addr)
}

// containerPort is the number of the pod's container port named name, or "".
func containerPort(pod *corev1.Pod, name string) string {
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return strconv.Itoa(int(p.ContainerPort))
			}
		}
	}
	return ""
}

func (s *Simulator) webHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkWeb(r.Context(), false, false))
	})
	mux.HandleFunc("GET /api/orders/health", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkWeb(r.Context(), true, false))
	})
	mux.HandleFunc("GET /api/checkout/health", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkWeb(r.Context(), true, true))
	})
	mux.HandleFunc("GET /metrics", s.metricsHandler("web"))
	return mux
}

func (s *Simulator) orderAPIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/orders/health", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkOrderAPI(r.Context(), true))
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.readiness(r.Context(), "order-api", "/ready"))
	})
	mux.HandleFunc("GET /internal/config/{key}", func(w http.ResponseWriter, r *http.Request) {
		cm, err := s.configMap(r.Context(), "order-api-config")
		if err != nil {
			http.Error(w, "config unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		v, ok := cm.Data[r.PathValue("key")]
		if !ok {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("GET /metrics", s.metricsHandler("order-api"))
	mux.HandleFunc("GET /internal/orders/duplicates", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkDuplicates(r.Context()))
	})
	mux.HandleFunc("GET /internal/settlement/last-run", func(w http.ResponseWriter, r *http.Request) {
		cj, err := s.cronJob(r.Context(), "settlement")
		var ps []Problem
		switch {
		case err != nil:
			ps = append(ps, Problem{"settlement", "500 Internal Server Error", "cronjob unavailable: " + err.Error()})
		case cj.Spec.Suspend != nil && *cj.Spec.Suspend:
			last := "never"
			if t := cj.Status.LastScheduleTime; t != nil {
				last = t.UTC().Format(time.RFC3339)
			}
			ps = append(ps, Problem{"settlement", "settlement overdue: last run " + last + ", expected every day; partner payouts pending", "the CronJob is suspended"})
		}
		s.answer(w, r, ps)
	})
	return mux
}

func (s *Simulator) answer(w http.ResponseWriter, r *http.Request, ps []Problem) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(ps) == 0 {
		fmt.Fprintln(w, "ok")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	for _, p := range ps {
		fmt.Fprintf(w, "%s: %s\n", p.Service, p.Reason)
		if s.Logf != nil && p.Cause != "" {
			s.Logf("shop simulator: %s %s: %s (cause: %s)", r.Method, r.URL.Path, p.Service, p.Cause)
		}
	}
}

// timeoutLatency is how long a request that meets a network timeout
// takes before it fails: long enough to feel like one.
const timeoutLatency = 800 * time.Millisecond

func (s *Simulator) sleep(d time.Duration) {
	if s.Sleep != nil {
		s.Sleep(d)
		return
	}
	s.clock().Sleep(d)
}

func (s *Simulator) readyEndpoints(ctx context.Context, ns, svc string) (int, error) {
	list, err := s.endpointSlices(ctx, ns, svc)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sl := range list {
		for _, ep := range sl.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				n++
			}
		}
	}
	return n, nil
}

// isolated reports whether the NetworkPolicies selecting pods with these
// labels cut them off in the given direction, the way a network plugin
// would enforce them: at least one selecting policy covers the direction,
// and no selecting policy has a rule that lets anything but DNS through
// (an isolating policy usually keeps DNS open, as network-isolate's
// allowDNS does).
func (s *Simulator) isolated(ctx context.Context, podLabels map[string]string, dir networkingv1.PolicyType) bool {
	list, err := s.networkPolicies(ctx)
	if err != nil {
		return false
	}
	covered := false
	for _, np := range list {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(klabels.Set(podLabels)) || !slices.Contains(np.Spec.PolicyTypes, dir) {
			continue
		}
		covered = true
		var ports [][]networkingv1.NetworkPolicyPort
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range np.Spec.Ingress {
				ports = append(ports, r.Ports)
			}
		} else {
			for _, r := range np.Spec.Egress {
				ports = append(ports, r.Ports)
			}
		}
		for _, ps := range ports {
			if !dnsOnly(ps) {
				return false // this rule lets real traffic through
			}
		}
	}
	return covered
}

// dnsOnly says whether a rule's ports admit nothing but DNS (port 53). A
// rule without ports admits every port.
func dnsOnly(ps []networkingv1.NetworkPolicyPort) bool {
	if len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		if p.Port == nil || p.Port.IntValue() != 53 {
			return false
		}
	}
	return true
}
