package scenarios

import (
	"regexp"
	"slices"
	"strings"
)

func (v *validator) inject(i int) {
	in := v.s.Injects[i]
	path := index("injects", i)
	switch {
	case in.At != nil && in.On != nil:
		v.errf(path+".on", "both at and on are set, expected one trigger: a time (at) or an event (on)")
	case in.At == nil && in.On == nil:
		_, hasAt := v.d.pos[path+".at"]
		_, hasOn := v.d.pos[path+".on"]
		if _, ok := v.d.pos[path]; ok && !hasAt && !hasOn {
			v.errf(path, "no trigger, expected at (a drill time) or on (an event)")
		}
	}
	if in.At != nil {
		v.beforeCap(path+".at", *in.At, "inject time")
	}
	withFault := false
	if in.On != nil {
		withFault = v.trigger(path+".on", *in.On)
		if in.On.Event == OnInjectPosted && in.On.Inject == in.ID && in.ID != "" {
			v.errf(path+".on.inject", "inject %s waits for itself, expected another inject", in.ID)
		}
	}
	v.persona(path+".persona", in.Persona)
	if in.Persona == "" && in.Channel != BackroomChannel {
		if _, ok := v.d.pos[path]; ok || v.d.noPositions {
			v.errf(path, "missing required field \"persona\": only a back-room note (channel: backroom) is from nobody in the story")
		}
	}
	v.channel(path+".channel", in.Channel, true)
	v.template(path+".text", in.Text, withFault)
	if in.FollowUp != nil && len(in.Escalation) > 0 {
		v.errf(path+".escalation", "both followUp and escalation are set, expected one: followUp is an escalation of one step")
	}
	if fu := in.FollowUp; fu != nil {
		v.followUp(path+".followUp", *fu, withFault)
	}
	for j, step := range in.Escalation {
		v.followUp(index(path+".escalation", j), step, withFault)
	}
	if in.To != nil {
		v.recipient(path, in)
	}
	if in.AnsweredWhen != nil {
		if in.FollowUp == nil && len(in.Escalation) == 0 {
			v.errf(path+".answeredWhen", "answeredWhen stops follow-ups, and this inject has none, expected followUp or escalation next to it")
		}
		v.textMatch(path+".answeredWhen", in.AnsweredWhen)
	}
}

func (v *validator) followUp(path string, fu FollowUp, withFault bool) {
	if fu.After <= 0 {
		if _, ok := v.d.pos[path+".after"]; ok {
			v.errf(path+".after", "follow-up after 0m, expected a positive wait such as 5m")
		}
	}
	v.persona(path+".persona", fu.Persona)
	v.template(path+".text", fu.Text, withFault)
}

// textMatch checks the words and the regular expression of a match.
func (v *validator) textMatch(path string, m *TextMatch) {
	if len(m.Words) == 0 && m.Regex == "" {
		v.errf(path, "empty match, expected words (any of them, without case) or regex, e.g. words: [restart, 재시작]")
	}
	for j, w := range m.Words {
		if strings.TrimSpace(w) == "" {
			v.errf(index(path+".words", j), "empty word, expected a word participants would write")
		}
	}
	if m.Regex != "" {
		if _, err := regexp.Compile(m.Regex); err != nil {
			msg := err.Error()
			if k := strings.Index(msg, ": "); k >= 0 && strings.HasPrefix(msg, "error parsing regexp") {
				msg = msg[k+2:]
			}
			v.errf(path+".regex", "invalid regular expression: %s, expected Go syntax such as (?i)restart(ed)?", msg)
		}
	}
}

// triggerNeeds lists, per event, the trigger fields it requires (true) or
// allows (false).
var triggerNeeds = map[EventKind]map[string]bool{
	OnDrillStarted:   {},
	OnFaultInjected:  {"fault": false},
	OnFaultResolved:  {"fault": false},
	OnFaultRecurred:  {"fault": true},
	OnNoticePosted:   {"notice": true, "field": false, "value": false},
	OnNoticeMissing:  {"notice": true, "by": true},
	OnHintGiven:      {"hint": false},
	OnAlertFiring:    {"alert": true},
	OnAlertResolved:  {"alert": true},
	OnInjectPosted:   {"inject": true},
	OnChatMatched:    {"match": true, "channel": false},
	OnClusterChanged: {"check": true},
}

