package control

import (
	"maps"
	"slices"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// DrillState is a drill's lifecycle state:
// draft → scheduled → briefing → running → ended → retro → closed, plus
// aborted. Pausing does not change the state; see Drill.Paused.
type DrillState string

// Drill states.
const (
	StateDraft     DrillState = "draft"
	StateScheduled DrillState = "scheduled"
	StateBriefing  DrillState = "briefing"
	StateRunning   DrillState = "running"
	StateEnded     DrillState = "ended"
	StateRetro     DrillState = "retro"
	StateClosed    DrillState = "closed"
	StateAborted   DrillState = "aborted"
)

// Open reports whether a drill in state s still needs the engine: every
// state except closed.
func (s DrillState) Open() bool { return s != StateClosed }

// Role is a person's part in a drill.
type Role string

// Roles, from the practice: the facilitator runs the drill and plays the
// related departments; the designer wrote the scenario; the observer watches
// and takes notes; participants recover and propagate.
const (
	RoleFacilitator Role = "facilitator"
	RoleDesigner    Role = "designer"
	RoleObserver    Role = "observer"
	RoleParticipant Role = "participant"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleFacilitator, RoleDesigner, RoleObserver, RoleParticipant:
		return true
	}
	return false
}

// Backroom reports whether a person with role r may read and write the back
// room: everyone but participants.
func (r Role) Backroom() bool { return r != RoleParticipant }

// Person is someone taking part in a drill.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Removed is set once the facilitator took the person out of the drill:
	// their link and sessions end; what they wrote stays in the record.
	Removed bool `json:"removed,omitempty"`
	// Subject is the identity-provider subject of a staff member who
	// signed in with it; SignIn says how a staff member signed in
	// (SignInIdentityProvider or SignInAdminToken), empty for a join link.
	Subject string `json:"subject,omitempty"`
	SignIn  string `json:"signIn,omitempty"`
}

// How staff signed in.
const (
	SignInIdentityProvider = "identity-provider"
	// SignInAdminToken is the bootstrap and break-glass credential: the
	// record shows who used it.
	SignInAdminToken = "admin-token"
)

// FaultPhase is where a fault is in its life within a drill.
type FaultPhase string

// Fault phases. A fault is injected write-ahead (injecting: intent, then the
// revert record, then the inject), is in effect until participants fix it
// (resolved, still holding its revert record), and is reverted at the end.
const (
	FaultPending   FaultPhase = "pending"
	FaultInjecting FaultPhase = "injecting"
	FaultInEffect  FaultPhase = "in-effect"
	FaultResolved  FaultPhase = "resolved"
	FaultReverting FaultPhase = "reverting"
	FaultReverted  FaultPhase = "reverted"
	FaultFailed    FaultPhase = "failed"
	FaultSkipped   FaultPhase = "skipped"
)

// FaultState is the engine's view of one fault of a drill. Times are drill
// clock offsets; nil means it has not happened.
type FaultState struct {
	ID    string     `json:"id"`
	Title string     `json:"title"`
	Phase FaultPhase `json:"phase"`
	Spec  FaultSpec  `json:"spec"`
	// Record is the revert record persisted before Inject ran.
	Record []byte `json:"record,omitempty"`
	// Attempts counts inject attempts; LastError is the latest failure.
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
	// ProbeDetail is the detail of the latest probe transition.
	ProbeDetail string `json:"probeDetail,omitempty"`
	// ResolvedBy is "probe" or "manual".
	ResolvedBy string `json:"resolvedBy,omitempty"`
	SkipReason string `json:"skipReason,omitempty"`

	FireRequestedAt *time.Duration `json:"fireRequestedAt,omitempty"`
	IntentAt        *time.Duration `json:"intentAt,omitempty"`
	InjectedAt      *time.Duration `json:"injectedAt,omitempty"`
	// DetectedAt is the first participant message in the incident channel
	// after the fault was injected: when the team acknowledged something
	// is wrong. For a fault that fires while the team is still talking
	// about an earlier one it is an upper bound on detection.
	DetectedAt *time.Duration `json:"detectedAt,omitempty"`
	// RecoveringAt is when all resolvedWhen probes first held (the fix
	// landed); ResolvedAt is when they had held for stableFor.
	RecoveringAt *time.Duration `json:"recoveringAt,omitempty"`
	ResolvedAt   *time.Duration `json:"resolvedAt,omitempty"`
	RevertedAt   *time.Duration `json:"revertedAt,omitempty"`
	// ConfirmedAt is when a participant confirmed the fault's resolution
	// in the room (resolvedWhen.confirm); ConfirmedBy is who.
	ConfirmedAt *time.Duration `json:"confirmedAt,omitempty"`
	ConfirmedBy string         `json:"confirmedBy,omitempty"`
	// Recurrences counts how often the fault came back after it was
	// fixed (recurs); RecurAt is when the latest comeback began, until it
	// is injected again. StaysFixed is set once it will not come back.
	Recurrences int            `json:"recurrences,omitempty"`
	RecurAt     *time.Duration `json:"recurAt,omitempty"`
	// FirstRecurAt is when it first came back (fault.recurred injects).
	FirstRecurAt *time.Duration `json:"firstRecurAt,omitempty"`
	StaysFixed   bool           `json:"staysFixed,omitempty"`
	// Checks are the latest results of the fault's resolvedWhen probes,
	// one per probe in the scenario's order. They are what the engine last
	// saw while polling, not journaled: empty until the first poll after
	// a start or restart.
	Checks []CheckResult `json:"checks,omitempty"`
}

