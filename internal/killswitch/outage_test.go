package killswitch_test

import (
	"context"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// The API server is down for 30 s during an abort: Abort returns with
// every fault pending (its failure recorded and retried), firedrill is
// restarted inside the outage, and once the API server is back the
// restarted engine completes every revert: nothing left changed or marked.
func TestAbort_apiServerDownForThirtySeconds(t *testing.T) {
	const n = 20
	c := clustertest.Cluster(t)
	r := newRig(t, n)
	r.close()
	fast := func(e *control.Engine) { e.RevertAttemptTimeout = 2 * time.Second }
	r.open(fast)
	id := r.injected(n)

	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = c.StartAPIServer(context.Background())
		}
	})

	rep, err := r.engine.AbortReport(r.ctx, id, "facilitator", "real incident in production")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pending) != n || len(rep.Reverted) != 0 {
		t.Fatalf("abort during the outage reported %d reverted, %d pending; expected all %d pending", len(rep.Reverted), len(rep.Pending), n)
	}
	for _, p := range rep.Pending {
		if p.Error == "" || p.NextAttempt.IsZero() {
			t.Fatalf("pending %+v: expected the recorded failure and the next attempt", p)
		}
	}
	if took := time.Since(down); took > 20*time.Second {
		t.Fatalf("abort took %s during the outage, expected it to return after one bounded attempt", took)
	}

	// firedrill restarts while the API server is still down.
	r.close()
	r.open(fast)
	d, err := r.engine.Drill(r.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != control.StateAborted {
		t.Fatalf("drill %s after the restart, expected aborted", d.State)
	}

	if wait := 30*time.Second - time.Since(down); wait > 0 {
		time.Sleep(wait)
	}
	restarted = true
	if err := c.StartAPIServer(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The package's later tests share the cluster: the controller
	// manager's watches back off during the outage, and in two of four
	// full runs the next test's namespace got no default service account
	// within its 60 s. The test leaves the cluster working as it found it.
	t.Cleanup(func() { clustertest.WaitControllers(t) })
	deadline := time.Now().Add(2 * time.Minute)
	for {
		left := 0
		_ = r.engine.View(r.ctx, id, func(d *control.Drill) error {
			for _, f := range d.Faults {
				if f.Phase != control.FaultReverted {
					left++
				}
			}
			return nil
		})
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d faults not reverted 2 minutes after the API server returned", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.allReverted(n)
	if err := r.engine.CloseDrill(r.ctx, id, "facilitator"); err != nil {
		t.Fatalf("close after every revert: %v", err)
	}
	if _, err := control.VerifyChain(0, "", events(t, r, id)); err != nil {
		t.Fatal(err)
	}
}

func events(t *testing.T, r *rig, id string) []control.Event {
	t.Helper()
	evs, err := r.engine.Events(r.ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
