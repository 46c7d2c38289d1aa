package wire

import (
	"time"

	"github.com/firedrill/firedrill/control"
)

// ActiveSessions are the people signed in with the identity provider, for
// the org-wide admin's sessions page.
type ActiveSessions struct {
	People []ActivePerson `json:"people"`
}

// ActivePerson is one person with active sessions.
type ActivePerson struct {
	// Subject is the identity provider's subject: what a revocation names.
	Subject string `json:"subject"`
	Name    string `json:"name"`
	// Staff is set for a console sign-in (with Teams, from the groups
	// claim); a participant signed in only for "my drills" has none.
	Staff bool                    `json:"staff"`
	Teams map[string]control.Role `json:"teams"`
	// Sessions counts the person's browsers; Until is when the last of
	// them expires at the latest.
	Sessions int       `json:"sessions"`
	Until    time.Time `json:"until"`
	// You marks the admin's own row.
	You bool `json:"you,omitempty"`
}

// RevokeSessionsRequest ends every session of a person.
type RevokeSessionsRequest struct {
	Subject string `json:"subject"`
	// Why goes to the log with the revocation.
	Why string `json:"why,omitempty"`
}

// RevokeSessionsResult says whose sessions ended and how many.
type RevokeSessionsResult struct {
	Name  string `json:"name"`
	Ended int    `json:"ended"`
}

// ConsoleDrill is a drill in the console's list, with the role of the
// signed-in staff member in it (facilitator for an org-wide one).
type ConsoleDrill struct {
	control.DrillSummary
	Role control.Role `json:"role"`
}
