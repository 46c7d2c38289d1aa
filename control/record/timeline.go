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
		kind, sum := Describe(e, names)
		if control.InNamespace(e.Type, control.NamespaceFault) {
			// Faults are named by their titles, as the console shows them.
			var p control.FaultEvent
			if json.Unmarshal(e.Payload, &p) == nil && titles[p.FaultID] != "" {
				sum = strings.Replace(sum, "Fault "+p.FaultID, "Fault “"+titles[p.FaultID]+"”", 1)
			}
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
				sum = fmt.Sprintf("%s by %s — %s", title, nameOf(names, p.AuthorID), strings.Join(parts, "; "))
			}
		case retro.EventActionProposed:
			var a retro.Action
			if json.Unmarshal(e.Payload, &a) == nil {
				actions[retro.ActionID(e.Seq)] = a.Title
			}
		case retro.EventActionDecided:
			var dec retro.Decision
			if json.Unmarshal(e.Payload, &dec) == nil && actions[dec.ID] != "" {
				verb := "rejected"
				if dec.Accepted {
					verb = "accepted"
				}
				sum = fmt.Sprintf("Action “%s” %s", trimLines(actions[dec.ID], 120), verb)
			}
		}
		if sum == "" {
			continue
		}
		out = append(out, TimelineEntry{Seq: e.Seq, AtMs: e.DrillTime.Milliseconds(), Kind: kind, Type: e.Type, Actor: nameOf(names, e.Actor), Summary: sum})
	}
	return out
}

