package wire

import "github.com/firedrill/firedrill/scenarios"

// Response roles participants claim, from the practice: recovery and
// propagation are done by different people.
// They are the scenario language's, so that a private briefing can be
// addressed to whoever holds one.
const (
	ClaimCommander   = scenarios.ClaimCommander
	ClaimRecovery    = scenarios.ClaimRecovery
	ClaimPropagation = scenarios.ClaimPropagation
	ClaimLiaison     = scenarios.ClaimLiaison
)

// RoleClaim is the payload of room.claim.
type RoleClaim struct {
	PersonID string `json:"personId"`
	Role     string `json:"role"`
	// Release gives the role up instead of claiming it.
	Release bool `json:"release,omitempty"`
	// TakeOverFrom is the person the role is taken over from: there is one
	// incident commander at a time.
	TakeOverFrom string `json:"takeOverFrom,omitempty"`
}

// ClaimConflict is the answer when a participant claims incident commander
// while someone else holds it: the room asks whether to take over.
type ClaimConflict struct {
	ErrorResponse
	HolderID   string `json:"holderId"`
	HolderName string `json:"holderName"`
}

// Note tags.
const (
	NoteStrength = "strength"
	NoteWeakness = "weakness"
)

// ObserverNote is the payload of observer.note.
type ObserverNote struct {
	AuthorID   string `json:"authorId"`
	AuthorName string `json:"authorName"`
	Tag        string `json:"tag"`
	Text       string `json:"text"`
}

// Nudge kinds.
const (
	NudgeNoCommander    = "no-commander"
	NudgeNoPropagation  = "no-propagation"
	NudgeStatusOverdue  = "status-overdue"
	NudgeIncidentNotice = "no-incident-notice"
	// NudgeDoubleRole: one person holds recovery and propagation while
	// others are free.
	NudgeDoubleRole = "recovery-and-propagation"
	// NudgeUpdatePromised: the next update a notice promised is due and no
	// update came.
	NudgeUpdatePromised = "update-promised"
)

// Nudge is the payload of room.nudge: the room bot speaking in a channel.
type Nudge struct {
	Kind    string `json:"kind"`
	Channel string `json:"channel"`
	// Window distinguishes repeated nudges of one kind (the cadence period
	// for status updates).
	Window int `json:"window,omitempty"`
}
