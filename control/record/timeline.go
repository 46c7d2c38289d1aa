package record

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/scenarios"
)

// Timeline kinds, for filtering and for the chart.
const (
	KindLifecycle = "lifecycle"
	KindFault     = "fault"
	KindProbe     = "probe"
	KindInject    = "inject"
	KindHint      = "hint"
	KindAlert     = "alert"
	KindNotice    = "notice"
	KindChat      = "chat"
	KindNote      = "note"
	KindRetro     = "retro"
	KindRole      = "role"
	KindNudge     = "nudge"
	KindOther     = "other"
)

// timeline lists every event people care about, in journal order. Retro
// drafts (autosaves) are left out: the retro section has the answers, and
// names never appear next to answers there.
//
// With the drill's notice forms, notices read as their forms do (labels, in
// the form's order); decided actions are named by their titles.
func timeline(events []control.Event, names map[string]string, sc *scenarios.Scenario) []TimelineEntry {
	out := []TimelineEntry{}
	titles := map[string]string{} // fault id -> title
	if sc != nil {
		for _, f := range sc.Faults {
			if f.Title != "" {
				titles[f.ID] = f.Title
			}
		}
	}
	actions := map[string]string{} // action id -> title
	said := scriptWords(sc)
	for _, e := range events {
		// Autosaves are noise; an anonymous submission's place among the
		// named ones would hint at whose it is.
		if e.Type == retro.EventDraft || (e.Type == retro.EventSubmitted && e.Actor == retro.AnonymousActor) {
			continue
		}
		kind, ph := describe(e, names)
		if control.InNamespace(e.Type, control.NamespaceFault) && ph.Args != nil && titles[ph.Args["fault"]] != "" {
			// Faults are named by their titles, as the console shows them.
			ph.Args["fault"] = "“" + titles[ph.Args["fault"]] + "”"
		}
		said.apply(&ph)
		switch e.Type {
		case control.EventNoticePosted:
			var p control.NoticePosted
			if json.Unmarshal(e.Payload, &p) == nil {
				var tpl *scenarios.NoticeTemplate
				if sc != nil {
					tpl = sc.NoticeTemplate(p.Kind)
				}
				title, rows := noticeRows(tpl, p.Fields)
				if title == "" {
					title = capitalize(string(p.Kind)) + " notice"
				}
				parts := make([]string, len(rows))
				for i, r := range rows {
					parts[i] = r.Label + ": " + trimLines(r.Value, 60)
				}
				ph = say("notice.form", "notice", string(p.Kind), "title", title, "name", nameOf(names, p.AuthorID), "fields", strings.Join(parts, "; "))
				for _, r := range rows {
					ph.Rows = append(ph.Rows, NoticeRow{ID: r.ID, Label: r.Label, Value: trimLines(r.Value, 60)})
				}
			}
		case retro.EventActionProposed:
			var a retro.Action
			if json.Unmarshal(e.Payload, &a) == nil {
				actions[retro.ActionID(e.Seq)] = a.Title
			}
		case retro.EventActionDecided:
			var dec retro.Decision
			if json.Unmarshal(e.Payload, &dec) == nil && actions[dec.ID] != "" {
				ph = say(ph.Key, "title", "“"+trimLines(actions[dec.ID], 120)+"”")
			}
		}
		sum := ph.English()
		if sum == "" {
			continue
		}
		out = append(out, TimelineEntry{Seq: e.Seq, AtMs: e.DrillTime.Milliseconds(), Kind: kind, Type: e.Type, Actor: nameOf(names, e.Actor), Summary: sum, Phrase: ph})
	}
	return out
}

// Describe returns the timeline kind of e (one of the Kind constants) and a
// one-line summary of it for people, in English. names maps actor and person
// ids to display names; ids it lacks are shown as they are, and it may be nil.
// An event type Describe does not know is KindOther, summarized by its type.
func Describe(e control.Event, names map[string]string) (kind, summary string) {
	return DescribeIn(e, names, English)
}

// DescribeIn is Describe in l.
func DescribeIn(e control.Event, names map[string]string, l Lang) (kind, summary string) {
	kind, ph := describe(e, names)
	return kind, ph.Say(l)
}

