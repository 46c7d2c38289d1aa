package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// This file checks hints, notice forms and retro questions.

func (v *validator) hintStages() {
	s := v.s
	for i, h := range s.Hints {
		path := index("hints", i)
		prev := v.previousStage(i)
		if h.At >= v.limit {
			v.errf(path+".at", "hint at %s is after the cap %s, expected before %s (hints start at %s by default)", mins(h.At), mins(v.limit), mins(v.limit), mins(Duration(DefaultHintStart)))
		} else if h.At <= prev {
			v.errf(path+".at", "hint at %s is not after the previous stage at %s, expected stages in time order", mins(h.At), mins(prev))
		} else if h.At < Duration(DefaultHintStart) && v.limit > Duration(DefaultHintStart) {
			v.warnf(path+".at", "hint at %s comes before %s, when the practice starts giving hints to a team that is stuck; expected %s or later (a message meant for earlier is an inject)", mins(h.At), mins(Duration(DefaultHintStart)), mins(Duration(DefaultHintStart)))
		}
		v.persona(path+".persona", h.Persona)
		v.channel(path+".channel", h.Channel, false)
		for j, f := range h.Faults {
			v.faultRef(index(path+".faults", j), f)
		}
		v.template(path+".text", h.Text, false)
	}
}

func (v *validator) noticeTemplates() {
	n := v.s.Notices
	seen := map[string]bool{}
	for i, g := range n.Grades {
		p := index("notices.grades", i)
		if strings.TrimSpace(g) == "" {
			v.errf(p, "empty grade")
		} else if seen[g] {
			v.errf(p, "duplicate grade %q", g)
		}
		seen[g] = true
	}
	for _, t := range []struct {
		key string
		t   *NoticeTemplate
	}{{"incident", n.Incident}, {"statusUpdate", n.StatusUpdate}, {"resolution", n.Resolution}} {
		if t.t == nil {
			continue
		}
		path := "notices." + t.key
		v.channel(path+".channel", t.t.Channel, false)
		if _, ok := v.d.pos[path+".fields"]; ok && len(t.t.Fields) == 0 {
			v.errf(path+".fields", "no fields, expected at least one")
		}
		ids := map[string]bool{}
		for i, f := range t.t.Fields {
			fp := index(path+".fields", i)
			v.fieldType(fp, f.ID, f.Type, f.Options, ids, FieldText, FieldTextarea, FieldTime, FieldDuration, FieldSelect, FieldScale)
		}
	}
}

func (v *validator) fieldType(path, id string, t FieldType, options []string, ids map[string]bool, allowed ...FieldType) {
	if id != "" && !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`).MatchString(id) {
		v.errf(path+".id", "invalid field id %q, expected letters, digits, - or _, starting with a letter", id)
	}
	if ids[id] && id != "" {
		v.errf(path+".id", "duplicate field id %q", id)
	}
	ids[id] = true
	if !slices.Contains(allowed, t) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		v.errf(path+".type", "unknown type %q, expected one of: %s", t, strings.Join(names, ", "))
		return
	}
	if t == FieldSelect && len(options) == 0 {
		v.errf(path+".options", "a select field needs options, expected a list of choices")
	}
	if t != FieldSelect && len(options) > 0 {
		v.errf(path+".options", "options only apply to type select")
	}
}

func (v *validator) retro() {
	ids := map[string]bool{}
	for i, q := range v.s.Retro.Questions {
		path := index("retro.questions", i)
		v.fieldType(path, q.ID, q.Type, nil, ids, FieldText, FieldTextarea, FieldScale)
		if q.ID == "before" || q.ID == "after" {
			v.errf(path+".id", "%q is the built-in self-rating question, which is always asked; choose another id", q.ID)
		}
	}
}

// mins formats d for messages the way designers write it: "95m", "90s",
// "1m30s", never "1h35m".
func mins(d Duration) string {
	t := d.D()
	if t%time.Minute == 0 {
		return fmt.Sprintf("%dm", t/time.Minute)
	}
	if t < time.Minute {
		return d.String()
	}
	return fmt.Sprintf("%dm%s", t/time.Minute, Duration(t%time.Minute).String())
}
