package rehearse

import (
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// step is one robot step of a rehearsal and what became of it.
type step struct {
	Robot string
	Spec  scenarios.RobotStep
	// Done is set once the step was carried out (or failed).
	Done bool
	// Due is the drill time the step fell due; At when it was done.
	Due, At time.Duration
	Err     error
	// Did says what a fix did.
	Did string
	// AnsweredAfter is, for an answer, the time from the inject to the
	// answer.
	AnsweredAfter time.Duration
}

// stepsOf lists the robot steps of the drill's scenario (difficulty
// applied), robot by robot in order.
func stepsOf(s *scenarios.Scenario) []*step {
	if s.Rehearsal == nil {
		return nil
	}
	var out []*step
	for _, r := range s.Rehearsal.Robots {
		for _, st := range r.Steps {
			out = append(out, &step{Robot: r.ID, Spec: st})
		}
	}
	return out
}

// dueAt returns the drill time a step falls due, and false while its
// trigger has not happened yet.
func dueAt(st scenarios.RobotStep, d *control.Drill, now time.Duration) (time.Duration, bool) {
	switch {
	case st.At != nil:
		return st.At.D(), true
	case st.Answer != "":
		for _, in := range d.Injects {
			if in.ID == st.Answer && in.PostedAt != nil {
				return *in.PostedAt, true
			}
		}
		return 0, false
	case st.On != nil:
		t, ok := eventTime(*st.On, d, now)
		return t + st.On.Delay.D(), ok
	}
	return 0, false
}

// eventTime returns the drill time of the trigger's event, from the drill's
// projection, and false while it has not happened.
func eventTime(t scenarios.EventTrigger, d *control.Drill, now time.Duration) (time.Duration, bool) {
	some := func(p *time.Duration) (time.Duration, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	switch t.Event {
	case scenarios.OnDrillStarted:
		return 0, d.State != control.StateDraft && d.State != control.StateScheduled && d.State != control.StateBriefing
	case scenarios.OnFaultInjected, scenarios.OnFaultResolved:
		f, ok := d.Fault(t.Fault)
		if !ok {
			return 0, false
		}
		if t.Event == scenarios.OnFaultInjected {
			return some(f.InjectedAt)
		}
		return some(f.ResolvedAt)
	case scenarios.OnFaultRecurred:
		if f, ok := d.Fault(t.Fault); ok {
			return some(f.FirstRecurAt)
		}
	case scenarios.OnNoticePosted:
		for _, n := range d.Notices {
			if n.Kind == t.Notice {
				return n.At, true
			}
		}
	case scenarios.OnNoticeMissing:
		if t.By == nil || now < t.By.D() {
			return 0, false
		}
		for _, n := range d.Notices {
			if n.Kind == t.Notice && n.At <= t.By.D() {
				return 0, false
			}
		}
		return t.By.D(), true
	case scenarios.OnHintGiven:
		for _, h := range d.Hints {
			if h.ID == t.Hint {
				return some(h.GivenAt)
			}
		}
	case scenarios.OnAlertFiring, scenarios.OnAlertResolved:
		for _, a := range d.Alerts {
			if a.ID == t.Alert {
				if t.Event == scenarios.OnAlertFiring {
					return some(a.FirstFired)
				}
				return some(a.FirstClear)
			}
		}
	case scenarios.OnInjectPosted:
		for _, in := range d.Injects {
			if in.ID == t.Inject {
				return some(in.PostedAt)
			}
		}
	}
	return 0, false
}

// due splits the steps not done yet into those due at drill time now, and
// the earliest later time one falls due (false when none is known yet).
func due(steps []*step, d *control.Drill, now time.Duration) (ready []*step, next time.Duration, hasNext bool) {
	for _, st := range steps {
		if st.Done {
			continue
		}
		t, ok := dueAt(st.Spec, d, now)
		if !ok {
			continue
		}
		if t <= now {
			st.Due = t
			ready = append(ready, st)
			continue
		}
		if !hasNext || t < next {
			next, hasNext = t, true
		}
	}
	return ready, next, hasNext
}

// over reports whether the drill needs nothing more: it ended (or was
// aborted) and no fault of it is left to revert.
func over(d *control.Drill) bool {
	switch d.State {
	case control.StateRetro, control.StateClosed, control.StateEnded, control.StateAborted:
	default:
		return false
	}
	for _, f := range d.Faults {
		switch f.Phase {
		case control.FaultInjecting, control.FaultInEffect, control.FaultResolved, control.FaultReverting:
			return false
		}
	}
	return true
}
