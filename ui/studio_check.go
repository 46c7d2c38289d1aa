package ui

import (
	"errors"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// The studio's validation is bounded: the text by the loader's size limit
// (scenarios.MaxFileSize; depth and the template budget are the loader's
// own), the time of one check, and how many run at once in the server.
const (
	// studioCheckTimeout is the longest one check may take.
	studioCheckTimeout = 3 * time.Second
	// studioChecksAtOnce is how many checks run at once, server-wide.
	studioChecksAtOnce = 2
	// maxStudioBody bounds the studio's request bodies: a scenario at the
	// loader's limit, escaped as JSON, with room for the rest.
	maxStudioBody = 3*scenarios.MaxFileSize + 64<<10
)

// DefaultStudioCheckLimit is a person's validation budget: the editor
// checks after half a second of quiet, so a burst of 20 and one every
// 250 ms is more than anyone typing needs.
var DefaultStudioCheckLimit = RateLimit{Burst: 20, Every: 250 * time.Millisecond}

// Problem is one problem the validator found, at line:column of the text.
type Problem struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// problemsOf lists the problems of a Parse error and the warnings of a
// scenario that loaded.
func problemsOf(sc *scenarios.Scenario, err error) []Problem {
	out := []Problem{}
	var list scenarios.ErrorList
	switch {
	case errors.As(err, &list):
	case err != nil:
		return append(out, Problem{Line: 1, Column: 1, Message: err.Error(), Severity: "error"})
	case sc != nil:
		list = sc.Warnings
	}
	for _, e := range list {
		sev := "error"
		if e.Warning() {
			sev = "warning"
		}
		line, col := e.Line, e.Column
		if line < 1 {
			line, col = 1, 1
		}
		out = append(out, Problem{Line: line, Column: col, Path: e.Path, Message: e.Message, Severity: sev})
	}
	return out
}

// GanttRow is one bar or marker of the preview's Gantt chart. Times are
// drill milliseconds; StartMs is the time it fires, or the earliest it can
// (Waiting), and absent when no time is known (on demand, on an alert).
type GanttRow struct {
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	Summary   string `json:"summary"`
	Detail    string `json:"detail,omitempty"`
	Trigger   string `json:"trigger"`
	Condition string `json:"condition,omitempty"`
	StartMs   *int64 `json:"startMs,omitempty"`
	Waiting   bool   `json:"waiting,omitempty"`
	// After is the fault a chained fault waits for (an arrow in the chart).
	After string `json:"after,omitempty"`
}

// StudioPlan is the preview of one difficulty (of one candidate, for a
// scenario that keeps candidates).
type StudioPlan struct {
	Difficulty     string     `json:"difficulty"`
	Candidate      string     `json:"candidate,omitempty"`
	CandidateTitle string     `json:"candidateTitle,omitempty"`
	TimeLimitMs    int64      `json:"timeLimitMs"`
	Rows           []GanttRow `json:"rows"`
	Notes          []string   `json:"notes,omitempty"`
}

// PreviewMessage is a persona's message as participants will read it,
// rendered with the sample values.
type PreviewMessage struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Persona string `json:"persona"`
	Channel string `json:"channel"`
	When    string `json:"when"`
	Text    string `json:"text"`
}

// preview plans the scenario at each of its difficulties, as each of its
// candidates, and renders its persona messages.
func preview(sc *scenarios.Scenario) ([]StudioPlan, []PreviewMessage, error) {
	// A scenario with variants is played at any of the three levels (a
	// fault without a variant at one runs as written, as the plan notes).
	levels := []scenarios.Difficulty{""}
	if len(sc.Difficulties()) > 0 {
		levels = []scenarios.Difficulty{scenarios.Hard, scenarios.Medium, scenarios.Easy}
	}
	plans := []StudioPlan{}
	for _, c := range sc.PlayableCandidates() {
		played, err := sc.ForCandidate(c)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range levels {
			p, err := planOf(played, d)
			if err != nil {
				return nil, nil, err
			}
			if played.Candidate != nil {
				p.Candidate, p.CandidateTitle = played.Candidate.ID, played.Candidate.Title
			}
			plans = append(plans, p)
		}
	}
	return plans, messages(sc), nil
}

// planOf is the preview of sc at difficulty d: its plan as Gantt rows.
func planOf(sc *scenarios.Scenario, d scenarios.Difficulty) (StudioPlan, error) {
	t, err := scenarios.Plan(sc, d)
	if err != nil {
		return StudioPlan{}, err
	}
	at, err := sc.ForDifficulty(d)
	if err != nil {
		return StudioPlan{}, err
	}
	after := map[string]string{}
	for _, f := range at.Faults {
		if f.After != nil {
			after[f.ID] = f.After.Fault
		}
	}
	p := StudioPlan{Difficulty: string(t.Difficulty), TimeLimitMs: time.Duration(t.TimeLimit).Milliseconds(), Rows: []GanttRow{}, Notes: t.Notes}
	add := func(e scenarios.TimelineEntry, waiting bool) {
		if e.Kind == scenarios.EntryEnd {
			return
		}
		r := GanttRow{Kind: e.Kind, ID: e.ID, Summary: e.Summary, Detail: e.Detail, Trigger: e.Trigger, Condition: e.Condition, Waiting: waiting}
		if e.Kind == scenarios.EntryFault {
			r.After = after[e.ID]
		}
		switch {
		case e.At != nil:
			ms := time.Duration(*e.At).Milliseconds()
			r.StartMs = &ms
		case e.Earliest != nil:
			ms := time.Duration(*e.Earliest).Milliseconds()
			r.StartMs = &ms
		}
		p.Rows = append(p.Rows, r)
	}
	for _, e := range t.Scheduled {
		add(e, false)
	}
	for _, e := range t.Waiting {
		add(e, true)
	}
	return p, nil
}

// messages renders every persona message of the scenario with the sample
// values, in file order: injects with their follow-ups, then hints.
func messages(sc *scenarios.Scenario) []PreviewMessage {
	names := map[string]string{}
	for _, p := range sc.Personas {
		names[p.ID] = p.Name
	}
	render := func(text string, withFault bool) string {
		out, err := scenarios.RenderText(text, scenarios.SampleData(sc, withFault))
		if err != nil {
			return text
		}
		return out
	}
	out := []PreviewMessage{}
	for _, in := range sc.Injects {
		when := ""
		withFault := false
		switch {
		case in.At != nil:
			when = "at " + in.At.String()
		case in.On != nil:
			when = string(in.On.Event)
			withFault = in.On.Fault != ""
		}
		out = append(out, PreviewMessage{Kind: "inject", ID: in.ID, Persona: names[in.Persona], Channel: in.Channel, When: when, Text: render(in.Text, withFault)})
		if in.FollowUp != nil {
			out = append(out, PreviewMessage{Kind: "follow-up", ID: in.ID, Persona: names[in.Persona], Channel: in.Channel,
				When: "after " + in.FollowUp.After.String() + " of silence", Text: render(in.FollowUp.Text, withFault)})
		}
	}
	for _, h := range sc.Hints {
		out = append(out, PreviewMessage{Kind: "hint", ID: h.ID, Persona: names[h.Persona], Channel: h.Channel, When: "at " + h.At.String(), Text: render(h.Text, false)})
	}
	return out
}
