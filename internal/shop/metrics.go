package shop

import (
	"fmt"
	"net/http"
)

// metricsHandler serves app's per-pod metrics in the Prometheus text
// format, as the service's own /metrics would feed a dashboard: the
// requests each pod serving the Service receives, the share it fails, its
// p99 latency and its CPU use. This is where a team finds the one sick pod
// among healthy ones. order-api adds the orders created twice.
func (s *Simulator) metricsHandler(app string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		_, pods := s.load(ctx, app)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		fmt.Fprintln(w, "# HELP http_requests_per_second Requests a second the pod received over the last 5m.")
		fmt.Fprintln(w, "# TYPE http_requests_per_second gauge")
		for _, p := range pods {
			fmt.Fprintf(w, "http_requests_per_second{service=%q,pod=%q} %.1f\n", app, p.pod, p.rps)
		}
		fmt.Fprintln(w, "# HELP http_request_error_ratio Share of the pod's requests answered 5xx over the last 5m.")
		fmt.Fprintln(w, "# TYPE http_request_error_ratio gauge")
		for _, p := range pods {
			fmt.Fprintf(w, "http_request_error_ratio{service=%q,pod=%q} %.3f\n", app, p.pod, p.errors)
		}
		fmt.Fprintln(w, "# HELP http_request_duration_seconds_p99 99th percentile of the pod's request latency over the last 5m.")
		fmt.Fprintln(w, "# TYPE http_request_duration_seconds_p99 gauge")
		for _, p := range pods {
			lat := p.latency.Seconds()
			if p.errors > 0 {
				lat = maxQueueLatency.Seconds() * 5 // its queue overflows: requests wait for the timeout
			}
			fmt.Fprintf(w, "http_request_duration_seconds_p99{service=%q,pod=%q} %.3f\n", app, p.pod, lat)
		}
		fmt.Fprintln(w, "# HELP container_cpu_usage_cores CPU the pod's container uses, in cores.")
		fmt.Fprintln(w, "# TYPE container_cpu_usage_cores gauge")
		for _, p := range pods {
			fmt.Fprintf(w, "container_cpu_usage_cores{service=%q,pod=%q} %.3f\n", app, p.pod, p.cpu)
		}
		if app != "order-api" {
			return
		}
		n := 0
		if cm, err := s.configMap(ctx, "order-api-config"); err == nil {
			if off, since := dedupOff(cm); off {
				n = s.duplicates(ctx, since)
			}
		}
		fmt.Fprintln(w, "# HELP shop_orders_duplicated Orders created twice (a retried request not recognised) since the duplicate check went off.")
		fmt.Fprintln(w, "# TYPE shop_orders_duplicated gauge")
		fmt.Fprintf(w, "shop_orders_duplicated %d\n", n)
	}
}
