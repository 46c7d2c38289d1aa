package control

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPrepareAhead is how long a revert record prepared ahead of its
// fault's fire stays usable when the wiring turns preparing ahead on.
const DefaultPrepareAhead = 30 * time.Second

// maxPreparedAhead bounds how many pending faults of one drill are prepared
// ahead: the next ones in the scenario's order.
const maxPreparedAhead = 16

// stage holds the revert records of a drill's pending faults prepared ahead
// of their fire (Engine.PrepareAhead), so that a fire is the journal write
// and the inject, not a Prepare first. A prepared record is only a plan: it
// is journaled with the fault's intent, as a record from a Prepare at fire
// time would be, before Inject runs; an Inject that finds the target
// changed since (the contract's stale-record rule) makes the engine prepare
// again. Nothing of it survives a restart.
//
// No Prepare made ahead starts once a fire has taken its fault: the
// latest Prepare of a fault is always the one its fire uses (the guard's
// record book, under ha.namespace, keeps the latest record of each fault,
// which the dead man's switch reverts with).
type stage struct {
	mu   sync.Mutex
	recs map[string]*prepared
	// taken holds, per fault a fire took, the fault's attempts when it was
	// taken: the fault is not prepared ahead again until a failed attempt
	// has counted.
	taken map[string]int
	// starting counts the Start calls under way: while one is, the drill
	// is prepared ahead as if it were running already, so that its first
	// faults are prepared while drill.started is journaled rather than
	// after (a designer starts a drill and fires a fault at once).
	starting atomic.Int32
}

// prepared is one Prepare made ahead; started is closed when it was sent,
// done when it returned.
type prepared struct {
	spec          FaultSpec
	at            time.Time
	started, done chan struct{}
	record        []byte
	err           error
}

// fresh reports whether p answered without error for spec and is young
// enough to use at now.
func (p *prepared) fresh(spec FaultSpec, now time.Time, ttl time.Duration) bool {
	return p.err == nil && len(p.record) > 0 && now.Sub(p.at) < ttl && reflect.DeepEqual(p.spec, spec)
}

// prepareAhead prepares, in the background, the next pending faults of a
// running drill (or of one being started) that have no usable record
// prepared ahead, one at a time. It returns the wall time at which a
// record prepared ahead needs renewing, if any. The drill's loop calls it
// after each reconcile pass, and Start before it journals drill.started.
func (e *Engine) prepareAhead(r *drillRun) (time.Time, bool) {
	ttl := e.PrepareAhead
	if ttl <= 0 || e.ctx == nil || e.Manual {
		return time.Time{}, false
	}
	now := e.clock.Now()
	var specs []FaultSpec
	attempts := map[string]int{}
	r.mu.Lock()
	if r.d.Running() || r.stage.starting.Load() > 0 && inStates(r.d.State, startableStates) {
		for i := range r.d.Faults {
			if f := &r.d.Faults[i]; f.Phase == FaultPending && f.FireRequestedAt == nil {
				specs = append(specs, f.Spec)
				attempts[f.ID] = f.Attempts
				if len(specs) == maxPreparedAhead {
					break
				}
			}
		}
	}
	r.mu.Unlock()

	r.stage.mu.Lock()
	defer r.stage.mu.Unlock()
	wanted := make(map[string]bool, len(specs))
	var todo []*prepared
	var renew time.Time
	for _, spec := range specs {
		if n, ok := r.stage.taken[spec.FaultID]; ok {
			if attempts[spec.FaultID] <= n {
				continue // its fire is under way
			}
			delete(r.stage.taken, spec.FaultID)
		}
		wanted[spec.FaultID] = true
		p := r.stage.recs[spec.FaultID]
		if p != nil {
			select {
			case <-p.done:
				// Renewed at half its life, so a fire always finds one.
				if due := p.at.Add(ttl / 2); due.After(now) && reflect.DeepEqual(p.spec, spec) {
					if renew.IsZero() || due.Before(renew) {
						renew = due
					}
					continue
				}
			default:
				continue // being prepared
			}
		}
		p = &prepared{spec: spec, started: make(chan struct{}), done: make(chan struct{})}
		if r.stage.recs == nil {
			r.stage.recs = map[string]*prepared{}
		}
		r.stage.recs[spec.FaultID] = p
		todo = append(todo, p)
	}
	for id := range r.stage.recs {
		if !wanted[id] {
			delete(r.stage.recs, id) // fired, skipped, or the drill stopped
		}
	}
	for id := range r.stage.taken {
		if _, pending := attempts[id]; !pending {
			delete(r.stage.taken, id) // its fire got past its intent
		}
	}
	if len(todo) > 0 {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for _, p := range todo {
				r.stage.mu.Lock()
				current := r.stage.recs[p.spec.FaultID] == p
				if current {
					p.at = e.clock.Now()
					close(p.started)
				}
				r.stage.mu.Unlock()
				if current {
					p.record, p.err = e.injector.Prepare(e.ctx, p.spec)
				}
				close(p.done)
			}
			r.poke() // schedule the renewal
		}()
	}
	return renew, !renew.IsZero()
}

// takePrepared returns the record prepared ahead for spec, waiting for a
// Prepare in flight (it was sent earlier than one sent now would be), or
// false when there is none usable. The record is taken: it is used once.
func (e *Engine) takePrepared(ctx context.Context, r *drillRun, spec FaultSpec, attempts int) ([]byte, bool) {
	if e.PrepareAhead <= 0 {
		return nil, false
	}
	r.stage.mu.Lock()
	p := r.stage.recs[spec.FaultID]
	delete(r.stage.recs, spec.FaultID)
	if r.stage.taken == nil {
		r.stage.taken = map[string]int{}
	}
	r.stage.taken[spec.FaultID] = attempts
	started := false
	if p != nil {
		select {
		case <-p.started:
			started = true
		default:
			// Queued behind others: a Prepare now is sooner, and the
			// queued one will not start.
		}
	}
	r.stage.mu.Unlock()
	if !started {
		return nil, false
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, false
	}
	if !p.fresh(spec, e.clock.Now(), e.PrepareAhead) {
		return nil, false
	}
	return p.record, true
}
