package scenarios

import (
	"fmt"
	"maps"
	"slices"
)

// Difficulties returns the difficulty levels the scenario's faults are
// prepared at, hardest first; nil when no fault has variants.
func (s *Scenario) Difficulties() []Difficulty {
	var out []Difficulty
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		for _, f := range s.Faults {
			if _, ok := f.Variants[d]; ok {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// PlayableDifficulties returns every difficulty a drill of s can be created
// at, hardest first: the levels its variants define and the scenario's
// default difficulty, which may have no variant of its own and then runs
// the faults' base settings. "" stands for those base settings when the
// scenario names no default difficulty (a drill created without one runs
// them). Never empty; checks that must cover every drill iterate over it.
func (s *Scenario) PlayableDifficulties() []Difficulty {
	diffs := s.Difficulties()
	var out []Difficulty
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		if d == s.Difficulty || slices.Contains(diffs, d) {
			out = append(out, d)
		}
	}
	if s.Difficulty == "" {
		out = append(out, "")
	}
	return out
}

// ForDifficulty returns a deep copy of s with each fault's variant for d
// applied: title, description, impact and target overridden, params merged
// key by key over the fault's params (or, when the variant names another
// injector, the injector and params replaced), the trigger (at or after,
// ifResolvedBefore) and resolvedWhen replaced. A fault whose variant says
// enabled: false is left out, with the injects triggered by its events and
// the hints only about it. Alerts, injects and hints limited to other
// difficulties are left out. Variants are cleared and Difficulty is set to
// d. An empty d means the scenario's default difficulty. Faults without a
// variant for d keep their base settings.
func (s *Scenario) ForDifficulty(d Difficulty) (*Scenario, error) {
	if d == "" {
		d = s.Difficulty
	}
	if d != "" && !validDifficulty(d) {
		return nil, fmt.Errorf("unknown difficulty %q, expected one of: hard, medium, easy", d)
	}
	c := s.Clone()
	dropped := map[string]bool{}
	faults := c.Faults[:0]
	for i := range c.Faults {
		f := c.Faults[i]
		if v, ok := f.Variants[d]; ok {
			if v.Enabled != nil && !*v.Enabled {
				dropped[f.ID] = true
				continue
			}
			applyVariant(&f, v)
		}
		f.Variants = nil
		faults = append(faults, f)
	}
	c.Faults = faults
	c.Alerts = slices.DeleteFunc(c.Alerts, func(a Alert) bool {
		return !playedAt(a.Difficulties, d) || a.On != nil && dropped[a.On.Fault] || a.Until != nil && dropped[a.Until.Fault]
	})
	c.Injects = slices.DeleteFunc(c.Injects, func(in Inject) bool {
		return !playedAt(in.Difficulties, d) || in.On != nil && dropped[in.On.Fault]
	})
	c.Hints = slices.DeleteFunc(c.Hints, func(h HintStage) bool {
		if !playedAt(h.Difficulties, d) {
			return true
		}
		if len(h.Faults) == 0 {
			return false
		}
		h.Faults = slices.DeleteFunc(h.Faults, func(id string) bool { return dropped[id] })
		return len(h.Faults) == 0
	})
	c.Injects, c.Alerts = dropOrphans(c.Injects, c.Alerts, c.Hints)
	for i := range c.Hints {
		c.Hints[i].Faults = slices.DeleteFunc(c.Hints[i].Faults, func(id string) bool { return dropped[id] })
		c.Hints[i].Difficulties = nil
	}
	for i := range c.Alerts {
		c.Alerts[i].Difficulties = nil
	}
	for i := range c.Injects {
		c.Injects[i].Difficulties = nil
	}
	c.Rehearsal = rehearsalFor(c.Rehearsal, d, dropped, keptOf(c.Injects, c.Alerts, c.Hints))
	c.Difficulty = d
	return c, nil
}

// applyVariant applies a fault's variant (see ForDifficulty).
func applyVariant(f *Fault, v FaultVariant) {
	if v.Title != "" {
		f.Title = v.Title
	}
	if v.Description != "" {
		f.Description = v.Description
	}
	if v.Impact != "" {
		f.Impact = v.Impact
	}
	if v.Target != nil {
		f.Target = cloneTarget(*v.Target)
	}
	if v.Injector != nil && *v.Injector != f.Injector {
		f.Injector = *v.Injector
		f.Params = cloneParams(v.Params)
	} else if v.Params != nil {
		f.Params = mergeParams(f.Params, v.Params)
	}
	switch {
	case v.After != nil:
		a := *v.After
		if a.Event == "" {
			a.Event = ChainResolved
		}
		f.After, f.At = &a, nil
	case v.At != nil:
		f.At, f.After = clonePtr(v.At), nil
	}
	if v.IfResolvedBefore != nil {
		f.IfResolvedBefore = clonePtr(v.IfResolvedBefore)
	}
	if v.HealAfter != nil {
		f.HealAfter = clonePtr(v.HealAfter)
	}
	if v.ResolvedWhen != nil {
		f.ResolvedWhen = cloneResolvedWhen(*v.ResolvedWhen)
		for j := range f.ResolvedWhen.Probes {
			defaultProbe(&f.ResolvedWhen.Probes[j])
		}
	}
}

// playedAt reports whether something limited to levels is played at d: a
// list that is empty, or names d.
func playedAt(levels []Difficulty, d Difficulty) bool {
	return len(levels) == 0 || slices.Contains(levels, d)
}

// mergeParams returns base with over's keys set over it; neither is
// modified. Nested mappings are merged key by key as well. A key set to null
// in over removes the key from the result (as in a JSON merge patch), so a
// variant can drop a param of the fault, e.g. remove: true for value: x.
func mergeParams(base, over map[string]any) map[string]any {
	out := cloneValue(base).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeParams(bm, om)
			continue
		}
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	default:
		return v
	}
}

