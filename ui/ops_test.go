package ui_test

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/metrics"
	"github.com/firedrill/firedrill/ui"
)

const metricsToken = "scraper-token-0123456789abcdef"

func withMetrics(m *metrics.Metrics, ready func() error) envOption {
	return func(c *ui.Config, _ *control.Engine) {
		c.Metrics, c.MetricsToken, c.Ready = m.Handler(), metricsToken, ready
	}
}

// TestMetricsByRole: /metrics is the facilitator's, or a scraper's with the
// configured bearer token; nobody else reads it, anonymous least of all.
func TestMetricsByRole(t *testing.T) {
	m := metrics.New(clock.RealClock{})
	e := newEnv(t, withMetrics(m, nil))
	m.Watch(metrics.Sources{Engine: e.engine, Hub: func() (int, int64) { st := e.server.HubStats(); return st.Subscribers, st.Dropped }})
	d := e.newDrill(true)
	bearer := func(tok string) *client {
		c := e.client()
		c.origin = ""
		c.bearer = tok
		return c
	}
	cases := []struct {
		name string
		c    *client
		want int
	}{
		{"the facilitator reads the metrics", d.admin, 200},
		{"a scraper with the token reads the metrics", bearer(metricsToken), 200},
		{"a wrong token is refused as anonymous", bearer(metricsToken + "x"), 401},
		{"anonymous is refused", e.client(), 401},
		{"a participant is refused", d.participant, 403},
		{"an observer is refused", d.observer, 403},
		{"a designer is refused", d.designer, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := tc.c.do("GET", "/metrics", nil)
			if code != tc.want {
				t.Fatalf("GET /metrics: %d, want %d\n%.300s", code, tc.want, body)
			}
			if tc.want != 200 {
				if strings.Contains(string(body), "firedrill_") {
					t.Fatalf("a refused request got metrics: %.300s", body)
				}
				return
			}
			for _, want := range []string{`firedrill_drills{state="running"} 1`, "firedrill_websocket_clients 0", "firedrill_leader 1"} {
				if !strings.Contains(string(body), want) {
					t.Fatalf("metrics lack %q:\n%s", want, body)
				}
			}
		})
	}
}

// TestHealthAndReadiness: /healthz and /readyz answer anyone and say
// nothing about drills; /readyz follows Config.Ready.
func TestHealthAndReadiness(t *testing.T) {
	var notReady error
	e := newEnv(t, withMetrics(metrics.New(clock.RealClock{}), func() error { return notReady }))
	c := e.client()
	for _, tc := range []struct {
		name       string
		notReady   error
		path       string
		want       int
		wantInBody string
	}{
		{"healthz answers ok", nil, "/healthz", 200, "ok"},
		{"readyz is ready while the controller leads", nil, "/readyz", 200, "ready"},
		{"readyz is not ready when the controller lost its lease", errors.New("this controller does not hold the leader Lease"), "/readyz", 503, "does not hold the leader Lease"},
		{"healthz stays ok when not ready", errors.New("x"), "/healthz", 200, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			notReady = tc.notReady
			code, body := c.do("GET", tc.path, nil)
			if code != tc.want || !strings.Contains(string(body), tc.wantInBody) {
				t.Fatalf("GET %s: %d %q, want %d containing %q", tc.path, code, body, tc.want, tc.wantInBody)
			}
		})
	}
}
