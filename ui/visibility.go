package ui

import (
	"encoding/json"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/scenarios"
)

// Event types the drill room appends to a drill's journal through the
// engine's generic append. They are projected by the room, not the engine.
const (
	// EventRoleClaim is a participant claiming (or releasing) a response
	// role such as incident commander; payload RoleClaim.
	EventRoleClaim = record.EventRoleClaim
	// EventObserverNote is an observer's strength or weakness note; payload
	// ObserverNote. Never shown to participants.
	EventObserverNote = record.EventObserverNote
	// EventNudge is the room bot reminding participants of what the practice
	// expects (claim a commander, post a status update); payload Nudge.
	EventNudge = record.EventNudge
)

// Visibility returns who may see e in the drill room. It is the single place
// that decides what participants can see: only the drill's participant
// channels, notices, role claims, nudges, people and the lifecycle. The
// scenario, faults, the timeline, hints before they are posted, the back room
// and observer notes are staff-only. Event types it does not know are
// staff-only, so a new engine event can never leak by default.
func Visibility(e control.Event) Audience {
	switch {
	case e.Type == control.EventChatMessage:
		var m struct {
			Channel string `json:"channel"`
		}
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			return AudienceStaff
		}
		if m.Channel == scenarios.BackroomChannel || m.Channel == "" {
			return AudienceStaff
		}
		return AudienceEveryone
	case e.Type == control.EventNoticePosted,
		e.Type == control.EventPersonAdded,
		e.Type == EventRoleClaim,
		e.Type == EventNudge:
		return AudienceEveryone
	case strings.HasPrefix(e.Type, "retro."):
		// Retro answers carry their author even when marked anonymous, and
		// drafts are unfinished thoughts: the retro page reads them through
		// its own API, which applies the anonymity rules. Nobody gets them
		// on the live stream.
		return AudienceNone
	case e.Type == control.EventDrillCreated, e.Type == control.EventDrillScheduled:
		// The scenario, its solution and the exact start time stay secret.
		return AudienceStaff
	case strings.HasPrefix(e.Type, "drill."):
		return AudienceEveryone
	}
	return AudienceStaff
}