func cloneParams(p map[string]any) map[string]any {
	if p == nil {
		return nil
	}
	return cloneValue(p).(map[string]any)
}

func cloneTarget(t Target) Target {
	t.Selector = maps.Clone(t.Selector)
	return t
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneProbe(p Probe) Probe {
	p.Target = cloneTarget(p.Target)
	p.Params = cloneParams(p.Params)
	return p
}

func cloneResolvedWhen(rw ResolvedWhen) ResolvedWhen {
	rw.Probes = slices.Clone(rw.Probes)
	for j := range rw.Probes {
		rw.Probes[j] = cloneProbe(rw.Probes[j])
	}
	return rw
}

func cloneNotice(t *NoticeTemplate) *NoticeTemplate {
	if t == nil {
		return nil
	}
	c := *t
	c.Fields = slices.Clone(t.Fields)
	for i := range c.Fields {
		c.Fields[i].Options = slices.Clone(c.Fields[i].Options)
	}
	return &c
}

// Clone returns a deep copy of s.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Metadata.Tags = slices.Clone(s.Metadata.Tags)
	c.Personas = slices.Clone(s.Personas)
	for i := range c.Personas {
		c.Personas[i].QuickReplies = slices.Clone(c.Personas[i].QuickReplies)
	}
	c.Channels = slices.Clone(s.Channels)
	c.Faults = slices.Clone(s.Faults)
	for i := range c.Faults {
		f := &c.Faults[i]
		f.Target = cloneTarget(f.Target)
		f.Params = cloneParams(f.Params)
		if f.Variants != nil {
			vs := make(map[Difficulty]FaultVariant, len(f.Variants))
			for d, v := range f.Variants {
				if v.Target != nil {
					t := cloneTarget(*v.Target)
					v.Target = &t
				}
				v.Params = cloneParams(v.Params)
				v.Injector = clonePtr(v.Injector)
				v.Enabled = clonePtr(v.Enabled)
				v.At = clonePtr(v.At)
				v.IfResolvedBefore = clonePtr(v.IfResolvedBefore)
				v.HealAfter = clonePtr(v.HealAfter)
				v.After = clonePtr(v.After)
				if v.ResolvedWhen != nil {
					rw := cloneResolvedWhen(*v.ResolvedWhen)
					v.ResolvedWhen = &rw
				}
				vs[d] = v
			}
			f.Variants = vs
		}
		f.At = clonePtr(f.At)
		f.After = clonePtr(f.After)
		f.IfResolvedBefore = clonePtr(f.IfResolvedBefore)
		f.HealAfter = clonePtr(f.HealAfter)
		f.OnlyIf = clonePtr(f.OnlyIf)
		f.Unless = clonePtr(f.Unless)
		f.Recurs = clonePtr(f.Recurs)
		f.ResolvedWhen = cloneResolvedWhen(f.ResolvedWhen)
		f.AutoRevertAtEnd = clonePtr(f.AutoRevertAtEnd)
		f.Candidates = slices.Clone(f.Candidates)
	}
	c.Alerts = slices.Clone(s.Alerts)
	for i := range c.Alerts {
		c.Alerts[i].Probe = cloneProbe(c.Alerts[i].Probe)
		c.Alerts[i].Difficulties = slices.Clone(c.Alerts[i].Difficulties)
		c.Alerts[i].At = clonePtr(c.Alerts[i].At)
		c.Alerts[i].On = cloneTrigger(c.Alerts[i].On)
		c.Alerts[i].Until = cloneTrigger(c.Alerts[i].Until)
		c.Alerts[i].Repeat = clonePtr(c.Alerts[i].Repeat)
		c.Alerts[i].Candidates = slices.Clone(c.Alerts[i].Candidates)
	}
	c.Injects = slices.Clone(s.Injects)
	for i := range c.Injects {
		in := &c.Injects[i]
		in.At = clonePtr(in.At)
		in.On = cloneTrigger(in.On)
		in.FollowUp = clonePtr(in.FollowUp)
		in.Escalation = slices.Clone(in.Escalation)
		in.To = clonePtr(in.To)
		if in.AnsweredWhen != nil {
			m := cloneMatch(*in.AnsweredWhen)
			in.AnsweredWhen = &m
		}
		in.Difficulties = slices.Clone(in.Difficulties)
		in.Candidates = slices.Clone(in.Candidates)
	}
	c.Hints = slices.Clone(s.Hints)
	for i := range c.Hints {
		c.Hints[i].Faults = slices.Clone(c.Hints[i].Faults)
		c.Hints[i].Difficulties = slices.Clone(c.Hints[i].Difficulties)
		c.Hints[i].Candidates = slices.Clone(c.Hints[i].Candidates)
	}
	c.Notices.Incident = cloneNotice(s.Notices.Incident)
	c.Notices.StatusUpdate = cloneNotice(s.Notices.StatusUpdate)
	c.Notices.Resolution = cloneNotice(s.Notices.Resolution)
	c.Notices.Grades = slices.Clone(s.Notices.Grades)
	c.Retro.Questions = slices.Clone(s.Retro.Questions)
	c.Rehearsal = cloneRehearsal(s.Rehearsal)
	c.Candidates = slices.Clone(s.Candidates)
	c.Candidate = clonePtr(s.Candidate)
	return &c
}

