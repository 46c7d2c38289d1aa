package control

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Event types the engine appends. Other packages define their own (for
// example "observer.note" or "retro.answer") and append them with
// Engine.AppendEvent; they are stored and streamed like these but do not
// change the drill projection.
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

	EventFaultFireRequested = "fault.fire-requested"
	EventFaultIntent        = "fault.intent"
	EventFaultPrepared      = "fault.prepared"
	EventFaultInjected      = "fault.injected"
	EventFaultInjectFailed  = "fault.inject-failed"
	EventFaultSkipped       = "fault.skipped"
	EventFaultRecovering    = "fault.recovering"
	EventFaultRegressed     = "fault.regressed"
	EventFaultResolved      = "fault.resolved"
	EventFaultRevertIntent  = "fault.revert-intent"
	EventFaultReverted      = "fault.reverted"
	EventFaultRevertFailed  = "fault.revert-failed"

	EventHintGiven     = "hint.given"
	EventHintSkipped   = "hint.skipped"
	EventInjectPosted  = "inject.posted"
	EventAlertFiring   = "alert.firing"
	EventAlertResolved = "alert.resolved"
	EventChatMessage   = "chat.message"
	EventNoticePosted  = "notice.posted"
)

// DrillCreated is the payload of drill.created.
type DrillCreated struct {
	ID         string               `json:"id"`
	Title      string               `json:"title"`
	Scenario   *scenarios.Scenario  `json:"scenario"`
	Difficulty scenarios.Difficulty `json:"difficulty,omitempty"`
	TimeScale  float64              `json:"timeScale"`
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
}

// HintEvent is the payload of hint.given and hint.skipped.
type HintEvent struct {
	HintID string `json:"hintId"`
	Reason string `json:"reason,omitempty"`
	// RenderError says why the text was posted unrendered.
	RenderError string `json:"renderError,omitempty"`
}

// InjectEvent is the payload of inject.posted.
type InjectEvent struct {
	InjectID string `json:"injectId"`
	FollowUp bool   `json:"followUp,omitempty"`
	// RenderError says why the text was posted unrendered: a template
	// error for the designer to fix.
	RenderError string `json:"renderError,omitempty"`
}

// AlertEvent is the payload of alert.firing and alert.resolved.
type AlertEvent struct {
	AlertID string `json:"alertId"`
	Detail  string `json:"detail,omitempty"`
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
}

// Author kinds of a message.
const (
	AuthorPerson  = "person"
	AuthorPersona = "persona"
)

// NoticePosted is the payload of notice.posted.
type NoticePosted struct {
	Kind     scenarios.NoticeKind `json:"kind"`
	Channel  string               `json:"channel"`
	AuthorID string               `json:"authorId"`
	Fields   map[string]string    `json:"fields"`
}

// apply folds one event into the drill. Events of types the engine does not
// own leave the projection unchanged apart from the journal position.
func (d *Drill) apply(e *Event) error {
	if err := d.applyType(e); err != nil {
		return fmt.Errorf("apply %s #%d of drill %s: %w", e.Type, e.Seq, e.DrillID, err)
	}
	d.Seq, d.Head = e.Seq, e.Hash
	return nil
}

func (d *Drill) applyType(e *Event) error {
	at := e.DrillTime
	switch e.Type {
	case EventDrillCreated:
		var p DrillCreated
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		d.initFrom(p, e.Time)
	case EventDrillScheduled:
		var p StateChange
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		d.State, d.ScheduledAt = StateScheduled, p.At
	case EventDrillBriefing:
		d.State = StateBriefing
	case EventDrillStarted:
		d.State, d.StartedAt = StateRunning, e.Time
		d.ClockBase, d.ClockSince = 0, e.Time
	case EventDrillPaused:
		var p StateChange
		_ = json.Unmarshal(e.Payload, &p)
		d.Paused, d.Why = true, p.Why
		d.ClockBase, d.ClockSince = at, time.Time{}
	case EventDrillResumed:
		d.Paused = false
		d.ClockBase, d.ClockSince = at, e.Time
	case EventDrillRestarted:
		// The clock kept running while the engine was down: participants
		// kept working. Nothing changes; the event records the gap.
	case EventDrillEnded, EventDrillAborted:
		var p StateChange
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		if e.Type == EventDrillAborted {
			d.State, d.EndReason = StateAborted, "aborted"
		} else {
			d.State, d.EndReason = StateEnded, p.Reason
		}
		d.Why, d.EndedAt = p.Why, e.Time
		if !d.StartedAt.IsZero() {
			t := at
			d.EndDrill = &t
		}
		d.ClockBase, d.ClockSince, d.Paused = at, time.Time{}, false
	case EventDrillRetro:
		d.State = StateRetro
	case EventDrillClosed:
		d.State = StateClosed
	case EventPersonAdded:
		var p Person
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		d.People = append(d.People, p)
	case EventChatMessage:
		var m Message
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			return err
		}
		d.Messages++
		if m.AuthorKind == AuthorPerson {
			if p, ok := d.Person(m.AuthorID); ok && p.Role == RoleParticipant {
				d.LastWrite[m.Channel] = at
				if m.Channel == IncidentChannel(d.Scenario) {
					d.acknowledge(at)
				}
			}
		}
	case EventNoticePosted:
		var p NoticePosted
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		d.Notices = append(d.Notices, Notice{Seq: e.Seq, Kind: p.Kind, Channel: p.Channel, AuthorID: p.AuthorID, Fields: p.Fields, At: at})
	case EventHintGiven, EventHintSkipped:
		var p HintEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		h := d.hint(p.HintID)
		if h == nil {
			return fmt.Errorf("unknown hint %q", p.HintID)
		}
		h.Reason = p.Reason
		h.By = e.Actor
		if e.Type == EventHintGiven {
			t := at
			h.GivenAt = &t
		} else {
			h.Skipped = true
		}
	case EventInjectPosted:
		var p InjectEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		in := d.inject(p.InjectID)
		if in == nil {
			return fmt.Errorf("unknown inject %q", p.InjectID)
		}
		t := at
		if p.FollowUp {
			in.FollowedAt = &t
		} else {
			in.PostedAt = &t
		}
	case EventAlertFiring, EventAlertResolved:
		var p AlertEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		a := d.alert(p.AlertID)
		if a == nil {
			return fmt.Errorf("unknown alert %q", p.AlertID)
		}
		t := at
		a.Firing = e.Type == EventAlertFiring
		if a.Firing && a.FirstFired == nil {
			a.FirstFired = &t
		} else if !a.Firing && a.FirstClear == nil {
			a.FirstClear = &t
		}
	default:
		if len(e.Type) > 6 && e.Type[:6] == "fault." {
			return d.applyFault(e)
		}
	}
	return nil
}