var triggerFields = []string{"fault", "notice", "alert", "hint", "by", "inject", "channel", "match", "field", "value", "check"}

func eventNames() string {
	return "drill.started, fault.injected, fault.resolved, fault.recurred, notice.posted, notice.missing, hint.given, alert.firing, alert.resolved, inject.posted, chat.matched, cluster.changed"
}

// trigger checks an event trigger and returns whether it is a fault event.
func (v *validator) trigger(path string, t EventTrigger) bool {
	if t.Event == "" {
		return false
	}
	need, ok := triggerNeeds[t.Event]
	if !ok {
		v.errf(path+".event", "unknown event %q, expected one of: %s", t.Event, eventNames())
		return false
	}
	set := map[string]bool{"fault": t.Fault != "", "notice": t.Notice != "", "alert": t.Alert != "", "hint": t.Hint != "", "by": t.By != nil,
		"inject": t.Inject != "", "channel": t.Channel != "", "match": t.Match != nil, "field": t.Field != "", "value": t.Value != "", "check": t.Check != nil}
	for _, k := range triggerFields {
		required, allowed := need[k]
		switch {
		case set[k] && !allowed:
			v.errf(path+"."+k, "%s does not apply to event %s", k, t.Event)
		case !set[k] && required:
			v.errf(path, "event %s needs %s, expected e.g. %s", t.Event, k, exampleFor(k))
		}
	}
	_, faultOK := need["fault"]
	if t.Fault != "" && faultOK && v.faultRef(path+".fault", t.Fault) && t.Event == OnFaultRecurred {
		v.comesBack(path+".fault", t.Fault)
	}
	if t.Notice != "" && set["notice"] {
		switch t.Notice {
		case NoticeIncident, NoticeStatus, NoticeResolution:
			v.noticeField(path, t)
		default:
			v.errf(path+".notice", "unknown notice %q, expected incident, status-update or resolution", t.Notice)
		}
	}
	if t.Alert != "" && !v.alerts[t.Alert] {
		v.errf(path+".alert", "unknown alert %q, expected one of: %s", t.Alert, listOr(sortedKeys(v.alerts)))
	}
	if t.Hint != "" && !v.hints[t.Hint] {
		v.errf(path+".hint", "unknown hint %q, expected one of: %s", t.Hint, listOr(sortedKeys(v.hints)))
	}
	if t.Inject != "" {
		if _, ok := v.injects[t.Inject]; !ok {
			v.errf(path+".inject", "unknown inject %q, expected one of: %s", t.Inject, listOr(sortedKeys(v.injects)))
		}
	}
	if t.Channel != "" && t.Event == OnChatMatched {
		v.channel(path+".channel", t.Channel, false)
	}
	if t.Match != nil && t.Event == OnChatMatched {
		v.textMatch(path+".match", t.Match)
	}
	if t.Check != nil && t.Event == OnClusterChanged {
		v.probe(path+".check", *t.Check)
	}
	if t.By != nil && set["by"] {
		v.beforeCap(path+".by", *t.By, "deadline")
	}
	if t.Delay.D() >= v.limit.D() {
		v.errf(path+".delay", "delay %s is not shorter than the time limit %s", mins(t.Delay), mins(v.limit))
	}
	return faultOK && t.Fault != ""
}

// noticeField checks that a notice.posted trigger's field is a field of that
// notice's form, and that it comes with the value to wait for.
func (v *validator) noticeField(path string, t EventTrigger) {
	if t.Value != "" && t.Field == "" {
		v.errf(path+".value", "value without field, expected the id of the notice field it is compared with, e.g. field: grade")
	}
	if t.Field == "" {
		return
	}
	if t.Value == "" {
		v.errf(path+".field", "field without value, expected the value to wait for, e.g. value: SEV1")
	}
	tmpl := v.s.NoticeTemplate(t.Notice)
	var ids []string
	for _, f := range tmpl.Fields {
		if f.ID == t.Field {
			v.noticeValue(path+".value", t, f)
			return
		}
		ids = append(ids, f.ID)
	}
	v.errf(path+".field", "the %s notice has no field %q, expected one of: %s", t.Notice, t.Field, listOr(ids))
}

