package control

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// DrillCreated is the payload of drill.created.
type DrillCreated struct {
	ID         string               `json:"id"`
	Title      string               `json:"title"`
	Scenario   *scenarios.Scenario  `json:"scenario"`
	Difficulty scenarios.Difficulty `json:"difficulty,omitempty"`
	// Candidate is the candidate picked (scenarios.Candidate); the
	// scenario snapshot plays it.
	Candidate string  `json:"candidate,omitempty"`
	TimeScale float64 `json:"timeScale"`
	// Rehearsal marks a drill played by robot participants (firedrill
	// rehearse): it never counts in the history or the awards.
	Rehearsal bool `json:"rehearsal,omitempty"`
}

// StateChange is the payload of lifecycle events: scheduled (At), ended
// (Reason, Why), aborted (Why), paused (Why) and restarted (Downtime).
type StateChange struct {
	At       *time.Time    `json:"at,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Why      string        `json:"why,omitempty"`
	Downtime time.Duration `json:"downtime,omitempty"`
}

// FaultEvent is the payload of every fault.* event.
type FaultEvent struct {
	FaultID string     `json:"faultId"`
	Spec    *FaultSpec `json:"spec,omitempty"`
	Record  []byte     `json:"record,omitempty"`
	Attempt int        `json:"attempt,omitempty"`
	Error   string     `json:"error,omitempty"`
	// Final marks an inject failure after which the engine gives up.
	Final  bool   `json:"final,omitempty"`
	Detail string `json:"detail,omitempty"`
	// By is "probe" or "manual" for fault.resolved.
	By string `json:"by,omitempty"`
	// Recurrence counts the comebacks of fault.recurred (1 for the
	// first), out of Times; Cause is the fault it came back for, when
	// recurs.while names one.
	Recurrence int    `json:"recurrence,omitempty"`
	Times      int    `json:"times,omitempty"`
	Cause      string `json:"cause,omitempty"`
}

// PersonRemoved is the payload of person.removed.
type PersonRemoved struct {
	PersonID string `json:"personId"`
	Reason   string `json:"reason,omitempty"`
}

// HintEvent is the payload of hint.given and hint.skipped.
type HintEvent struct {
	HintID string `json:"hintId"`
	Reason string `json:"reason,omitempty"`
	// RenderError says why the text was posted unrendered.
	RenderError string `json:"renderError,omitempty"`
}

// InjectEvent is the payload of inject.posted and inject.triggered.
type InjectEvent struct {
	InjectID string `json:"injectId"`
	FollowUp bool   `json:"followUp,omitempty"`
	// Step is the escalation step a follow-up is (1 for the first).
	Step int `json:"step,omitempty"`
	// Detail says what a check saw change, for inject.triggered.
	Detail string `json:"detail,omitempty"`
	// To are the people a private briefing went to.
	To []string `json:"to,omitempty"`
	// RenderError says why the text was posted unrendered: a template
	// error for the designer to fix.
	RenderError string `json:"renderError,omitempty"`
}

// AlertEvent is the payload of alert.firing, alert.repeated and
// alert.resolved.
type AlertEvent struct {
	AlertID string `json:"alertId"`
	Detail  string `json:"detail,omitempty"`
	// Repeat is the storm's repeat a repeated alert is (1 for the first);
	// Reminder is set on a "still firing" reminder instead.
	Repeat   int  `json:"repeat,omitempty"`
	Reminder bool `json:"reminder,omitempty"`
	// By is "until" for an alert its until event resolved; empty when its
	// check held again.
	By string `json:"by,omitempty"`
	// RenderError says why the resolved message was posted unrendered.
	RenderError string `json:"renderError,omitempty"`
}

// Message is a chat message, the payload of chat.message. Its id is the
// sequence number of its event.
type Message struct {
	Seq     int64  `json:"seq,omitempty"`
	Channel string `json:"channel"`
	// AuthorID is a person id or, when AuthorKind is "persona", a persona id.
	AuthorID   string `json:"authorId"`
	AuthorKind string `json:"authorKind"`
	AuthorName string `json:"authorName"`
	Text       string `json:"text"`
	ReplyTo    int64  `json:"replyTo,omitempty"`
	// Source says what posted a scripted message: "inject:<id>",
	// "followup:<id>", "hint:<id>" or "alert:<id>".
	Source string `json:"source,omitempty"`
	// DrillTime is the drill clock when the message was posted.
	DrillTime time.Duration `json:"drillTime"`
	// To, when set, makes the message private: only these people (and
	// staff) ever see it. Scripted private briefings set it.
	To []string `json:"to,omitempty"`
}

// Author kinds of a message. A note is the scenario speaking to the staff
// in the back room, from nobody in the story.
const (
	AuthorPerson  = "person"
	AuthorPersona = "persona"
	AuthorNote    = "note"
)

// NoteAuthorName is the author a back-room note of the scenario is shown
// with.
const NoteAuthorName = "Scenario note"

// NoticePosted is the payload of notice.posted.
type NoticePosted struct {
	Kind     scenarios.NoticeKind `json:"kind"`
	Channel  string               `json:"channel"`
	AuthorID string               `json:"authorId"`
	Fields   map[string]string    `json:"fields"`
}

// Replay folds a drill's whole journal, from event #1, into the drill as it
// stood after the last event. It is the one fold of the journal: the engine
// loads drills with it and the record re-computes kept journals with it.
//
// The journal may be untrusted (a kept record): Replay checks that it is one
// drill's valid hash chain starting with drill.created, and a journal the
// engine could not have written gives an error, never a panic. Errors about
// the journal's shape are EINVALID; an event the projection cannot take is
// a plain error naming the event.
func Replay(events []Event) (*Drill, error) {
	if len(events) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "replay: the journal is empty")
	}
	first := &events[0]
	if first.Type != EventDrillCreated {
		return nil, injectors.Errorf(injectors.EINVALID, "replay of drill %s: the journal starts with %s, expected %s", first.DrillID, first.Type, EventDrillCreated)
	}
	for i := range events {
		if events[i].DrillID != first.DrillID {
			return nil, injectors.Errorf(injectors.EINVALID, "replay of drill %s: event #%d belongs to drill %s", first.DrillID, events[i].Seq, events[i].DrillID)
		}
	}
	if _, err := VerifyChain(0, "", events); err != nil {
		return nil, err
	}
	d := &Drill{}
	for i := range events {
		if err := d.apply(&events[i]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// apply folds one event into the drill. Events of types the engine does not
// own leave the projection unchanged apart from the journal position.
func (d *Drill) apply(e *Event) error {
	fold, err := d.decode(e)
	if err != nil {
		return err
	}
	fold(d)
	return nil
}

// fold is a decoded event ready to change a drill. It cannot fail: every
// check was made by decode, so an append can be refused before it is
// stored and then applied in place, at the cost of the event alone.
type fold func(d *Drill)

// decode checks one event against the drill (its payload decodes, the hint,
// inject, alert or fault it names exists) without changing anything, and
// returns the change it makes. The ids it checks are fixed when the drill is
// created, so the events of one append may all be decoded before the first
// is folded.
func (d *Drill) decode(e *Event) (fold, error) {
	f, err := d.decodeType(e)
	if err != nil {
		return nil, fmt.Errorf("apply %s #%d of drill %s: %w", e.Type, e.Seq, e.DrillID, err)
	}
	return withHead(e, f), nil
}

// withHead returns f followed by moving the drill's head to e.
func withHead(e *Event, f fold) fold {
	seq, head := e.Seq, e.Hash
	return func(d *Drill) {
		if f != nil {
			f(d)
		}
		d.Seq, d.Head = seq, head
	}
}

// decodeEncoded is decode for an event whose payload the engine has just
// encoded from payload: a chat message is folded from the Message itself
// instead of decoding it back from the JSON, when the round trip could
// not change what the fold reads (its channel, author and text are valid
// UTF-8, which encoding/json keeps as is). Every other event is decoded.
func (d *Drill) decodeEncoded(e *Event, payload any) (fold, error) {
	if m, ok := payload.(Message); ok && e.Type == EventChatMessage && m.roundTrips() {
		return withHead(e, chatFold(m, e.DrillTime)), nil
	}
	return d.decode(e)
}

// roundTrips reports whether the fields of m a chat fold reads come back
// the same from m's JSON: encoding/json replaces invalid UTF-8.
func (m Message) roundTrips() bool {
	return utf8.ValidString(m.Channel) && utf8.ValidString(m.AuthorID) && utf8.ValidString(m.AuthorKind) && utf8.ValidString(m.Text)
}

// chatFold is the change a chat message m posted at drill time at makes.
func chatFold(m Message, at time.Duration) fold {
	return func(d *Drill) {
		d.Messages++
		if m.AuthorKind != AuthorPerson {
			return
		}
		if p, ok := d.Person(m.AuthorID); ok && p.Role == RoleParticipant {
			d.LastWrite[m.Channel] = at
			if d.heard(m, at) {
				d.replan = true
			}
			if m.Channel == d.Scenario.IncidentChannel() && d.acknowledge(at) {
				d.replan = true
			}
		}
	}
}

func (d *Drill) decodeType(e *Event) (fold, error) {
	at, wall := e.DrillTime, e.Time
	switch e.Type {
	case EventDrillCreated:
		var p DrillCreated
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		if p.Scenario == nil {
			return nil, injectors.Errorf(injectors.EINVALID, "the event does not carry the drill's scenario")
		}
		specs, err := faultSpecs(p)
		if err != nil {
			return nil, err
		}
		return func(d *Drill) { d.initFrom(p, wall, specs) }, nil
	case EventDrillScheduled:
		var p StateChange
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return func(d *Drill) { d.State, d.ScheduledAt = StateScheduled, p.At }, nil
	case EventDrillBriefing:
		return func(d *Drill) { d.State = StateBriefing }, nil
	case EventDrillTimeScaleSet:
		var p TimeScaleSet
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return func(d *Drill) { d.TimeScale = p.TimeScale }, nil
	case EventDrillStarted:
		return func(d *Drill) {
			d.State, d.StartedAt = StateRunning, wall
			d.ClockBase, d.ClockSince = 0, wall
		}, nil
	case EventDrillPaused:
		var p StateChange
		_ = json.Unmarshal(e.Payload, &p)
		return func(d *Drill) {
			d.Paused, d.Why = true, p.Why
			d.ClockBase, d.ClockSince = at, time.Time{}
		}, nil
	case EventDrillResumed:
		return func(d *Drill) {
			d.Paused = false
			d.ClockBase, d.ClockSince = at, wall
		}, nil
	case EventDrillRestarted:
		// The clock kept running while the engine was down: participants
		// kept working. Nothing changes; the event records the gap.
		return nil, nil
	case EventDrillEnded, EventDrillAborted:
		var p StateChange
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		aborted := e.Type == EventDrillAborted
		return func(d *Drill) {
			if aborted {
				d.State, d.EndReason = StateAborted, "aborted"
			} else {
				d.State, d.EndReason = StateEnded, p.Reason
			}
			d.Why, d.EndedAt = p.Why, wall
			if !d.StartedAt.IsZero() {
				t := at
				d.EndDrill = &t
			}
			d.ClockBase, d.ClockSince, d.Paused = at, time.Time{}, false
		}, nil
	case EventDrillRetro:
		return func(d *Drill) { d.State = StateRetro }, nil
	case EventDrillClosed:
		return func(d *Drill) { d.State = StateClosed }, nil
	case EventPersonAdded:
		var p Person
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return func(d *Drill) { d.People = append(d.People, p) }, nil
	case EventPersonRemoved:
		var p PersonRemoved
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return func(d *Drill) {
			if q, ok := d.Person(p.PersonID); ok {
				q.Removed = true
			}
		}, nil
	case EventChatMessage:
		var m Message
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			return nil, err
		}
		return chatFold(m, at), nil
	case EventRoleClaim:
		var p roleClaim
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return func(d *Drill) { d.claim(p) }, nil
	case EventNoticePosted:
		var p NoticePosted
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		seq := e.Seq
		return func(d *Drill) {
			d.Notices = append(d.Notices, Notice{Seq: seq, Kind: p.Kind, Channel: p.Channel, AuthorID: p.AuthorID, Fields: p.Fields, At: at})
		}, nil
	case EventHintGiven, EventHintSkipped:
		var p HintEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		i := d.hintIndex(p.HintID)
		if i < 0 {
			return nil, fmt.Errorf("unknown hint %q", p.HintID)
		}
		given, by := e.Type == EventHintGiven, e.Actor
		return func(d *Drill) {
			h := &d.Hints[i]
			h.Reason = p.Reason
			h.By = by
			if given {
				t := at
				h.GivenAt = &t
			} else {
				h.Skipped = true
			}
		}, nil
	case EventInjectPosted, EventInjectTriggered:
		var p InjectEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		i := d.injectIndex(p.InjectID)
		if i < 0 {
			return nil, fmt.Errorf("unknown inject %q", p.InjectID)
		}
		if e.Type == EventInjectPosted {
			return func(d *Drill) {
				t := at
				if p.FollowUp {
					d.Injects[i].FollowedAt = &t
					d.Injects[i].Steps++
				} else {
					d.Injects[i].PostedAt, d.Injects[i].To = &t, p.To
				}
			}, nil
		}
		return func(d *Drill) {
			if st := &d.Injects[i]; st.TriggeredAt == nil {
				t := at
				st.TriggeredAt, st.TriggerDetail = &t, p.Detail
			}
		}, nil
	case EventAlertFiring, EventAlertResolved, EventAlertRepeated:
		var p AlertEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		i := d.alertIndex(p.AlertID)
		if i < 0 {
			return nil, fmt.Errorf("unknown alert %q", p.AlertID)
		}
		if e.Type == EventAlertRepeated {
			return func(d *Drill) { d.Alerts[i].repeated(at, p.Reminder) }, nil
		}
		firing := e.Type == EventAlertFiring
		return func(d *Drill) {
			a := &d.Alerts[i]
			t := at
			a.Firing = firing
			if firing && a.FirstFired == nil {
				a.FirstFired = &t
			} else if !firing && a.FirstClear == nil {
				a.FirstClear = &t
			}
			a.episode(firing, at, p.Detail)
		}, nil
	default:
		if InNamespace(e.Type, NamespaceFault) {
			return d.decodeFault(e)
		}
	}
	return nil, nil
}

// acknowledge records a participant message in the incident channel at
// drill time at: the first acknowledgement (the first such message after
// the first injection), and the detection of every injected fault not
// detected yet. A fault that came back and is not injected again yet
// (RecurAt, cleared by fault.injected) is not detected: its InjectedAt is
// still the earlier injection's, and the message comes before the
// comeback it would be timed from. Nor is a fault already resolved: a
// message after a fix nobody noticed ("is it fixed?") did not detect it,
// as the record (sections version 3) counts it.
func (d *Drill) acknowledge(at time.Duration) (changed bool) {
	for i := range d.Faults {
		f := &d.Faults[i]
		if f.InjectedAt == nil || *f.InjectedAt > at {
			continue
		}
		if d.FirstAck == nil {
			t := at
			d.FirstAck, changed = &t, true
		}
		if f.DetectedAt == nil && f.RecurAt == nil && f.ResolvedAt == nil {
			t := at
			f.DetectedAt, changed = &t, true
		}
	}
	return changed
}

func (d *Drill) decodeFault(e *Event) (fold, error) {
	var p FaultEvent
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, err
	}
	i := d.faultIndex(p.FaultID)
	if i < 0 {
		return nil, fmt.Errorf("unknown fault %q", p.FaultID)
	}
	var change func(f *FaultState, t time.Duration)
	switch e.Type {
	case EventFaultFireRequested:
		change = func(f *FaultState, t time.Duration) { f.FireRequestedAt = &t }
	case EventFaultIntent:
		change = func(f *FaultState, t time.Duration) {
			f.Phase, f.IntentAt, f.Attempts = FaultInjecting, &t, p.Attempt
			if p.Spec != nil {
				f.Spec = *p.Spec
			}
			f.Record = nil
		}
	case EventFaultPrepared:
		change = func(f *FaultState, t time.Duration) { f.Record = p.Record }
	case EventFaultInjected:
		change = func(f *FaultState, t time.Duration) {
			f.Phase, f.InjectedAt, f.LastError, f.RecurAt = FaultInEffect, &t, "", nil
			if len(p.Record) > 0 {
				f.Record = p.Record
			}
		}
	case EventFaultInjectFailed:
		change = func(f *FaultState, t time.Duration) {
			f.LastError, f.Record = p.Error, nil
			if p.Final {
				f.Phase = FaultFailed
			} else {
				f.Phase = FaultPending
			}
		}
	case EventFaultPartial:
		change = func(f *FaultState, t time.Duration) {
			if len(p.Record) > 0 {
				f.Record = p.Record
			}
			f.LastError = p.Error
		}
	case EventFaultSkipped:
		change = func(f *FaultState, t time.Duration) { f.Phase, f.SkipReason = FaultSkipped, p.Detail }
	case EventFaultRecovering:
		change = func(f *FaultState, t time.Duration) { f.RecoveringAt, f.ProbeDetail = &t, p.Detail }
	case EventFaultRegressed:
		change = func(f *FaultState, t time.Duration) { f.RecoveringAt, f.ProbeDetail = nil, p.Detail }
	case EventFaultResolved:
		change = func(f *FaultState, t time.Duration) {
			f.Phase, f.ResolvedAt, f.ResolvedBy = FaultResolved, &t, p.By
			if p.Detail != "" {
				f.ProbeDetail = p.Detail
			}
			if f.RecoveringAt == nil {
				f.RecoveringAt = &t
			}
		}
	case EventFaultConfirmed:
		change = func(f *FaultState, t time.Duration) { f.ConfirmedAt, f.ConfirmedBy = &t, p.By }
	case EventFaultRevertIntent:
		change = func(f *FaultState, t time.Duration) { f.Phase = FaultReverting }
	case EventFaultReverted:
		change = func(f *FaultState, t time.Duration) { f.Phase, f.RevertedAt = FaultReverted, &t }
	case EventFaultRecurred:
		change = func(f *FaultState, t time.Duration) { f.recur(p, t) }
	case EventFaultStaysFixed:
		change = func(f *FaultState, t time.Duration) { f.StaysFixed, f.ProbeDetail = true, p.Detail }
	case EventFaultRevertFailed:
		change = func(f *FaultState, t time.Duration) { f.LastError = p.Error }
	default:
		return nil, fmt.Errorf("unknown fault event type")
	}
	at := e.DrillTime
	touches := touchesCluster[e.Type]
	return func(d *Drill) {
		f := &d.Faults[i]
		change(f, at)
		if e.Type == EventFaultInjected && d.FirstInjected == nil {
			t := at
			d.FirstInjected = &t
		}
		if touches {
			d.changes++
		}
		if f.Phase == FaultReverted && f.RecurAt != nil && d.State == StateRunning {
			// Reverted to come back: it is injected again, afresh.
			f.Phase = FaultPending
		}
	}, nil
}

// touchesCluster are the fault events by which the drill changes, or sets
// out to change, the cluster: an injection or revert begun, done, failed
// or partly done, and a comeback (Drill.changes).
var touchesCluster = map[string]bool{
	EventFaultIntent: true, EventFaultInjected: true, EventFaultInjectFailed: true, EventFaultPartial: true,
	EventFaultRevertIntent: true, EventFaultReverted: true, EventFaultRevertFailed: true, EventFaultRecurred: true,
}

// faultSpecs returns the spec of each fault of the drill p creates, in
// scenario order.
func faultSpecs(p DrillCreated) ([]FaultSpec, error) {
	specs := make([]FaultSpec, 0, len(p.Scenario.Faults))
	for _, f := range p.Scenario.Faults {
		spec, err := NewFaultSpec(p.ID, f)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// initFrom resets d to the drill p creates; specs are faultSpecs(p).
func (d *Drill) initFrom(p DrillCreated, at time.Time, specs []FaultSpec) {
	s := p.Scenario
	*d = Drill{
		ID: p.ID, Title: p.Title, Scenario: s, Difficulty: p.Difficulty, Candidate: p.Candidate,
		State: StateDraft, TimeScale: p.TimeScale, Rehearsal: p.Rehearsal, CreatedAt: at,
		LastWrite: map[string]time.Duration{},
	}
	for i, f := range s.Faults {
		d.Faults = append(d.Faults, FaultState{ID: f.ID, Title: f.Title, Phase: FaultPending, Spec: specs[i]})
	}
	for _, h := range s.Hints {
		at := h.At.D()
		if at <= 0 {
			at = scenarios.DefaultHintStart
		}
		d.Hints = append(d.Hints, HintState{ID: h.ID, At: at})
	}
	for _, in := range s.Injects {
		d.Injects = append(d.Injects, InjectState{ID: in.ID})
	}
	for _, a := range s.Alerts {
		d.Alerts = append(d.Alerts, AlertState{ID: a.ID})
	}
}
