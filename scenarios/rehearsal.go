package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Rehearsal is a scenario's rehearsal with robot participants: people
// played by firedrill that work the drill through the same paths a
// participant uses (chat, notices, the cluster API), so that a designer
// can prove the whole drill — every fault, chain, inject and hint — before
// the day (`firedrill rehearse`).
type Rehearsal struct {
	Robots []Robot `yaml:"robots" json:"robots"`
}

// Robot is one robot participant and what it does, in order of its steps.
type Robot struct {
	// ID is the robot's person id in the drill.
	ID string `yaml:"id" json:"id"`
	// Name is shown as the author of what it writes; default the id.
	Name  string      `yaml:"name,omitempty" json:"name,omitempty"`
	Steps []RobotStep `yaml:"steps" json:"steps"`
}

// RobotStep is one thing a robot does. Exactly one trigger is set — At (a
// drill time), On (a drill event, as for injects) or Answer (the inject it
// answers, as soon as it is posted) — and exactly one action: Say, Notice,
// Fix or, with Answer, Text.
type RobotStep struct {
	At     *Duration     `yaml:"at,omitempty" json:"at,omitempty"`
	On     *EventTrigger `yaml:"on,omitempty" json:"on,omitempty"`
	Answer string        `yaml:"answer,omitempty" json:"answer,omitempty"`
	// Within is the answer's deadline after the inject: the report fails
	// the step when the answer came later. Default 2m.
	Within Duration `yaml:"within,omitempty" json:"within,omitempty"`

	// Say is a chat message the robot posts in Channel (default the
	// incident channel).
	Say     string `yaml:"say,omitempty" json:"say,omitempty"`
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
	// Text is the answer's text (with Answer), posted in the inject's
	// channel.
	Text string `yaml:"text,omitempty" json:"text,omitempty"`
	// Notice posts a notice of this kind with Fields, through the notice
	// form's checks.
	Notice NoticeKind        `yaml:"notice,omitempty" json:"notice,omitempty"`
	Fields map[string]string `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Fix is the id of the fault the robot fixes the way a participant
	// does: it puts the fault's target back as it was before the drill,
	// through the cluster API. The drill learns of it from the fault's
	// probes, never from firedrill's own revert.
	Fix string `yaml:"fix,omitempty" json:"fix,omitempty"`
	// Resolve is the id of a fault the rehearsal's facilitator marks
	// resolved, as a facilitator does when participants report a fix that
	// no probe can see (resolvedWhen.manual).
	Resolve string `yaml:"resolve,omitempty" json:"resolve,omitempty"`
	// Confirm is the id of a fault whose resolvedWhen.confirm the robot
	// confirms in the room, as a participant clicks Confirm once the fix
	// no probe sees is done.
	Confirm string `yaml:"confirm,omitempty" json:"confirm,omitempty"`

	// Difficulties, when set, limits the step to drills played at these
	// levels.
	Difficulties []Difficulty `yaml:"difficulties,omitempty" json:"difficulties,omitempty"`
	// Candidates, when set, limits the step to drills that play these
	// candidates.
	Candidates []string `yaml:"candidates,omitempty" json:"candidates,omitempty"`

	// fileIndex is the step's index in its robot's steps in the file, plus
	// one, once a level or candidate has left steps out (0 before), so that
	// validate reports a problem of the scenario as played at the step of
	// the file.
	fileIndex int
}

// DefaultAnswerWithin is an answer step's deadline when Within is not set.
const DefaultAnswerWithin = Duration(2 * 60 * 1e9)

// Action names what the step does: say, notice, fix or answer.
func (s RobotStep) Action() string {
	switch {
	case s.Answer != "":
		return "answer"
	case s.Notice != "":
		return "notice"
	case s.Fix != "":
		return "fix"
	case s.Resolve != "":
		return "resolve"
	case s.Confirm != "":
		return "confirm"
	}
	return "say"
}

// AnswerWithin returns the answer's deadline, Within or its default.
func (s RobotStep) AnswerWithin() Duration {
	if s.Within > 0 {
		return s.Within
	}
	return DefaultAnswerWithin
}

// Describe says the step in words, e.g. "at 8m post the incident notice".
func (s RobotStep) Describe() string {
	var when string
	switch {
	case s.Answer != "":
		return fmt.Sprintf("answer inject %s within %s", s.Answer, mins(s.AnswerWithin()))
	case s.At != nil:
		when = "at " + mins(*s.At)
	case s.On != nil:
		when = "on " + s.On.Describe()
	}
	switch s.Action() {
	case "notice":
		return fmt.Sprintf("%s post the %s notice", when, s.Notice)
	case "fix":
		return fmt.Sprintf("%s fix fault %s", when, s.Fix)
	case "resolve":
		return fmt.Sprintf("%s have the facilitator mark fault %s resolved", when, s.Resolve)
	case "confirm":
		return fmt.Sprintf("%s confirm fault %s is resolved", when, s.Confirm)
	}
	return fmt.Sprintf("%s say %q", when, s.Say)
}

// Describe says an event trigger in words: "fault.injected order-api-down +1m".
func (t EventTrigger) Describe() string {
	out := string(t.Event)
	for _, x := range []string{t.Fault, string(t.Notice), t.Alert, t.Hint, t.Inject} {
		if x != "" {
			out += " " + x
		}
	}
	if t.Field != "" {
		out += " with " + t.Field + " = " + t.Value
	}
	if t.Match != nil {
		out += " (a participant " + t.Match.Describe() + ")"
	}
	if t.By != nil {
		out += " by " + mins(*t.By)
	}
	if t.Delay > 0 {
		out += " +" + mins(t.Delay)
	}
	return out
}

func (d *decoder) rehearsal(n *yaml.Node, path string, x *Rehearsal) {
	d.object(n, path, []field{
		{"robots", true, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var r Robot
				d.object(v, p, []field{
					{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &r.ID) }},
					{"name", false, func(v *yaml.Node, p string) { d.str(v, p, &r.Name) }},
					{"steps", true, func(v *yaml.Node, p string) {
						d.list(v, p, func(v *yaml.Node, p string, _ int) {
							var st RobotStep
							d.robotStep(v, p, &st)
							r.Steps = append(r.Steps, st)
						})
					}},
				})
				x.Robots = append(x.Robots, r)
			})
		}},
	})
}

func (d *decoder) robotStep(n *yaml.Node, path string, x *RobotStep) {
	d.object(n, path, []field{
		{"at", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.At) }},
		{"on", false, func(v *yaml.Node, p string) {
			x.On = &EventTrigger{}
			d.eventTrigger(v, p, x.On)
		}},
		{"answer", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Answer) }},
		{"within", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.Within) }},
		{"say", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Say) }},
		{"channel", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"text", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Text) }},
		{"notice", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Notice)) }},
		{"fields", false, func(v *yaml.Node, p string) { d.stringMap(v, p, &x.Fields) }},
		{"fix", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Fix) }},
		{"resolve", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Resolve) }},
		{"confirm", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Confirm) }},
		{"difficulties", false, func(v *yaml.Node, p string) { d.difficulties(v, p, &x.Difficulties) }},
		{"candidates", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Candidates) }},
	})
}

// rehearsal checks the rehearsal section: robot ids, one trigger and one
// action per step, and every reference (faults, injects, channels, notice
// forms and their fields).
func (v *validator) rehearsal() {
	r := v.s.Rehearsal
	if r == nil {
		return
	}
	if len(r.Robots) == 0 {
		v.errf("rehearsal.robots", "no robots, expected at least one robot participant with steps")
	}
	ids := map[string]bool{}
	for i, rb := range r.Robots {
		path := index("rehearsal.robots", i)
		v.id(path+".id", rb.ID)
		if ids[rb.ID] && rb.ID != "" {
			v.errf(path+".id", "duplicate robot id %q", rb.ID)
		}
		ids[rb.ID] = true
		if len(rb.Steps) == 0 {
			v.errf(path+".steps", "no steps, expected at least one (say, notice, fix, resolve, confirm or answer)")
		}
		for j, st := range rb.Steps {
			v.robotStep(index(path+".steps", j), st)
		}
	}
}

func (v *validator) robotStep(path string, st RobotStep) {
	triggers := 0
	for _, set := range []bool{st.At != nil, st.On != nil, st.Answer != ""} {
		if set {
			triggers++
		}
	}
	if triggers != 1 {
		v.errf(path, "%d triggers, expected exactly one of at (a drill time), on (an event) or answer (an inject id)", triggers)
	}
	actions := 0
	for _, set := range []bool{st.Say != "", st.Notice != "", st.Fix != "", st.Resolve != "", st.Confirm != "", st.Answer != ""} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		v.errf(path, "%d actions, expected exactly one of say (a chat message), notice (a notice kind), fix, resolve or confirm (a fault id) or answer with text", actions)
	}
	if st.At != nil {
		v.beforeCap(path+".at", *st.At, "step time")
	}
	if st.On != nil {
		v.trigger(path+".on", *st.On)
		if e := st.On.Event; e == OnChatMatched || e == OnClusterChanged || st.On.Field != "" {
			v.errf(path+".on", "robots do not wait for %s, expected a drill event they can see: a fault, a notice, a hint, an alert or a scripted message (inject.posted)", describeRobotWait(*st.On))
		}
	}
	if st.Within > 0 && st.Answer == "" {
		v.errf(path+".within", "within applies to answer steps only")
	}
	if st.Text != "" && st.Answer == "" {
		v.errf(path+".text", "text applies to answer steps only; a chat message is written with say")
	}
	if st.Answer != "" {
		// A warning, not an error: replacing the injects (a CSV import)
		// must not break the file; the step simply never runs.
		if !slices.ContainsFunc(v.s.Injects, func(in Inject) bool { return in.ID == st.Answer }) {
			v.warnf(path+".answer", "no inject %q (expected one of: %s): this answer never runs", st.Answer, listOr(v.injectIDs()))
		}
		if st.Text == "" {
			v.errf(path+".text", "an answer needs text, expected what the robot replies")
		}
	}
	if st.Channel != "" {
		if st.Say == "" {
			v.errf(path+".channel", "channel applies to say steps only")
		} else {
			v.channel(path+".channel", st.Channel, false)
		}
	}
	if st.Fix != "" {
		v.faultRef(path+".fix", st.Fix)
	}
	if st.Resolve != "" && v.faultRef(path+".resolve", st.Resolve) {
		if f := v.s.Faults[v.faults[st.Resolve]]; !manualAnywhere(f) {
			v.errf(path+".resolve", "fault %s is resolved by its probes only (resolvedWhen.manual is not set): fix it, the probes will see it", st.Resolve)
		}
	}
	if st.Confirm != "" && v.faultRef(path+".confirm", st.Confirm) {
		if f := v.s.Faults[v.faults[st.Confirm]]; !confirmAnywhere(f) {
			v.errf(path+".confirm", "fault %s asks for no confirmation (resolvedWhen.confirm is not set): fix it, the probes will see it", st.Confirm)
		}
	}
	if len(st.Fields) > 0 && st.Notice == "" {
		v.errf(path+".fields", "fields apply to notice steps only")
	}
	if st.Notice != "" {
		v.robotNotice(path, st)
	}
}

// robotNotice checks a notice step against the scenario's notice form, the
// way the drill will when the robot posts it.
func (v *validator) robotNotice(path string, st RobotStep) {
	switch st.Notice {
	case NoticeIncident, NoticeStatus, NoticeResolution:
	default:
		v.errf(path+".notice", "unknown notice %q, expected incident, status-update or resolution", st.Notice)
		return
	}
	_, err := v.s.ValidateNotice(st.Notice, st.Fields)
	var fe NoticeErrors
	switch {
	case errors.As(err, &fe):
		parts := make([]string, len(fe))
		for i, f := range fe {
			parts[i] = f.Field.ID + " " + problemWords(f)
		}
		v.errf(path+".fields", "the %s notice form refuses them: %s", st.Notice, strings.Join(parts, "; "))
	case err != nil:
		v.errf(path+".notice", "%v", err)
	}
}

// problemWords says what is wrong with one notice field.
func problemWords(f NoticeFieldError) string {
	switch f.Problem {
	case ProblemRequired:
		return "is required"
	case ProblemUnknown:
		return "is not a field of the form"
	case ProblemOption:
		return fmt.Sprintf("is %q, expected one of %s", f.Value, strings.Join(f.Field.Options, ", "))
	case ProblemScale:
		return fmt.Sprintf("is %q, expected a whole number from 1 to 5", f.Value)
	case ProblemTime:
		return fmt.Sprintf("is %q, expected a clock time like 14:05", f.Value)
	case ProblemDuration:
		return fmt.Sprintf("is %q, expected a duration like 20m", f.Value)
	}
	return fmt.Sprintf("is %q (%s)", f.Value, f.Problem)
}

func (v *validator) injectIDs() []string {
	var out []string
	for _, in := range v.s.Injects {
		out = append(out, in.ID)
	}
	return out
}

// rehearsalFor keeps the robot steps played at d: steps limited to other
// levels go, and so do steps about faults left out at d or waiting on an
// inject, alert or hint that is not kept.
func rehearsalFor(r *Rehearsal, d Difficulty, dropped map[string]bool, kept keptIDs) *Rehearsal {
	if r == nil {
		return nil
	}
	out := &Rehearsal{Robots: make([]Robot, 0, len(r.Robots))}
	for _, rb := range r.Robots {
		rb.Steps = slices.DeleteFunc(numberSteps(slices.Clone(rb.Steps)), func(st RobotStep) bool {
			return !playedAt(st.Difficulties, d) || stepLeftOut(st, dropped, kept)
		})
		for i := range rb.Steps {
			rb.Steps[i].Difficulties = nil
		}
		out.Robots = append(out.Robots, rb)
	}
	return out
}

// numberSteps records each step's index in the file (see
// RobotStep.fileIndex) before steps are left out, unless a candidate
// already did, and returns steps.
func numberSteps(steps []RobotStep) []RobotStep {
	for i := range steps {
		if steps[i].fileIndex == 0 {
			steps[i].fileIndex = i + 1
		}
	}
	return steps
}

// stepLeftOut reports whether a robot step is about something the drill
// does not play: a fault left out (dropped), an inject it answers that is
// not kept, or an event it waits on that cannot happen — a left-out
// fault's, or a left-out inject's, alert's or hint's, by the rule that
// leaves out injects and alerts waiting on them (see dropOrphans).
func stepLeftOut(st RobotStep, dropped map[string]bool, kept keptIDs) bool {
	if dropped[st.Fix] || dropped[st.Resolve] || dropped[st.Confirm] {
		return true
	}
	if st.On != nil && (dropped[st.On.Fault] || kept.waitsOnLeftOut(st.On)) {
		return true
	}
	return st.Answer != "" && !kept.injects[st.Answer]
}

// cloneRehearsal copies r deeply enough that editing the copy never
// changes r.
func cloneRehearsal(r *Rehearsal) *Rehearsal {
	if r == nil {
		return nil
	}
	c := &Rehearsal{Robots: slices.Clone(r.Robots)}
	for i := range c.Robots {
		steps := slices.Clone(c.Robots[i].Steps)
		for j := range steps {
			st := &steps[j]
			st.At = clonePtr(st.At)
			if st.On != nil {
				on := *st.On
				on.By = clonePtr(on.By)
				st.On = &on
			}
			st.Fields = maps.Clone(st.Fields)
			st.Difficulties = slices.Clone(st.Difficulties)
			st.Candidates = slices.Clone(st.Candidates)
		}
		c.Robots[i].Steps = steps
	}
	return c
}

func describeRobotWait(t EventTrigger) string {
	if t.Field != "" {
		return "a notice field (field, value)"
	}
	return string(t.Event)
}

// manualAnywhere reports whether the facilitator may mark the fault
// resolved at some difficulty.
func manualAnywhere(f Fault) bool {
	if f.ResolvedWhen.Manual {
		return true
	}
	for _, v := range f.Variants {
		if v.ResolvedWhen != nil && v.ResolvedWhen.Manual {
			return true
		}
	}
	return false
}

// confirmAnywhere reports whether a participant confirms the fault's
// resolution at some difficulty (resolvedWhen.confirm).
func confirmAnywhere(f Fault) bool {
	if f.ResolvedWhen.Confirm != "" {
		return true
	}
	for _, v := range f.Variants {
		if v.ResolvedWhen != nil && v.ResolvedWhen.Confirm != "" {
			return true
		}
	}
	return false
}
