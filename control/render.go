package control

import (
	"encoding/json"
	"fmt"
	"strings"
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

// checkScenario refuses a scenario the engine cannot run, naming the field.
// The scenario loader validates far more; this guards the engine's own
// invariants for scenarios built in code.
func checkScenario(s *scenarios.Scenario) error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if s.TimeLimit.D() > scenarios.MaxTimeLimit {
		bad("timeLimit: %s is over the 90m cap", s.TimeLimit)
	}
	if len(s.Faults) == 0 {
		bad("faults: a drill needs at least one fault")
	}
	personas := map[string]bool{}
	for _, p := range s.Personas {
		personas[p.ID] = true
	}
	channels := map[string]bool{scenarios.BackroomChannel: true}
	for _, c := range s.Channels {
		channels[c.ID] = true
	}
	faults := map[string]int{}
	for i, f := range s.Faults {
		path := fmt.Sprintf("faults[%d]", i)
		if f.ID == "" {
			bad("%s.id: required", path)
		} else if _, dup := faults[f.ID]; dup {
			bad("%s.id: %q is used twice", path, f.ID)
		}
		faults[f.ID] = i
		if f.Injector.Plugin == "" || f.Injector.Type == "" {
			bad("%s.injector: expected plugin/type", path)
		}
		if _, err := json.Marshal(f.Params); err != nil {
			bad("%s.params: %v", path, err)
		}
		if f.After != nil && f.At != nil {
			bad("%s: at and after are both set, expected one", path)
		}
		if len(f.ResolvedWhen.Probes) == 0 && !f.ResolvedWhen.Manual {
			bad("%s.resolvedWhen: expected probes or manual: true", path)
		}
	}
	for i, f := range s.Faults {
		if f.After != nil {
			if j, ok := faults[f.After.Fault]; !ok || j == i {
				bad("faults[%d].after.fault: %q is not another fault of the scenario", i, f.After.Fault)
			}
		}
	}
	ids := map[string]bool{}
	for i, in := range s.Injects {
		path := fmt.Sprintf("injects[%d]", i)
		if in.ID == "" || ids[in.ID] {
			bad("%s.id: %q is empty or used twice", path, in.ID)
		}
		ids[in.ID] = true
		if !personas[in.Persona] {
			bad("%s.persona: %q is not a persona of the scenario", path, in.Persona)
		}
		if !channels[in.Channel] {
			bad("%s.channel: %q is not a channel of the scenario", path, in.Channel)
		}
		if (in.At == nil) == (in.On == nil) {
			bad("%s: expected exactly one of at and on", path)
		}
		if in.On != nil && in.On.Fault != "" {
			if _, ok := faults[in.On.Fault]; !ok {
				bad("%s.on.fault: %q is not a fault of the scenario", path, in.On.Fault)
			}
		}
		if in.On != nil && in.On.Event == scenarios.OnNoticeMissing && in.On.By == nil {
			bad("%s.on.by: required for notice.missing", path)
		}
	}
	hints := map[string]bool{}
	for i, h := range s.Hints {
		path := fmt.Sprintf("hints[%d]", i)
		if h.ID == "" || hints[h.ID] {
			bad("%s.id: %q is empty or used twice", path, h.ID)
		}
		hints[h.ID] = true
		if !personas[h.Persona] {
			bad("%s.persona: %q is not a persona of the scenario", path, h.Persona)
		}
		if !channels[h.Channel] {
			bad("%s.channel: %q is not a channel of the scenario", path, h.Channel)
		}
	}
	alerts := map[string]bool{}
	for i, a := range s.Alerts {
		path := fmt.Sprintf("alerts[%d]", i)
		if a.ID == "" || alerts[a.ID] {
			bad("%s.id: %q is empty or used twice", path, a.ID)
		}
		alerts[a.ID] = true
		if !personas[a.Persona] {
			bad("%s.persona: %q is not a persona of the scenario", path, a.Persona)
		}
		if !channels[a.Channel] {
			bad("%s.channel: %q is not a channel of the scenario", path, a.Channel)
		}
	}
	if len(errs) > 0 {
		return injectors.Errorf(injectors.EINVALID, "scenario %s: %s", s.Metadata.Name, strings.Join(errs, "; "))
	}
	return nil
}
