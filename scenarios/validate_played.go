package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// playedErrors gathers the problems of a scenario as played at some levels
// (and by some candidate), so that one problem found at several levels is
// reported once, at the element of the file it is about.
type playedErrors struct {
	list []*playedError
}

type playedError struct {
	path      string // where it is reported
	inner     string // the element's path as played, when path is not it
	candidate string
	message   string
	levels    []Difficulty
}

// add records problem e of sd, the scenario as played at level d (by
// candidate, when set). It is reported at the element of the file e is
// about, found by its id (indices shift when a level leaves elements out),
// else at fallback with e's own path in the message.
func (p *playedErrors) add(v *validator, sd *Scenario, e *FieldError, fallback, candidate string, d Difficulty) {
	path, inner := fallback, e.Path
	if orig, ok := v.originalPath(sd, e.Path); ok {
		path, inner = v.variantPath(orig, d), ""
	}
	message := e.Message + v.leftOut(sd, e.Message, candidate, d)
	for _, x := range p.list {
		if x.path == path && x.inner == inner && x.candidate == candidate && x.message == message {
			if d != "" && !slices.Contains(x.levels, d) {
				x.levels = append(x.levels, d)
			}
			return
		}
	}
	x := &playedError{path: path, inner: inner, candidate: candidate, message: message}
	if d != "" {
		x.levels = []Difficulty{d}
	}
	p.list = append(p.list, x)
}

// report reports each gathered problem once: "candidate c at difficulty
// hard and easy: message".
func (p *playedErrors) report(v *validator) {
	for _, x := range p.list {
		var where []string
		if x.candidate != "" {
			where = append(where, "candidate "+x.candidate)
		}
		if len(x.levels) > 0 {
			names := make([]string, len(x.levels))
			for i, d := range x.levels {
				names[i] = string(d)
			}
			where = append(where, "at difficulty "+joinAnd(names))
		}
		msg := x.message
		if x.inner != "" {
			msg = x.inner + ": " + msg
		}
		if len(where) > 0 {
			msg = strings.Join(where, " ") + ": " + msg
		}
		v.errf(x.path, "%s", msg)
	}
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

var (
	playedElement = regexp.MustCompile(`^(faults|alerts|injects|hints)\[(\d+)\](.*)$`)
	playedStep    = regexp.MustCompile(`^rehearsal\.robots\[(\d+)\]\.steps\[(\d+)\](.*)$`)
)

// originalPath maps the path of an element of sd, the scenario as played,
// to the same element in the file: a fault, alert, inject or hint by its
// id, a rehearsal robot's step by its index in the file. ok is false for a
// path that names no such element (the scenario itself) or one the file
// does not have.
func (v *validator) originalPath(sd *Scenario, path string) (string, bool) {
	if m := playedStep.FindStringSubmatch(path); m != nil {
		return stepPath(sd, m)
	}
	m := playedElement.FindStringSubmatch(path)
	if m == nil {
		return "", false
	}
	i, err := strconv.Atoi(m[2])
	if err != nil {
		return "", false
	}
	played, file := elementIDs(m[1], sd), elementIDs(m[1], v.s)
	if i >= len(played) {
		return "", false
	}
	if j := slices.Index(file, played[i]); j >= 0 {
		return index(m[1], j) + m[3], true
	}
	return "", false
}

// stepPath maps m, a playedStep match in sd, to the step's path in the
// file. Robots are never left out, only their steps.
func stepPath(sd *Scenario, m []string) (string, bool) {
	robot, err1 := strconv.Atoi(m[1])
	step, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || sd.Rehearsal == nil || robot >= len(sd.Rehearsal.Robots) {
		return "", false
	}
	steps := sd.Rehearsal.Robots[robot].Steps
	if step >= len(steps) || steps[step].fileIndex == 0 {
		return "", false
	}
	return index(index("rehearsal.robots", robot)+".steps", steps[step].fileIndex-1) + m[3], true
}

// elementIDs returns the ids of the faults, alerts, injects or hints of s.
func elementIDs(kind string, s *Scenario) []string {
	switch kind {
	case "faults":
		return idsOf(s.Faults, func(f Fault) string { return f.ID })
	case "alerts":
		return idsOf(s.Alerts, func(a Alert) string { return a.ID })
	case "injects":
		return idsOf(s.Injects, func(in Inject) string { return in.ID })
	case "hints":
		return idsOf(s.Hints, func(h HintStage) string { return h.ID })
	}
	return nil
}

func idsOf[T any](xs []T, id func(T) string) []string {
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = id(x)
	}
	return ids
}

// variantPath returns where the file sets path at level d: the fault's
// variant for d when the value comes from there (faults[0].after.fault set
// by faults[0].variants.hard.after), else path.
func (v *validator) variantPath(path string, d Difficulty) string {
	if _, ok := v.d.pos[path]; ok || d == "" {
		return path
	}
	m := playedElement.FindStringSubmatch(path)
	if m == nil || m[1] != "faults" {
		return path
	}
	vp := "faults[" + m[2] + "].variants." + string(d) + m[3]
	if _, ok := v.d.pos[vp]; ok {
		return vp
	}
	return path
}

// leftOut explains a message that names an element of the file which the
// level (or candidate) leaves out, so that "unknown fault "cache"" does not
// read as a typo: " (cache is left out at difficulty hard)".
func (v *validator) leftOut(sd *Scenario, message, candidate string, d Difficulty) string {
	var gone []string
	note := func(id string, kept bool) {
		if !kept && strings.Contains(message, `"`+id+`"`) {
			gone = append(gone, id)
		}
	}
	for _, f := range v.s.Faults {
		_, kept := sd.Fault(f.ID)
		note(f.ID, kept)
	}
	for _, a := range v.s.Alerts {
		note(a.ID, slices.ContainsFunc(sd.Alerts, func(b Alert) bool { return b.ID == a.ID }))
	}
	for _, in := range v.s.Injects {
		note(in.ID, slices.ContainsFunc(sd.Injects, func(b Inject) bool { return b.ID == in.ID }))
	}
	for _, h := range v.s.Hints {
		note(h.ID, slices.ContainsFunc(sd.Hints, func(b HintStage) bool { return b.ID == h.ID }))
	}
	if len(gone) == 0 {
		return ""
	}
	var by []string
	if candidate != "" {
		by = append(by, "by candidate "+candidate)
	}
	if d != "" {
		by = append(by, "at difficulty "+string(d))
	}
	verb := "is"
	if len(gone) > 1 {
		verb = "are"
	}
	return fmt.Sprintf(" (%s %s left out %s)", joinAnd(gone), verb, strings.Join(by, " "))
}
