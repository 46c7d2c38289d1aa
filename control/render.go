package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// textData is what inject, follow-up and hint texts can use in their
// templates: {{.Elapsed}}, {{.Remaining}}, {{.DrillTitle}}, {{.Team}},
// {{(index .Faults "db").Impact}}, {{.Fault.Title}} and {{.Now}}.
type textData struct {
	Elapsed    scenarios.Duration
	Remaining  scenarios.Duration
	DrillTitle string
	Team       string
	Faults     map[string]faultData
	Fault      faultData
	Now        string
}

type faultData struct {
	Title  string
	Impact string
	State  string
}

func (d *Drill) textData(now time.Time, faultID string) textData {
	el := d.Elapsed(now)
	rem := d.TimeLimit() - el
	if rem < 0 {
		rem = 0
	}
	td := textData{
		Elapsed: scenarios.Duration(el.Truncate(time.Minute)), Remaining: scenarios.Duration(rem.Truncate(time.Minute)),
		DrillTitle: d.Title, Team: d.Scenario.Metadata.Team, Faults: map[string]faultData{}, Now: now.Format("15:04"),
	}
	for i, f := range d.Faults {
		fd := faultData{Title: f.Title, Impact: d.Scenario.Faults[i].Impact, State: string(f.Phase)}
		td.Faults[f.ID] = fd
		if f.ID == faultID {
			td.Fault = fd
		}
	}
	return td
}

// renderText renders a scenario text template. A template that does not
// parse or execute is an error the caller records; the raw text is returned
// with it so the persona still speaks.
func renderText(text string, data textData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := template.New("text").Option("missingkey=error").Parse(text)
	if err != nil {
		return text, fmt.Errorf("template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return text, fmt.Errorf("template: %w", err)
	}
	return b.String(), nil
}

// forDifficulty returns a deep copy of s with the fault variants of the
// difficulty merged in (title, description and target replaced, params
// merged key by key) and the variants cleared.
func forDifficulty(s *scenarios.Scenario, d scenarios.Difficulty) (*scenarios.Scenario, scenarios.Difficulty, error) {
	if d == "" {
		d = s.Difficulty
	}
	switch d {
	case "", scenarios.Hard, scenarios.Medium, scenarios.Easy:
	default:
		return nil, "", Errorf(EINVALID, "difficulty %q is not a level, expected hard, medium or easy", d)
	}
	b, err := scenarioJSON(s)
	if err != nil {
		return nil, "", Errorf(EINVALID, "scenario does not encode: %v", err)
	}
	var c scenarios.Scenario
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, "", Errorf(EINVALID, "scenario does not decode: %v", err)
	}
	c.Source = s.Source
	for i := range c.Faults {
		f := &c.Faults[i]
		if v, ok := f.Variants[d]; ok && d != "" {
			if v.Title != "" {
				f.Title = v.Title
			}
			if v.Description != "" {
				f.Description = v.Description
			}
			if v.Target != nil {
				f.Target = *v.Target
			}
			if len(v.Params) > 0 && f.Params == nil {
				f.Params = map[string]any{}
			}
			for k, val := range v.Params {
				f.Params[k] = val
			}
		}
		f.Variants = nil
	}
	c.Difficulty = d
	return &c, d, nil
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
		return Errorf(EINVALID, "scenario %s: %s", s.Metadata.Name, strings.Join(errs, "; "))
	}
	return nil
}
