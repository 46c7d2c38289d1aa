package main_test

import (
	"strings"
	"testing"

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
