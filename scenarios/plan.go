package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Timeline is the planned course of a drill at one difficulty: what fires at
// a known drill time, what waits on events (chains, event-triggered injects,
// alerts), and the cap.
type Timeline struct {
	Scenario   string     `json:"scenario"`
	Title      string     `json:"title"`
	Difficulty Difficulty `json:"difficulty,omitempty"`
	// Candidate is the candidate planned, and Candidates every candidate
	// the file keeps (see PlanCandidate).
	Candidate       string      `json:"candidate,omitempty"`
	Candidates      []Candidate `json:"candidates,omitempty"`
	TimeLimit       Duration    `json:"timeLimit"`
	IncidentChannel string      `json:"incidentChannel"`
	// Scheduled entries fire at a known drill time (or are checked then),
	// in time order; the last one is the end of the drill.
	Scheduled []TimelineEntry `json:"scheduled"`
	// Waiting entries fire on events; Earliest is set when the earliest
	// possible time is known (chains from a timed fault).
	Waiting []TimelineEntry `json:"waiting"`
	// Notes explain what the designer may not expect: a fault with no
	// variant at this difficulty runs as written; a stability window that
	// ends after the cap.
	Notes []string `json:"notes,omitempty"`
}

// Timeline entry kinds.
const (
	EntryFault  = "fault"
	EntryInject = "inject"
	EntryHint   = "hint"
	EntryAlert  = "alert"
	EntryEnd    = "end"
)

// TimelineEntry is one planned happening.
type TimelineEntry struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	// At is the drill time for scheduled entries.
	At *Duration `json:"at,omitempty"`
	// Earliest is the earliest possible drill time of a waiting entry.
	Earliest *Duration `json:"earliest,omitempty"`
	// Trigger says in words what makes the entry happen.
	Trigger string `json:"trigger"`
	// Summary is the fault title, or the start of the message text.
	Summary string `json:"summary"`
	// Detail is the injector and target of a fault, or persona and channel
	// of a message.
	Detail string `json:"detail,omitempty"`
	// Layered lists the other faults that fire at the same moment.
	Layered []string `json:"layered,omitempty"`
	// Condition is an extra condition: an extension's "too fast" rule, a
	// hint's skip rule, a notice deadline.
	Condition string `json:"condition,omitempty"`
	// FollowUp describes the follow-up message, if any.
	FollowUp string `json:"followUp,omitempty"`
}