func cloneMatch(m TextMatch) TextMatch {
	m.Words = slices.Clone(m.Words)
	return m
}

// dropOrphans leaves out the injects and alerts that wait for an event
// which cannot happen at this level or candidate — a message, an alert or a
// hint left out (inject.posted, alert.firing, alert.resolved, hint.given on
// one of them) — and the ones waiting for those in turn, as injects on a
// left-out fault's events go with it. Hints must already be filtered.
func dropOrphans(injects []Inject, alerts []Alert, hints []HintStage) ([]Inject, []Alert) {
	for {
		k := keptOf(injects, alerts, hints)
		n, m := len(injects), len(alerts)
		injects = slices.DeleteFunc(injects, func(in Inject) bool { return k.waitsOnLeftOut(in.On) })
		alerts = slices.DeleteFunc(alerts, func(a Alert) bool { return k.waitsOnLeftOut(a.On) || k.waitsOnLeftOut(a.Until) })
		if len(injects) == n && len(alerts) == m {
			return injects, alerts
		}
	}
}

// keptIDs holds the ids of the injects, alerts and hints a drill plays at
// one level and for one candidate.
type keptIDs struct{ injects, alerts, hints map[string]bool }

// keptOf returns the ids of injects, alerts and hints.
func keptOf(injects []Inject, alerts []Alert, hints []HintStage) keptIDs {
	k := keptIDs{map[string]bool{}, map[string]bool{}, map[string]bool{}}
	for _, in := range injects {
		k.injects[in.ID] = true
	}
	for _, a := range alerts {
		k.alerts[a.ID] = true
	}
	for _, h := range hints {
		k.hints[h.ID] = true
	}
	return k
}

// waitsOnLeftOut reports whether t waits for the event of a message, an
// alert or a hint that is not kept, so that it can never happen: an
// inject.posted, alert.firing, alert.resolved or hint.given naming one. A
// trigger on any alert or any hint (no id) still waits on the kept ones.
func (k keptIDs) waitsOnLeftOut(t *EventTrigger) bool {
	switch {
	case t == nil:
		return false
	case t.Event == OnInjectPosted:
		return !k.injects[t.Inject]
	case t.Event == OnAlertFiring || t.Event == OnAlertResolved:
		return t.Alert != "" && !k.alerts[t.Alert]
	case t.Event == OnHintGiven:
		return t.Hint != "" && !k.hints[t.Hint]
	}
	return false
}

// cloneTrigger returns a deep copy of t.
func cloneTrigger(t *EventTrigger) *EventTrigger {
	if t == nil {
		return nil
	}
	on := *t
	on.By = clonePtr(on.By)
	if on.Match != nil {
		m := cloneMatch(*on.Match)
		on.Match = &m
	}
	if on.Check != nil {
		p := cloneProbe(*on.Check)
		on.Check = &p
	}
	return &on
}
