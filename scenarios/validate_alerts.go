package scenarios

// alertEventsUnsupported are the events an alert cannot be armed or resolved
// on: they need a participant's message or a watched check, which only
// injects wait for.
var alertEventsUnsupported = map[EventKind]string{
	OnChatMatched:    "a participant's message",
	OnClusterChanged: "a change the engine watches",
}

// alertScript checks what a designer scripted of alert i: its trigger (at
// or on), what resolves it (until), its repetitions, reminders and resolved
// message.
func (v *validator) alertScript(i int) {
	a := v.s.Alerts[i]
	path := index("alerts", i)
	_, declared := v.d.pos[path]
	switch {
	case a.At != nil && a.On != nil:
		v.errf(path+".on", "both at and on are set, expected one trigger: a time (at) or an event (on)")
	case !a.HasCheck() && a.At == nil && a.On == nil:
		if _, typed := v.d.pos[path+".check"]; typed {
			break // a check that did not decode: reported already
		}
		if declared || v.d.noPositions {
			v.errf(path, "no check and no trigger, expected check: (a probe monitoring polls), at: 12m (fire at a drill time) or on: {event: fault.injected, fault: <id>} (fire on an event)")
		}
	}
	if a.For > 0 && !a.HasCheck() {
		v.errf(path+".for", "for %s without a check, expected check: (the probe that must fail this long) or no for: a scripted alert fires at its trigger", mins(a.For))
	}
	if a.At != nil {
		v.beforeCap(path+".at", *a.At, "alert time")
	}
	withFault := false
	for _, t := range []struct {
		name string
		on   *EventTrigger
	}{{"on", a.On}, {"until", a.Until}} {
		if t.on == nil {
			continue
		}
		p := path + "." + t.name
		if what, ok := alertEventsUnsupported[t.on.Event]; ok {
			v.errf(p+".event", "an alert cannot wait for %s (%s), expected a drill event: drill.started, fault.injected, fault.resolved, notice.posted, notice.missing, hint.given, alert.firing, alert.resolved or inject.posted; a persona that reacts to it is an inject", what, t.on.Event)
			continue
		}
		if v.trigger(p, *t.on) {
			withFault = true
		}
		if t.on.Alert == a.ID && a.ID != "" {
			v.errf(p+".alert", "alert %s waits for itself, expected another alert", a.ID)
		}
	}
	if r := a.Repeat; r != nil {
		if r.Every.D() < MinAlertRepeat {
			v.errf(path+".repeat.every", "every %s is shorter than %s, expected %s or more: a storm faster than that floods the channel and hides everything else", mins(r.Every), mins(Duration(MinAlertRepeat)), mins(Duration(MinAlertRepeat)))
		}
		if r.Times < 0 || r.Times > MaxAlertRepeats {
			v.errf(path+".repeat.times", "times %d, expected 1 to %d (how many more times the alert is posted while it fires; default %d)", r.Times, MaxAlertRepeats, DefaultAlertRepeats)
		}
	}
	if a.Renotify != 0 && a.Renotify.D() < MinAlertRenotify {
		v.errf(path+".renotify", "renotify %s is shorter than %s, expected a slow reminder such as 15m; for a pager storm use repeat: {every: 1m, times: 10}", mins(a.Renotify), mins(Duration(MinAlertRenotify)))
	}
	if a.Resolved != "" && !a.HasCheck() && a.Until == nil {
		v.errf(path+".resolved", "a resolved message needs something to resolve on, expected check: (resolves when the probe holds again) or until: {event: fault.resolved, fault: <id>}")
	}
	v.template(path+".resolved", a.Resolved, withFault)
}