// Plan returns the planned timeline of s at difficulty d (empty d: the
// scenario's default).
func Plan(s *Scenario, d Difficulty) (*Timeline, error) {
	if len(s.Candidates) > 0 {
		return nil, fmt.Errorf("plan %s: %w", s.Metadata.Name, errChooseCandidate(s))
	}
	sc, err := s.ForDifficulty(d)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", s.Metadata.Name, err)
	}
	t := &Timeline{
		Scenario:        sc.Metadata.Name,
		Title:           sc.Metadata.Title,
		Difficulty:      sc.Difficulty,
		TimeLimit:       sc.TimeLimit,
		IncidentChannel: sc.IncidentChannel(),
		Scheduled:       []TimelineEntry{},
		Waiting:         []TimelineEntry{},
	}
	t.Notes = planNotes(s, sc)
	byTime := map[Duration][]string{}
	for _, f := range sc.Faults {
		if f.After == nil && f.At != nil {
			byTime[*f.At] = append(byTime[*f.At], f.ID)
		}
	}
	for i, f := range sc.Faults {
		e := TimelineEntry{Kind: EntryFault, ID: f.ID, Summary: f.Title, Detail: faultDetail(f)}
		if f.IfResolvedBefore != nil {
			deps := f.After.faultOr(earlierFaults(sc, f))
			e.Condition = fmt.Sprintf("only if %s resolved before %s (too fast)", deps, mins(*f.IfResolvedBefore))
		}
		var conds []string
		if e.Condition != "" {
			conds = append(conds, e.Condition)
		}
		if f.OnlyIf != nil {
			conds = append(conds, "only if "+f.OnlyIf.Describe())
		}
		if f.Unless != nil {
			conds = append(conds, "unless "+f.Unless.Describe())
		}
		if f.HealAfter != nil {
			conds = append(conds, "heals by itself "+mins(*f.HealAfter)+" after injection")
		}
		if c := resolutionWords(f.ResolvedWhen); c != "" {
			conds = append(conds, c)
		}
		if f.Recurs != nil {
			conds = append(conds, recurWords(sc, i))
		}
		e.Condition = strings.Join(conds, "; ")
		if f.OnDemand {
			e.Trigger = "on demand: when the facilitator fires it"
			t.Waiting = append(t.Waiting, e)
			continue
		}
		if f.After == nil {
			at := *f.At
			e.At = &at
			e.Trigger = "at " + mins(at)
			for _, other := range byTime[at] {
				if other != f.ID {
					e.Layered = append(e.Layered, other)
				}
			}
			t.Scheduled = append(t.Scheduled, e)
			continue
		}
		e.Trigger = fmt.Sprintf("after %s %s", f.After.Fault, f.After.Event)
		if f.After.Delay > 0 {
			e.Trigger += " +" + mins(f.After.Delay)
		}
		if at, ok := earliest(sc, i, len(sc.Faults)); ok {
			e.Earliest = &at
		}
		t.Waiting = append(t.Waiting, e)
	}
	for _, in := range sc.Injects {
		who := in.Persona
		if who == "" {
			who = "back-room note"
		}
		e := TimelineEntry{Kind: EntryInject, ID: in.ID, Summary: summarize(in.Text), Detail: who + " → #" + in.Channel}
		if in.To != nil {
			e.Detail += " (private to " + in.To.Describe() + ")"
		}
		e.FollowUp = describeLadder(in)
		switch {
		case in.At != nil:
			at := *in.At
			e.At = &at
			e.Trigger = "at " + mins(at)
			t.Scheduled = append(t.Scheduled, e)
		case in.On != nil && in.On.Event == OnNoticeMissing && in.On.By != nil:
			at := *in.On.By + in.On.Delay
			e.At = &at
			e.Trigger = "at " + mins(at)
			e.Condition = fmt.Sprintf("only if no %s notice was posted by %s", in.On.Notice, mins(*in.On.By))
			t.Scheduled = append(t.Scheduled, e)
		case in.On != nil:
			e.Trigger = describeTrigger(*in.On)
			if in.On.Event == OnDrillStarted {
				at := in.On.Delay
				e.At = &at
				t.Scheduled = append(t.Scheduled, e)
				continue
			}
			if in.On.Event == OnFaultInjected || in.On.Event == OnFaultResolved {
				if i, ok := faultIndex(sc, in.On.Fault); ok {
					if at, ok := earliest(sc, i, len(sc.Faults)); ok {
						if in.On.Event == OnFaultResolved {
							at += stabilityWindow(sc.Faults[i])
						}
						at += in.On.Delay
						e.Earliest = &at
					}
				}
			}
			if at, ok := firstComeback(sc, *in.On); ok {
				e.Earliest = &at
			}
			if in.On.Event == OnHintGiven {
				for _, h := range sc.Hints {
					if h.ID == in.On.Hint {
						at := h.At + in.On.Delay
						e.Earliest = &at
					}
				}
			}
			if in.On.Event == OnInjectPosted {
				if at, ok := injectEarliest(sc, in); ok {
					e.Earliest = &at
				}
			}
			t.Waiting = append(t.Waiting, e)
		}
	}
	for _, h := range sc.Hints {
		at := h.At
		e := TimelineEntry{Kind: EntryHint, ID: h.ID, At: &at, Trigger: "at " + mins(at), Summary: summarize(h.Text), Detail: h.Persona + " → #" + h.Channel}
		if len(h.Faults) > 0 {
			e.Condition = "skipped when " + strings.Join(h.Faults, ", ") + " resolved"
		} else {
			e.Condition = "skipped when every fault is resolved"
		}
		t.Scheduled = append(t.Scheduled, e)
	}
	for _, a := range sc.Alerts {
		t.addAlert(sc, a)
	}
	end := sc.TimeLimit
	t.Scheduled = append(t.Scheduled, TimelineEntry{Kind: EntryEnd, At: &end, Trigger: "at " + mins(end),
		Summary: "the drill ends at the time limit", Detail: "faults with autoRevertAtEnd are reverted"})
	sort.SliceStable(t.Scheduled, func(i, j int) bool { return *t.Scheduled[i].At < *t.Scheduled[j].At })
	sort.SliceStable(t.Waiting, func(i, j int) bool {
		a, b := t.Waiting[i].Earliest, t.Waiting[j].Earliest
		switch {
		case a != nil && b != nil:
			return *a < *b
		default:
			return a != nil && b == nil
		}
	})
	return t, nil
}

