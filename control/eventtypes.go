package control

import "strings"

// Event types the engine appends. They change the drill projection (see
// Replay).
const (
	EventDrillCreated   = "drill.created"
	EventDrillScheduled = "drill.scheduled"
	EventDrillBriefing  = "drill.briefing"
	EventDrillStarted   = "drill.started"
	EventDrillPaused    = "drill.paused"
	EventDrillResumed   = "drill.resumed"
	EventDrillEnded     = "drill.ended"
	EventDrillAborted   = "drill.aborted"
	EventDrillRetro     = "drill.retro"
	EventDrillClosed    = "drill.closed"
	EventDrillRestarted = "drill.restarted"
	EventPersonAdded    = "person.added"
	EventPersonRemoved  = "person.removed"

	EventFaultFireRequested = "fault.fire-requested"
	EventFaultIntent        = "fault.intent"
	EventFaultPrepared      = "fault.prepared"
	EventFaultInjected      = "fault.injected"
	EventFaultInjectFailed  = "fault.inject-failed"
	EventFaultSkipped       = "fault.skipped"
	EventFaultRecovering    = "fault.recovering"
	EventFaultRegressed     = "fault.regressed"
	EventFaultResolved      = "fault.resolved"
	// EventFaultConfirmed is a participant confirming, in the room, what
	// a fault's resolution needs besides its probes (resolvedWhen.confirm).
	EventFaultConfirmed    = "fault.confirmed"
	EventFaultRevertIntent = "fault.revert-intent"
	EventFaultReverted     = "fault.reverted"
	EventFaultRevertFailed = "fault.revert-failed"
	// EventFaultPartial records the merged revert record of an Inject that
	// failed half way: what the plugin did change, which Revert must undo.
	EventFaultPartial = "fault.partial"
	// EventFaultRecurred is a fixed fault coming back because its cause
	// (recurs.while) still holds: it is reverted and injected again, with
	// a new revert record saved first, like any injection.
	EventFaultRecurred = "fault.recurred"
	// EventFaultStaysFixed records that a fixed fault that could come back
	// will not: its cause no longer holds, or it came back as often as
	// recurs.times allows.
	EventFaultStaysFixed = "fault.stays-fixed"

	EventHintGiven    = "hint.given"
	EventHintSkipped  = "hint.skipped"
	EventInjectPosted = "inject.posted"
	// EventInjectTriggered records that what an inject waits for
	// happened where the projection cannot see it: a check the engine
	// polls saw the cluster change (cluster.changed).
	EventInjectTriggered = "inject.triggered"
	EventAlertFiring     = "alert.firing"
	EventAlertResolved   = "alert.resolved"
	// EventAlertRepeated is a firing alert posted again: a pager storm's
	// repeat or a "still firing" reminder.
	EventAlertRepeated = "alert.repeated"
	EventChatMessage   = "chat.message"
	EventNoticePosted  = "notice.posted"
)

// Event types the drill room appends through Engine.AppendEvent. They are
// stored and streamed like the engine's own but do not change the drill
// projection; the room and the record project them.
const (
	// EventRoleClaim is a participant claiming (or releasing) a response
	// role such as incident commander.
	EventRoleClaim = "room.claim"
	// EventObserverNote is an observer's strength or weakness note. It is
	// never shown to participants.
	EventObserverNote = "observer.note"
	// EventNudge is the room bot reminding participants of what the practice
	// expects (claim a commander, post a status update).
	EventNudge = "room.nudge"
)

// Event-type namespaces: an event type is its namespace followed by a name.
// The retro's own types (package control/retro) live in NamespaceRetro.
const (
	NamespaceDrill = "drill."
	NamespaceFault = "fault."
	NamespaceRetro = "retro."
)

// InNamespace reports whether the event type typ is in namespace ns, one of
// the Namespace constants.
func InNamespace(typ, ns string) bool { return strings.HasPrefix(typ, ns) }

// engineEventPrefixes are the event-type namespaces the engine owns. Other
// packages append their own event types through Engine.AppendEvent, which
// refuses these prefixes so nobody can forge a fault or lifecycle event.
var engineEventPrefixes = []string{NamespaceDrill, NamespaceFault, "hint.", "inject.", "alert.", "chat.", "notice.", "person."}

// IsEngineEventType reports whether typ is in a namespace owned by the engine.
func IsEngineEventType(typ string) bool {
	for _, p := range engineEventPrefixes {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}