// CheckResult is one resolution check of a fault as last polled.
type CheckResult struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// CheckedAt is the drill time of the poll.
	CheckedAt time.Duration `json:"checkedAt"`
	// NoAnswer is set by Engine.CheckProbes when the call gave no answer
	// (an error, or no answer by the probe deadline): a failed poll, which
	// says nothing of the target. Drills never set it.
	NoAnswer bool `json:"-"`
}

// holdsRecord reports whether the fault may have changed the environment and
// so must be reverted when the drill stops.
func (f *FaultState) holdsRecord() bool {
	switch f.Phase {
	case FaultInjecting, FaultInEffect, FaultResolved, FaultReverting:
		return len(f.Record) > 0
	}
	return false
}

// settled reports whether the fault needs nothing more from participants.
func (f *FaultState) settled() bool {
	switch f.Phase {
	case FaultSkipped, FaultFailed:
		return true
	case FaultResolved, FaultReverting, FaultReverted:
		return f.ResolvedAt != nil || f.Phase == FaultResolved
	}
	return false
}

// HintState is one staged hint of a drill.
type HintState struct {
	ID      string         `json:"id"`
	At      time.Duration  `json:"at"`
	GivenAt *time.Duration `json:"givenAt,omitempty"`
	Skipped bool           `json:"skipped,omitempty"`
	// Reason says why a hint was skipped or fired early.
	Reason string `json:"reason,omitempty"`
	// By is who gave or skipped the hint (the engine when on schedule).
	By string `json:"by,omitempty"`
}

// InjectState is one scripted persona message of a drill.
type InjectState struct {
	ID       string         `json:"id"`
	PostedAt *time.Duration `json:"postedAt,omitempty"`
	// FollowedAt is when the latest follow-up step was posted; Steps
	// counts the steps posted.
	FollowedAt *time.Duration `json:"followedAt,omitempty"`
	Steps      int            `json:"steps,omitempty"`
	// AnsweredAt is the first participant message answering the posted
	// inject (in its channel, matching its answeredWhen): no more
	// follow-ups after it.
	AnsweredAt *time.Duration `json:"answeredAt,omitempty"`
	// TriggeredAt is when what the inject waits for happened, for the
	// triggers the projection cannot read elsewhere: a participant's
	// matching message (chat.matched), a change the engine's check saw
	// (cluster.changed).
	TriggeredAt *time.Duration `json:"triggeredAt,omitempty"`
	// TriggerDetail says what the check saw, for cluster.changed.
	TriggerDetail string `json:"triggerDetail,omitempty"`
	// To are the people a private briefing was posted to; its follow-ups
	// go to them too.
	To []string `json:"to,omitempty"`
}

// AlertState is one alert of a drill.
type AlertState struct {
	ID         string         `json:"id"`
	Firing     bool           `json:"firing"`
	FirstFired *time.Duration `json:"firstFired,omitempty"`
	FirstClear *time.Duration `json:"firstResolved,omitempty"`
	// FiredAt is when the alert fired this time and LastPost when it was
	// last posted (fired, repeated or reminded), while it fires; Repeats
	// and Reminders count its posts since it fired. Detail is what its
	// check saw when it fired.
	FiredAt   *time.Duration `json:"firedAt,omitempty"`
	LastPost  *time.Duration `json:"lastPost,omitempty"`
	Repeats   int            `json:"repeats,omitempty"`
	Reminders int            `json:"reminders,omitempty"`
	Detail    string         `json:"detail,omitempty"`
	// Posts counts every time the alert was posted in the drill.
	Posts int `json:"posts,omitempty"`
}

// Notice is a notice posted by a participant.
type Notice struct {
	Seq      int64                `json:"seq"`
	Kind     scenarios.NoticeKind `json:"kind"`
	Channel  string               `json:"channel"`
	AuthorID string               `json:"authorId"`
	Fields   map[string]string    `json:"fields"`
	At       time.Duration        `json:"at"`
}

