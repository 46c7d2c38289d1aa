package control

import (
	"context"
	"fmt"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// alertStep is what a scripted alert does next.
type alertStep int

const (
	alertNone    alertStep = iota
	alertFire              // an alert without a check fires when armed
	alertResolve           // its until event happened while it fires
	alertRepeat            // the storm posts it again
	alertRemind            // a "still firing" reminder
)

// repeated folds an alert.repeated event at drill time at.
func (a *AlertState) repeated(at time.Duration, reminder bool) {
	t := at
	a.LastPost = &t
	a.Posts++
	if reminder {
		a.Reminders++
	} else {
		a.Repeats++
	}
}

// episode folds an alert.firing (firing) or alert.resolved event at drill
// time at: a firing starts the storm's count over, a resolution ends it.
func (a *AlertState) episode(firing bool, at time.Duration, detail string) {
	a.Repeats, a.Reminders = 0, 0
	if !firing {
		a.FiredAt, a.LastPost, a.Detail = nil, nil, ""
		return
	}
	t, l := at, at
	a.FiredAt, a.LastPost, a.Detail = &t, &l, detail
	a.Posts++
}

// alertArmedAt returns the drill time alert i is armed at: its at, or its
// on event plus delay once that happened; an alert without a trigger is
// armed from the start.
func (d *Drill) alertArmedAt(i int) (time.Duration, bool) {
	a := d.Scenario.Alerts[i]
	switch {
	case a.At != nil:
		return a.At.D(), true
	case a.On != nil:
		return d.eventAt(a.On, nil)
	}
	return 0, true
}

// alertOverAt returns the drill time alert i's until event happened (plus
// its delay): from then on the alert is resolved and never fires again.
func (d *Drill) alertOverAt(i int) (time.Duration, bool) {
	if u := d.Scenario.Alerts[i].Until; u != nil {
		return d.eventAt(u, nil)
	}
	return 0, false
}

// alertPolled reports whether alert i's check is polled at drill time el,
// and from when: armed, and not over.
func (d *Drill) alertPolled(i int, el time.Duration) (time.Duration, bool) {
	if !d.Scenario.Alerts[i].HasCheck() {
		return 0, false
	}
	armed, ok := d.alertArmedAt(i)
	if !ok {
		return 0, false
	}
	if over, ok := d.alertOverAt(i); ok && over <= max(el, armed) {
		return 0, false
	}
	return armed, true
}

// alertDue returns the next scripted step of alert i and the drill time it
// is due: a check-less alert firing when armed, the until event resolving
// it, a repeat of the storm or a reminder.
func (d *Drill) alertDue(i int) (time.Duration, alertStep) {
	a := d.Scenario.Alerts[i]
	st := &d.Alerts[i]
	over, hasOver := d.alertOverAt(i)
	if st.Firing {
		at, step := d.alertNextPost(i)
		if hasOver && (step == alertNone || over <= at) {
			return over, alertResolve
		}
		return at, step
	}
	if a.HasCheck() || st.FirstFired != nil {
		return 0, alertNone
	}
	armed, ok := d.alertArmedAt(i)
	if !ok || hasOver && over <= armed {
		return 0, alertNone
	}
	return armed, alertFire
}

// alertNextPost returns when a firing alert is next posted again: the
// storm's next repeat (at most Repeats, every Repeat.Every after it fired)
// or the next reminder (every Renotify), whichever is first; a reminder
// due with a repeat replaces it. Times are counted from when it fired, so
// posts missed while the engine was down are not made up in a burst.
func (d *Drill) alertNextPost(i int) (time.Duration, alertStep) {
	a := d.Scenario.Alerts[i]
	st := d.Alerts[i]
	if st.FiredAt == nil {
		return 0, alertNone
	}
	fired, last := *st.FiredAt, *st.FiredAt
	if st.LastPost != nil {
		last = *st.LastPost
	}
	var at time.Duration
	step := alertNone
	if a.Repeat != nil && a.Repeat.Every > 0 {
		every := a.Repeat.Every.D()
		if k := (last-fired)/every + 1; int(k) <= a.Repeats() {
			at, step = fired+k*every, alertRepeat
		}
	}
	if a.Renotify > 0 {
		r := a.Renotify.D()
		if t := fired + ((last-fired)/r+1)*r; step == alertNone || t <= at {
			at, step = t, alertRemind
		}
	}
	return at, step
}

// alertScript performs the scripted step of alert i due now, if it still
// is: the projection decides, so that a restarted engine neither posts a
// step twice nor skips one.
func (e *Engine) alertScript(ctx context.Context, r *drillRun, i int) error {
	return e.appendNow(ctx, r, func(d *Drill) []pending {
		if !d.Running() {
			return nil
		}
		el := d.Elapsed(e.clock.Now())
		due, step := d.alertDue(i)
		if step == alertNone || due > el {
			return nil
		}
		a, st := d.Scenario.Alerts[i], d.Alerts[i]
		source := "alert:" + a.ID
		switch step {
		case alertFire:
			return []pending{
				{Type: EventAlertFiring, Actor: ActorEngine, Payload: AlertEvent{AlertID: a.ID}},
				e.personaMessage(d, a.Persona, a.Channel, firingText(a, ""), source),
			}
		case alertResolve:
			return e.alertResolved(d, i, "until", "")
		case alertRepeat:
			n := int((due - *st.FiredAt) / a.Repeat.Every.D())
			text := fmt.Sprintf("%s (repeat %d of %d)", firingText(a, st.Detail), n, a.Repeats())
			return []pending{
				{Type: EventAlertRepeated, Actor: ActorEngine, Payload: AlertEvent{AlertID: a.ID, Repeat: n}},
				e.personaMessage(d, a.Persona, a.Channel, text, source),
			}
		}
		still := "still firing for " + scenarios.Duration(due-*st.FiredAt).String()
		return []pending{
			{Type: EventAlertRepeated, Actor: ActorEngine, Payload: AlertEvent{AlertID: a.ID, Reminder: true, Detail: still}},
			e.personaMessage(d, a.Persona, a.Channel, firingText(a, still), source),
		}
	})
}

// alertResolved returns the events of alert i resolving: by its check
// holding again or its until event. The resolved message is the
// designer's template, rendered now, or "[RESOLVED] <title>".
func (e *Engine) alertResolved(d *Drill, i int, by, detail string) []pending {
	a := d.Scenario.Alerts[i]
	text, rerr := "[RESOLVED] "+a.Title, ""
	if a.Resolved != "" {
		out, err := renderText(a.Resolved, d.textData(e.clock.Now(), alertFault(a)))
		if err != nil {
			rerr = err.Error()
		}
		text = out
	}
	return []pending{
		{Type: EventAlertResolved, Actor: ActorEngine, Payload: AlertEvent{AlertID: a.ID, Detail: detail, By: by, RenderError: rerr}},
		e.personaMessage(d, a.Persona, a.Channel, text, "alert:"+a.ID),
	}
}

// alertFault is the fault a scripted alert is about, for its resolved
// message's .Fault: the one its until or on event names.
func alertFault(a scenarios.Alert) string {
	for _, t := range []*scenarios.EventTrigger{a.Until, a.On} {
		if t != nil && t.Fault != "" {
			return t.Fault
		}
	}
	return ""
}

// firingText is an alert's firing message: "[FIRING] [critical] <title>",
// with what its check saw.
func firingText(a scenarios.Alert, detail string) string {
	sev := a.Severity
	if sev == "" {
		sev = "alert"
	}
	if detail == "" {
		return fmt.Sprintf("[FIRING] [%s] %s", sev, a.Title)
	}
	return fmt.Sprintf("[FIRING] [%s] %s — %s", sev, a.Title, detail)
}
