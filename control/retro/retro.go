// Package retro is the retrospective that follows every drill, kept as events
// in the drill's journal: each person's answers (saved as drafts while they
// type, then submitted), the question queue, the presentation order and the
// follow-up actions. The retro's state is a projection of those events
// (Project); Service validates requests and appends them through the engine.
//
// The form is blameless by construction: it says it is not an evaluation,
// asks for the before and after self-rating together after the drill (a
// "then-test", which avoids the response-shift bias of a pre-test), and lets
// a person mark their answers anonymous.
package retro

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Event types of the retro. They are appended with Engine.AppendEvent.
const (
	// EventDraft saves a person's answers as they type; payload Answers.
	EventDraft = "retro.draft"
	// EventSubmitted submits a person's answers; payload Answers.
	EventSubmitted = "retro.submitted"
	// EventQuestion adds a question to the queue; payload Question.
	EventQuestion = "retro.question"
	// EventQuestionAnswered marks a queued question answered; payload Ref.
	EventQuestionAnswered = "retro.question-answered"
	// EventActionProposed proposes a follow-up action; payload Action.
	EventActionProposed = "retro.action"
	// EventActionDecided accepts or rejects a proposed action; payload Decision.
	EventActionDecided = "retro.action-decided"
	// EventPresenting says whose turn it is to present; payload Ref.
	EventPresenting = "retro.presenting"
	// EventClosed closes the retro: answers cannot change any more.
	EventClosed = "retro.closed"
)

// Limits of what people type.
const (
	MaxTextRunes  = 4000
	MaxTitleRunes = 200
	MaxNameRunes  = 80
)

// Blameless is the copy shown at the top of the form and the record.
const Blameless = "This is not an evaluation. The retrospective looks for improvements to systems and processes; the problem is blamed, never the person."

// Answers are one person's retro answers. Ratings are 1 to 5; 0 means not
// answered yet (allowed in a draft, not in a submission).
type Answers struct {
	PersonID string `json:"personId"`
	// WentWell is what went well.
	WentWell string `json:"wentWell"`
	// Lacking is what was lacking and how to improve it.
	Lacking string `json:"lacking"`
	// Better is how we could do better next time.
	Better string `json:"better"`
	// Before and After are the person's self-rated incident-response
	// ability before and after the drill, both asked after the drill.
	Before int `json:"before"`
	After  int `json:"after"`
	// Extra holds the answers to the scenario's own questions by id.
	Extra map[string]string `json:"extra,omitempty"`
	// Anonymous keeps the person's name off these answers in every summary,
	// export and presentation.
	Anonymous bool `json:"anonymous,omitempty"`
}

// Question is an entry of the retro's question queue.
type Question struct {
	ID       string `json:"id,omitempty"`
	AuthorID string `json:"authorId"`
	Text     string `json:"text"`
	Answered bool   `json:"answered,omitempty"`
	// At is the event sequence number that asked it.
	At int64 `json:"at,omitempty"`
}

// ActionKind is what a follow-up action changes, from the practice's
// follow-up tickets.
type ActionKind string

// Action kinds.
const (
	KindAlert         ActionKind = "alert"
	KindMonitoring    ActionKind = "monitoring"
	KindRunbook       ActionKind = "runbook"
	KindContactList   ActionKind = "contact-list"
	KindErrorMessage  ActionKind = "error-message"
	KindConfigDefault ActionKind = "config-default"
	KindProcess       ActionKind = "process"
)

// ActionKinds lists every action kind in display order.
var ActionKinds = []ActionKind{KindAlert, KindMonitoring, KindRunbook, KindContactList, KindErrorMessage, KindConfigDefault, KindProcess}