// noticeValue checks that a notice.posted trigger waits for a value the
// field can take: a select's options (compared without case, as the drill
// does) or a scale's 1 to 5. Any other value would never come.
func (v *validator) noticeValue(path string, t EventTrigger, f NoticeField) {
	switch {
	case t.Value == "":
	case f.Type == FieldSelect && len(f.Options) > 0:
		if !slices.ContainsFunc(f.Options, func(o string) bool { return strings.EqualFold(o, t.Value) }) {
			v.errf(path, "%q is not an option of the %s notice's %s field, so this never fires; expected one of: %s", t.Value, t.Notice, f.ID, listOr(slices.Clone(f.Options)))
		}
	case f.Type == FieldScale:
		if f.Check(t.Value) != "" {
			v.errf(path, "%q is not a value of the %s notice's %s field, so this never fires; expected a whole number from 1 to 5", t.Value, t.Notice, f.ID)
		}
	}
}

func exampleFor(k string) string {
	switch k {
	case "by":
		return "by: 15m (fire when the notice was not posted by then)"
	case "notice":
		return "notice: incident"
	case "alert":
		return "alert: payment-errors"
	case "inject":
		return "inject: cs-first-call (the message this one answers)"
	case "match":
		return "match: {words: [restart, 재시작]}"
	case "check":
		return "check: {probe: kubernetes/deployment-state, target: {namespace: shop, kind: Deployment, name: db}}"
	}
	return k
}

// injectChains reports injects that wait on each other in a circle
// (inject.posted), which would never be posted.
func (v *validator) injectChains() {
	for i, in := range v.s.Injects {
		seen := map[int]bool{i: true}
		cur := in
		for cur.On != nil && cur.On.Event == OnInjectPosted {
			j, ok := v.injects[cur.On.Inject]
			if !ok || j == i && cur.On.Inject == in.ID && len(seen) == 1 {
				break // unknown, or waits for itself: reported already
			}
			if seen[j] {
				if j == i {
					v.errf(index("injects", i)+".on.inject", "inject %s waits for itself through other injects (inject.posted in a circle), so none of them is ever posted", in.ID)
				}
				break
			}
			seen[j] = true
			cur = v.s.Injects[j]
		}
	}
}

// maxSlot bounds a recipient slot: more than 12 participants is two drills.
const maxSlot = 12

// recipient checks a private briefing's addressee.
func (v *validator) recipient(path string, in Inject) {
	to := in.To
	switch {
	case to.Slot != 0 && to.Claim != "":
		v.errf(path+".to", "both slot and claim are set, expected one: slot (the n-th participant to join) or claim (whoever holds a response role)")
	case to.Slot == 0 && to.Claim == "":
		if _, typed := v.d.pos[path+".to.slot"]; typed {
			break // a slot that is not a number: reported already
		}
		v.errf(path+".to", "no recipient, expected slot: 1 (the first participant to join) or claim: %s", ClaimRecovery)
	case to.Slot < 0 || to.Slot > maxSlot:
		v.errf(path+".to.slot", "slot %d, expected 1 to %d (the n-th participant to join the drill)", to.Slot, maxSlot)
	case to.Claim != "" && !slices.Contains(ResponseRoles, to.Claim):
		v.errf(path+".to.claim", "unknown response role %q, expected one of: %s", to.Claim, strings.Join(ResponseRoles, ", "))
	}
	if in.Channel == BackroomChannel {
		v.errf(path+".channel", "a private briefing goes to a participant, who never sees the back room, expected a drill channel: %s", listOr(sortedKeys(v.channels)))
	}
}
