package record

import (
	"regexp"
	"strings"

	"github.com/firedrill/firedrill/control"
)

// Phrase is what a timeline entry says, as a key and its arguments, so that
// a browser words it in the reader's language. Key names a template (the
// event type for drill and fault events); Args holds the names, titles and
// codes it is filled with. Codes (a role, a nudge, an end reason) are worded
// by the template's reader, never shown as they are.
type Phrase struct {
	Key  string            `json:"say"`
	Args map[string]string `json:"args,omitempty"`
	// Rows are a notice's filled fields, in the form's order, so that a
	// reader can say the built-in forms' labels in its own language.
	Rows []NoticeRow `json:"rows,omitempty"`
}

func say(key string, kv ...string) Phrase {
	p := Phrase{Key: key}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if p.Args == nil {
			p.Args = map[string]string{}
		}
		p.Args[kv[i]] = kv[i+1]
	}
	return p
}

// EndReasonWords says why a drill ended, in English: "cap" is "time cap
// reached". A reason it does not know is returned as it is.
func EndReasonWords(reason string) string {
	return words(endReasonWords, reason)
}

var (
	endReasonWords = map[string]string{"cap": "time cap reached", "resolved": "every fault resolved",
		"facilitator": "ended by the facilitator", "aborted": "aborted", "scheduled": "on schedule"}
	lifecycleWords = map[string]string{
		control.EventDrillCreated: "Drill created", control.EventDrillScheduled: "Drill scheduled", control.EventDrillBriefing: "Briefing",
		control.EventDrillStarted: "Drill started", control.EventDrillPaused: "Drill paused", control.EventDrillResumed: "Drill resumed",
		control.EventDrillEnded: "Drill ended", control.EventDrillAborted: "Drill aborted", control.EventDrillRetro: "Retrospective opened",
		control.EventDrillClosed: "Drill closed", control.EventDrillRestarted: "Controller restarted",
	}
	faultWords = map[string]string{
		control.EventFaultFireRequested: "Fault {fault}: fire requested",
		control.EventFaultIntent:        "Fault {fault}: injecting (attempt {attempt})",
		control.EventFaultPrepared:      "Fault {fault}: revert record saved",
		control.EventFaultInjected:      "Fault {fault} injected",
		control.EventFaultInjectFailed:  "Fault {fault}: inject failed: {error}",
		control.EventFaultSkipped:       "Fault {fault} skipped[ ({why})]",
		control.EventFaultRecovering:    "Fault {fault}: probes hold (recovering)[ ({why})]",
		control.EventFaultRegressed:     "Fault {fault}: regressed[ ({why})]",
		control.EventFaultResolved:      "Fault {fault} resolved[ ({byWords})]",
		control.EventFaultRevertIntent:  "Fault {fault}: reverting",
		control.EventFaultReverted:      "Fault {fault} reverted",
		control.EventFaultRevertFailed:  "Fault {fault}: revert failed: {error}",
		control.EventFaultPartial:       "Fault {fault}: inject failed half way; the record of what it changed is saved: {error}",
	}
	phraseWords = map[string]string{
		"raw":              "{text}",
		"other":            "Another event",
		"drill.clock":      "Drill clock set to {scaleWords}",
		"person.added":     "{name} joined as {roleWords}",
		"person.removed":   "{name} was removed from the drill[: {why}]",
		"survey.link":      "After-drill survey link shared",
		"inject.posted":    "Scripted message[ from {persona}][ in #{channel}]",
		"inject.followup":  "Scripted follow-up[ from {persona}][ in #{channel}]",
		"inject.triggered": "Scripted message {inject} triggered[: {why}]",
		"hint.given":       "Hint[ from {persona}][ in #{channel}] given[ ({why})]",
		"hint.skipped":     "Hint[ from {persona}][ in #{channel}] skipped[ ({why})]",
		"alert.firing":     "Alert {alert} firing",
		"alert.resolved":   "Alert {alert} resolved",
		"chat":             "#{channel} {name}: {text}",
		"notice.posted":    "{title} by {name}: {fields}",
		"notice.form":      "{title} by {name} — {fields}",
		"note":             "Observer note ({tag}): {text}",
		"role.claimed":     "{name} claimed {roleWords}",
		"role.released":    "{name} released {roleWords}",
		"role.tookover":    "{name} took over {roleWords} from {from}",
		"nudge":            "Drill bot reminded the team: {nudgeWords}",
		"retro.submitted":  "Retro answers submitted",
		"retro.question":   "Question: {text}",
		"retro.answered":   "Question answered",
		"action.proposed":  "Action proposed ({actionKind}): {title}",
		"action.accepted":  "Action[ {title}] accepted",
		"action.rejected":  "Action[ {title}] rejected",
		"retro.presents":   "{name} presents",
		"retro.closed":     "Retrospective closed",
	}
	optional    = regexp.MustCompile(`\[([^\]]*)\]`)
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
)

// English says p in English, as the record's exports show it.
func (p Phrase) English() string {
	args := map[string]string{}
	for k, v := range p.Args {
		args[k] = v
	}
	args["roleWords"] = words(roleWords, p.Args["role"])
	args["nudgeWords"] = words(nudgeWords, p.Args["nudge"])
	args["byWords"] = words(map[string]string{"probe": "by its checks", "manual": "marked by hand"}, p.Args["by"])
	args["scaleWords"] = scaleWords(p.Args["scale"])
	tpl, ok := phraseWords[p.Key]
	if !ok {
		tpl = faultWords[p.Key]
	}
	if s, ok := lifecycleWords[p.Key]; ok {
		tpl = s + "[ ({reasonWords})][: {why}]"
		if r := p.Args["reason"]; r != "" && !(p.Key == control.EventDrillAborted && r == "aborted") {
			args["reasonWords"] = EndReasonWords(r)
		}
	}
	return fill(tpl, args)
}

// fill fills {name} placeholders from args; a [bracketed] part is left out
// when a placeholder in it is empty.
func fill(tpl string, args map[string]string) string {
	tpl = optional.ReplaceAllStringFunc(tpl, func(part string) string {
		for _, m := range placeholder.FindAllStringSubmatch(part, -1) {
			if args[m[1]] == "" {
				return ""
			}
		}
		return part[1 : len(part)-1]
	})
	return placeholder.ReplaceAllStringFunc(tpl, func(m string) string { return args[strings.Trim(m, "{}")] })
}

// scaleWords says a drill clock speed: real time, or a rehearsal ×N.
func scaleWords(scale string) string {
	if scale == "" || scale == "1" {
		return "real time"
	}
	return "rehearsal, ×" + scale
}

// ResponseWords says what a measured response answered, in English: a
// scripted message, a live persona question or a notice by its form's name.
// The channel and times are said beside it; ids are never shown.
func ResponseWords(rs Response) string {
	switch rs.Kind {
	case "inject":
		return "Scripted message"
	case "question":
		return "Live persona question"
	case "notice":
		return words(map[string]string{"incident": "Incident notice", "status-update": "Status update", "resolution": "Resolution notice"}, rs.ID)
	}
	return strings.TrimSpace(rs.Kind + " " + rs.ID)
}