// Valid reports whether k is one of ActionKinds.
func (k ActionKind) Valid() bool {
	for _, x := range ActionKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Action statuses.
const (
	ActionProposed = "proposed"
	ActionAccepted = "accepted"
	ActionRejected = "rejected"
)

// Action is a follow-up action proposed in the retro.
type Action struct {
	ID    string     `json:"id,omitempty"`
	Title string     `json:"title"`
	Kind  ActionKind `json:"kind"`
	Owner string     `json:"owner,omitempty"`
	// Due is a date, YYYY-MM-DD, or empty.
	Due        string `json:"due,omitempty"`
	ProposedBy string `json:"proposedBy,omitempty"`
	// Status is proposed, accepted or rejected.
	Status string `json:"status,omitempty"`
}

// Ref names a question, an action or a person in an event payload.
type Ref struct {
	ID string `json:"id"`
}

// Decision is the payload of EventActionDecided.
type Decision struct {
	ID       string `json:"id"`
	Accepted bool   `json:"accepted"`
}

// Check validates answers against the questions the retro asks the role
// (see QuestionsFor). A draft may be incomplete; a participant's submission
// needs both self-ratings, and any submission every required question.
// Self-ratings are refused from the other roles: only participants were
// trained. Errors name the field.
func (a *Answers) Check(s *scenarios.Scenario, role control.Role, submit bool) error {
	set := QuestionsFor(role, s)
	var problems []string
	for _, f := range []struct{ name, v string }{{"wentWell", a.WentWell}, {"lacking", a.Lacking}, {"better", a.Better}} {
		if n := utf8.RuneCountInString(f.v); n > MaxTextRunes {
			problems = append(problems, fmt.Sprintf("%s is %d characters long, at most %d are allowed", f.name, n, MaxTextRunes))
		}
	}
	problems = append(problems, a.checkRatings(set, submit)...)
	known := map[string]scenarios.RetroQuestion{}
	for _, q := range set.Questions {
		known[q.ID] = q
	}
	ids := make([]string, 0, len(a.Extra))
	for id := range a.Extra {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := a.Extra[id]
		q, ok := known[id]
		if !ok {
			problems = append(problems, fmt.Sprintf("extra.%s is not a question asked of the %s", id, set.Role))
			continue
		}
		if n := utf8.RuneCountInString(v); n > MaxTextRunes {
			problems = append(problems, fmt.Sprintf("extra.%s is %d characters long, at most %d are allowed", id, n, MaxTextRunes))
		}
		if q.Type == scenarios.FieldScale && strings.TrimSpace(v) != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 1 || n > 5 {
				problems = append(problems, fmt.Sprintf("extra.%s is %q, expected a whole number from 1 to 5", id, v))
			}
		}
	}
	if submit {
		for _, q := range set.Questions {
			if q.Required && strings.TrimSpace(a.Extra[q.ID]) == "" {
				problems = append(problems, fmt.Sprintf("extra.%s: %q is required", q.ID, q.Text))
			}
		}
	}
	if len(problems) > 0 {
		return injectors.Errorf(injectors.EINVALID, "retro answers: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkRatings checks the before/after self-ratings against the role's set.
func (a *Answers) checkRatings(set QuestionSet, submit bool) []string {
	var problems []string
	for _, r := range []struct {
		name string
		v    int
	}{{"before", a.Before}, {"after", a.After}} {
		switch {
		case !set.SelfRating && r.v != 0:
			problems = append(problems, fmt.Sprintf("%s: the self-rating is asked of participants only, not of the %s", r.name, set.Role))
		case r.v == 0 && submit && set.SelfRating:
			problems = append(problems, fmt.Sprintf("%s: the self-rating is required, expected 1 to 5", r.name))
		case r.v < 0 || r.v > 5:
			problems = append(problems, fmt.Sprintf("%s is %d, expected a rating from 1 to 5", r.name, r.v))
		}
	}
	return problems
}

// Complete reports whether the answers of a person with the role could be
// submitted as they are.
func (a *Answers) Complete(s *scenarios.Scenario, role control.Role) bool {
	return a.Check(s, role, true) == nil
}

// Check validates a proposed action.
func (a *Action) Check() error {
	var problems []string
	a.Title = strings.TrimSpace(a.Title)
	a.Owner = strings.TrimSpace(a.Owner)
	if a.Title == "" {
		problems = append(problems, "title is required")
	} else if n := utf8.RuneCountInString(a.Title); n > MaxTitleRunes {
		problems = append(problems, fmt.Sprintf("title is %d characters long, at most %d are allowed", n, MaxTitleRunes))
	}
	if !a.Kind.Valid() {
		ks := make([]string, len(ActionKinds))
		for i, k := range ActionKinds {
			ks[i] = string(k)
		}
		problems = append(problems, fmt.Sprintf("kind %q is not a kind, expected one of %s", a.Kind, strings.Join(ks, ", ")))
	}
	if utf8.RuneCountInString(a.Owner) > MaxNameRunes {
		problems = append(problems, fmt.Sprintf("owner is longer than %d characters", MaxNameRunes))
	}
	if a.Due != "" {
		if _, err := time.Parse(time.DateOnly, a.Due); err != nil {
			problems = append(problems, fmt.Sprintf("due is %q, expected a date like 2026-12-01", a.Due))
		}
	}
	if len(problems) > 0 {
		return injectors.Errorf(injectors.EINVALID, "follow-up action: %s", strings.Join(problems, "; "))
	}
	return nil
}
