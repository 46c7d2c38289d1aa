package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/client"
	"github.com/firedrill/firedrill/ui/wire"
)

// shutdownBound is how long `firedrill serve` may take to stop after
// SIGTERM with a rehearsal running: abort the rehearsal's drill, revert its
// faults on the cluster, close. It bounds a hang (the rehearsal's own
// bound is 20 minutes), it is not a performance target.
const shutdownBound = 30 * time.Second

// A rehearsal started from the studio is stopped when serve is: after
// SIGTERM the program aborts the rehearsal's drill with the shutdown as the
// reason, reverts its faults like any drill's (the shop is back to its
// original spec, nothing carries firedrill's marks) and exits promptly,
// instead of living on until the rehearsal's 20-minute bound.
func TestServe_shutdownStopsARunningRehearsal(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := startServer(t, sh.urls)
	fc, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.Login(ctx, adminToken); err != nil {
		t.Fatalf("facilitator login: %v", err)
	}
	// On the real-time clock the robots' first fix is minutes away: the
	// rehearsal is still running, its fault in effect, at the shutdown.
	var started struct {
		ID string `json:"id"`
	}
	req := map[string]any{"scenarioRef": map[string]string{"name": "db-connection-settings"}, "timeScale": 1}
	if err := fc.Do(ctx, "POST", "/api/rehearsals", req, &started); err != nil {
		t.Fatalf("start a rehearsal: %v", err)
	}
	var faults []wire.FaultView
	if err := poll(ctx, eventWait, func() bool {
		v, err := fc.DrillView(ctx, started.ID)
		if err != nil || v.Staff == nil {
			return false
		}
		faults = v.Staff.Faults
		return len(faults) > 0 && faults[0].Phase == control.FaultInEffect
	}); err != nil {
		t.Fatalf("the rehearsal's first fault was not in effect within %s: %+v", eventWait, faults)
	}

	begin := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(shutdownBound):
		t.Fatalf("firedrill serve still running %s after SIGTERM with a rehearsal running\nstderr:\n%s", shutdownBound, tail(srv.stderr.String(), 60))
	}
	took := time.Since(begin)
	t.Logf("serve stopped %s after SIGTERM, its rehearsal aborted and reverted", took.Round(time.Millisecond))
	if srv.waitErr != nil {
		t.Fatalf("firedrill serve exited with %v after SIGTERM\nstderr:\n%s", srv.waitErr, tail(srv.stderr.String(), 60))
	}

	sh.assertClean(t, ctx)

	// The kept journal says what happened: aborted by the shutdown, every
	// fault reverted.
	code, out := run(t, ctx, "export", started.ID, "--format", "json", "--config", srv.Config)
	if code != 0 {
		t.Fatalf("export the rehearsal's record: exit %d\n%s", code, out)
	}
	var rec struct {
		State   string `json:"state"`
		Why     string `json:"why"`
		Robots  bool   `json:"robots"`
		Metrics struct {
			Faults []struct {
				ID         string `json:"id"`
				InjectedAt *int64 `json:"injectedAtMs"`
				RevertedAt *int64 `json:"revertedAtMs"`
			} `json:"faults"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("record: %v\n%s", err, tail(out, 20))
	}
	if rec.State != string(control.StateAborted) || !rec.Robots || !strings.Contains(rec.Why, "the server shut down") {
		t.Fatalf("record: state %q, robots %v, why %q; want a rehearsal aborted because the server shut down", rec.State, rec.Robots, rec.Why)
	}
	for _, f := range rec.Metrics.Faults {
		if f.InjectedAt != nil && f.RevertedAt == nil {
			t.Errorf("fault %s was injected and never reverted", f.ID)
		}
	}
}
