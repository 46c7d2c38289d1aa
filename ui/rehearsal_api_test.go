package ui_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/ui"
)

// rehearsalRequest is the body of POST /api/rehearsals for the quick
// scenario, on the fastest drill clock; more fields replace the defaults.
func rehearsalRequest(more map[string]any) map[string]any {
	b, err := os.ReadFile("testdata/rehearse/quick.yaml")
	if err != nil {
		panic(err)
	}
	req := map[string]any{"scenario": string(b), "timeScale": 3600}
	for k, v := range more {
		req[k] = v
	}
	return req
}

// startRehearsal starts a rehearsal as the facilitator and returns its id.
func (e *env) startRehearsal() string {
	var out struct {
		ID string `json:"id"`
	}
	e.admin().must(http.StatusAccepted, "POST", "/api/rehearsals", rehearsalRequest(nil), &out)
	return out.ID
}

// waitRehearsal polls the report until the rehearsal is no longer running.
func waitRehearsal(t *testing.T, c *client, id string) rehearse.Report {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rep rehearse.Report
		c.must(http.StatusOK, "GET", "/api/rehearsals/"+id, nil, &rep)
		if rep.Status != rehearse.StatusRunning {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("rehearsal %s still running after 30s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The Rehearse button's contract: a designer posts the YAML, gets 202 with
// an id, and reads a report that passes, with every check; the drill it
// played is marked as a rehearsal.
func TestRehearsalRoutes_designerRehearsesToAPassingReport(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(false)
	var out struct {
		ID string `json:"id"`
	}
	d.designer.must(http.StatusAccepted, "POST", "/api/rehearsals", rehearsalRequest(nil), &out)
	rep := waitRehearsal(t, d.designer, out.ID)
	if rep.Status != rehearse.StatusPassed || rep.DrillID != out.ID {
		t.Fatalf("report %+v, want passed for drill %s", rep, out.ID)
	}
	want := map[string]string{
		"fault db-config injected": "passed", "fault db-config detected": "passed", "fault db-config resolved": "passed",
		"fault db-config reverted": "passed", "drill end": "passed", "record": "passed",
	}
	for _, c := range rep.Checks {
		if o, ok := want[c.What]; ok {
			if c.Outcome != o {
				t.Errorf("%s: %s %q, want %s", c.What, c.Outcome, c.Message, o)
			}
			delete(want, c.What)
		}
	}
	if len(want) > 0 {
		t.Fatalf("checks missing from the report: %v (report %+v)", want, rep.Checks)
	}
	dr, err := e.engine.Drill(t.Context(), out.ID)
	if err != nil || !dr.Rehearsal {
		t.Fatalf("drill %s: %v, rehearsal %v; want it marked", out.ID, err, dr != nil && dr.Rehearsal)
	}
}

// Bad input is refused with what was wrong, and nothing runs.
func TestRehearsalRoutes_refuseBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"a scenario with an error names its line and column", map[string]any{"scenario": "apiVersion: firedrill/v1\nkind: Scenario\nmetadata: {name: x, title: y}\npersonas: []\nchannels: []\nfaults: []\nrehearsal: {robots: []}\n"}, http.StatusBadRequest, "scenario.yaml:7:"},
		{"a library scenario that does not exist", map[string]any{"scenarioRef": map[string]string{"name": "nope"}}, http.StatusNotFound, ""},
		{"a library scenario without robots", map[string]any{"scenarioRef": map[string]string{"name": "room-test"}}, http.StatusBadRequest, "no rehearsal section"},
		{"both the text and a reference", rehearsalRequest(map[string]any{"scenarioRef": map[string]string{"name": "room-test"}}), http.StatusBadRequest, "not both"},
		{"an unknown difficulty", rehearsalRequest(map[string]any{"difficulty": "extreme"}), http.StatusBadRequest, "not a level"},
		{"a clock out of range", rehearsalRequest(map[string]any{"timeScale": 100000}), http.StatusBadRequest, "timeScale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := e.admin().do("POST", "/api/rehearsals", tt.body)
			if st != tt.status || !strings.Contains(string(b), tt.want) {
				t.Fatalf("%d %s, want %d mentioning %q", st, b, tt.status, tt.want)
			}
		})
	}
	if st, _ := e.admin().do("GET", "/api/rehearsals/d-nope", nil); st != http.StatusNotFound {
		t.Fatalf("unknown rehearsal: %d, want 404", st)
	}
}

