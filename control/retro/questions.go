package retro

import (
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// QuestionSet is what the retro asks one role. Everyone writes what went
// well, what was lacking and how we could do better (the Answers fields);
// the rest depends on the role: only participants were trained by the
// drill, so only they rate themselves before and after and answer the
// scenario's own questions, while the staff answer questions about their
// part in it.
type QuestionSet struct {
	Role control.Role `json:"role"`
	// SelfRating reports whether the before/after self-ratings are asked.
	SelfRating bool `json:"selfRating"`
	// Questions are the role's own questions, answered in Answers.Extra.
	Questions []scenarios.RetroQuestion `json:"questions"`
}

// Role question ids. They are kept in Answers.Extra next to the scenario's
// question ids, which cannot contain a dot.
const (
	QObserverStrengths  = "observer.strengths"
	QObserverWeaknesses = "observer.weaknesses"
	QObserverBalance    = "observer.balance"
	QDesignerScenario   = "designer.scenario"
	QDesignerResolution = "designer.resolution"
	QDesignerChange     = "designer.change"
	QFacilitatorPurpose = "facilitator.purpose"
	QFacilitatorStepIn  = "facilitator.step-in"
	QFacilitatorRunning = "facilitator.running"
)

var staffQuestions = map[control.Role][]scenarios.RetroQuestion{
	control.RoleObserver: {
		{ID: QObserverStrengths, Text: "What did you observe as the team's strengths?", Type: scenarios.FieldTextarea},
		{ID: QObserverWeaknesses, Text: "What did you observe as weaknesses, and how could they be improved?", Type: scenarios.FieldTextarea},
		{ID: QObserverBalance, Text: "Was the work balanced one to one: recovery and propagation held by different people, nobody overloaded while others waited?", Type: scenarios.FieldTextarea},
	},
	control.RoleDesigner: {
		{ID: QDesignerScenario, Text: "What was the scenario, and what was it designed to exercise?", Type: scenarios.FieldTextarea},
		{ID: QDesignerResolution, Text: "What was the best resolution you had in mind, and how close did the team come?", Type: scenarios.FieldTextarea},
		{ID: QDesignerChange, Text: "What would you change in the scenario next time?", Type: scenarios.FieldTextarea},
	},
	control.RoleFacilitator: {
		{ID: QFacilitatorPurpose, Text: "Did the team take the drill as practice, not evaluation? What did you say to restate its purpose?", Type: scenarios.FieldTextarea},
		{ID: QFacilitatorStepIn, Text: "Where did you step in (hints, personas, pauses), and why?", Type: scenarios.FieldTextarea},
		{ID: QFacilitatorRunning, Text: "What would you change in how the drill is run next time?", Type: scenarios.FieldTextarea},
	},
}

// QuestionsFor returns the questions the retro asks a role in a drill of
// the scenario s (which may be nil). A person without a known role is asked
// as a participant, as the averages count them.
func QuestionsFor(role control.Role, s *scenarios.Scenario) QuestionSet {
	if qs, ok := staffQuestions[role]; ok {
		return QuestionSet{Role: role, Questions: append([]scenarios.RetroQuestion(nil), qs...)}
	}
	set := QuestionSet{Role: control.RoleParticipant, SelfRating: true, Questions: []scenarios.RetroQuestion{}}
	if s != nil {
		set.Questions = append(set.Questions, s.Retro.Questions...)
	}
	return set
}

// RoleOf returns the role of a person of the drill: the facilitator's
// login answers as the facilitator even when not listed among the people.
func RoleOf(d *control.Drill, personID string) control.Role {
	if p, ok := d.Person(personID); ok {
		return p.Role
	}
	if personID == "facilitator" {
		return control.RoleFacilitator
	}
	return ""
}
