package control

import (
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// textData returns the values inject, follow-up and hint texts can use.
func (d *Drill) textData(now time.Time, faultID string) scenarios.TemplateData {
	el := d.Elapsed(now)
	td := scenarios.TemplateData{
		Elapsed: scenarios.FormatElapsed(el), Remaining: scenarios.FormatElapsed(d.TimeLimit() - el),
		DrillTitle: d.Scenario.Metadata.Title, Team: d.Scenario.Metadata.Team,
		Faults: map[string]scenarios.FaultData{}, Now: now.Format("15:04"),
	}
	for i, f := range d.Faults {
		fd := scenarios.FaultData{ID: f.ID, Title: f.Title, Impact: d.Scenario.Faults[i].Impact, State: templateState(f.Phase)}
		td.Faults[f.ID] = fd
		if f.ID == faultID {
			td.Fault = &fd
		}
	}
	return td
}

// templateState maps a fault phase to the states templates know: pending,
// injected, resolved, skipped or reverted.
func templateState(p FaultPhase) string {
	switch p {
	case FaultInjecting, FaultInEffect:
		return "injected"
	case FaultResolved:
		return "resolved"
	case FaultReverting, FaultReverted:
		return "reverted"
	case FaultSkipped, FaultFailed:
		return "skipped"
	}
	return "pending"
}

// renderText renders a scenario text template. On failure the raw text is
// returned with the error, which the caller records: the persona still
// speaks, and the designer learns what to fix.
func renderText(text string, data scenarios.TemplateData) (string, error) {
	out, err := scenarios.RenderText(text, data)
	if err != nil {
		return text, err
	}
	return out, nil
}

// forDifficulty returns a copy of s with the difficulty variant applied
// (see scenarios.Scenario.ForDifficulty) and the difficulty used.
func forDifficulty(s *scenarios.Scenario, d scenarios.Difficulty) (*scenarios.Scenario, scenarios.Difficulty, error) {
	c, err := s.ForDifficulty(d)
	if err != nil {
		return nil, "", injectors.Errorf(injectors.EINVALID, "%v", err)
	}
	c.Source = s.Source
	return c, c.Difficulty, nil
}

// checkScenario refuses a scenario the engine cannot run. The rules are
// the scenario's own (scenarios.Scenario.Validate, the loader's rules), so
// a scenario built in code is held to what a file is held to.
func checkScenario(s *scenarios.Scenario) error {
	if err := s.Validate(); err != nil {
		return injectors.Errorf(injectors.EINVALID, "%v", err)
	}
	return nil
}
