package scenarios

import (
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Candidate is one of several alternative drills a designer keeps in one
// file ("several candidates, then pick"): the facilitator picks one when the
// drill is created, depending on the day and the people present. Faults,
// alerts, injects, hints and rehearsal steps that list candidates are
// played only by those; the ones that list none are played by every
// candidate. Difficulty variants apply on top of the chosen candidate.
type Candidate struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// Description tells the facilitator what the candidate is and when to
	// pick it; participants never see it.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Solution, when set, replaces the scenario's solution (the designer's
	// best response, opened at the retro) for this candidate.
	Solution string `yaml:"solution,omitempty" json:"solution,omitempty"`
}

// CandidateIDs returns the ids of the scenario's candidates in file order;
// nil when it has none.
func (s *Scenario) CandidateIDs() []string {
	var out []string
	for _, c := range s.Candidates {
		out = append(out, c.ID)
	}
	return out
}

// PlayableCandidates returns every candidate a drill of s can be created
// with: its candidates' ids, or "" alone when it has none. Checks that must
// cover every drill iterate over it (with PlayableDifficulties).
func (s *Scenario) PlayableCandidates() []string {
	if len(s.Candidates) == 0 {
		return []string{""}
	}
	return s.CandidateIDs()
}

// DescribeCandidates lists the candidates for an error message: `a ("Title
// A"), b ("Title B")`.
func (s *Scenario) DescribeCandidates() string {
	parts := make([]string, len(s.Candidates))
	for i, c := range s.Candidates {
		parts[i] = fmt.Sprintf("%s (%q)", c.ID, c.Title)
	}
	return strings.Join(parts, ", ")
}

// ForCandidate returns a deep copy of s that plays candidate id: faults,
// alerts, injects, hints and rehearsal steps limited to other candidates
// are left out, with the injects and hints that only follow a fault left
// out (as for a fault a difficulty disables); the candidate's solution
// replaces the scenario's. Candidates is cleared and Candidate set. A
// scenario with candidates has no default: an empty id is an error that
// lists them, so a drill never plays a candidate nobody picked. A scenario
// without candidates accepts only an empty id.
func (s *Scenario) ForCandidate(id string) (*Scenario, error) {
	if len(s.Candidates) == 0 {
		if id != "" {
			return nil, fmt.Errorf("candidate %q: the scenario has no candidates, expected none", id)
		}
		return s.Clone(), nil
	}
	if id == "" {
		return nil, errChooseCandidate(s)
	}
	k := slices.IndexFunc(s.Candidates, func(c Candidate) bool { return c.ID == id })
	if k < 0 {
		return nil, fmt.Errorf("unknown candidate %q, expected one of: %s", id, s.DescribeCandidates())
	}
	c := s.Clone()
	chosen := c.Candidates[k]
	dropped := map[string]bool{}
	c.Faults = slices.DeleteFunc(c.Faults, func(f Fault) bool {
		dropped[f.ID] = !inCandidate(f.Candidates, id)
		return dropped[f.ID]
	})
	c.Alerts = slices.DeleteFunc(c.Alerts, func(a Alert) bool {
		return !inCandidate(a.Candidates, id) || a.On != nil && dropped[a.On.Fault] || a.Until != nil && dropped[a.Until.Fault]
	})
	c.Injects = slices.DeleteFunc(c.Injects, func(in Inject) bool {
		return !inCandidate(in.Candidates, id) || in.On != nil && dropped[in.On.Fault]
	})
	c.Hints = slices.DeleteFunc(c.Hints, func(h HintStage) bool {
		if !inCandidate(h.Candidates, id) {
			return true
		}
		return len(h.Faults) > 0 && !slices.ContainsFunc(h.Faults, func(f string) bool { return !dropped[f] })
	})
	c.Injects, c.Alerts = dropOrphans(c.Injects, c.Alerts, c.Hints)
	for i := range c.Hints {
		c.Hints[i].Faults = slices.DeleteFunc(c.Hints[i].Faults, func(f string) bool { return dropped[f] })
	}
	if c.Rehearsal != nil {
		kept := keptOf(c.Injects, c.Alerts, c.Hints)
		for i := range c.Rehearsal.Robots {
			rb := &c.Rehearsal.Robots[i]
			rb.Steps = slices.DeleteFunc(numberSteps(rb.Steps), func(st RobotStep) bool {
				return !inCandidate(st.Candidates, id) || stepLeftOut(st, dropped, kept)
			})
		}
	}
	clearCandidates(c)
	if chosen.Solution != "" {
		c.Solution = chosen.Solution
	}
	chosen.Solution = "" // now the scenario's solution
	c.Candidates, c.Candidate = nil, &chosen
	return c, nil
}