func (c *Chain) faultOr(others []string) string {
	if c != nil {
		return c.Fault
	}
	if len(others) == 0 {
		return "earlier faults"
	}
	return strings.Join(others, ", ")
}

func earlierFaults(s *Scenario, f Fault) []string {
	var out []string
	if f.At == nil {
		return nil
	}
	for _, g := range s.Faults {
		if g.ID != f.ID && g.After == nil && g.At != nil && *g.At < *f.At {
			out = append(out, g.ID)
		}
	}
	return out
}

func faultIndex(s *Scenario, id string) (int, bool) {
	for i, f := range s.Faults {
		if f.ID == id {
			return i, true
		}
	}
	return 0, false
}

func faultDetail(f Fault) string {
	t := f.Target
	where := t.Namespace
	if t.Kind != "" {
		where = join2(where, t.Kind)
	}
	if t.Name != "" {
		where = join2(where, t.Name)
	}
	if len(t.Selector) > 0 {
		var sel []string
		for _, k := range sortedKeys(t.Selector) {
			sel = append(sel, k+"="+t.Selector[k])
		}
		where = join2(where, "{"+strings.Join(sel, ",")+"}")
	}
	return f.Injector.String() + " " + where
}

func join2(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

func describeTrigger(t EventTrigger) string {
	var s string
	switch t.Event {
	case OnDrillStarted:
		s = "when the drill starts"
	case OnFaultInjected:
		s = "after " + t.Fault + " injected"
	case OnFaultResolved:
		s = "after " + t.Fault + " resolved"
	case OnFaultRecurred:
		s = "when " + t.Fault + " first comes back"
	case OnNoticePosted:
		s = "after the " + string(t.Notice) + " notice is posted"
		if t.Field != "" {
			s += fmt.Sprintf(" with %s = %s", t.Field, t.Value)
		}
	case OnInjectPosted:
		s = "after inject " + t.Inject
	case OnChatMatched:
		where := "any channel"
		if t.Channel != "" {
			where = "#" + t.Channel
		}
		s = "when a participant " + t.Match.Describe() + " in " + where
	case OnClusterChanged:
		s = "when " + t.Check.Probe.String() + " sees " + strings.TrimPrefix(faultDetail(Fault{Target: t.Check.Target}), "/ ") + " change"
	case OnHintGiven:
		s = "after hint " + t.Hint
	case OnAlertFiring:
		s = "when alert " + t.Alert + " fires"
	case OnAlertResolved:
		s = "when alert " + t.Alert + " resolves"
	default:
		s = "on " + string(t.Event)
	}
	if t.Delay > 0 {
		s += " +" + mins(t.Delay)
	}
	return s
}

// planNotes explains the plan of sc (s at one difficulty): faults with
// variants but none at this level run as written; a fault whose stability
// window cannot finish before the cap is resolved only by hand.
func planNotes(s, sc *Scenario) []string {
	var notes []string
	for _, f := range s.Faults {
		if len(f.Variants) == 0 || sc.Difficulty == "" {
			continue
		}
		v, ok := f.Variants[sc.Difficulty]
		switch {
		case !ok:
			notes = append(notes, fmt.Sprintf("%s has no %s variant: it runs as written (%s)", f.ID, sc.Difficulty, f.Injector))
		case v.Enabled != nil && !*v.Enabled:
			notes = append(notes, fmt.Sprintf("%s is left out at %s (enabled: false), with the injects on its events and the hints only about it", f.ID, sc.Difficulty))
		}
	}
	for i, f := range sc.Faults {
		rw := f.ResolvedWhen
		if len(rw.Probes) == 0 || rw.StableFor == 0 {
			continue
		}
		if at, ok := earliest(sc, i, len(sc.Faults)); ok && at+rw.StableFor >= sc.TimeLimit && at < sc.TimeLimit {
			notes = append(notes, fmt.Sprintf("%s: probes cannot hold for %s before the time limit (injected at %s at the earliest)", f.ID, mins(rw.StableFor), mins(at)))
		}
	}
	return append(notes, lateNotes(sc)...)
}

// lateNotes warns about messages that come too late to matter: a hint after
// the last moment the faults it is about can be resolved by their probes, a
// follow-up that can only come after the cap.
func lateNotes(sc *Scenario) []string {
	var notes []string
	for _, h := range sc.Hints {
		late := true
		for _, f := range sc.Faults {
			if len(h.Faults) > 0 && !contains(h.Faults, f.ID) {
				continue
			}
			if f.ResolvedWhen.Manual || h.At+f.ResolvedWhen.StableFor < sc.TimeLimit {
				late = false
			}
		}
		if late && len(sc.Faults) > 0 {
			notes = append(notes, fmt.Sprintf("hint %s at %s comes after the last moment its faults can be resolved by their probes before the time limit %s", h.ID, mins(h.At), mins(sc.TimeLimit)))
		}
	}
	for _, in := range sc.Injects {
		first, ok := injectEarliest(sc, in)
		if !ok {
			continue
		}
		at := first
		for k, step := range in.Ladder() {
			at += step.After
			if at < sc.TimeLimit {
				continue
			}
			what, noun := "the follow-up of "+in.ID, "the follow-up"
			if len(in.Escalation) > 0 {
				what, noun = fmt.Sprintf("escalation step %d of %s", k+1, in.ID), fmt.Sprintf("step %d", k+1)
			}
			notes = append(notes, fmt.Sprintf("%s can never come: the inject comes at %s at the earliest and %s %s later (%s), not before the time limit %s", what, mins(first), noun, mins(at-first), mins(at), mins(sc.TimeLimit)))
			break
		}
	}
	return notes
}

// injectEarliest returns the earliest drill time an inject can come, when it
// is known.
func injectEarliest(sc *Scenario, in Inject) (Duration, bool) {
	return injectEarliestDepth(sc, in, len(sc.Injects))
}

func injectEarliestDepth(sc *Scenario, in Inject, budget int) (Duration, bool) {
	switch {
	case budget < 0:
		return 0, false
	case in.On != nil && in.On.Event == OnInjectPosted:
		for _, prev := range sc.Injects {
			if prev.ID == in.On.Inject {
				at, ok := injectEarliestDepth(sc, prev, budget-1)
				return at + in.On.Delay, ok
			}
		}
		return 0, false
	case in.At != nil:
		return *in.At, true
	case in.On == nil:
		return 0, false
	case in.On.Event == OnDrillStarted:
		return in.On.Delay, true
	case in.On.Event == OnNoticeMissing && in.On.By != nil:
		return *in.On.By + in.On.Delay, true
	case in.On.Event == OnFaultInjected || in.On.Event == OnFaultResolved:
		if i, ok := faultIndex(sc, in.On.Fault); ok {
			if at, ok := earliest(sc, i, len(sc.Faults)); ok {
				if in.On.Event == OnFaultResolved {
					at += stabilityWindow(sc.Faults[i])
				}
				return at + in.On.Delay, true
			}
		}
	}
	return 0, false
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// resolutionWords says how a fault with a human confirmation is resolved,
// or "" for the usual probes and manual mark.
func resolutionWords(rw ResolvedWhen) string {
	if rw.Confirm == "" {
		return ""
	}
	confirm := "a participant confirms “" + rw.Confirm + "”"
	if len(rw.Probes) == 0 {
		return "resolved when " + confirm
	}
	probes := "its probes hold"
	if rw.StableFor > 0 {
		probes += " " + mins(rw.StableFor)
	}
	if rw.Require == RequireAny {
		return "resolved when " + probes + " or " + confirm
	}
	return "resolved when " + probes + " and " + confirm
}