// acknowledge records a participant message in the incident channel at
// drill time at: the first acknowledgement, and the detection of every
// injected fault not detected yet.
func (d *Drill) acknowledge(at time.Duration) {
	for i := range d.Faults {
		f := &d.Faults[i]
		if f.InjectedAt != nil && f.DetectedAt == nil && *f.InjectedAt <= at {
			t := at
			f.DetectedAt = &t
			if d.FirstAck == nil {
				d.FirstAck = &t
			}
		}
	}
}

func (d *Drill) applyFault(e *Event) error {
	var p FaultEvent
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return err
	}
	f, ok := d.Fault(p.FaultID)
	if !ok {
		return fmt.Errorf("unknown fault %q", p.FaultID)
	}
	t := e.DrillTime
	switch e.Type {
	case EventFaultFireRequested:
		f.FireRequestedAt = &t
	case EventFaultIntent:
		f.Phase, f.IntentAt, f.Attempts = FaultInjecting, &t, p.Attempt
		if p.Spec != nil {
			f.Spec = *p.Spec
		}
		f.Record = nil
	case EventFaultPrepared:
		f.Record = p.Record
	case EventFaultInjected:
		f.Phase, f.InjectedAt, f.LastError = FaultInEffect, &t, ""
		if len(p.Record) > 0 {
			f.Record = p.Record
		}
	case EventFaultInjectFailed:
		f.LastError, f.Record = p.Error, nil
		if p.Final {
			f.Phase = FaultFailed
		} else {
			f.Phase = FaultPending
		}
	case EventFaultSkipped:
		f.Phase, f.SkipReason = FaultSkipped, p.Detail
	case EventFaultRecovering:
		f.RecoveringAt, f.ProbeDetail = &t, p.Detail
	case EventFaultRegressed:
		f.RecoveringAt, f.ProbeDetail = nil, p.Detail
	case EventFaultResolved:
		f.Phase, f.ResolvedAt, f.ResolvedBy = FaultResolved, &t, p.By
		if p.Detail != "" {
			f.ProbeDetail = p.Detail
		}
		if f.RecoveringAt == nil {
			f.RecoveringAt = &t
		}
	case EventFaultRevertIntent:
		f.Phase = FaultReverting
	case EventFaultReverted:
		f.Phase, f.RevertedAt = FaultReverted, &t
	case EventFaultRevertFailed:
		f.LastError = p.Error
	default:
		return fmt.Errorf("unknown fault event type")
	}
	return nil
}

func (d *Drill) initFrom(p DrillCreated, at time.Time) {
	s := p.Scenario
	*d = Drill{
		ID: p.ID, Title: p.Title, Scenario: s, Difficulty: p.Difficulty,
		State: StateDraft, TimeScale: p.TimeScale, CreatedAt: at,
		LastWrite: map[string]time.Duration{},
	}
	for _, f := range s.Faults {
		d.Faults = append(d.Faults, FaultState{ID: f.ID, Title: f.Title, Phase: FaultPending, Spec: faultSpec(p.ID, f)})
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

// faultSpec converts a scenario fault to what the injector layer receives.
func faultSpec(drillID string, f scenarios.Fault) FaultSpec {
	var params json.RawMessage
	if len(f.Params) > 0 {
		params, _ = json.Marshal(f.Params)
	}
	return FaultSpec{
		DrillID: drillID, FaultID: f.ID, Plugin: f.Injector.Plugin, Type: f.Injector.Type,
		Target: FaultTarget(f.Target), Params: params,
	}
}

// probeSpec converts a scenario probe to what the injector layer receives.
func probeSpec(p scenarios.Probe) ProbeSpec {
	var params json.RawMessage
	if len(p.Params) > 0 {
		params, _ = json.Marshal(p.Params)
	}
	return ProbeSpec{Plugin: p.Probe.Plugin, Type: p.Probe.Type, Target: FaultTarget(p.Target), Params: params}
}

// NewFaultSpec returns the spec the engine hands the injector layer for
// fault f of drill drillID. Tools that check faults outside a drill (the
// server-side dry run of `firedrill validate --against`) use it so that they
// check exactly what a drill would inject.
func NewFaultSpec(drillID string, f scenarios.Fault) FaultSpec { return faultSpec(drillID, f) }
