package ui

import (
	"encoding/json"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// Visibility returns who may see e in the drill room. It is the single place
// that decides what participants can see: only the drill's participant
// channels, notices, role claims, nudges, people and the lifecycle; a
// private briefing only to the participants it is addressed to. The
// scenario, faults, the timeline, hints before they are posted, the back room
// and observer notes are staff-only. Event types it does not know are
// staff-only, so a new engine event can never leak by default.
func Visibility(e control.Event) Audience {
	switch {
	case e.Type == control.EventChatMessage:
		var m struct {
			Channel string   `json:"channel"`
			To      []string `json:"to"`
		}
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			return AudienceStaff
		}
		if m.Channel == scenarios.BackroomChannel || m.Channel == "" {
			return AudienceStaff
		}
		if len(m.To) > 0 {
			// A private briefing: its recipients and staff, nobody else.
			return AudiencePrivate
		}
		return AudienceEveryone
	case e.Type == control.EventFaultConfirmed:
		// Participants see that a resolution was confirmed, in the
		// scenario's words, not which fault it was (participantEvent).
		return AudienceEveryone
	case e.Type == control.EventNoticePosted,
		e.Type == control.EventPersonAdded,
		e.Type == control.EventRoleClaim,
		e.Type == control.EventNudge:
		return AudienceEveryone
	case control.InNamespace(e.Type, control.NamespaceRetro):
		// Named retro answers carry their author, anonymous ones are
		// sealed, and drafts are unfinished thoughts: the retro page reads
		// them through its own API, which applies the anonymity rules.
		// Nobody gets them on the live stream.
		return AudienceNone
	case e.Type == control.EventDrillCreated, e.Type == control.EventDrillScheduled:
		// The scenario, its solution and the exact start time stay secret.
		return AudienceStaff
	case control.InNamespace(e.Type, control.NamespaceDrill):
		return AudienceEveryone
	}
	return AudienceStaff
}

// Recipients returns the people a private message (AudiencePrivate) is for,
// besides staff; nil for any other event.
func Recipients(e control.Event) []string {
	if e.Type != control.EventChatMessage {
		return nil
	}
	var m struct {
		To []string `json:"to"`
	}
	if json.Unmarshal(e.Payload, &m) != nil {
		return nil
	}
	return m.To
}
