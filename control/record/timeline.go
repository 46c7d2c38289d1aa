package record

import (
	"encoding/json"
	"fmt"
	"sort"
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

// roleWords and nudgeWords say the room's response roles and nudges in words.
var (
	roleWords = map[string]string{"incident-commander": "incident commander", "recovery": "recovery",
		"propagation": "propagation", "customer-liaison": "customer-center liaison"}
	nudgeWords = map[string]string{
		"no-commander":             "nobody had claimed incident commander",
		"no-propagation":           "nobody had claimed propagation",
		"status-overdue":           "a status update was overdue",
		"no-incident-notice":       "no incident notice had been posted",
		"recovery-and-propagation": "one person held both recovery and propagation while others were free",
	}
)

func words(m map[string]string, k string) string {
	if w, ok := m[k]; ok {
		return w
	}
	return strings.ReplaceAll(k, "-", " ")
}

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
	for _, e := range events {
		if e.Type == retro.EventDraft {
			continue
		}
		kind, ph := describe(e, names)
		if control.InNamespace(e.Type, control.NamespaceFault) && ph.Args != nil && titles[ph.Args["fault"]] != "" {
			// Faults are named by their titles, as the console shows them.
			ph.Args["fault"] = "“" + titles[ph.Args["fault"]] + "”"
		}
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
				ph.Args["title"] = "“" + trimLines(actions[dec.ID], 120) + "”"
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
	kind, ph := describe(e, names)
	return kind, ph.English()
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
		if _, ok := lifecycleWords[e.Type]; !ok {
			return KindLifecycle, say("raw", "text", e.Type)
		}
		return KindLifecycle, say(e.Type, "reason", p.Reason, "why", trimLines(p.Why, 120))
	case e.Type == control.EventPersonAdded:
		var p control.Person
		_ = json.Unmarshal(e.Payload, &p)
		return KindLifecycle, say("person.added", "name", p.Name, "role", string(p.Role))
	case e.Type == control.EventInjectPosted:
		var p control.InjectEvent
		_ = json.Unmarshal(e.Payload, &p)
		if p.FollowUp {
			return KindInject, say("inject.followup", "inject", p.InjectID)
		}
		return KindInject, say("inject.posted", "inject", p.InjectID)
	case e.Type == control.EventHintGiven || e.Type == control.EventHintSkipped:
		var p control.HintEvent
		_ = json.Unmarshal(e.Payload, &p)
		if e.Type == control.EventHintGiven {
			return KindHint, say("hint.given", "hint", p.HintID, "why", p.Reason)
		}
		return KindHint, say("hint.skipped", "hint", p.HintID, "why", p.Reason)
	case e.Type == control.EventAlertFiring || e.Type == control.EventAlertResolved:
		var p control.AlertEvent
		_ = json.Unmarshal(e.Payload, &p)
		if e.Type == control.EventAlertFiring {
			return KindAlert, say("alert.firing", "alert", p.AlertID)
		}
		return KindAlert, say("alert.resolved", "alert", p.AlertID)
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
		if dec.Accepted {
			return KindRetro, say("action.accepted", "title", dec.ID)
		}
		return KindRetro, say("action.rejected", "title", dec.ID)
	case e.Type == retro.EventPresenting:
		var ref retro.Ref
		_ = json.Unmarshal(e.Payload, &ref)
		return KindRetro, say("retro.presents", "name", nameOf(names, ref.ID))
	case e.Type == retro.EventClosed:
		return KindRetro, say("retro.closed")
	}
	return KindOther, say("raw", "text", e.Type)
}

func faultKind(typ string) string {
	switch typ {
	case control.EventFaultRecovering, control.EventFaultRegressed, control.EventFaultResolved:
		return KindProbe
	}
	return KindFault
}

func faultPhrase(typ string, p control.FaultEvent) Phrase {
	if _, ok := faultWords[typ]; !ok {
		return say("raw", "text", typ+" "+p.FaultID)
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
