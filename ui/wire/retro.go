package wire

import (
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/scenarios"
)

// RetroView is the answer of GET /api/drills/{id}/retro: the person's form,
// the shared parts of the retro, and the drill's private parts, open to
// everyone now that the drill has ended.
type RetroView struct {
	DrillID string             `json:"drillId"`
	Title   string             `json:"title"`
	State   control.DrillState `json:"state"`
	// TimeScale is the drill clock's speed: other than 1, the drill was a
	// rehearsal, which the page marks.
	TimeScale float64 `json:"timeScale"`
	// Seq is the journal head the view was made at: the page follows the
	// stream from there and refetches when the retro changes.
	Seq         int64              `json:"seq"`
	Open        bool               `json:"open"`
	Closed      bool               `json:"closed"`
	Me          SessionView        `json:"me"`
	Facilitator bool               `json:"facilitator"`
	Form        retro.Form         `json:"form"`
	ActionKinds []retro.ActionKind `json:"actionKinds"`
	// Order is the presentation order. Who has submitted is shown to the
	// facilitator only; everyone else sees the order and the count.
	Order      []retro.Status `json:"order"`
	Presenting string         `json:"presenting,omitempty"`
	// PresentingAnswers are the answers of the person presenting, for the
	// facilitator only (anonymous answers are not shown under a name).
	PresentingAnswers *retro.Presented `json:"presentingAnswers,omitempty"`
	Submitted         int              `json:"submitted"`
	// AnonymousSubmitted is how many of the submitted answers are
	// anonymous, for the facilitator: a count, never whose. Their text is
	// published when the retro closes, as one batch (see retro.Closing).
	AnonymousSubmitted int              `json:"anonymousSubmitted,omitempty"`
	People             int              `json:"people"`
	Questions          []retro.Question `json:"questions"`
	Actions            []retro.Action   `json:"actions"`
	// Aggregate is the retro's before/after ratings, shown once the person
	// has submitted (so nobody anchors on the others' numbers), to the
	// facilitator, and after the close.
	Aggregate *retro.Ratings `json:"aggregate,omitempty"`

	// SurveyURL is the after-drill survey, recorded when the retro closed.
	SurveyURL string `json:"surveyUrl,omitempty"`

	Scenario RetroScenario          `json:"scenario"`
	Metrics  record.Metrics         `json:"metrics"`
	Timeline []record.TimelineEntry `json:"timeline"`
	Backroom []record.TimelineEntry `json:"backroom"`
	Notes    []record.Note          `json:"notes"`
	Exports  map[string]string      `json:"exports"`
}

// RetroScenario is the scenario as opened at the retro.
type RetroScenario struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Candidate is the title of the candidate scenario played, for a file
	// that keeps candidates.
	Candidate string            `json:"candidate,omitempty"`
	Designer  string            `json:"designer,omitempty"`
	Solution  string            `json:"solution,omitempty"`
	Faults    []scenarios.Fault `json:"faults"`
}
