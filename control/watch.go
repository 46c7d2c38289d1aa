package control

import (
	"context"
	"fmt"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// watchState is what the engine keeps in memory about a cluster.changed
// trigger: the check's result it compares against. Like probes, it starts
// over after a restart.
type watchState struct {
	next     time.Time
	failures int
	// baseline is the check's first result, taken again whenever the
	// drill itself changed the cluster (epoch): a fault injected or
	// reverted is not what participants did.
	baseline *CheckResult
	epoch    int
}

// watching reports whether inject i waits for a change its check sees.
func (d *Drill) watching(i int) bool {
	on := d.Scenario.Injects[i].On
	st := d.Injects[i]
	return on != nil && on.Event == scenarios.OnClusterChanged && on.Check != nil && st.TriggeredAt == nil && st.PostedAt == nil
}

// faultEpoch counts the drill's own changes to the cluster so far: each
// fault injected, and each reverted.
func (d *Drill) faultEpoch() int {
	n := 0
	for _, f := range d.Faults {
		if f.InjectedAt != nil {
			n++
		}
		if f.RevertedAt != nil {
			n++
		}
		if f.Phase == FaultInjecting || f.Phase == FaultReverting {
			n += 1000 // in flight: never compare while the drill changes things
		}
	}
	return n
}

// watchCluster polls the check of a cluster.changed inject and records the
// trigger (inject.triggered) when its result differs from the baseline.
func (e *Engine) watchCluster(ctx context.Context, r *drillRun, i int) error {
	r.mu.Lock()
	d := r.d
	st := d.Injects[i]
	check := *d.Scenario.Injects[i].On.Check
	r.mu.Unlock()
	w := r.rt.watches[st.ID]
	if w == nil {
		w = &watchState{}
		r.rt.watches[st.ID] = w
	}
	interval := probeInterval([]scenarios.Probe{check})
	_, _, checks, err := e.runProbes(ctx, []scenarios.Probe{check})
	now := e.clock.Now()
	if err != nil {
		w.failures++
		w.next = d.wallAfter(now, interval*time.Duration(min(1<<w.failures, maxProbeBackoff)))
		e.logf("drill %s: inject %s: %v", d.ID, st.ID, err)
		return nil
	}
	w.failures = 0
	w.next = d.wallAfter(now, interval)
	got := checks[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	d = r.d
	if !d.Running() || !d.watching(i) {
		return nil
	}
	epoch := d.faultEpoch()
	if w.baseline == nil || epoch != w.epoch || epoch >= 1000 {
		w.baseline, w.epoch = &got, epoch
		return nil
	}
	if got.OK == w.baseline.OK && got.Detail == w.baseline.Detail {
		return nil
	}
	detail := fmt.Sprintf("%s changed: was %q, now %q", got.Name, w.baseline.Detail, got.Detail)
	delete(r.rt.watches, st.ID)
	_, err = e.appendLocked(ctx, r, pending{Type: EventInjectTriggered, Actor: ActorEngine, Payload: InjectEvent{InjectID: st.ID, Detail: detail}})
	return err
}
