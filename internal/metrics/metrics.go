// Package metrics exposes firedrill's operational metrics in the Prometheus
// format (client_golang): drills by state, faults in effect, inject and
// revert latency and failures by fault type, plugin calls and restarts,
// journal append latency, WebSocket clients and dropped slow clients, and
// leader status. Counters that the code updates as it goes (plugin calls,
// appends) are observed through small decorators; numbers that are state
// (drills, clients, leadership) are read from their owners at scrape time.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/injectors"
)

// Sources are the owners of the state metrics, read at every scrape. Every
// field is optional.
type Sources struct {
	// Engine lists drills and their faults.
	Engine interface {
		Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error)
		View(ctx context.Context, id string, fn func(d *control.Drill) error) error
	}
	// Hub returns the WebSocket clients connected now and the slow clients
	// dropped so far.
	Hub func() (clients int, dropped int64)
	// PluginLaunches returns how many times each plugin's process was
	// launched.
	PluginLaunches func() map[string]int
	// Leading reports whether this replica leads (always true for a single
	// controller).
	Leading func() bool
	// Clock is the drill clocks' wall clock; default the real clock.
	Clock clock.PassiveClock
}

// Metrics is firedrill's registry. Create it with New.
type Metrics struct {
	clock    clock.PassiveClock
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec
	appendS  *prometheus.HistogramVec
}

var _ guard.Observer = (*Metrics)(nil)

// New returns a registry with the process and Go collectors and firedrill's
// own metrics; clk times journal appends.
func New(clk clock.PassiveClock) *Metrics {
	m := &Metrics{clock: clk, reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "firedrill_plugin_calls_total", Help: "Calls to injector plugins, by plugin, operation and outcome (ok, error).",
	}, []string{"plugin", "op", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "firedrill_fault_operation_seconds",
		Help:    "Latency of fault operations (prepare, inject, status, revert) by fault type.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"op", "type"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "firedrill_fault_failures_total", Help: "Failed fault operations (prepare, inject, status, revert) by fault type and error code.",
	}, []string{"op", "type", "code"})
	m.appendS = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "firedrill_journal_append_seconds",
		Help:    "Latency of durable journal appends (one synced write of one or more events), by outcome; the SQLite store holds the commit of chat messages the drill room shows already for company (1 ms, and on a busy server until its commit rate allows another: one per 5 ms on average), which this includes.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"outcome"})
	m.reg.MustRegister(m.calls, m.latency, m.failures, m.appendS)
	return m
}

// Observe records one plugin call; it is the guard's Observer.
func (m *Metrics) Observe(op, plugin, typ string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.calls.WithLabelValues(plugin, op, outcome).Inc()
	if op == "probe" {
		return
	}
	if typ == "" {
		typ = "unknown"
	}
	m.latency.WithLabelValues(op, typ).Observe(took.Seconds())
	if err != nil {
		m.failures.WithLabelValues(op, typ, injectors.ErrorCode(err)).Inc()
	}
}

// Store wraps a store so that its appends are timed.
func (m *Metrics) Store(s control.Store) control.Store { return &timedStore{Store: s, m: m} }

type timedStore struct {
	control.Store
	m *Metrics
}

func (t *timedStore) Append(ctx context.Context, sum control.DrillSummary, events []control.Event) error {
	return t.AppendThen(ctx, sum, events, nil)
}

// Hurry passes control.Hurrier on to the wrapped store.
func (t *timedStore) Hurry() {
	if h, ok := t.Store.(control.Hurrier); ok {
		h.Hurry()
	}
}