// Drill is the state of one drill, projected from its journal. The scenario
// is a snapshot taken at creation, with the difficulty variant applied, so
// later edits of the scenario file never change a drill.
type Drill struct {
	ID         string               `json:"id"`
	Title      string               `json:"title"`
	Scenario   *scenarios.Scenario  `json:"scenario"`
	Difficulty scenarios.Difficulty `json:"difficulty,omitempty"`
	// Candidate is the id of the candidate the facilitator picked, for a
	// scenario that keeps candidates.
	Candidate string     `json:"candidate,omitempty"`
	State     DrillState `json:"state"`
	Paused    bool       `json:"paused"`
	// TimeScale is drill time per wall time: 60 runs a drill minute in a
	// wall second.
	TimeScale float64 `json:"timeScale"`
	// Rehearsal is set on a drill played by robot participants.
	Rehearsal bool `json:"rehearsal,omitempty"`

	CreatedAt   time.Time  `json:"createdAt"`
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
	// StartedAt and EndedAt are wall times of the start and the end.
	StartedAt time.Time `json:"startedAt,omitempty"`
	EndedAt   time.Time `json:"endedAt,omitempty"`
	// EndReason is "resolved", "facilitator", "cap" or "aborted"; Why is
	// the text the facilitator gave for an end or abort.
	EndReason string         `json:"endReason,omitempty"`
	Why       string         `json:"why,omitempty"`
	EndDrill  *time.Duration `json:"endDrillTime,omitempty"`

	// The drill clock: Elapsed at ClockSince, running when ClockSince is set.
	ClockBase  time.Duration `json:"clockBase"`
	ClockSince time.Time     `json:"clockSince,omitempty"`

	People  []Person      `json:"people"`
	Faults  []FaultState  `json:"faults"`
	Hints   []HintState   `json:"hints"`
	Injects []InjectState `json:"injects"`
	Alerts  []AlertState  `json:"alerts"`
	Notices []Notice      `json:"notices"`

	// FirstInjected is the drill time of the drill's first fault
	// injection: set by the first fault.injected and never moved, not even
	// when that fault comes back and is injected again (its InjectedAt is
	// then the re-injection's). The "time to" metrics count from it.
	FirstInjected *time.Duration `json:"firstInjected,omitempty"`

	// Messages counts chat messages; FirstAck is the first participant
	// message in the incident channel after the first fault was injected.
	Messages int            `json:"messages"`
	FirstAck *time.Duration `json:"firstAck,omitempty"`
	// LastWrite is the drill time of the latest participant message per
	// channel, for follow-ups.
	LastWrite map[string]time.Duration `json:"lastWrite"`
	// Claims are the response roles each person holds (room.claim), for
	// private briefings addressed to a role.
	Claims map[string][]string `json:"claims,omitempty"`

	// Seq and Head are the journal position: the last event's sequence
	// number and hash.
	Seq  int64  `json:"seq"`
	Head string `json:"head"`

	// changes counts the fault events by which the drill itself changed,
	// or set out to change, the cluster (touchesCluster): a cluster.changed
	// watch compares only results taken with no such event in between. It
	// is folded from the journal, so a replay gives the same count.
	changes int

	// replan is set by a chat message that changed what the drill's loop
	// plans (an inject it triggered or answered, a fault it detected);
	// mutate reads and clears it.
	replan bool
}

// Elapsed returns the drill clock at wall time now.
func (d *Drill) Elapsed(now time.Time) time.Duration {
	if d.ClockSince.IsZero() {
		return d.ClockBase
	}
	wall := now.Sub(d.ClockSince)
	if wall < 0 {
		wall = 0
	}
	return d.ClockBase + time.Duration(float64(wall)*d.TimeScale)
}

// Over reports whether the drill is no longer played: ended, in its
// retro, closed or aborted.
func (d *Drill) Over() bool {
	switch d.State {
	case StateEnded, StateRetro, StateClosed, StateAborted:
		return true
	}
	return false
}

// Running reports whether the drill clock is ticking: running and not paused.
func (d *Drill) Running() bool { return d.State == StateRunning && !d.Paused }

// TimeLimit returns the drill's cap: the scenario's, at most 90 minutes.
func (d *Drill) TimeLimit() time.Duration {
	t := d.Scenario.TimeLimit.D()
	if t <= 0 || t > scenarios.MaxTimeLimit {
		t = scenarios.MaxTimeLimit
	}
	return t
}

// Person returns the person with the given id.
func (d *Drill) Person(id string) (*Person, bool) {
	for i := range d.People {
		if d.People[i].ID == id {
			return &d.People[i], true
		}
	}
	return nil, false
}

