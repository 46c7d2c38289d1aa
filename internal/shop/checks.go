package shop

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// dbUser is the one role the shop's database knows.
const dbUser = "orders"

// checkWeb assesses the web front; orders and checkout add the order API and
// the payment worker behind it, reached the way web reaches them: through
// the address in its ORDER_API variable.
func (s *Simulator) checkWeb(ctx context.Context, orders, checkout bool) []Problem {
	ps := s.checkApp(ctx, "web", "web")
	if !orders {
		return ps
	}
	if p := s.checkOrderAPIAddress(ctx, "web"); p != nil {
		ps = append(ps, *p)
	}
	ps = append(ps, s.checkOrderAPI(ctx, true)...)
	if checkout {
		ps = append(ps, s.checkPayments(ctx)...)
	}
	return ps
}

// checkOrderAPIAddress checks the ORDER_API variable of the Deployment
// deploy the way its HTTP client would use it: the host must name a
// Service, the port must be one of the Service's.
func (s *Simulator) checkOrderAPIAddress(ctx context.Context, deploy string) *Problem {
	d, err := s.deployment(ctx, deploy)
	if err != nil {
		return nil // checkApp reports a missing Deployment
	}
	v, ok := envOf(d.Spec.Template.Spec, "ORDER_API")
	if !ok {
		return &Problem{deploy, "GET /api/orders: unsupported protocol scheme \"\"", "ORDER_API is not set"}
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return &Problem{deploy, fmt.Sprintf("GET %s/api/orders: unsupported protocol scheme %q", v, schemeOf(v)), "ORDER_API is not a URL: " + v}
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if u.Port() != "" {
		port, _ = strconv.Atoi(u.Port())
	}
	base := strings.TrimRight(v, "/")
	switch s.dial(ctx, u.Hostname(), port) {
	case dialNoHost:
		return &Problem{deploy, fmt.Sprintf("GET %s/api/orders: dial tcp: lookup %s: no such host", base, u.Hostname()), "ORDER_API names no Service: " + v}
	case dialRefused:
		return &Problem{deploy, fmt.Sprintf("GET %s/api/orders: dial tcp %s:%d: connect: connection refused", base, u.Hostname(), port), "nothing listens where ORDER_API points: " + v}
	}
	return nil
}

func schemeOf(v string) string {
	if i := strings.Index(v, "://"); i > 0 {
		return v[:i]
	}
	return ""
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
	d, err := s.deployment(ctx, deploy)
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
		if n, err := s.readyEndpoints(ctx, s.ns(), svc); err != nil {
			ps = append(ps, Problem{svc, "upstream connect error: no healthy upstream", "endpoints unavailable: " + err.Error()})
		} else if n == 0 {
			ps = append(ps, Problem{svc, fmt.Sprintf("dial tcp %s:80: connect: connection refused", svc), "the Service has no ready endpoints"})
		}
	}
	if s.isolated(ctx, d.Spec.Template.Labels, networkingv1.PolicyTypeIngress) {
		s.sleep(timeoutLatency)
		ps = append(ps, Problem{deploy, fmt.Sprintf("upstream request timeout (dial tcp %s:80: i/o timeout after 10s)", deploy), "a NetworkPolicy blocks ingress"})
	}
	if svc != "" {
		ps = append(ps, s.checkLoad(ctx, deploy)...)
	}
	return ps
}

func (s *Simulator) checkPayments(ctx context.Context) []Problem {
	ps := s.checkApp(ctx, "payment-worker", "")
	if d, err := s.deployment(ctx, "payment-worker"); err == nil {
		if s.isolated(ctx, d.Spec.Template.Labels, networkingv1.PolicyTypeEgress) {
			s.sleep(timeoutLatency)
			ps = append(ps, Problem{"payment-worker", "payment confirmation timed out: 0 of 27 payment jobs processed in the last 5m; worker log: dial tcp db:5432: i/o timeout",
				"a NetworkPolicy blocks the worker's egress"})
		}
		if p := s.checkOrderAPIAddress(ctx, "payment-worker"); p != nil {
			p.Reason = "payment confirmation failed: 0 of 27 payment jobs processed in the last 5m; worker log: " + p.Reason
			ps = append(ps, *p)
		}
	}
	cm, err := s.configMap(ctx, "order-api-config")
	if err != nil {
		return append(ps, Problem{"order-api", "500 Internal Server Error", "config unavailable: " + err.Error()})
	}
	if ms, err := strconv.Atoi(cm.Data["PAYMENT_TIMEOUT_MS"]); err != nil || ms < 1000 {
		ps = append(ps, Problem{"order-api", "payments time out: POST /v1/charges: context deadline exceeded (Client.Timeout exceeded while awaiting headers); " +
			"payment error rate 96% over 5m, orders left in \"payment pending\"", fmt.Sprintf("PAYMENT_TIMEOUT_MS is %q", cm.Data["PAYMENT_TIMEOUT_MS"])})
	}
	return ps
}

// dbConn is one of the order API's database connections.
type dbConn struct {
	what           string // for the cause
	host           string
	port           int
	user, password string
	hasPassword    bool
}