// describe returns the timeline kind of e and what it says, as a phrase a
// browser can word in its own language.
func describe(e control.Event, names map[string]string) (string, Phrase) {
	switch {
	case control.InNamespace(e.Type, control.NamespaceFault):
		var p control.FaultEvent
		_ = json.Unmarshal(e.Payload, &p)
		return faultKind(e.Type), faultPhrase(e.Type, p)
	case control.InNamespace(e.Type, control.NamespaceDrill):
		var p control.StateChange
		_ = json.Unmarshal(e.Payload, &p)
		if e.Type == control.EventDrillTimeScaleSet {
			var ts control.TimeScaleSet
			_ = json.Unmarshal(e.Payload, &ts)
			return KindLifecycle, say("drill.clock", "scale", strconv.FormatFloat(ts.TimeScale, 'f', -1, 64))
		}
		if !lifecycle[e.Type] {
			return KindOther, say("other")
		}
		return KindLifecycle, say(e.Type, "reason", p.Reason, "why", trimLines(p.Why, 120))
	case e.Type == control.EventPersonAdded:
		var p control.Person
		_ = json.Unmarshal(e.Payload, &p)
		return KindLifecycle, say("person.added", "name", p.Name, "role", string(p.Role))
	case e.Type == control.EventPersonRemoved:
		var p control.PersonRemoved
		_ = json.Unmarshal(e.Payload, &p)
		return KindLifecycle, say("person.removed", "name", nameOf(names, p.PersonID), "why", trimLines(p.Reason, 120))
	case e.Type == eventSurvey:
		return KindLifecycle, say("survey.link")
	case e.Type == control.EventInjectPosted:
		var p control.InjectEvent
		_ = json.Unmarshal(e.Payload, &p)
		if p.FollowUp {
			return KindInject, say("inject.followup", "inject", p.InjectID)
		}
		return KindInject, say("inject.posted", "inject", p.InjectID)
	case e.Type == control.EventInjectTriggered:
		var p control.InjectEvent
		_ = json.Unmarshal(e.Payload, &p)
		return KindInject, say("inject.triggered", "inject", p.InjectID, "why", trimLines(p.Detail, 200))
	case e.Type == control.EventHintGiven || e.Type == control.EventHintSkipped:
		var p control.HintEvent
		_ = json.Unmarshal(e.Payload, &p)
		if e.Type == control.EventHintGiven {
			return KindHint, say("hint.given", "hint", p.HintID, "why", p.Reason)
		}
		return KindHint, say("hint.skipped", "hint", p.HintID, "why", p.Reason)
	case e.Type == control.EventAlertFiring || e.Type == control.EventAlertResolved || e.Type == control.EventAlertRepeated:
		var p control.AlertEvent
		_ = json.Unmarshal(e.Payload, &p)
		switch {
		case e.Type == control.EventAlertFiring:
			return KindAlert, say("alert.firing", "alert", p.AlertID)
		case e.Type == control.EventAlertResolved:
			return KindAlert, say("alert.resolved", "alert", p.AlertID)
		case p.Reminder:
			return KindAlert, say("alert.reminded", "alert", p.AlertID)
		}
		return KindAlert, say("alert.repeated", "alert", p.AlertID, "n", strconv.Itoa(p.Repeat))
	case e.Type == control.EventChatMessage:
		var m control.Message
		_ = json.Unmarshal(e.Payload, &m)
		return KindChat, say("chat", "channel", m.Channel, "name", m.AuthorName, "text", trimLines(m.Text, 140))
	case e.Type == control.EventNoticePosted:
		var p control.NoticePosted
		_ = json.Unmarshal(e.Payload, &p)
		return KindNotice, say("notice.posted", "notice", string(p.Kind), "title", capitalize(string(p.Kind))+" notice",
			"name", nameOf(names, p.AuthorID), "fields", fieldsLine(p.Fields))
	case e.Type == control.EventObserverNote:
		var p struct{ Tag, Text string }
		_ = json.Unmarshal(e.Payload, &p)
		return KindNote, say("note", "tag", p.Tag, "text", trimLines(p.Text, 140))
	case e.Type == control.EventRoleClaim:
		var p struct {
			PersonID, Role, TakeOverFrom string
			Release                      bool
		}
		_ = json.Unmarshal(e.Payload, &p)
		switch {
		case p.TakeOverFrom != "":
			return KindRole, say("role.tookover", "name", nameOf(names, p.PersonID), "role", p.Role, "from", nameOf(names, p.TakeOverFrom))
		case p.Release:
			return KindRole, say("role.released", "name", nameOf(names, p.PersonID), "role", p.Role)
		}
		return KindRole, say("role.claimed", "name", nameOf(names, p.PersonID), "role", p.Role)
	case e.Type == control.EventNudge:
		var p struct{ Kind string }
		_ = json.Unmarshal(e.Payload, &p)
		return KindNudge, say("nudge", "nudge", p.Kind)
	case e.Type == retro.EventSubmitted:
		return KindRetro, say("retro.submitted")
	case e.Type == retro.EventQuestion:
		var q retro.Question
		_ = json.Unmarshal(e.Payload, &q)
		return KindRetro, say("retro.question", "text", trimLines(q.Text, 140))
	case e.Type == retro.EventQuestionAnswered:
		return KindRetro, say("retro.answered")
	case e.Type == retro.EventActionProposed:
		var a retro.Action
		_ = json.Unmarshal(e.Payload, &a)
		return KindRetro, say("action.proposed", "actionKind", string(a.Kind), "title", trimLines(a.Title, 120))
	case e.Type == retro.EventActionDecided:
		var dec retro.Decision
		_ = json.Unmarshal(e.Payload, &dec)
		// The action is named by its title (timeline knows it); an id is
		// never shown.
		if dec.Accepted {
			return KindRetro, say("action.accepted")
		}
		return KindRetro, say("action.rejected")
	case e.Type == retro.EventPresenting:
		var ref retro.Ref
		_ = json.Unmarshal(e.Payload, &ref)
		return KindRetro, say("retro.presents", "name", nameOf(names, ref.ID))
	case e.Type == retro.EventClosed:
		return KindRetro, say("retro.closed")
	}
	// An event type without words is said to be one, never shown by its
	// type: a person reads the timeline.
	return KindOther, say("other")
}