// Describe returns the timeline kind of e (one of the Kind constants) and a
// one-line summary of it for people. names maps actor and person ids to
// display names; ids it lacks are shown as they are, and it may be nil. An
// event type Describe does not know is KindOther, summarized by its type.
func Describe(e control.Event, names map[string]string) (kind, summary string) {
	switch {
	case control.InNamespace(e.Type, control.NamespaceFault):
		var p control.FaultEvent
		_ = json.Unmarshal(e.Payload, &p)
		return faultKind(e.Type), faultSummary(e.Type, p)
	case control.InNamespace(e.Type, control.NamespaceDrill):
		var p control.StateChange
		_ = json.Unmarshal(e.Payload, &p)
		s := map[string]string{
			control.EventDrillCreated: "Drill created", control.EventDrillScheduled: "Drill scheduled", control.EventDrillBriefing: "Briefing",
			control.EventDrillStarted: "Drill started", control.EventDrillPaused: "Drill paused", control.EventDrillResumed: "Drill resumed",
			control.EventDrillEnded: "Drill ended", control.EventDrillAborted: "Drill aborted", control.EventDrillRetro: "Retrospective opened",
			control.EventDrillClosed: "Drill closed", control.EventDrillRestarted: "Controller restarted",
		}[e.Type]
		if s == "" {
			s = e.Type
		}
		if p.Reason != "" {
			s += " (" + p.Reason + ")"
		}
		if p.Why != "" {
			s += ": " + trimLines(p.Why, 120)
		}
		return KindLifecycle, s
	case e.Type == control.EventPersonAdded:
		var p control.Person
		_ = json.Unmarshal(e.Payload, &p)
		return KindLifecycle, fmt.Sprintf("%s joined as %s", p.Name, p.Role)
	case e.Type == control.EventInjectPosted:
		var p control.InjectEvent
		_ = json.Unmarshal(e.Payload, &p)
		if p.FollowUp {
			return KindInject, "Follow-up of inject " + p.InjectID
		}
		return KindInject, "Inject " + p.InjectID
	case e.Type == control.EventHintGiven:
		var p control.HintEvent
		_ = json.Unmarshal(e.Payload, &p)
		return KindHint, "Hint " + p.HintID + " given" + reason(p.Reason)
	case e.Type == control.EventHintSkipped:
		var p control.HintEvent
		_ = json.Unmarshal(e.Payload, &p)
		return KindHint, "Hint " + p.HintID + " skipped" + reason(p.Reason)
	case e.Type == control.EventAlertFiring || e.Type == control.EventAlertResolved:
		var p control.AlertEvent
		_ = json.Unmarshal(e.Payload, &p)
		if e.Type == control.EventAlertFiring {
			return KindAlert, "Alert " + p.AlertID + " firing"
		}
		return KindAlert, "Alert " + p.AlertID + " resolved"
	case e.Type == control.EventChatMessage:
		var m control.Message
		_ = json.Unmarshal(e.Payload, &m)
		return KindChat, fmt.Sprintf("#%s %s: %s", m.Channel, m.AuthorName, trimLines(m.Text, 140))
	case e.Type == control.EventNoticePosted:
		var p control.NoticePosted
		_ = json.Unmarshal(e.Payload, &p)
		return KindNotice, fmt.Sprintf("%s notice by %s: %s", capitalize(string(p.Kind)), nameOf(names, p.AuthorID), fieldsLine(p.Fields))
	case e.Type == control.EventObserverNote:
		var p struct{ Tag, Text string }
		_ = json.Unmarshal(e.Payload, &p)
		return KindNote, fmt.Sprintf("Observer note (%s): %s", p.Tag, trimLines(p.Text, 140))
	case e.Type == control.EventRoleClaim:
		var p struct {
			PersonID, Role, TakeOverFrom string
			Release                      bool
		}
		_ = json.Unmarshal(e.Payload, &p)
		switch {
		case p.TakeOverFrom != "":
			return KindRole, fmt.Sprintf("%s took over %s from %s", nameOf(names, p.PersonID), words(roleWords, p.Role), nameOf(names, p.TakeOverFrom))
		case p.Release:
			return KindRole, fmt.Sprintf("%s released %s", nameOf(names, p.PersonID), words(roleWords, p.Role))
		}
		return KindRole, fmt.Sprintf("%s claimed %s", nameOf(names, p.PersonID), words(roleWords, p.Role))
	case e.Type == control.EventNudge:
		var p struct{ Kind string }
		_ = json.Unmarshal(e.Payload, &p)
		return KindNudge, "Drill bot reminded the team: " + words(nudgeWords, p.Kind)
	case e.Type == retro.EventSubmitted:
		return KindRetro, "Retro answers submitted"
	case e.Type == retro.EventQuestion:
		var q retro.Question
		_ = json.Unmarshal(e.Payload, &q)
		return KindRetro, "Question: " + trimLines(q.Text, 140)
	case e.Type == retro.EventQuestionAnswered:
		return KindRetro, "Question answered"
	case e.Type == retro.EventActionProposed:
		var a retro.Action
		_ = json.Unmarshal(e.Payload, &a)
		return KindRetro, fmt.Sprintf("Action proposed (%s): %s", a.Kind, trimLines(a.Title, 120))
	case e.Type == retro.EventActionDecided:
		var dec retro.Decision
		_ = json.Unmarshal(e.Payload, &dec)
		if dec.Accepted {
			return KindRetro, "Action " + dec.ID + " accepted"
		}
		return KindRetro, "Action " + dec.ID + " rejected"
	case e.Type == retro.EventPresenting:
		var ref retro.Ref
		_ = json.Unmarshal(e.Payload, &ref)
		return KindRetro, nameOf(names, ref.ID) + " presents"
	case e.Type == retro.EventClosed:
		return KindRetro, "Retrospective closed"
	}
	return KindOther, e.Type
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func faultKind(typ string) string {
	switch typ {
	case control.EventFaultRecovering, control.EventFaultRegressed, control.EventFaultResolved:
		return KindProbe
	}
	return KindFault
}

func faultSummary(typ string, p control.FaultEvent) string {
	id := p.FaultID
	switch typ {
	case control.EventFaultFireRequested:
		return "Fault " + id + ": fire requested"
	case control.EventFaultIntent:
		return fmt.Sprintf("Fault %s: injecting (attempt %d)", id, p.Attempt)
	case control.EventFaultPrepared:
		return "Fault " + id + ": revert record saved"
	case control.EventFaultInjected:
		return "Fault " + id + " injected"
	case control.EventFaultInjectFailed:
		return "Fault " + id + ": inject failed: " + trimLines(p.Error, 120)
	case control.EventFaultSkipped:
		return "Fault " + id + " skipped" + reason(p.Detail)
	case control.EventFaultRecovering:
		return "Fault " + id + ": probes hold (recovering)" + reason(p.Detail)
	case control.EventFaultRegressed:
		return "Fault " + id + ": regressed" + reason(p.Detail)
	case control.EventFaultResolved:
		return "Fault " + id + " resolved" + reason(p.By)
	case control.EventFaultRevertIntent:
		return "Fault " + id + ": reverting"
	case control.EventFaultReverted:
		return "Fault " + id + " reverted"
	case control.EventFaultRevertFailed:
		return "Fault " + id + ": revert failed: " + trimLines(p.Error, 120)
	case control.EventFaultPartial:
		return "Fault " + id + ": inject failed half way; the record of what it changed is saved: " + trimLines(p.Error, 120)
	}
	return typ + " " + id
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
