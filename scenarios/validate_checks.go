package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// timing reports faults whose stability window cannot finish before the
// cap: injected at the earliest at t, their probes must then hold for
// stableFor, so they cannot be resolved by probes before t+stableFor.
func (v *validator) timing() {
	s := v.s
	for i, f := range s.Faults {
		rw := f.ResolvedWhen
		if len(rw.Probes) == 0 || rw.StableFor == 0 || rw.StableFor >= v.limit {
			continue
		}
		at, ok := earliest(s, i, len(s.Faults))
		if !ok || at >= v.limit {
			continue
		}
		if done := at + rw.StableFor; done >= v.limit {
			path := index("faults", i) + ".resolvedWhen.stableFor"
			if rw.Manual {
				v.warnf(path, "the fault starts at %s at the earliest and its probes must then hold for %s, which ends at %s, not before the time limit %s: only the facilitator's manual resolution can resolve it", mins(at), mins(rw.StableFor), mins(done), mins(v.limit))
				continue
			}
			v.errf(path, "the fault starts at %s at the earliest and its probes must then hold for %s, which ends at %s, not before the time limit %s, so it can never be resolved; expected a stableFor shorter than %s, an earlier start, or manual: true", mins(at), mins(rw.StableFor), mins(done), mins(v.limit), mins(v.limit-at))
		}
	}
}

// variantLevels explains, for a fault prepared at some difficulties but not
// at another the drill can be played at, that it runs as written there.
func (v *validator) variantLevels() {
	s := v.s
	levels := s.PlayableDifficulties()
	for i, f := range s.Faults {
		if len(f.Variants) == 0 {
			continue
		}
		var missing []string
		for _, d := range levels {
			// The default level is the fault as written, unless a variant
			// says otherwise: only the other levels are worth a word.
			if _, ok := f.Variants[d]; !ok && d != "" && d != s.Difficulty {
				missing = append(missing, string(d))
			}
		}
		if len(missing) > 0 {
			v.warnf(index("faults", i)+".variants", "no %s variant: at %s the fault runs as written (%s), which is allowed; add a variant if it should differ", strings.Join(missing, " or "), strings.Join(missing, " and "), f.Injector)
		}
	}
}

// overlaps warns about two faults that change the same field of the same
// object at some difficulty. Reverts run newest first, so each fault's
// revert puts back the value it found, and the oldest puts back the
// original; but a fault fixed by hand while the other is in effect, or one
// left in place by autoRevertAtEnd: false, can leave a broken value.
func (v *validator) overlaps() {
	pd, ok := v.catalog.(PluginDescriber)
	if !ok {
		return
	}
	// Only faults a drill plays together can both be in effect: each
	// candidate is a drill of its own. Pairs are known by their ids, since
	// a level that leaves a fault out shifts the indices after it.
	plays := []*Scenario{v.s}
	if len(v.s.Candidates) > 0 {
		plays = nil
		for _, c := range v.s.Candidates {
			if sc, err := v.s.ForCandidate(c.ID); err == nil {
				plays = append(plays, sc)
			}
		}
	}
	reported := map[[2]string]bool{}
	for _, sc := range plays {
		for _, d := range sc.PlayableDifficulties() {
			sd, err := sc.ForDifficulty(d)
			if err != nil {
				return
			}
			for j := range sd.Faults {
				for i := 0; i < j; i++ {
					a, b := sd.Faults[i], sd.Faults[j]
					field, same := sameField(pd, a, b)
					if !same || reported[[2]string{a.ID, b.ID}] {
						continue
					}
					reported[[2]string{a.ID, b.ID}] = true
					v.warnf(index("faults", v.faults[b.ID])+".target", "faults %q and %q both change %s; when both are in effect, reverts run newest first, so the original value comes back only once both are reverted, and a fix by hand of one can leave the other's value in place (see \"Two faults on the same field\" in scenarios/README.md)", a.ID, b.ID, field)
				}
			}
		}
	}
}

// sameField reports whether faults a and b change the same field of the
// same object, and names it.
func sameField(pd PluginDescriber, a, b Fault) (string, bool) {
	if a.Injector != b.Injector || a.Target.Name == "" || a.Target.Namespace != b.Target.Namespace || a.Target.Name != b.Target.Name || a.Target.Kind != b.Target.Kind {
		return "", false
	}
	info, ok := pd.DescribePlugin(a.Injector.Plugin)
	if !ok {
		return "", false
	}
	t, ok := findType(info.FaultTypes, a.Injector.Type)
	if !ok || !t.ChangesField {
		return "", false
	}
	var which []string
	for _, p := range t.FieldParams {
		if fmt.Sprint(a.Params[p]) != fmt.Sprint(b.Params[p]) {
			return "", false
		}
		if a.Params[p] != nil {
			which = append(which, fmt.Sprintf("%s %v", p, a.Params[p]))
		}
	}
	what := a.Injector.Type
	if len(which) > 0 {
		what += " (" + strings.Join(which, ", ") + ")"
	}
	obj := strings.Trim(strings.Join(slices.DeleteFunc([]string{a.Target.Namespace, a.Target.Kind, a.Target.Name}, func(s string) bool { return s == "" }), "/"), "/")
	return what + " of " + obj, true
}

