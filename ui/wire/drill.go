package wire

import (
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// DrillView is a drill as one viewer may see it: GET /api/drills/{id}.
// Participants get the room (channels, personas, people, notice forms and the
// clock); staff also get the scenario and the timeline.
type DrillView struct {
	ID        string             `json:"id"`
	Title     string             `json:"title"`
	State     control.DrillState `json:"state"`
	Paused    bool               `json:"paused"`
	Me        SessionView        `json:"me"`
	Seq       int64              `json:"seq"`
	ServerNow time.Time          `json:"serverNow"`
	// The drill clock: ClockBaseMS at ClockSince (running when set),
	// advancing TimeScale drill milliseconds per wall millisecond.
	ClockBaseMS int64     `json:"clockBaseMs"`
	ClockSince  time.Time `json:"clockSince,omitzero"`
	TimeScale   float64   `json:"timeScale"`
	TimeLimitMS int64     `json:"timeLimitMs"`
	// HintMarksMS are the hint stages on the clock (70/75/80 minutes in
	// the usual scenario); staff only.
	HintMarksMS []int64 `json:"hintMarksMs,omitempty"`

	Channels        []ChannelView     `json:"channels"`
	IncidentChannel string            `json:"incidentChannel"`
	Personas        []PersonaView     `json:"personas"`
	People          []PersonView      `json:"people"`
	ClaimRoles      []string          `json:"claimRoles"`
	Notices         scenarios.Notices `json:"notices"`
	// NextUpdate is the next update the last incident notice or status
	// update promised, while it has not come: shown in the room, and
	// nudged when it passes.
	NextUpdate *NextUpdateView `json:"nextUpdate,omitempty"`
	// Confirmations are what participants confirm in the room to resolve
	// a fault besides its probes (resolvedWhen.confirm), once the fault is
	// in effect: the scenario's words, never the fault.
	Confirmations []ConfirmationView `json:"confirmations,omitempty"`

	// ScheduledDay is the day (in the plan's time zone) a scheduled drill is planned for, for
	// everyone; ScheduledAt, the exact time, is for staff only: the practice
	// keeps the time secret from participants.
	ScheduledDay string     `json:"scheduledDay,omitempty"`
	ScheduledAt  *time.Time `json:"scheduledAt,omitempty"`

	// Staff only.
	Staff *StaffView `json:"staff,omitempty"`
}

// ChannelView is one channel of the room.
type ChannelView struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Topic    string `json:"topic,omitempty"`
	Incident bool   `json:"incident,omitempty"`
	Backroom bool   `json:"backroom,omitempty"`
	// ReadOnly is set when the viewer may read but not write.
	ReadOnly bool `json:"readOnly,omitempty"`
}

// PersonaView is a persona as the room shows it. QuickReplies are for the
// facilitator only.
type PersonaView struct {
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Kind         scenarios.PersonaKind `json:"kind"`
	Avatar       string                `json:"avatar,omitempty"`
	Color        string                `json:"color,omitempty"`
	QuickReplies []string              `json:"quickReplies,omitempty"`
}

// PersonView is a person with the response roles they claimed.
type PersonView struct {
	ID     string       `json:"id"`
	Name   string       `json:"name"`
	Role   control.Role `json:"role"`
	Claims []string     `json:"claims,omitempty"`
	// Removed is set once the facilitator took the person out of the drill.
	Removed bool `json:"removed,omitempty"`
}

// StaffView is what facilitator, designer and observer see beyond the room.
type StaffView struct {
	Scenario   *scenarios.Scenario   `json:"scenario"`
	Difficulty scenarios.Difficulty  `json:"difficulty,omitempty"`
	Briefing   string                `json:"briefing,omitempty"`
	Solution   string                `json:"solution,omitempty"`
	Faults     []FaultView           `json:"faults"`
	Hints      []control.HintState   `json:"hints"`
	Injects    []control.InjectState `json:"injects"`
	Alerts     []control.AlertState  `json:"alerts"`
	Notes      []NoteView            `json:"notes"`
	EndReason  string                `json:"endReason,omitempty"`
}

