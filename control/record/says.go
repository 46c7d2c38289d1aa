package record

import (
	"html/template"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
)

// says words the record's codes in one language, for the printable record's
// template and the Markdown export: states, roles, kinds and notices.
type says struct{ l Lang }

// T says key.
func (s says) T(key string) string { return s.l.T(key) }

// F says key with its placeholders filled from kv.
func (s says) F(key string, kv ...any) string { return s.l.F(key, kv...) }

// Code says key with {cmd} as a command.
func (s says) Code(key, cmd string) template.HTML { return s.l.Code(key, cmd) }

// State says a drill state ("closed").
func (s says) State(st string) string { return s.l.word("state.", st) }

// Variant says a difficulty ("medium"); none is "".
func (s says) Variant(v string) string {
	if v == "" {
		return ""
	}
	return s.l.word("variant.", v)
}

// EndReason says why the drill ended.
func (s says) EndReason(r string) string { return s.l.word("end.", r) }

// Role says a person's role.
func (s says) Role(r control.Role) string { return s.l.role(string(r)) }

// Kind says a timeline entry's kind ("lifecycle" is "drill").
func (s says) Kind(k string) string { return s.l.word("kind.", k) }

// ActionKind says what a follow-up action changes.
func (s says) ActionKind(k retro.ActionKind) string { return s.l.word("actkind.", string(k)) }

// Tag says an observer note's tag.
func (s says) Tag(t string) string { return s.l.word("tag.", t) }

// YesNo says a yes or a no.
func (s says) YesNo(b bool) string {
	if b {
		return s.l.T("rec.yes")
	}
	return s.l.T("rec.no")
}

// Response says what a measured response answered.
func (s says) Response(rs Response) string { return s.l.response(rs) }

// Summary says a timeline entry.
func (s says) Summary(e TimelineEntry) string {
	if s.l == English {
		return e.Summary
	}
	if out := e.Phrase.Say(s.l); out != "" {
		return out
	}
	return e.Summary
}

// Actor says who acted: the engine and the unnamed facilitator in words,
// people by their names.
func (s says) Actor(r *Record, e TimelineEntry) string {
	if e.Seq < 1 || int(e.Seq) > len(r.Chain.Events) {
		return e.Actor
	}
	switch id := r.Chain.Events[e.Seq-1].Actor; {
	case id == control.ActorEngine && e.Actor == English.T("actor.engine"):
		return s.l.T("actor.engine")
	case id == "facilitator" && e.Actor == English.T("actor.facilitator"):
		return s.l.T("actor.facilitator")
	}
	return e.Actor
}

// NoticeTitle says a notice's form title: a built-in form's in the
// language, a designer's as written.
func (s says) NoticeTitle(n Notice) string {
	if s.l == English {
		if n.Title == "" {
			return n.Kind
		}
		return n.Title
	}
	return s.l.noticeTitle(n.Kind, n.Title)
}

// NoticeRows are a notice's filled fields, in the form's order.
func (s says) NoticeRows(n Notice) []NoticeRow {
	if len(n.Rows) > 0 {
		return n.Rows
	}
	_, rows := noticeRows(nil, n.Fields)
	return rows
}

// FieldLabel says a notice field's label.
func (s says) FieldLabel(kind string, r NoticeRow) string { return s.l.fieldLabel(kind, r) }

// Option says a notice field's value.
func (s says) Option(r NoticeRow) string { return s.l.option(r) }

// why is the drill's stated reason for ending: another language than
// English leaves out the engine's own English explanation of a time cap or
// of every fault resolved, which the end reason already says.
func (s says) why(r *Record) string {
	if s.l != English && (r.EndReason == "cap" || r.EndReason == "resolved") {
		return ""
	}
	return r.Why
}
