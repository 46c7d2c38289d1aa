package ha_test

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/ha"
)

// TestACandidateTakesADeadLeadersLeaseWhenItRunsOut: a Lease whose holder
// stopped renewing (its process was SIGKILLed) is taken the moment it runs
// out as the candidate observed it, not up to a jittered retry period
// later. Waking only every 2-4.4 s, the candidate of e2e's TestFailover led
// up to 18.8 s after the leader's death with the default timings, past the
// 15 s that test holds it to in about 1 of 20 runs. The candidate runs on a
// fake clock, stepped 50 ms at a time whenever it waits.
func TestACandidateTakesADeadLeadersLeaseWhenItRunsOut(t *testing.T) {
	ns := clustertest.Namespace(t)
	cs, err := connect(clustertest.Cluster(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	// The dead leader's last renewal, with the default lease duration.
	holder, dur, renewed := "http://dead.example:8080", int32(ha.DefaultLeaseDuration/time.Second), metav1.NewMicroTime(clk.Now())
	_, err = clustertest.Client(t).CoordinationV1().Leases(ns).Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "takeover"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, AcquireTime: &renewed, RenewTime: &renewed},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := ha.NewElector(ha.ElectorConfig{Client: cs, Namespace: ns, Name: "takeover", Identity: "http://b.example:8080",
		LeaseDuration: ha.DefaultLeaseDuration, RenewDeadline: ha.DefaultRenewDeadline, RetryPeriod: ha.DefaultRetryPeriod, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	// The candidate reads the Lease at once, at the fake clock's start.
	start := clk.Now()
	const step = 50 * time.Millisecond
	for {
		// Wait until the candidate waits on the clock (between its API
		// calls it does not), then move the clock on.
		for deadline := time.Now().Add(30 * time.Second); !clk.HasWaiters(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the candidate does not wait on its clock (%s after the Lease's last renewal)", clk.Since(start))
			}
		}
		if e.Leading() {
			break
		}
		if clk.Since(start) > 30*time.Second {
			t.Fatalf("the candidate does not lead %s after the dead leader's last renewal (leader seen: %q)", clk.Since(start), e.Leader())
		}
		clk.Step(step)
	}
	took := clk.Since(start)
	t.Logf("the candidate led %s after the dead leader's last renewal (lease duration %s)", took, ha.DefaultLeaseDuration)
	if took > ha.DefaultLeaseDuration+step {
		t.Fatalf("the candidate led %s after the dead leader's last renewal, want when the %s Lease ran out", took, ha.DefaultLeaseDuration)
	}
}