// Only a few rehearsals run at once: past the bound the next one is
// refused until one ends.
func TestRehearsalRoutes_boundedRunning(t *testing.T) {
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.MaxRehearsals = 1 })
	slow := rehearsalRequest(map[string]any{"timeScale": 1})
	var first struct {
		ID string `json:"id"`
	}
	e.admin().must(http.StatusAccepted, "POST", "/api/rehearsals", slow, &first)
	st, b := e.admin().do("POST", "/api/rehearsals", slow)
	if st != http.StatusConflict || !strings.Contains(string(b), "running") {
		t.Fatalf("second rehearsal: %d %s, want 409 while the first runs", st, b)
	}
	var rep rehearse.Report
	e.admin().must(http.StatusOK, "GET", "/api/rehearsals/"+first.ID, nil, &rep)
	if rep.Status != rehearse.StatusRunning {
		t.Fatalf("first rehearsal %s, want running on a real-time clock", rep.Status)
	}
}

// A rehearsal of a studio scenario's past version plays that version's
// text: version 1 has robots and passes; version 2, saved without them, is
// refused for it; a version never saved is not found.
func TestRehearsalRoutes_aStudioVersionIsRehearsedAsSaved(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	quick, err := os.ReadFile("testdata/rehearse/quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(quick), "name: quick-rehearsal", "name: quick-versions", 1)
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": text, "base": 0}, nil)
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": text[:strings.Index(text, "rehearsal:")], "base": 1}, nil)

	ref := func(v string) map[string]any {
		return map[string]any{"scenarioRef": map[string]string{"name": "quick-versions", "version": v}, "timeScale": 3600}
	}
	var out struct {
		ID string `json:"id"`
	}
	a.must(http.StatusAccepted, "POST", "/api/rehearsals", ref("1"), &out)
	if rep := waitRehearsal(t, a, out.ID); rep.Status != rehearse.StatusPassed {
		t.Fatalf("version 1 rehearsed: %+v, want passed", rep)
	}
	for _, c := range []struct {
		version string
		status  int
		says    string
	}{
		{"2", http.StatusBadRequest, "no rehearsal section"},
		{"9", http.StatusNotFound, "no version 9"},
		{"latest", http.StatusBadRequest, "expected a version number"},
	} {
		st, b := a.do("POST", "/api/rehearsals", ref(c.version))
		if st != c.status || !strings.Contains(string(b), c.says) {
			t.Errorf("version %s: %d %s, want %d saying %q", c.version, st, b, c.status, c.says)
		}
	}
}

// A rehearsal running when the server closes is stopped with it: Close
// returns once its drill is aborted and every fault reverted (not after
// the rehearsal's 20-minute bound), and its report says the shutdown
// interrupted it. New rehearsals are refused while the server closes.
func TestRehearsalRoutes_closeStopsRunningRehearsals(t *testing.T) {
	e := newEnv(t)
	var out struct {
		ID string `json:"id"`
	}
	e.admin().must(http.StatusAccepted, "POST", "/api/rehearsals", rehearsalRequest(map[string]any{"timeScale": 1}), &out)
	for deadline := time.Now().Add(30 * time.Second); ; {
		d, err := e.engine.Drill(t.Context(), out.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Faults) == 1 && d.Faults[0].Phase == control.FaultInEffect {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rehearsal's fault was not injected within 30s: %+v", d.Faults)
		}
		time.Sleep(10 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { _ = e.server.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close still waits a minute after it was called, with a rehearsal running")
	}
	var rep rehearse.Report
	e.admin().must(http.StatusOK, "GET", "/api/rehearsals/"+out.ID, nil, &rep)
	if rep.Status != rehearse.StatusFailed || rep.Interrupted != ui.ErrShutdown.Error() || !strings.Contains(rep.Error, "the server shut down") {
		t.Fatalf("report %+v, want failed and interrupted by the shutdown", rep)
	}
	d, err := e.engine.Drill(t.Context(), out.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != control.StateAborted || !strings.Contains(d.Why, "the server shut down") {
		t.Fatalf("drill %s: %s (%q), want aborted because the server shut down", d.ID, d.State, d.Why)
	}
	for _, f := range d.Faults {
		if f.Phase != control.FaultReverted {
			t.Errorf("fault %s is %s after the shutdown, want reverted", f.ID, f.Phase)
		}
	}
	if st, b := e.admin().do("POST", "/api/rehearsals", rehearsalRequest(nil)); st != http.StatusConflict || !strings.Contains(string(b), "shutting down") {
		t.Fatalf("a rehearsal started while closing: %d %s, want 409", st, b)
	}
}
