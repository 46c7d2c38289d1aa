package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/metrics"
	"github.com/firedrill/firedrill/scenarios"
)

// drills is a fixed set of drills, as the engine would list them.
type drills []*control.Drill

func (ds drills) Drills(context.Context, control.DrillFilter) ([]control.DrillSummary, error) {
	var out []control.DrillSummary
	for _, d := range ds {
		out = append(out, control.DrillSummary{ID: d.ID, State: d.State})
	}
	return out, nil
}

func (ds drills) View(_ context.Context, id string, fn func(*control.Drill) error) error {
	for _, d := range ds {
		if d.ID == id {
			return fn(d)
		}
	}
	return errors.New("no drill " + id)
}

// appender is a store whose appends succeed at once.
type appender struct{ control.Store }

func (appender) Append(context.Context, control.DrillSummary, []control.Event) error { return nil }

func fault(id, typ string, phase control.FaultPhase) control.FaultState {
	return control.FaultState{ID: id, Phase: phase, Spec: control.FaultSpec{Plugin: "kubernetes", Fault: injectors.Fault{FaultID: id, Type: typ}}}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return string(b)
}

func TestWhatAScrapeShows(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	m := metrics.New(clk)
	running := &control.Drill{ID: "d-1", State: control.StateRunning, Scenario: &scenarios.Scenario{}, Faults: []control.FaultState{
		fault("a", "scale", control.FaultInEffect), fault("b", "scale", control.FaultReverted), fault("c", "configmap-key", control.FaultInjecting),
	}}
	m.Watch(metrics.Sources{
		Engine:         drills{running, {ID: "d-2", State: control.StateDraft, Scenario: &scenarios.Scenario{}}},
		Hub:            func() (int, int64) { return 3, 2 },
		PluginLaunches: func() map[string]int { return map[string]int{"kubernetes": 2} },
		Leading:        func() bool { return false },
		Clock:          clk,
	})
	m.Observe("inject", "kubernetes", "scale", 40*time.Millisecond, nil)
	m.Observe("revert", "kubernetes", "scale", 20*time.Millisecond, injectors.Errorf(injectors.ECONFLICT, "not the leader"))
	out := scrape(t, m)
	for _, want := range []string{
		`firedrill_drills{state="running"} 1`,
		`firedrill_drills{state="draft"} 1`,
		`firedrill_drills{state="aborted"} 0`,
		`firedrill_faults_active{type="kubernetes/scale"} 1`,
		`firedrill_faults_active{type="kubernetes/configmap-key"} 1`,
		`firedrill_websocket_clients 3`,
		`firedrill_websocket_dropped_total 2`,
		`firedrill_plugin_restarts_total{plugin="kubernetes"} 1`,
		`firedrill_leader 0`,
		`firedrill_plugin_calls_total{op="revert",outcome="error",plugin="kubernetes"} 1`,
		`firedrill_fault_failures_total{code="conflict",op="revert",type="scale"} 1`,
		`firedrill_fault_operation_seconds_count{op="inject",type="scale"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", out)
	}
}

// TestTheDashboardAndRulesQueryRealMetrics: every firedrill_ metric that
// deploy/monitoring queries is one firedrill exports.
func TestTheDashboardAndRulesQueryRealMetrics(t *testing.T) {
	m := metrics.New(clocktesting.NewFakeClock(time.Now()))
	d := &control.Drill{ID: "d-1", State: control.StateRunning, Scenario: &scenarios.Scenario{}, Faults: []control.FaultState{fault("a", "scale", control.FaultInEffect)}}
	m.Watch(metrics.Sources{Engine: drills{d}, Hub: func() (int, int64) { return 0, 0 }, PluginLaunches: func() map[string]int { return map[string]int{"kubernetes": 1} }})
	m.Observe("inject", "kubernetes", "scale", time.Millisecond, errors.New("x"))
	if err := m.Store(appender{}).Append(context.Background(), control.DrillSummary{}, nil); err != nil {
		t.Fatal(err)
	}
	out := scrape(t, m)
	exported := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			exported[strings.Fields(name)[0]] = true
		}
	}
	name := regexp.MustCompile(`firedrill_[a-z_]+`)
	for _, f := range []string{"../../deploy/monitoring/grafana-dashboard.json", "../../deploy/monitoring/prometheusrule.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range name.FindAllString(string(b), -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(q, "_bucket"), "_count"), "_sum")
			if !exported[base] && !strings.HasPrefix(q, "firedrill_sweep") {
				t.Errorf("%s queries %s, which firedrill does not export", f, q)
			}
		}
	}
}
