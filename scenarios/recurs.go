package scenarios

import "fmt"

// MaxRecurrences bounds recurs.times: a cascade comes back at most this
// many times in one drill.
const MaxRecurrences = 10

// recurrence checks a fault's recurs: a cause to wait on, a delay and a
// bound; and warns when some of its comebacks can never happen before the
// cap.
func (v *validator) recurrence(i int) {
	f := v.s.Faults[i]
	r := f.Recurs
	if r == nil {
		return
	}
	path := index("faults", i) + ".recurs"
	// A field the decoder already refused (missing, not a duration) is
	// not reported twice.
	switch {
	case v.d.hasErr(path + ".while"):
	case r.While == (Condition{}):
		v.errf(path+".while", "empty condition, expected the cause the fault comes back for, e.g. {faultActive: leak}")
	case r.While.FaultActive == f.ID:
		v.errf(path+".while.faultActive", "a fault cannot come back because of itself, expected its cause, another fault, e.g. {faultActive: leak}")
		w := r.While
		w.FaultActive = ""
		if w != (Condition{}) {
			v.condition(path+".while", w, f.ID)
		}
	default:
		v.condition(path+".while", r.While, f.ID)
	}
	if r.After <= 0 && !v.d.hasErr(path+".after") {
		v.errf(path+".after", "after 0m, expected how long after participants fix the fault it comes back, e.g. 2m")
	}
	if (r.Times < 1 || r.Times > MaxRecurrences) && !v.d.hasErr(path+".times") {
		v.errf(path+".times", "times %d, expected how many times at most the fault comes back, from 1 to %d", r.Times, MaxRecurrences)
		return
	}
	if r.After <= 0 || r.Times < 1 {
		return
	}
	first, ok := earliest(v.s, i, len(v.s.Faults))
	if !ok || first >= v.limit {
		return
	}
	n, at := PossibleRecurrences(f, first, v.limit)
	switch {
	case n == 0:
		v.warnf(path, "the fault is fixed at %s at the earliest and would come back %s later, at %s, not before the time limit %s: it can never come back; expected a shorter after or an earlier start", mins(first+stabilityWindow(f)), mins(r.After), mins(at), mins(v.limit))
	case n < r.Times:
		v.warnf(path+".times", "only %d of the %d comebacks can happen before the time limit %s (each needs the fix, %s of stable probes, and %s); expected times: %d or a shorter after", n, r.Times, mins(v.limit), mins(stabilityWindow(f)), mins(r.After), n)
	}
}

// PossibleRecurrences returns how many of f's comebacks can happen before
// limit when f is first injected at first: each needs the fault fixed
// (its probes held for stableFor) and then recurs.after. next is the
// earliest time of the first comeback that cannot happen.
func PossibleRecurrences(f Fault, first, limit Duration) (n int, next Duration) {
	r := f.Recurs
	if r == nil || r.After <= 0 {
		return 0, 0
	}
	step := stabilityWindow(f) + r.After
	at := first + step
	for n < r.Times && at < limit {
		n++
		at += step
	}
	return n, at
}

// Describe says the recurrence in words, e.g. "comes back 2m after it is
// fixed while leak is still active, at most 3 times".
func (r Recurrence) Describe() string {
	times := "once"
	if r.Times != 1 {
		times = fmt.Sprintf("%d times", r.Times)
	}
	return fmt.Sprintf("comes back %s after it is fixed while %s, at most %s", mins(r.After), r.While.Describe(), times)
}

// recurWords says in a plan how fault i of sc comes back, with the earliest
// time of its first comeback and how many can happen before the cap.
func recurWords(sc *Scenario, i int) string {
	f := sc.Faults[i]
	w := f.Recurs.Describe()
	first, ok := earliest(sc, i, len(sc.Faults))
	if !ok || f.Recurs.After <= 0 {
		return w
	}
	n, _ := PossibleRecurrences(f, first, sc.TimeLimit)
	if n == 0 {
		return w + " (never before the time limit)"
	}
	w += fmt.Sprintf(" (first at %s at the earliest", mins(first+stabilityWindow(f)+f.Recurs.After))
	if n < f.Recurs.Times {
		w += fmt.Sprintf("; only %d before the time limit", n)
	}
	return w + ")"
}

// hasErr reports whether an error was already recorded at path.
func (d *decoder) hasErr(path string) bool {
	for _, e := range d.errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

// comesBack checks that a fault.recurred trigger names a fault that can
// come back.
func (v *validator) comesBack(path, id string) {
	for _, f := range v.s.Faults {
		if f.ID == id && f.Recurs == nil {
			v.errf(path, "fault %q never comes back, expected a fault with recurs (or event fault.injected or fault.resolved)", id)
		}
	}
}

// firstComeback returns the earliest drill time a fault.recurred trigger
// fires: the fault injected at the earliest, fixed, and back after
// recurs.after, plus the trigger's delay.
func firstComeback(sc *Scenario, t EventTrigger) (Duration, bool) {
	if t.Event != OnFaultRecurred {
		return 0, false
	}
	i, ok := faultIndex(sc, t.Fault)
	if !ok || sc.Faults[i].Recurs == nil {
		return 0, false
	}
	first, ok := earliest(sc, i, len(sc.Faults))
	f := sc.Faults[i]
	return first + stabilityWindow(f) + f.Recurs.After + t.Delay, ok
}