// Fault returns the state of the fault with the given id.
func (d *Drill) Fault(id string) (*FaultState, bool) {
	for i := range d.Faults {
		if d.Faults[i].ID == id {
			return &d.Faults[i], true
		}
	}
	return nil, false
}

// indexByID returns the index of the element of xs whose id is want, or -1.
func indexByID[T any](xs []T, id func(*T) string, want string) int {
	for i := range xs {
		if id(&xs[i]) == want {
			return i
		}
	}
	return -1
}

func (d *Drill) faultIndex(id string) int {
	return indexByID(d.Faults, func(f *FaultState) string { return f.ID }, id)
}

func (d *Drill) hintIndex(id string) int {
	return indexByID(d.Hints, func(h *HintState) string { return h.ID }, id)
}

func (d *Drill) injectIndex(id string) int {
	return indexByID(d.Injects, func(in *InjectState) string { return in.ID }, id)
}

func (d *Drill) alertIndex(id string) int {
	return indexByID(d.Alerts, func(a *AlertState) string { return a.ID }, id)
}

// firstNoticeFrom returns the first notice of kind posted at or after
// drill time from (0: the first of the drill), or nil. A notice posted before the first injection (a
// false alarm, a team jumping the gun) answers no fault: the time to the
// notice counts from the first one after it.
func (d *Drill) firstNoticeFrom(kind scenarios.NoticeKind, from time.Duration) *Notice {
	for i := range d.Notices {
		if n := &d.Notices[i]; n.Kind == kind && n.At >= from {
			return n
		}
	}
	return nil
}

// lastInjected returns the drill time of the latest fault injection.
func (d *Drill) lastInjected() *time.Duration {
	var last *time.Duration
	for i := range d.Faults {
		if t := d.Faults[i].InjectedAt; t != nil && (last == nil || *t > *last) {
			last = t
		}
	}
	return last
}

// Clone returns a deep copy of d, safe to hand out of the engine. The
// scenario snapshot is shared: it never changes after creation and must be
// treated as read-only. Clone copies field by field (no encoding), so its
// cost is the size of the projection, not of the journal.
func (d *Drill) Clone() *Drill {
	c := *d
	c.ScheduledAt = dup(d.ScheduledAt)
	c.EndDrill = dup(d.EndDrill)
	c.FirstAck = dup(d.FirstAck)
	c.FirstInjected = dup(d.FirstInjected)
	c.People = slices.Clone(d.People)
	c.Faults = slices.Clone(d.Faults)
	for i := range c.Faults {
		f := &c.Faults[i]
		f.Spec = cloneSpec(f.Spec)
		f.Record = slices.Clone(f.Record)
		f.Checks = slices.Clone(f.Checks)
		f.FireRequestedAt, f.IntentAt, f.InjectedAt = dup(f.FireRequestedAt), dup(f.IntentAt), dup(f.InjectedAt)
		f.DetectedAt, f.RecoveringAt, f.ResolvedAt, f.RevertedAt = dup(f.DetectedAt), dup(f.RecoveringAt), dup(f.ResolvedAt), dup(f.RevertedAt)
		f.ConfirmedAt = dup(f.ConfirmedAt)
	}
	c.Hints = slices.Clone(d.Hints)
	for i := range c.Hints {
		c.Hints[i].GivenAt = dup(c.Hints[i].GivenAt)
	}
	c.Injects = slices.Clone(d.Injects)
	for i := range c.Injects {
		in := &c.Injects[i]
		in.PostedAt, in.FollowedAt, in.AnsweredAt, in.TriggeredAt = dup(in.PostedAt), dup(in.FollowedAt), dup(in.AnsweredAt), dup(in.TriggeredAt)
		in.To = slices.Clone(in.To)
	}
	c.Alerts = slices.Clone(d.Alerts)
	for i := range c.Alerts {
		c.Alerts[i].FirstFired, c.Alerts[i].FirstClear = dup(c.Alerts[i].FirstFired), dup(c.Alerts[i].FirstClear)
		c.Alerts[i].FiredAt, c.Alerts[i].LastPost = dup(c.Alerts[i].FiredAt), dup(c.Alerts[i].LastPost)
	}
	c.Notices = slices.Clone(d.Notices)
	for i := range c.Notices {
		c.Notices[i].Fields = maps.Clone(c.Notices[i].Fields)
	}
	c.LastWrite = maps.Clone(d.LastWrite)
	c.Claims = maps.Clone(d.Claims)
	for k, v := range c.Claims {
		c.Claims[k] = slices.Clone(v)
	}
	return &c
}

// dup returns a pointer to a copy of *p, or nil.
func dup[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneSpec returns a copy of s that shares nothing mutable with it.
func cloneSpec(s FaultSpec) FaultSpec {
	s.Target.Selector = maps.Clone(s.Target.Selector)
	s.Params = slices.Clone(s.Params)
	return s
}