// AppendThen keeps the wrapped store's way of running then (on its writer,
// when it is a control.CommitNotifier), so that timing appends does not
// add a hand-over to the events' way to the drill room.
func (t *timedStore) AppendThen(ctx context.Context, sum control.DrillSummary, events []control.Event, then func()) error {
	start := t.m.clock.Now()
	var err error
	if n, ok := t.Store.(control.CommitNotifier); ok {
		err = n.AppendThen(ctx, sum, events, then)
	} else if err = t.Store.Append(ctx, sum, events); err == nil && then != nil {
		then()
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	t.m.appendS.WithLabelValues(outcome).Observe(t.m.clock.Since(start).Seconds())
	return err
}

// Watch registers the state metrics read from src at scrape time.
func (m *Metrics) Watch(src Sources) {
	if src.Clock == nil {
		src.Clock = clock.RealClock{}
	}
	m.reg.MustRegister(&stateCollector{src: src})
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var (
	drillsDesc  = prometheus.NewDesc("firedrill_drills", "Drills by state (closed drills are not counted).", []string{"state"}, nil)
	pastCapDesc = prometheus.NewDesc("firedrill_faults_past_cap", "Faults still in the cluster in drills past their cap (90 minutes at most): the kill switch is behind.", nil, nil)
	faultsDesc  = prometheus.NewDesc("firedrill_faults_active", "Faults in effect or being injected or reverted, by fault type.", []string{"type"}, nil)
	clientsDesc = prometheus.NewDesc("firedrill_websocket_clients", "WebSocket clients connected now.", nil, nil)
	droppedDesc = prometheus.NewDesc("firedrill_websocket_dropped_total", "Slow WebSocket clients dropped (they resume from their last sequence).", nil, nil)
	launchDesc  = prometheus.NewDesc("firedrill_plugin_restarts_total", "Relaunches of a plugin's process after its first launch.", []string{"plugin"}, nil)
	leaderDesc  = prometheus.NewDesc("firedrill_leader", "1 when this replica leads and may act on faults, 0 when it follows.", nil, nil)
	scrapeDesc  = prometheus.NewDesc("firedrill_scrape_errors", "Errors reading drill state during this scrape.", nil, nil)
)

type stateCollector struct{ src Sources }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{drillsDesc, pastCapDesc, faultsDesc, clientsDesc, droppedDesc, launchDesc, leaderDesc, scrapeDesc} {
		ch <- d
	}
}

// activePhases are the phases in which a fault may be in the cluster.
var activePhases = map[control.FaultPhase]bool{control.FaultInjecting: true, control.FaultInEffect: true, control.FaultResolved: true, control.FaultReverting: true}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	errs := 0
	if e := c.src.Engine; e != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sums, err := e.Drills(ctx, control.DrillFilter{Open: true})
		if err != nil {
			errs++
		}
		states := map[string]float64{}
		for _, s := range []control.DrillState{control.StateDraft, control.StateScheduled, control.StateBriefing, control.StateRunning, control.StateEnded, control.StateRetro, control.StateAborted} {
			states[string(s)] = 0
		}
		faults := map[string]float64{}
		pastCap := 0.0
		now := c.src.Clock.Now()
		for _, s := range sums {
			states[string(s.State)]++
			err := e.View(ctx, s.ID, func(d *control.Drill) error {
				over := d.Elapsed(now) > d.TimeLimit()
				for _, f := range d.Faults {
					if activePhases[f.Phase] {
						faults[f.Spec.Plugin+"/"+f.Spec.Type]++
						if over {
							pastCap++
						}
					}
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				errs++
			}
		}
		for s, n := range states {
			ch <- prometheus.MustNewConstMetric(drillsDesc, prometheus.GaugeValue, n, s)
		}
		ch <- prometheus.MustNewConstMetric(pastCapDesc, prometheus.GaugeValue, pastCap)
		for t, n := range faults {
			ch <- prometheus.MustNewConstMetric(faultsDesc, prometheus.GaugeValue, n, t)
		}
	}
	if c.src.Hub != nil {
		n, dropped := c.src.Hub()
		ch <- prometheus.MustNewConstMetric(clientsDesc, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(dropped))
	}
	if c.src.PluginLaunches != nil {
		for name, n := range c.src.PluginLaunches() {
			ch <- prometheus.MustNewConstMetric(launchDesc, prometheus.CounterValue, float64(max(n-1, 0)), name)
		}
	}
	leading := 1.0
	if c.src.Leading != nil && !c.src.Leading() {
		leading = 0
	}
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, leading)
	ch <- prometheus.MustNewConstMetric(scrapeDesc, prometheus.GaugeValue, float64(errs))
}
