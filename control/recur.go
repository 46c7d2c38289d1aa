package control

import (
	"fmt"
	"time"
)

// recur folds fault.recurred into f: the fix is undone. A fault still
// holding its revert record is reverted first (the fault.revert-intent
// appended with it); one already reverted waits to be injected again.
// Its resolution, detection and confirmation start over.
func (f *FaultState) recur(p FaultEvent, t time.Duration) {
	f.Recurrences, f.RecurAt = p.Recurrence, &t
	if f.FirstRecurAt == nil {
		f.FirstRecurAt = &t
	}
	f.ResolvedAt, f.ResolvedBy, f.RecoveringAt, f.DetectedAt = nil, "", nil, nil
	f.ConfirmedAt, f.ConfirmedBy, f.Checks, f.Attempts = nil, "", nil, 0
	f.ProbeDetail = p.Detail
	if f.Phase == FaultReverted {
		f.Phase = FaultPending
	}
}

// recurDue returns the drill time a fixed fault with recurs comes back, or
// is found to stay fixed: after recurs.after past its fix while the cause
// holds, at once when it no longer does or the bound is reached. ok is
// false when there is nothing to decide.
func (d *Drill) recurDue(i int, el time.Duration) (time.Duration, bool) {
	f := &d.Faults[i]
	r := d.Scenario.Faults[i].Recurs
	if r == nil || f.StaysFixed || f.RecurAt != nil || f.ResolvedAt == nil {
		return 0, false
	}
	if f.Phase != FaultResolved && f.Phase != FaultReverted {
		return 0, false // still reverting after a heal: decide once it is done
	}
	if f.Recurrences >= r.Times || !d.holds(r.While) {
		return el, true
	}
	return *f.ResolvedAt + r.After.D(), true
}

// recurEvents are the events of a due recurrence decision: the fault comes
// back (and is reverted first when it still holds its record, so that the
// new injection saves a fresh revert record), or stays fixed.
func (e *Engine) recurEvents(d *Drill, i int) []pending {
	el := d.Elapsed(e.clock.Now())
	due, ok := d.recurDue(i, el)
	if !d.Running() || !ok || el < due {
		return nil
	}
	f := &d.Faults[i]
	r := d.Scenario.Faults[i].Recurs
	cause := r.While.FaultActive
	switch {
	case f.Recurrences >= r.Times:
		return []pending{{Type: EventFaultStaysFixed, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Times: r.Times,
			Detail: fmt.Sprintf("it came back %d times, the most recurs.times allows", r.Times)}}}
	case !d.holds(r.While):
		why := "it no longer holds that " + r.While.Describe()
		if cause != "" && r.While.FaultResolved == "" && r.While.NoticePosted == "" {
			why = cause + " is no longer active"
		}
		return []pending{{Type: EventFaultStaysFixed, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Cause: cause, Detail: why}}}
	}
	evs := []pending{{Type: EventFaultRecurred, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID,
		Recurrence: f.Recurrences + 1, Times: r.Times, Cause: cause,
		Detail: fmt.Sprintf("came back because %s (%d of %d)", r.While.Describe(), f.Recurrences+1, r.Times)}}}
	if f.holdsRecord() {
		evs = append(evs, pending{Type: EventFaultRevertIntent, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Detail: "reverted to come back afresh"}})
	}
	return evs
}

// recurPending reports whether fault i may still come back: it is fixed,
// may recur, and the decision is not made yet. Such a fault keeps the
// drill from ending by itself.
func (d *Drill) recurPending(i int) bool {
	f := &d.Faults[i]
	if f.RecurAt != nil {
		return true
	}
	_, ok := d.recurDue(i, 0)
	return ok
}