// inCandidate reports whether something limited to ids is played by
// candidate id: a list that is empty, or names id.
func inCandidate(ids []string, id string) bool {
	return len(ids) == 0 || slices.Contains(ids, id)
}

// clearCandidates removes the candidate limits of a scenario that plays one
// candidate.
func clearCandidates(c *Scenario) {
	for i := range c.Faults {
		c.Faults[i].Candidates = nil
	}
	for i := range c.Alerts {
		c.Alerts[i].Candidates = nil
	}
	for i := range c.Injects {
		c.Injects[i].Candidates = nil
	}
	for i := range c.Hints {
		c.Hints[i].Candidates = nil
	}
	if c.Rehearsal != nil {
		for i := range c.Rehearsal.Robots {
			for j := range c.Rehearsal.Robots[i].Steps {
				c.Rehearsal.Robots[i].Steps[j].Candidates = nil
			}
		}
	}
}

// ForPlay returns the copy of s a drill plays: candidate first (see
// ForCandidate), then difficulty d (see ForDifficulty).
func (s *Scenario) ForPlay(candidate string, d Difficulty) (*Scenario, error) {
	c, err := s.ForCandidate(candidate)
	if err != nil {
		return nil, err
	}
	return c.ForDifficulty(d)
}

func (d *decoder) candidates(n *yaml.Node, path string, into *[]Candidate) {
	d.list(n, path, func(v *yaml.Node, p string, _ int) {
		var x Candidate
		d.object(v, p, []field{
			{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
			{"title", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Title) }},
			{"description", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Description) }},
			{"solution", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Solution) }},
		})
		*into = append(*into, x)
	})
}

// errChooseCandidate is the error for a scenario with candidates used
// without one chosen.
func errChooseCandidate(s *Scenario) error {
	return fmt.Errorf("the scenario keeps %d candidates, expected one of them to be chosen: %s", len(s.Candidates), s.DescribeCandidates())
}

// PlanCandidate returns the planned timeline of s played as candidate id
// at difficulty d (see ForCandidate and Plan); the timeline names the
// candidate and lists every candidate of the file.
func PlanCandidate(s *Scenario, id string, d Difficulty) (*Timeline, error) {
	sc, err := s.ForCandidate(id)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", s.Metadata.Name, err)
	}
	t, err := Plan(sc, d)
	if err != nil {
		return nil, err
	}
	t.Candidate = id
	t.Candidates = slices.Clone(s.Candidates)
	for i := range t.Candidates {
		t.Candidates[i].Solution = "" // secret until the retro; the plan names the choice
	}
	return t, nil
}

// writeCandidates writes the plan's candidate lines: the one planned, and
// the others the file keeps.
func writeCandidates(b *strings.Builder, t *Timeline) {
	for _, c := range t.Candidates {
		mark := "  "
		if c.ID == t.Candidate {
			mark = "▶ "
		}
		fmt.Fprintf(b, "%scandidate %s — %s", mark, c.ID, c.Title)
		if c.Description != "" {
			fmt.Fprintf(b, ": %s", summarize(c.Description))
		}
		b.WriteString("\n")
	}
}
