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
// reached". A reason it does not know is said with its dashes as spaces.
func EndReasonWords(reason string) string {
	return English.word("end.", reason)
}

// lifecycle and faultTypes are the drill and fault events that have words
// (words.json, under their event types).
var (
	lifecycle = map[string]bool{
		control.EventDrillCreated: true, control.EventDrillScheduled: true, control.EventDrillBriefing: true,
		control.EventDrillStarted: true, control.EventDrillPaused: true, control.EventDrillResumed: true,
		control.EventDrillEnded: true, control.EventDrillAborted: true, control.EventDrillRetro: true,
		control.EventDrillClosed: true, control.EventDrillRestarted: true,
	}
	faultTypes = map[string]bool{
		control.EventFaultFireRequested: true, control.EventFaultIntent: true, control.EventFaultPrepared: true,
		control.EventFaultInjected: true, control.EventFaultInjectFailed: true, control.EventFaultSkipped: true,
		control.EventFaultRecovering: true, control.EventFaultRegressed: true, control.EventFaultResolved: true,
		control.EventFaultRevertIntent: true, control.EventFaultReverted: true, control.EventFaultRevertFailed: true,
		control.EventFaultPartial: true, control.EventFaultConfirmed: true,
		control.EventFaultRecurred: true, control.EventFaultStaysFixed: true,
	}
	optional    = regexp.MustCompile(`\[([^\]]*)\]`)
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
)

// English says p in English, as the record's JSON keeps it.
func (p Phrase) English() string { return p.Say(English) }

// Say says p in l, with the words of words.json: codes (a role, a nudge,
// an end reason, a note's tag) in words, a built-in notice form's title,
// labels and statuses in l. A key without words says nothing ("").
func (p Phrase) Say(l Lang) string {
	args := map[string]string{}
	for k, v := range p.Args {
		args[k] = v
	}
	args["roleWords"] = l.role(p.Args["role"])
	args["nudgeWords"] = l.word("nudged.", p.Args["nudge"])
	args["byWords"] = l.word("by.", p.Args["by"])
	args["tagWords"] = l.word("tag.", p.Args["tag"])
	args["actionKindWords"] = l.word("actkind.", p.Args["actionKind"])
	args["scaleWords"] = l.scale(p.Args["scale"])
	if kind := p.Args["notice"]; kind != "" && l != English {
		// The English is the record's own (the form as the scenario wrote
		// it); another language says the built-in forms' words in it.
		args["title"] = l.noticeTitle(kind, p.Args["title"])
		if len(p.Rows) > 0 {
			parts := make([]string, len(p.Rows))
			for i, r := range p.Rows {
				parts[i] = l.fieldLabel(kind, r) + ": " + l.option(r)
			}
			args["fields"] = strings.Join(parts, "; ")
		}
	}
	switch p.Key {
	case control.EventFaultSkipped, "hint.given", "hint.skipped":
		args["why"] = l.engineWhy(args["why"])
	}
	if !has(p.Key) {
		return ""
	}
	tpl := l.T(p.Key)
	if lifecycle[p.Key] {
		tpl += "[ ({reasonWords})][: {why}]"
		if r := p.Args["reason"]; r != "" && !(p.Key == control.EventDrillAborted && r == "aborted") {
			args["reasonWords"] = l.word("end.", r)
		}
		if l != English && (p.Args["reason"] == "cap" || p.Args["reason"] == "resolved") {
			// The engine's own explanation is English and says the same
			// as the reason; only a person's reason is quoted.
			args["why"] = ""
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

// engineWhyKeys are the reasons the engine gives, in English, for skipping
// a fault or giving or skipping a hint.
var engineWhyKeys = []string{"why.stopped-fired", "why.stopped-injected", "why.faults-resolved", "why.skipped-by-facilitator", "why.given-early"}

// engineWhy says in l a reason the engine wrote in English (a person's own
// reason is kept as written). A fault's unmet firing condition names faults
// and checks by id in English; another language says only that the
// condition was not met.
func (l Lang) engineWhy(why string) string {
	if l == English || why == "" {
		return why
	}
	for _, k := range engineWhyKeys {
		if why == English.T(k) {
			return l.T(k)
		}
	}
	if rest, ok := strings.CutPrefix(why, English.T("why.skipped-by-facilitator")+": "); ok {
		return l.F("why.skipped-for", "why", rest)
	}
	if strings.HasPrefix(why, "it fires only if ") || strings.HasPrefix(why, "it fires unless ") ||
		strings.HasPrefix(why, "its predecessor ") || strings.Contains(why, " was not resolved before ") {
		return l.T("why.condition")
	}
	return why
}

// role says a response role (incident commander…) or a person's role
// (participant…) in l.
func (l Lang) role(code string) string {
	if has("claim." + code) {
		return l.T("claim." + code)
	}
	return l.word("role.", code)
}

// scale says a drill clock speed: real time, or a rehearsal ×N.
func (l Lang) scale(scale string) string {
	if scale == "" || scale == "1" {
		return l.T("scale.real")
	}
	return l.F("scale.rehearsal", "scale", scale)
}

// noticeTitle says a notice form's title in l when it is a built-in
// form's (or the name the record gives a form it lacks); a designer's own
// title is kept as written.
func (l Lang) noticeTitle(kind, title string) string {
	key := "nt." + kind
	if has(key) && (title == "" || title == English.T(key) || title == capitalize(kind)+" notice") {
		return l.T(key)
	}
	if title == "" {
		return kind
	}
	return title
}

// fieldLabel says a notice field's label in l when it is the built-in
// form's; a designer's own label is kept as written.
func (l Lang) fieldLabel(kind string, r NoticeRow) string {
	key := "nf." + kind + "." + r.ID
	if has(key) && English.T(key) == r.Label {
		return l.T(key)
	}
	return r.Label
}

// option says a notice field's value: a built-in status in words, anything
// else as written.
func (l Lang) option(r NoticeRow) string {
	if r.ID == "status" && has("status."+r.Value) {
		return l.T("status." + r.Value)
	}
	return r.Value
}

// ResponseWords says what a measured response answered, in English: a
// scripted message, a live persona question or a notice by its form's name.
// The channel and times are said beside it; ids are never shown.
func ResponseWords(rs Response) string { return English.response(rs) }

func (l Lang) response(rs Response) string {
	switch rs.Kind {
	case "inject", "question":
		return l.T("resp." + rs.Kind)
	case "notice":
		return l.word("nt.", rs.ID)
	}
	return strings.TrimSpace(rs.Kind + " " + rs.ID)
}
