package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// candidates checks the candidates a scenario keeps and the candidate
// limits of its faults, alerts, injects, hints and rehearsal steps, then
// every candidate at every difficulty it can be played at.
func (v *validator) candidates() {
	s := v.s
	known := map[string]bool{}
	if len(s.Candidates) == 0 && v.d.pos["candidates"] != (pos{}) && !v.d.noPositions {
		v.errf("candidates", "no candidates, expected at least one (id, title, description), or no candidates field")
	}
	for i, c := range s.Candidates {
		path := index("candidates", i)
		v.id(path+".id", c.ID)
		if known[c.ID] && c.ID != "" {
			v.errf(path+".id", "duplicate candidate id %q, expected each candidate to have its own id", c.ID)
		}
		known[c.ID] = true
		if strings.TrimSpace(c.Title) == "" {
			v.errf(path+".title", "empty title, expected the name the facilitator picks the candidate by")
		}
	}
	for _, l := range v.candidateLimits() {
		for j, id := range l.ids {
			p := index(l.path+".candidates", j)
			switch {
			case len(s.Candidates) == 0:
				v.errf(p, "candidate %q, but the scenario declares no candidates; expected a top-level candidates: list with %q, or no candidates here", id, id)
			case !known[id]:
				v.errf(p, "unknown candidate %q, expected one of: %s", id, strings.Join(s.CandidateIDs(), ", "))
			}
		}
	}
	if len(v.d.errs) > 0 {
		return
	}
	for i, c := range s.Candidates {
		v.candidateFaults(i, c.ID)
	}
}

type candidateLimit struct {
	path string
	ids  []string
}

// candidateLimits returns every candidates: list of the scenario with its
// path.
func (v *validator) candidateLimits() []candidateLimit {
	s := v.s
	var out []candidateLimit
	add := func(path string, ids []string) {
		if len(ids) > 0 {
			out = append(out, candidateLimit{path, ids})
		}
	}
	for i, f := range s.Faults {
		add(index("faults", i), f.Candidates)
	}
	for i, a := range s.Alerts {
		add(index("alerts", i), a.Candidates)
	}
	for i, in := range s.Injects {
		add(index("injects", i), in.Candidates)
	}
	for i, h := range s.Hints {
		add(index("hints", i), h.Candidates)
	}
	if s.Rehearsal != nil {
		for i, rb := range s.Rehearsal.Robots {
			for j, st := range rb.Steps {
				add(index(index("rehearsal.robots", i)+".steps", j), st.Candidates)
			}
		}
	}
	return out
}

// candidateFaults reports a candidate that plays no fault, and a fault the
// candidate plays that waits for (after) or depends on (onlyIf, unless) a
// fault the candidate leaves out.
func (v *validator) candidateFaults(k int, id string) {
	s := v.s
	played := 0
	for i, f := range s.Faults {
		if !inCandidate(f.Candidates, id) {
			continue
		}
		played++
		path := index("faults", i)
		refs := []struct{ path, fault string }{}
		if f.After != nil {
			refs = append(refs, struct{ path, fault string }{path + ".after.fault", f.After.Fault})
		}
		for name, c := range map[string]*Condition{"onlyIf": f.OnlyIf, "unless": f.Unless} {
			if c != nil {
				refs = append(refs,
					struct{ path, fault string }{path + "." + name + ".faultActive", c.FaultActive},
					struct{ path, fault string }{path + "." + name + ".faultResolved", c.FaultResolved})
			}
		}
		slices.SortFunc(refs, func(a, b struct{ path, fault string }) int { return strings.Compare(a.path, b.path) })
		for _, r := range refs {
			j, ok := v.faults[r.fault]
			if r.fault == "" || !ok || inCandidate(s.Faults[j].Candidates, id) {
				continue
			}
			v.errf(r.path, "candidate %q plays fault %q but leaves out %s, which it depends on (%s is limited to candidates: %s); expected %q in %s's candidates, or %s limited to candidates: %s",
				id, f.ID, r.fault, r.fault, strings.Join(s.Faults[j].Candidates, ", "), id, r.fault, f.ID, strings.Join(s.Faults[j].Candidates, ", "))
		}
	}
	if played == 0 {
		v.errf(index("candidates", k), "candidate %q plays no fault (every fault is limited to other candidates), expected at least one fault without candidates or with %q in its candidates", id, id)
	}
}

// candidatePlays checks the scenario as every candidate plays it at every
// difficulty it can be played at, with the loader's rules: what a drill
// created with that choice would run.
func (v *validator) candidatePlays() {
	if len(v.d.errs) > 0 || v.d.noPositions {
		return
	}
	var found playedErrors
	for i, c := range v.s.Candidates {
		sc, err := v.s.ForCandidate(c.ID)
		if err != nil {
			v.errf(index("candidates", i), "%v", err)
			continue
		}
		for _, d := range sc.PlayableDifficulties() {
			sd, err := sc.ForDifficulty(d)
			if err == nil {
				sd.Source = ""
				err = sd.Validate()
			}
			var list ErrorList
			if !errors.As(err, &list) {
				if err != nil {
					v.errf(index("candidates", i), "candidate %s%s: %v", c.ID, atLevel(d), err)
				}
				continue
			}
			for _, e := range list {
				found.add(v, sd, e, index("candidates", i), c.ID, d)
			}
		}
	}
	found.report(v)
}

// atLevel words a difficulty for a message: " at difficulty hard", or
// nothing for the base settings.
func atLevel(d Difficulty) string {
	if d == "" {
		return ""
	}
	return fmt.Sprintf(" at difficulty %s", d)
}

// previousStage returns the time of the hint before hint i that a drill
// can play together with it, or -1: hints of different candidates are
// alternatives, so each candidate's stages need only be in time order
// among themselves.
func (v *validator) previousStage(i int) Duration {
	s := v.s
	for j := i - 1; j >= 0; j-- {
		if len(s.Candidates) == 0 || slices.ContainsFunc(s.Candidates, func(c Candidate) bool {
			return v.hintPlayedBy(s.Hints[i], c.ID) && v.hintPlayedBy(s.Hints[j], c.ID)
		}) {
			return s.Hints[j].At
		}
	}
	return -1
}

// hintPlayedBy reports whether candidate id can give hint h: h is not
// limited to other candidates, and when it is about faults, the candidate
// plays one of them.
func (v *validator) hintPlayedBy(h HintStage, id string) bool {
	if !inCandidate(h.Candidates, id) {
		return false
	}
	if len(h.Faults) == 0 {
		return true
	}
	return slices.ContainsFunc(h.Faults, func(f string) bool {
		j, ok := v.faults[f]
		return !ok || inCandidate(v.s.Faults[j].Candidates, id)
	})
}
