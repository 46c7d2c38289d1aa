package scenarios

import (
	"fmt"
	"strings"
)

// addAlert places alert a on the timeline: at its drill time when it is
// armed at one (or at the start), else among what waits on events, with
// its check, repetitions, reminders and resolution in words.
func (t *Timeline) addAlert(sc *Scenario, a Alert) {
	e := TimelineEntry{Kind: EntryAlert, ID: a.ID, Summary: a.Title, Detail: a.Persona + " → #" + a.Channel}
	var conds []string
	check := ""
	if a.HasCheck() {
		check = fmt.Sprintf("%s fails for %s", a.Probe.Probe, mins(a.For))
	}
	switch {
	case a.At != nil:
		at := *a.At
		e.At, e.Trigger = &at, "at "+mins(at)
	case a.On != nil && a.On.Event == OnDrillStarted:
		at := a.On.Delay
		e.At, e.Trigger = &at, describeTrigger(*a.On)
	case a.On != nil:
		e.Trigger = describeTrigger(*a.On)
		if at, ok := injectEarliest(sc, Inject{On: a.On}); ok {
			e.Earliest = &at
		}
	default:
		e.Trigger = "when " + check
		check = ""
	}
	if check != "" {
		if a.For == 0 {
			check = a.Probe.Probe.String() + " fails"
		}
		conds = append(conds, "fires once "+check)
	}
	conds = append(conds, alertCourse(a)...)
	e.Condition = strings.Join(conds, "; ")
	if e.At != nil {
		t.Scheduled = append(t.Scheduled, e)
		return
	}
	t.Waiting = append(t.Waiting, e)
}

// alertCourse says in words how a firing alert goes on: its storm, its
// reminders and what resolves it.
func alertCourse(a Alert) []string {
	var out []string
	if a.Repeat != nil {
		out = append(out, fmt.Sprintf("repeats every %s, %d times at most, while firing", mins(a.Repeat.Every), a.Repeats()))
	}
	if a.Renotify > 0 {
		out = append(out, fmt.Sprintf("reminds every %s while firing", mins(a.Renotify)))
	}
	var on []string
	if a.HasCheck() {
		on = append(on, "when "+a.Probe.Probe.String()+" holds again")
	}
	if a.Until != nil {
		on = append(on, strings.Replace(describeTrigger(*a.Until), "after ", "when ", 1))
	}
	// A plain monitoring rule resolves as it always did: the plan says so
	// only for alerts a designer scripted.
	if len(on) > 0 && a.Scripted() {
		msg := a.Resolved
		if msg == "" {
			msg = "[RESOLVED] " + a.Title
		}
		out = append(out, "resolves "+strings.Join(on, " or ")+": "+summarize(msg))
	}
	return out
}
