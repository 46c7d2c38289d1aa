package shop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// Simulator serves the shop's HTTP endpoints on loopback. Every request reads
// the shop's objects from the cluster and answers as the real service would
// with that configuration: a missing DB password fails order requests, a
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
	// Sleep is how the simulator waits to simulate latency; nil uses a
	// timer. Tests replace it.
	Sleep func(time.Duration)
	// Logf, when set, receives the cause of each problem a request met:
	// the simulator's own knowledge, for whoever runs the demo, never for
	// the people playing the drill.
	Logf func(format string, args ...any)

	servers []*http.Server
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
	urls := map[string]string{}
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
	}
	go func() { <-ctx.Done(); s.Close() }()
	return urls, nil
}

// Close stops the servers.
func (s *Simulator) Close() error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	s.servers = nil
	return errors.Join(errs...)
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
	return mux
}

func (s *Simulator) orderAPIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/orders/health", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.checkOrderAPI(r.Context(), true))
	})
	mux.HandleFunc("GET /internal/config/{key}", func(w http.ResponseWriter, r *http.Request) {
		cm, err := s.Client.CoreV1().ConfigMaps(s.ns()).Get(r.Context(), "order-api-config", metav1.GetOptions{})
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
	mux.HandleFunc("GET /internal/settlement/last-run", func(w http.ResponseWriter, r *http.Request) {
		cj, err := s.Client.BatchV1().CronJobs(s.ns()).Get(r.Context(), "settlement", metav1.GetOptions{})
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
	time.Sleep(d)
}

// checkWeb assesses the web front; orders and checkout add the order API and
// the payment worker behind it.
func (s *Simulator) checkWeb(ctx context.Context, orders, checkout bool) []Problem {
	ps := s.checkApp(ctx, "web", "web")
	if !orders {
		return ps
	}
	if d, err := s.Client.AppsV1().Deployments(s.ns()).Get(ctx, "web", metav1.GetOptions{}); err == nil {
		if v := envValue(d, "ORDER_API"); v != "" && v != "http://order-api" {
			host := v
			if u, err := url.Parse(v); err == nil && u.Host != "" {
				host = u.Hostname()
			}
			ps = append(ps, Problem{"web", fmt.Sprintf("GET %s/api/orders: dial tcp: lookup %s: no such host", strings.TrimRight(v, "/"), host), "ORDER_API points at " + v})
		}
	}
	ps = append(ps, s.checkOrderAPI(ctx, true)...)
	if checkout {
		ps = append(ps, s.checkPayments(ctx)...)
	}
	return ps
}

func (s *Simulator) checkOrderAPI(ctx context.Context, withDB bool) []Problem {
	ps := s.checkApp(ctx, "order-api", "order-api")
	if withDB {
		ps = append(ps, s.checkDB(ctx)...)
	}
	return ps
}

// checkApp checks that a Deployment has available replicas, that its
// Service (if any) has ready endpoints, and that no NetworkPolicy isolates its
// pods from ingress.
func (s *Simulator) checkApp(ctx context.Context, deploy, svc string) []Problem {
	var ps []Problem
	d, err := s.Client.AppsV1().Deployments(s.ns()).Get(ctx, deploy, metav1.GetOptions{})
	if err != nil {
		return []Problem{{deploy, "upstream connect error: no healthy upstream", "deployment unavailable: " + err.Error()}}
	}
	if d.Status.AvailableReplicas < 1 {
		ps = append(ps, Problem{deploy, "upstream connect error: no healthy upstream (0 of 3 requests answered in the last minute)", "no available replicas"})
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if lim, ok := c.Resources.Limits["memory"]; ok && lim.Cmp(resource.MustParse("128Mi")) < 0 {
			ps = append(ps, Problem{deploy, "upstream connect error or disconnect/reset before headers. reset reason: connection termination (error rate 42% over 5m)",
				fmt.Sprintf("container %s is OOM-killed under load (memory limit %s)", c.Name, lim.String())})
		}
	}
	if svc != "" {
		if n, err := s.readyEndpoints(ctx, svc); err != nil {
			ps = append(ps, Problem{svc, "upstream connect error: no healthy upstream", "endpoints unavailable: " + err.Error()})
		} else if n == 0 {
			ps = append(ps, Problem{svc, fmt.Sprintf("dial tcp %s:80: connect: connection refused", svc), "the Service has no ready endpoints"})
		}
	}
	if s.isolated(ctx, d.Spec.Template.Labels, networkingv1.PolicyTypeIngress) {
		s.sleep(timeoutLatency)
		ps = append(ps, Problem{deploy, fmt.Sprintf("upstream request timeout (dial tcp %s:80: i/o timeout after 10s)", deploy), "a NetworkPolicy blocks ingress"})
	}
	return ps
}

func (s *Simulator) checkPayments(ctx context.Context) []Problem {
	ps := s.checkApp(ctx, "payment-worker", "")
	if d, err := s.Client.AppsV1().Deployments(s.ns()).Get(ctx, "payment-worker", metav1.GetOptions{}); err == nil {
		if s.isolated(ctx, d.Spec.Template.Labels, networkingv1.PolicyTypeEgress) {
			s.sleep(timeoutLatency)
			ps = append(ps, Problem{"payment-worker", "payment confirmation timed out: 0 of 27 payment jobs processed in the last 5m; worker log: dial tcp db:5432: i/o timeout",
				"a NetworkPolicy blocks the worker's egress"})
		}
	}
	cm, err := s.Client.CoreV1().ConfigMaps(s.ns()).Get(ctx, "order-api-config", metav1.GetOptions{})
	if err != nil {
		return append(ps, Problem{"order-api", "500 Internal Server Error", "config unavailable: " + err.Error()})
	}
	if ms, err := strconv.Atoi(cm.Data["PAYMENT_TIMEOUT_MS"]); err != nil || ms < 1000 {
		ps = append(ps, Problem{"order-api", "payments time out: POST /v1/charges: context deadline exceeded (Client.Timeout exceeded while awaiting headers); " +
			"payment error rate 96% over 5m, orders left in \"payment pending\"", fmt.Sprintf("PAYMENT_TIMEOUT_MS is %q", cm.Data["PAYMENT_TIMEOUT_MS"])})
	}
	return ps
}

// checkDB checks the order API's database settings against the database.
func (s *Simulator) checkDB(ctx context.Context) []Problem {
	var ps []Problem
	core := s.Client.CoreV1()
	cm, err := core.ConfigMaps(s.ns()).Get(ctx, "order-api-config", metav1.GetOptions{})
	if err != nil {
		return []Problem{{"order-api", "500 Internal Server Error", "config unavailable: " + err.Error()}}
	}
	sec, err := core.Secrets(s.ns()).Get(ctx, "order-api-db", metav1.GetOptions{})
	if err != nil {
		return []Problem{{"order-api", "500 Internal Server Error", "database secret unavailable: " + err.Error()}}
	}
	creds, err := core.Secrets(s.ns()).Get(ctx, "db-credentials", metav1.GetOptions{})
	if err != nil {
		return []Problem{{"db", "500 Internal Server Error", "database credentials unavailable: " + err.Error()}}
	}
	if pw, ok := sec.Data["DB_PASSWORD"]; !ok {
		ps = append(ps, Problem{"order-api", "failed to connect to database: fe_sendauth: no password supplied", "DB_PASSWORD is missing from the Secret order-api-db"})
	} else if string(pw) != string(creds.Data["PASSWORD"]) {
		ps = append(ps, Problem{"order-api", "FATAL: password authentication failed for user \"orders\"", "DB_PASSWORD differs from the database's password"})
	}
	host, port := cm.Data["DB_HOST"], cm.Data["DB_PORT"]
	if u, err := url.Parse(string(sec.Data["DB_URL"])); err == nil && u.Host != "" {
		host, port = u.Hostname(), u.Port()
		if cm.Data["DB_PORT"] != "" && cm.Data["DB_PORT"] != fmt.Sprint(dbPort) {
			port = cm.Data["DB_PORT"] // the pool settings override the URL's port
		}
	} else if len(sec.Data["DB_URL"]) > 0 {
		ps = append(ps, Problem{"order-api", "failed to connect to database: cannot parse connection string", "DB_URL is not a valid URL"})
	}
	if host != "" {
		short := strings.SplitN(host, ".", 2)[0]
		svc, err := core.Services(s.ns()).Get(ctx, short, metav1.GetOptions{})
		switch {
		case err != nil:
			ps = append(ps, Problem{"order-api", fmt.Sprintf("could not translate host name %q to address: Name or service not known", host), "DB_HOST names no Service"})
		case port != "" && port != fmt.Sprint(svc.Spec.Ports[0].Port):
			ps = append(ps, Problem{"order-api", fmt.Sprintf("connection to server at %q, port %s failed: Connection refused", host, port), "the DB port differs from the Service's"})
		default:
			if n, err := s.readyEndpoints(ctx, short); err != nil || n == 0 {
				ps = append(ps, Problem{"order-api", fmt.Sprintf("connection to server at %q, port %s failed: Connection refused", host, port), "the database has no ready endpoints"})
			}
		}
	}
	if n, err := strconv.Atoi(cm.Data["DB_POOL_MAX"]); err == nil && n < 5 {
		s.sleep(1200 * time.Millisecond) // requests queue for the one or two pool connections
	}
	return ps
}

func (s *Simulator) readyEndpoints(ctx context.Context, svc string) (int, error) {
	list, err := s.Client.DiscoveryV1().EndpointSlices(s.ns()).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + svc})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sl := range list.Items {
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
	list, err := s.Client.NetworkingV1().NetworkPolicies(s.ns()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	covered := false
	for _, np := range list.Items {
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

func envValue(d *appsv1.Deployment, name string) string {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}