// variantTriggers checks the triggers a fault's variants set.
func (v *validator) variantTriggers(i int) {
	f := v.s.Faults[i]
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		vr, ok := f.Variants[d]
		if !ok {
			continue
		}
		vp := index("faults", i) + ".variants." + string(d)
		if vr.At != nil && vr.After != nil {
			v.errf(vp+".after", "both at and after are set, expected one trigger: a time (at) or a chain (after)")
		}
		if vr.After != nil {
			if vr.After.Fault == f.ID {
				v.errf(vp+".after.fault", "a fault cannot wait on itself")
			} else {
				v.faultRef(vp+".after.fault", vr.After.Fault)
			}
			switch vr.After.Event {
			case "", ChainResolved, ChainInjected:
			default:
				v.errf(vp+".after.event", "unknown chain event %q, expected resolved or injected", vr.After.Event)
			}
		}
		if vr.At != nil {
			v.beforeCap(vp+".at", *vr.At, "fault time")
		}
		if rw := vr.ResolvedWhen; rw != nil {
			if len(rw.Probes) == 0 && !rw.Manual {
				v.errf(vp+".resolvedWhen", "no way to resolve the fault, expected probes, manual: true, or both")
			}
			for j := range rw.Probes {
				defaultProbe(&rw.Probes[j])
				v.probe(index(vp+".resolvedWhen.probes", j), rw.Probes[j])
			}
		}
	}
}

// levels checks the scenario as it is played at each difficulty where a
// variant or a difficulties list changes it: a chain after a fault left out
// at that level, a trigger that moves past the cap, a template naming a
// fault that is not played. It runs only when the file is otherwise valid,
// so that one mistake is reported once.
func (v *validator) levels() {
	if len(v.d.errs) > 0 || v.d.noPositions {
		return // a scenario at one level (Validate) has no levels left
	}
	levels := v.s.PlayableDifficulties()
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		if v.mentions(d) && !slices.Contains(levels, d) {
			levels = append(levels, d)
		}
	}
	var found playedErrors
	for _, d := range levels {
		if d == "" || !v.mentions(d) {
			continue
		}
		sd, err := v.s.ForDifficulty(d)
		if err != nil {
			continue
		}
		sd.Source = ""
		if err := sd.Validate(); err != nil {
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					found.add(v, sd, e, v.levelPath(d), "", d)
				}
			}
		}
	}
	found.report(v)
}

// mentions reports whether anything of the scenario differs at level d.
func (v *validator) mentions(d Difficulty) bool {
	for _, f := range v.s.Faults {
		if _, ok := f.Variants[d]; ok {
			return true
		}
	}
	for _, a := range v.s.Alerts {
		if len(a.Difficulties) > 0 {
			return true
		}
	}
	for _, in := range v.s.Injects {
		if len(in.Difficulties) > 0 {
			return true
		}
	}
	for _, h := range v.s.Hints {
		if len(h.Difficulties) > 0 {
			return true
		}
	}
	return false
}

// levelPath is where a problem of the scenario at level d is reported: the
// first variant for d, else the scenario's difficulty.
func (v *validator) levelPath(d Difficulty) string {
	for i, f := range v.s.Faults {
		if _, ok := f.Variants[d]; ok {
			return index("faults", i) + ".variants." + string(d)
		}
	}
	return "difficulty"
}

// healAndConditions checks a fault's duration (self-healing) and its onlyIf
// and unless conditions.
func (v *validator) healAndConditions(i int) {
	f := v.s.Faults[i]
	path := index("faults", i)
	if f.HealAfter != nil && *f.HealAfter <= 0 {
		v.errf(path+".duration", "duration 0m, expected how long the fault lasts before it heals by itself, e.g. 10m")
	}
	for _, c := range []struct {
		name string
		c    *Condition
	}{{"onlyIf", f.OnlyIf}, {"unless", f.Unless}} {
		if c.c == nil {
			continue
		}
		v.condition(path+"."+c.name, *c.c, f.ID)
	}
	v.recurrence(i)
}

// condition checks a condition of fault self at path: not empty, about
// other faults that exist, and a known notice.
func (v *validator) condition(p string, c Condition, self string) {
	if c == (Condition{}) {
		v.errf(p, "empty condition, expected faultActive, faultResolved or noticePosted")
	}
	for _, ref := range []struct{ key, id string }{{"faultActive", c.FaultActive}, {"faultResolved", c.FaultResolved}} {
		if ref.id == self && ref.id != "" {
			v.errf(p+"."+ref.key, "a fault's condition cannot be about the fault itself")
		} else {
			v.faultRef(p+"."+ref.key, ref.id)
		}
	}
	switch c.NoticePosted {
	case "", NoticeIncident, NoticeStatus, NoticeResolution:
	default:
		v.errf(p+".noticePosted", "unknown notice %q, expected incident, status-update or resolution", c.NoticePosted)
	}
}

// Describe says the condition in words, e.g. "db-config is still active".
func (c Condition) Describe() string {
	var parts []string
	if c.FaultActive != "" {
		parts = append(parts, c.FaultActive+" is still active")
	}
	if c.FaultResolved != "" {
		parts = append(parts, c.FaultResolved+" is resolved")
	}
	if c.NoticePosted != "" {
		parts = append(parts, "the "+string(c.NoticePosted)+" notice was posted")
	}
	return strings.Join(parts, " and ")
}

// confirmation checks a resolution's human confirmation and how it combines
// with the probes.
func (v *validator) confirmation(path string, rw ResolvedWhen) {
	if _, set := v.d.pos[path+".confirm"]; set && strings.TrimSpace(rw.Confirm) == "" {
		v.errf(path+".confirm", "empty confirmation, expected what a participant confirms, e.g. \"The pending orders are re-processed\"")
	}
	switch rw.Require {
	case "", RequireAll, RequireAny:
	default:
		v.errf(path+".require", "unknown require %q, expected all (probes and the confirmation) or any (either)", rw.Require)
		return
	}
	if rw.Require != "" && (len(rw.Probes) == 0 || rw.Confirm == "") {
		v.errf(path+".require", "require combines probes with confirm, expected both probes and confirm next to it")
	}
}