// FaultView is a fault's state without its revert record.
type FaultView struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Phase       control.FaultPhase `json:"phase"`
	ProbeDetail string             `json:"probeDetail,omitempty"`
	LastError   string             `json:"lastError,omitempty"`
	ResolvedBy  string             `json:"resolvedBy,omitempty"`
	InjectedMS  *int64             `json:"injectedMs,omitempty"`
	ResolvedMS  *int64             `json:"resolvedMs,omitempty"`
	// Trigger says when the fault fires: "at 10m" or "after f1 resolved".
	Trigger string `json:"trigger"`
	// TriggerAt and TriggerAfter say the same for the room to word: a
	// drill time, or the fault this one is chained after with its event
	// and delay.
	TriggerAt    *int64        `json:"triggerAt,omitempty"`
	TriggerAfter *TriggerAfter `json:"triggerAfter,omitempty"`
	// OnDemand is set for a fault that is never scheduled: the facilitator
	// fires it on the day, or not at all.
	OnDemand bool `json:"onDemand,omitempty"`
	// Checks are the resolution checks as last polled; Manual is set when
	// the facilitator marks the fault resolved by hand.
	Checks []CheckView `json:"checks,omitempty"`
	Manual bool        `json:"manual,omitempty"`
	// FireRequested is set when the facilitator fired the fault while the
	// drill was paused: it fires when the drill resumes.
	FireRequested bool `json:"fireRequested,omitempty"`
	// RecoveringMS is when every check first passed; StableForMS how long
	// they must keep passing for the fault to count as resolved.
	RecoveringMS *int64 `json:"recoveringMs,omitempty"`
	StableForMS  int64  `json:"stableForMs,omitempty"`
	// Recurs is set for a cascade that comes back while its cause
	// persists (the scenario's recurs).
	Recurs *RecursView `json:"recurs,omitempty"`
}

// RecursView is a cascade's comebacks as the facilitator follows them.
type RecursView struct {
	// Cause is the fault it comes back for (while: faultActive), and
	// While the whole condition in words.
	Cause   string `json:"cause,omitempty"`
	While   string `json:"while"`
	AfterMS int64  `json:"afterMs"`
	Times   int    `json:"times"`
	// Count is how often it came back so far.
	Count int `json:"count"`
	// DueMS is when it comes back if the cause still holds then: set
	// while it is fixed and may still come back.
	DueMS *int64 `json:"dueMs,omitempty"`
	// StaysFixed is set once it will not come back.
	StaysFixed bool `json:"staysFixed,omitempty"`
}

// NextUpdateView is a promised next update: the clock time as written and
// the drill time it stands for.
type NextUpdateView struct {
	Promised string `json:"promised"`
	DueMS    int64  `json:"dueMs"`
}

// NoteView is an observer note as the staff see it in the room.
type NoteView struct {
	Seq         int64  `json:"seq"`
	AuthorID    string `json:"authorId"`
	AuthorName  string `json:"authorName"`
	Tag         string `json:"tag"`
	Text        string `json:"text"`
	DrillTimeMS int64  `json:"drillTimeMs"`
}

// TriggerAfter is a chained fault's trigger.
type TriggerAfter struct {
	Fault   string `json:"fault"`
	Event   string `json:"event"`
	DelayMS int64  `json:"delayMs,omitempty"`
}

// CheckView is one resolution check of a fault: its name, whether it
// passed at the last poll and what it saw.
type CheckView struct {
	Name      string `json:"name"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail,omitempty"`
	CheckedMS int64  `json:"checkedMs"`
}

// AbortReport is the facilitator's answer of POST /api/drills/{id}/abort:
// what the kill switch did to each fault by the time the abort returned.
// Complete is false when some faults are not reverted yet: the engine keeps
// retrying them with backoff (and a restarted firedrill picks them up from
// the journal); Pending says which, with their latest error.
type AbortReport struct {
	OK       bool            `json:"ok"`
	Complete bool            `json:"complete"`
	Reverted []RevertedFault `json:"reverted"`
	Pending  []PendingRevert `json:"pending"`
}

// RevertedFault is a fault whose revert is recorded.
type RevertedFault struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// PendingRevert is a fault the abort could not revert yet.
type PendingRevert struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Error is the latest failure of its revert.
	Error string `json:"error"`
	// NextAttempt is when the engine tries again, if it is scheduled.
	NextAttempt *time.Time `json:"nextAttempt,omitempty"`
}

// ConfirmationView is one thing participants confirm in the room. Key names
// it in POST /api/drills/{id}/confirmations/{key}.
type ConfirmationView struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	ConfirmedBy string `json:"confirmedBy,omitempty"`
	// Open says a participant can confirm it now.
	Open bool `json:"open"`
}
