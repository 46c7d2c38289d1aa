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

// changingCluster reports whether a fault is being injected or reverted:
// what a check sees then is neither a baseline nor a participant's doing.
func (d *Drill) changingCluster() bool {
	for _, f := range d.Faults {
		if f.Phase == FaultInjecting || f.Phase == FaultReverting {
			return true
		}
	}
	return false
}

// watchCluster polls the check of a cluster.changed inject — it starts a
// round, or takes the answer of the round in flight — and records the
// trigger (inject.triggered) when its result differs from the baseline. A
// round the drill changed the cluster during (a fault injected or
// reverted) is dropped: what it saw is neither the baseline nor what
// participants did.
func (e *Engine) watchCluster(ctx context.Context, r *drillRun, i int) error {
	r.mu.Lock()
	id := r.d.Injects[i].ID
	check := *r.d.Scenario.Injects[i].On.Check
	epoch := r.d.changes
	r.mu.Unlock()
	key := watchCheckKey(id)
	e.startCheck(r, key, []scenarios.Probe{check}, func(d *Drill, _ time.Time) bool {
		return d.Running() && d.watching(i) && d.changes == epoch
	})
	c, err := e.takeCheck(ctx, r, key)
	if c == nil {
		return err
	}
	return e.watchChecked(ctx, r, i, c, check)
}

// watchChecked takes the answer of a round of inject i's check. The
// caller holds r.op.
func (e *Engine) watchChecked(ctx context.Context, r *drillRun, i int, c *checkRound, check scenarios.Probe) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	id := d.Injects[i].ID
	w := r.rt.watches[id]
	if w == nil {
		w = &watchState{}
		r.rt.watches[id] = w
	}
	interval := probeInterval([]scenarios.Probe{check})
	now := c.at
	if !c.current(d, e.clock.Now()) {
		return nil // stopped or paused since, the drill changed the cluster, or it was posted
	}
	if c.err != nil {
		w.failures++
		w.next = d.wallAfter(now, interval*time.Duration(min(1<<w.failures, maxProbeBackoff)))
		e.logf("drill %s: inject %s: %v", d.ID, id, c.err)
		return nil
	}
	w.failures = 0
	w.next = d.wallAfter(now, interval)
	got := c.checks[0]
	epoch := d.changes
	if w.baseline == nil || epoch != w.epoch || d.changingCluster() {
		w.baseline, w.epoch = &got, epoch
		return nil
	}
	if got.OK == w.baseline.OK && got.Detail == w.baseline.Detail {
		return nil
	}
	detail := fmt.Sprintf("%s changed: was %q, now %q", got.Name, w.baseline.Detail, got.Detail)
	delete(r.rt.watches, id)
	_, err := e.appendLocked(ctx, r, pending{Type: EventInjectTriggered, Actor: ActorEngine, Payload: InjectEvent{InjectID: id, Detail: detail}})
	return err
}