func faultKind(typ string) string {
	switch typ {
	case control.EventFaultRecovering, control.EventFaultRegressed, control.EventFaultResolved:
		return KindProbe
	}
	return KindFault
}

func faultPhrase(typ string, p control.FaultEvent) Phrase {
	if !faultTypes[typ] {
		return say("raw", "text", typ+" "+p.FaultID)
	}
	if ph, ok := recurPhrase(typ, p); ok {
		return ph
	}
	return say(typ, "fault", p.FaultID, "attempt", fmt.Sprint(p.Attempt), "why", p.Detail, "by", p.By, "error", trimLines(p.Error, 120))
}

func fieldsLine(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + trimLines(f[k], 60)
	}
	return strings.Join(parts, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// eventSurvey is the journal event of the after-drill survey link
// (ui/wire.EventSurvey; the record does not import the room's wire types).
const eventSurvey = "survey.link"

// scriptSays names a scenario's scripted messages, hints and alerts as the
// console shows them: by persona and channel, by title. The journal has
// their ids only.
type scriptSays struct {
	from  map[string][2]string // inject or hint id -> persona name, channel
	hints map[string][2]string
	alert map[string]string // alert id -> title
}

func scriptWords(sc *scenarios.Scenario) scriptSays {
	s := scriptSays{from: map[string][2]string{}, hints: map[string][2]string{}, alert: map[string]string{}}
	if sc == nil {
		return s
	}
	personas := map[string]string{}
	for _, p := range sc.Personas {
		personas[p.ID] = p.Name
	}
	for _, i := range sc.Injects {
		s.from[i.ID] = [2]string{personas[i.Persona], i.Channel}
	}
	for _, h := range sc.Hints {
		s.hints[h.ID] = [2]string{personas[h.Persona], h.Channel}
	}
	for _, a := range sc.Alerts {
		if a.Title != "" {
			s.alert[a.ID] = a.Title
		}
	}
	return s
}

// apply names what ph mentions by id as people know it. An id the scenario
// does not know is left out rather than shown.
func (s scriptSays) apply(ph *Phrase) {
	if ph.Args == nil {
		return
	}
	name := func(arg string, m map[string][2]string) {
		id, ok := ph.Args[arg]
		if !ok {
			return
		}
		delete(ph.Args, arg)
		if w, ok := m[id]; ok {
			if w[0] != "" {
				ph.Args["persona"] = w[0]
			}
			if w[1] != "" {
				ph.Args["channel"] = w[1]
			}
		}
	}
	switch ph.Key {
	case "inject.posted", "inject.followup":
		name("inject", s.from)
	case "hint.given", "hint.skipped":
		name("hint", s.hints)
	case "alert.firing", "alert.resolved", "alert.repeated", "alert.reminded":
		if t, ok := s.alert[ph.Args["alert"]]; ok {
			ph.Args["alert"] = "“" + t + "”"
		}
	}
}

// recurPhrase says a comeback of a fault (recurs) or that it stays fixed:
// because of its cause when the scenario names one, else in the engine's
// own words.
func recurPhrase(typ string, p control.FaultEvent) (Phrase, bool) {
	switch typ {
	case control.EventFaultRecurred:
		if p.Cause == "" || p.Recurrence == 0 {
			return say(typ, "fault", p.FaultID, "why", strings.TrimPrefix(p.Detail, "came back ")), true
		}
		return say(typ, "fault", p.FaultID, "cause", p.Cause, "n", fmt.Sprint(p.Recurrence), "times", fmt.Sprint(p.Times)), true
	case control.EventFaultStaysFixed:
		switch {
		case p.Times > 0:
			return say(typ, "fault", p.FaultID, "limit", fmt.Sprint(p.Times)), true
		case p.Cause != "":
			return say(typ, "fault", p.FaultID, "cause", p.Cause), true
		}
		return say(typ, "fault", p.FaultID, "why", p.Detail), true
	}
	return Phrase{}, false
}
