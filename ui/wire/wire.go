// Package wire holds the JSON shapes of the drill room's HTTP and WebSocket
// API: the requests and answers of /api, the events of a drill's stream and
// the payloads of the room's own events. The server (package ui) and its Go
// client (package ui/client) both use it, so a client does not pull in the
// server.
package wire

import (
	"time"

	"github.com/firedrill/firedrill/control"
)

// SessionView is the answer of GET /api/session.
type SessionView struct {
	SignedIn bool         `json:"signedIn"`
	Admin    bool         `json:"admin,omitempty"`
	DrillID  string       `json:"drillId,omitempty"`
	PersonID string       `json:"personId,omitempty"`
	Name     string       `json:"name,omitempty"`
	Role     control.Role `json:"role,omitempty"`
	CSRF     string       `json:"csrf,omitempty"`
	// Teams are the teams of a staff member who signed in with the
	// identity provider, with their role in each ("*" is every team).
	Teams map[string]control.Role `json:"teams,omitempty"`
	// BreakGlass is set for a session of the admin credential.
	BreakGlass bool `json:"breakGlass,omitempty"`
	// SSO says that staff can sign in with the identity provider here.
	SSO bool `json:"sso,omitempty"`
	// SwitchedFrom is the session this browser held before a join link
	// replaced it (another drill, or the facilitator's sign-in).
	SwitchedFrom *SwitchedSession `json:"switchedFrom,omitempty"`
}

// SwitchedSession describes the session a join replaced, so the room can say
// that the browser switched.
type SwitchedSession struct {
	Admin      bool         `json:"admin,omitempty"`
	Name       string       `json:"name,omitempty"`
	Role       control.Role `json:"role,omitempty"`
	DrillID    string       `json:"drillId,omitempty"`
	DrillTitle string       `json:"drillTitle,omitempty"`
}

// JoinLink is the answer when a person is added or gets a new link. The
// link is shown once; only its hash is kept.
type JoinLink struct {
	Person control.Person `json:"person"`
	URL    string         `json:"url"`
}

// ErrorResponse is the JSON body of every error answer.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Fields names the form fields at fault, for notices with missing
	// required fields.
	Fields []string `json:"fields,omitempty"`
	// Problems maps each field at fault to what is wrong with it
	// ("required", "time", …), for the form to word in its language.
	Problems map[string]string `json:"problems,omitempty"`
}

// PostMessageRequest is the body of POST /api/drills/{id}/messages.
type PostMessageRequest struct {
	Channel string `json:"channel"`
	Text    string `json:"text"`
	ReplyTo int64  `json:"replyTo,omitempty"`
	// Persona makes the facilitator speak as a scenario persona.
	Persona string `json:"persona,omitempty"`
}

// MyDrills is a person's own drills, for the "my drills" page.
type MyDrills struct {
	Name   string    `json:"name"`
	Drills []MyDrill `json:"drills"`
}

// MyDrill is one drill a person took part in, with their own before/after
// self-ratings (0 until they answered the retro).
type MyDrill struct {
	DrillID   string    `json:"drillId"`
	Title     string    `json:"title"`
	Team      string    `json:"team,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	Before    int       `json:"before"`
	After     int       `json:"after"`
}
