package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/firedrill/firedrill/cmd/firedrill"
	"github.com/firedrill/firedrill/control/rehearse"
)

// The settle flags are real-time durations above 0, and the least time the
// probes must hold is shorter than the wait for them: anything else is
// refused before any cluster is touched, naming the flag and what it
// expects.
func TestRehearse_settleFlagsOutOfRangeAreRefused(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--settle-timeout", "0s"}, `--settle-timeout 0s is out of range, expected a real-time duration above 0`},
		{[]string{"--settle-timeout", "-1m"}, `--settle-timeout -1m0s is out of range`},
		{[]string{"--settle-stable", "0s"}, `--settle-stable 0s is out of range, expected a real-time duration above 0 and below --settle-timeout 5m0s`},
		{[]string{"--settle-timeout", "10s", "--settle-stable", "10s"}, `--settle-stable 10s is out of range, expected a real-time duration above 0 and below --settle-timeout 10s`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"rehearse", "--data-dir", t.TempDir(), "no-such-scenario.yaml"}, tt.args...)
			code, _, errOut := runFiredrill(t, "", args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 saying %q", code, errOut, tt.want)
			}
		})
	}
}

// Ctrl-C during a rehearsal aborts its drill and reverts every fault it
// injected (Rehearsal.abort, bounded by rehearse.AbortTimeout): the
// process must wait for that instead of exiting after the short grace of
// commands that revert nothing, or faults stay on the cluster.
func TestRehearse_aSignalWaitsForTheReverts(t *testing.T) {
	// The flags are refused before any cluster is touched: only the
	// grace the command was given matters here.
	got := main.StopGraceOf("rehearse", "--data-dir", t.TempDir(), "--settle-timeout", "0s", "no-such-scenario.yaml")
	if got <= rehearse.AbortTimeout {
		t.Fatalf("rehearse stops %s after a signal, want longer than the %s a rehearsal's abort may take to revert its faults", got, rehearse.AbortTimeout)
	}
	if serve := main.StopGraceOf("serve", "--data-dir", t.TempDir(), "--listen", "bad"); got != serve {
		t.Errorf("rehearse stops %s after a signal, serve %s: both revert faults on the way out", got, serve)
	}
}

// A level skipped because the target was not healthy makes the command
// exit 1 saying so, and -o json gives it as status "skipped" with how the
// settle went, without an empty drill id.
func TestRehearse_aSkippedLevelExits1AndIsInTheJSON(t *testing.T) {
	skipped := &rehearse.Report{Status: rehearse.StatusSkipped, Scenario: "night-duplicate-orders", Difficulty: "hard",
		Settle: &rehearse.Settle{TimeoutMs: 300000, WaitedMs: 300000, Rounds: 301, Probes: []rehearse.SettleProbe{}},
		Checks: []rehearse.Check{{What: "target settled", Outcome: rehearse.OutcomeFailed}}}
	passed := &rehearse.Report{Status: rehearse.StatusPassed, DrillID: "d1", Scenario: "night-duplicate-orders", Checks: []rehearse.Check{}}
	err := main.RehearseOutcome([]*rehearse.Report{passed, skipped}, 5*time.Minute)
	var ee *main.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), "1 of 2 rehearsals were skipped: the target was not healthy before them within --settle-timeout 5m0s") {
		t.Fatalf("outcome %v, want exit 1 saying 1 of 2 were skipped", err)
	}
	if err := main.RehearseOutcome([]*rehearse.Report{passed}, 5*time.Minute); err != nil {
		t.Fatalf("outcome %v for a passed rehearsal, want none", err)
	}
	var b strings.Builder
	if err := main.WriteReports(&b, []*rehearse.Report{skipped}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	settle, _ := got[0]["settle"].(map[string]any)
	if _, hasID := got[0]["drillId"]; got[0]["status"] != "skipped" || settle == nil || settle["healthy"] != false || settle["timeoutMs"] != 300000.0 || hasID {
		t.Fatalf("JSON %s, want status skipped with its settle and no drillId", b.String())
	}
}

// A fault whose stableFor at --time-scale is not shorter than
// --settle-timeout could never be found healthy: every level would wait
// the whole timeout and be skipped. The command refuses it up front, exit
// 2, naming the fault and both durations, before any cluster is touched.
func TestRehearse_aStableForLongerThanTheSettleTimeoutIsRefused(t *testing.T) {
	pluginDir := buildFlagfile(t)
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/run/flag-drill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "flag-drill.yaml")
	if err := os.WriteFile(file, bytes.ReplaceAll(b, []byte("FLAGS_FILE"), []byte(filepath.Join(dir, "flags.json"))), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runFiredrill(t, "", "rehearse", "--data-dir", t.TempDir(), "--plugin-dir", pluginDir, "--time-scale", "2", "--settle-timeout", "30s", file)
	for _, want := range []string{"fault payments-off of flag-drill", "stableFor 1m0s at time scale 2 is 30s of real time", "not shorter than the settle timeout 30s"} {
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr %q; want 2 saying %q", code, errOut, want)
		}
	}
}
