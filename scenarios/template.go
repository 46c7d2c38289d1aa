package scenarios

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// TemplateData is what the text of an inject, a follow-up or a hint can use,
// e.g. {{.Elapsed}} or {{(fault "db-config").Title}} (fault ids contain
// dashes, so they are looked up with the fault function).
type TemplateData struct {
	// Elapsed is the drill time so far, formatted like "42m".
	Elapsed string
	// Remaining is the time left before the cap, formatted like "48m".
	Remaining string
	// DrillTitle is the scenario's metadata.title.
	DrillTitle string
	// Team is the scenario's metadata.team.
	Team string
	// Faults holds every fault of the scenario by id.
	Faults map[string]FaultData
	// Fault is the fault whose event triggered the message; nil for messages
	// triggered by time, notices, alerts or hints.
	Fault *FaultData
	// Now is the wall-clock time, formatted by the caller (e.g. "14:05").
	Now string
}

// FaultData is what templates can say about one fault.
type FaultData struct {
	ID     string
	Title  string
	Impact string
	// State is the fault's state in the drill: pending, injected, resolved,
	// skipped or reverted.
	State string
}

// FormatElapsed formats a drill time the way templates show it: whole
// minutes ("42m"), or hours and minutes past an hour ("1h5m").
func FormatElapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return Duration(d.Truncate(time.Minute)).String()
}

// templateFuncs are the functions message templates can call. fault looks a
// fault up by id, which {{.Faults.id}} cannot do for ids with dashes:
// {{(fault "db-config").Title}}. An unknown id is an error.
func templateFuncs(data TemplateData) template.FuncMap {
	return template.FuncMap{
		"fault": func(id string) (FaultData, error) {
			f, ok := data.Faults[id]
			if !ok {
				return FaultData{}, fmt.Errorf("unknown fault %q, expected one of: %s", id, listOr(sortedKeys(data.Faults)))
			}
			return f, nil
		},
	}
}

// parseTemplate parses text as a message template. Unknown map keys are an
// error rather than "<no value>".
func parseTemplate(name, text string, data TemplateData) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Funcs(templateFuncs(data)).Parse(text)
}

// RenderText renders a message template with data.
func RenderText(text string, data TemplateData) (string, error) {
	t, err := parseTemplate("text", text, data)
	if err != nil {
		return "", fmt.Errorf("render text: %s", cleanTemplateError(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render text: %s", cleanTemplateError(err))
	}
	return b.String(), nil
}

// templateFields lists the values a template may use, for error messages.
const templateFields = ".Elapsed, .Remaining, .DrillTitle, .Team, .Faults, .Fault, .Now"

// cleanTemplateError turns a text/template error into a designer-facing
// message, keeping the line and column inside the text.
func cleanTemplateError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	// "text:1:8: executing "text" at <.Elapsd>: can't evaluate field ..."
	if i := strings.Index(msg, ": executing \""); i >= 0 {
		where := msg[:i]
		rest := msg[i+len(": executing \""):]
		if j := strings.Index(rest, "\" "); j >= 0 {
			rest = rest[j+2:]
		}
		msg = where + ": " + rest
	}
	if strings.Contains(msg, "can't evaluate field") {
		msg += "; expected one of: " + templateFields
	}
	if strings.Contains(msg, "nil pointer evaluating *scenarios.FaultData") {
		msg += "; .Fault is only set for messages triggered by a fault event (on: {event: fault.injected|fault.resolved})"
	}
	if strings.Contains(msg, "map has no entry for key") {
		msg += "; .Faults is keyed by fault id (use {{(fault \"id\").Title}} for ids with dashes)"
	}
	msg = strings.Replace(msg, "error calling fault: ", "", 1)
	return msg
}

// checkTemplate parses text and executes it against sample data, so that
// syntax errors and unknown values are found at load time. withFault says
// whether the message is triggered by a fault event.
func checkTemplate(s *Scenario, text string, withFault bool) error {
	data := sampleData(s, withFault)
	t, err := parseTemplate("text", text, data)
	if err != nil {
		return fmt.Errorf("invalid template: %s", cleanTemplateError(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("invalid template: %s", cleanTemplateError(err))
	}
	return nil
}

func sampleData(s *Scenario, withFault bool) TemplateData {
	data := TemplateData{
		Elapsed:    "42m",
		Remaining:  "48m",
		DrillTitle: s.Metadata.Title,
		Team:       s.Metadata.Team,
		Faults:     map[string]FaultData{},
		Now:        "14:05",
	}
	for _, f := range s.Faults {
		data.Faults[f.ID] = FaultData{ID: f.ID, Title: f.Title, Impact: f.Impact, State: "injected"}
	}
	if withFault {
		data.Fault = &FaultData{ID: "sample", Title: "sample fault", Impact: "sample impact", State: "injected"}
	}
	return data
}