// checkDB checks the order API's two database connections as its database
// driver would make them: the primary, where orders are written, from the
// Secret's DB_URL; and the read pool, where menus and order status are
// read, at the ConfigMap's DB_HOST and DB_PORT. Both use the Secret's
// DB_PASSWORD unless the URL carries its own. A host that names no Service,
// a port the Service does not serve, a database without ready pods, a
// missing or wrong password each fail the order endpoints, with the error
// the driver gives.
func (s *Simulator) checkDB(ctx context.Context) []Problem {
	cm, err := s.configMap(ctx, "order-api-config")
	if err != nil {
		return []Problem{{"order-api", "500 Internal Server Error", "config unavailable: " + err.Error()}}
	}
	sec, err := s.secret(ctx, "order-api-db")
	if err != nil {
		return []Problem{{"order-api", "500 Internal Server Error", "database secret unavailable: " + err.Error()}}
	}
	creds, err := s.secret(ctx, "db-credentials")
	if err != nil {
		return []Problem{{"db", "500 Internal Server Error", "database credentials unavailable: " + err.Error()}}
	}
	pw, hasPW := sec.Data["DB_PASSWORD"]
	var conns []dbConn
	var ps []Problem
	if raw, ok := sec.Data["DB_URL"]; ok {
		u, err := url.Parse(string(raw))
		if err != nil || u.Host == "" {
			ps = append(ps, Problem{"order-api", "failed to connect to database: cannot parse connection string", "DB_URL is not a valid URL"})
		} else {
			c := dbConn{what: "DB_URL", host: u.Hostname(), port: dbPort, user: dbUser, password: string(pw), hasPassword: hasPW}
			if u.Port() != "" {
				c.port, _ = strconv.Atoi(u.Port())
			}
			if n := u.User.Username(); n != "" {
				c.user = n
			}
			if p, ok := u.User.Password(); ok {
				c.password, c.hasPassword = p, true
			}
			conns = append(conns, c)
		}
	}
	if host := cm.Data["DB_HOST"]; host != "" {
		c := dbConn{what: "DB_HOST/DB_PORT", host: host, port: dbPort, user: dbUser, password: string(pw), hasPassword: hasPW}
		if v, ok := cm.Data["DB_PORT"]; ok {
			if c.port, err = strconv.Atoi(v); err != nil {
				ps = append(ps, Problem{"order-api", fmt.Sprintf("failed to connect to database: invalid port %q", v), "DB_PORT is not a number"})
				c.host = ""
			}
		}
		if c.host != "" {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		if p := s.connectDB(ctx, c, string(creds.Data["PASSWORD"])); p != nil {
			ps = append(ps, *p)
		}
	}
	if n, err := strconv.Atoi(cm.Data["DB_POOL_MAX"]); err == nil && n < 5 {
		s.sleep(1200 * time.Millisecond) // requests queue for the one or two pool connections
	}
	return ps
}

// connectDB makes one connection: name resolution, then the port, then the
// password, failing at the first step that fails as a database driver does.
func (s *Simulator) connectDB(ctx context.Context, c dbConn, dbPassword string) *Problem {
	switch s.dial(ctx, c.host, c.port) {
	case dialNoHost:
		return &Problem{"order-api", fmt.Sprintf("could not translate host name %q to address: Name or service not known", c.host), c.what + " names no Service: " + c.host}
	case dialRefused:
		return &Problem{"order-api", fmt.Sprintf("connection to server at %q, port %d failed: Connection refused", c.host, c.port), fmt.Sprintf("%s: nothing ready serves %s:%d", c.what, c.host, c.port)}
	}
	switch {
	case !c.hasPassword:
		return &Problem{"order-api", "failed to connect to database: fe_sendauth: no password supplied", "DB_PASSWORD is missing from the Secret order-api-db"}
	case c.user != dbUser || c.password != dbPassword:
		return &Problem{"order-api", fmt.Sprintf("FATAL: password authentication failed for user %q", c.user), c.what + ": the user or password differs from the database's"}
	}
	return nil
}

// dialResult is how a TCP connection to a cluster address went.
type dialResult int

const (
	dialOK      dialResult = iota
	dialNoHost             // the name resolves to nothing
	dialRefused            // nothing listens on that port, or nothing is ready behind it
)

// dial connects to host:port the way cluster DNS and a Service route it:
// the host is a Service's name, "name.namespace", or its full
// "name.namespace.svc[.cluster.local]"; the port must be one the Service
// serves; and the Service must have ready endpoints.
func (s *Simulator) dial(ctx context.Context, host string, port int) dialResult {
	name, ns := host, s.ns()
	if parts := strings.Split(strings.TrimSuffix(host, "."), "."); len(parts) > 1 {
		name, ns = parts[0], parts[1]
		if len(parts) > 2 && (parts[2] != "svc" || (len(parts) > 3 && strings.Join(parts[3:], ".") != "cluster.local")) {
			return dialNoHost
		}
	}
	svc, err := s.service(ctx, ns, name)
	if err != nil {
		return dialNoHost
	}
	served := false
	for _, p := range svc.Spec.Ports {
		served = served || int(p.Port) == port
	}
	if !served {
		return dialRefused
	}
	if n, err := s.readyEndpoints(ctx, ns, name); err != nil || n == 0 {
		return dialRefused
	}
	return dialOK
}

// envOf returns the value of variable name in the first container of spec
// that sets it directly.
func envOf(spec corev1.PodSpec, name string) (string, bool) {
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value, true
			}
		}
	}
	return "", false
}
