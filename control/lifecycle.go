package control

import (
	"context"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// DrillRequest is what CreateDrill needs: the validated scenario and the
// difficulty chosen on the day for the people present.
type DrillRequest struct {
	// ID is optional; a random id is used when it is empty.
	ID       string
	Title    string
	Scenario *scenarios.Scenario
	// Difficulty selects the fault variants; empty means the scenario's
	// default difficulty.
	Difficulty scenarios.Difficulty
	// Candidate is the id of the candidate to play, for a scenario that
	// keeps candidates (scenarios.Candidate). There is no default: a
	// scenario with candidates refuses a drill without one (EINVALID,
	// listing them), so nobody plays a candidate they did not pick.
	Candidate string
	// TimeScale is this drill's clock speed-up (60 runs a drill minute in a
	// second), for rehearsing a scenario before the real drill; 0 means the
	// engine's TimeScale. It is recorded with the drill.
	TimeScale float64
	// Rehearsal marks the drill as one played by robot participants
	// (firedrill rehearse); it is recorded with the drill and keeps it out
	// of the history and the awards.
	Rehearsal bool
	Actor     string
}

// MaxTimeScale is the fastest drill clock: a 90-minute drill in 1.5 seconds.
const MaxTimeScale = 3600

// CreateDrill creates a drill in the draft state. The scenario is copied
// with the difficulty variant applied, and stored with the drill.
func (e *Engine) CreateDrill(ctx context.Context, in DrillRequest) (*Drill, error) {
	if in.Scenario == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "scenario is required")
	}
	played, err := in.Scenario.ForCandidate(in.Candidate)
	if err != nil {
		return nil, injectors.Errorf(injectors.EINVALID, "%v", err)
	}
	s, diff, err := forDifficulty(played, in.Difficulty)
	if err != nil {
		return nil, err
	}
	if err := checkScenario(s); err != nil {
		return nil, err
	}
	scale := in.TimeScale
	switch {
	case scale == 0:
		scale = e.TimeScale
	default:
		if err := checkTimeScale(scale); err != nil {
			return nil, err
		}
	}
	id := in.ID
	if id == "" {
		id = newID("d-")
	} else if !validID(id) {
		return nil, injectors.Errorf(injectors.EINVALID, "drill id %q: expected letters, digits, - and _ only (at most 64)", id)
	}
	title := in.Title
	if title == "" {
		title = s.Metadata.Title
	}
	actor := in.Actor
	if actor == "" {
		actor = RoleFacilitator.String()
	}
	r := newRun(&Drill{ID: id})
	e.mu.Lock()
	if _, exists := e.drills[id]; exists {
		e.mu.Unlock()
		return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s already exists", id)
	}
	e.drills[id] = r
	e.mu.Unlock()
	r.mu.Lock()
	_, err = e.appendLocked(ctx, r, pending{Type: EventDrillCreated, Actor: actor, Payload: DrillCreated{ID: id, Title: title, Scenario: s, Difficulty: diff, Candidate: in.Candidate, TimeScale: scale, Rehearsal: in.Rehearsal}})
	var d *Drill
	if err == nil {
		d = r.d.Clone()
	}
	r.mu.Unlock()
	if err != nil {
		e.mu.Lock()
		delete(e.drills, id)
		e.mu.Unlock()
		return nil, err
	}
	e.startLoop(r)
	return d, nil
}

// String returns the role name.
func (r Role) String() string { return string(r) }

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AddPerson adds someone to the drill with a role and returns them with
// their id.
func (e *Engine) AddPerson(ctx context.Context, drillID string, p Person, actor string) (Person, error) {
	p.Name = strings.TrimSpace(CleanText(p.Name))
	if p.Name == "" {
		return Person{}, injectors.Errorf(injectors.EINVALID, "person name is required")
	}
	if !p.Role.Valid() {
		return Person{}, injectors.Errorf(injectors.EINVALID, "role %q is not a role, expected facilitator, designer, observer or participant", p.Role)
	}
	if p.ID == "" {
		p.ID = newID("p-")
	} else if !validID(p.ID) {
		return Person{}, injectors.Errorf(injectors.EINVALID, "person id %q: expected letters, digits, - and _ only", p.ID)
	}
	_, err := e.mutate(ctx, drillID, func(d *Drill) ([]pending, error) {
		if d.State == StateClosed {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is closed", d.ID)
		}
		if _, ok := d.Person(p.ID); ok {
			return nil, injectors.Errorf(injectors.ECONFLICT, "person %s is already in drill %s", p.ID, d.ID)
		}
		return []pending{{Type: EventPersonAdded, Actor: actor, Payload: p}}, nil
	})
	return p, err
}

// RemovePerson takes a person out of a drill: the journal says who removed
// them and why; the drill room ends their link and sessions. What they wrote
// stays in the record.
func (e *Engine) RemovePerson(ctx context.Context, drillID, personID, actor, reason string) error {
	_, err := e.mutate(ctx, drillID, func(d *Drill) ([]pending, error) {
		p, ok := d.Person(personID)
		if !ok {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "no person %q in drill %s", personID, d.ID)
		}
		if p.Removed {
			return nil, injectors.Errorf(injectors.ECONFLICT, "%s is already removed from drill %s", p.Name, d.ID)
		}
		return []pending{{Type: EventPersonRemoved, Actor: actor, Payload: PersonRemoved{PersonID: personID, Reason: strings.TrimSpace(reason)}}}, nil
	})
	return err
}

// transition appends a lifecycle event if the drill is in one of the states.
func (e *Engine) transition(ctx context.Context, id, typ, actor string, payload any, from ...DrillState) error {
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if !inStates(d.State, from) {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; %s needs it to be %s", d.ID, d.State, strings.TrimPrefix(typ, NamespaceDrill), joinStates(from))
		}
		return []pending{{Type: typ, Actor: actor, Payload: payload}}, nil
	})
	return err
}

func inStates(s DrillState, states []DrillState) bool {
	for _, x := range states {
		if s == x {
			return true
		}
	}
	return false
}

func joinStates(states []DrillState) string {
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	return strings.Join(ss, " or ")
}

// Schedule sets the wall time the drill is planned for. At that time the
// engine moves the drill to the briefing on its own, where it waits for the
// facilitator to press Start: nothing is injected before a person starts it.
// The time stays secret from participants. Rescheduling a scheduled drill
// needs a reason, which is journaled with the new time.
func (e *Engine) Schedule(ctx context.Context, id string, at time.Time, actor, why string) error {
	if at.IsZero() {
		return injectors.Errorf(injectors.EINVALID, "schedule time is required")
	}
	// The time keeps its zone offset (the program plan's), so that the day
	// shown to participants is the day the day-before notice names.
	at = at.Round(0)
	why = strings.TrimSpace(why)
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if !inStates(d.State, []DrillState{StateDraft, StateScheduled}) {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; schedule needs it to be draft or scheduled", d.ID, d.State)
		}
		if d.State == StateScheduled && why == "" {
			return nil, injectors.Errorf(injectors.EINVALID, "why: rescheduling a drill needs a reason, for the record")
		}
		return []pending{{Type: EventDrillScheduled, Actor: actor, Payload: StateChange{At: &at, Why: why}}}, nil
	})
	return err
}

// StartBriefing moves the drill to the briefing: people gather, the rules
// are restated.
func (e *Engine) StartBriefing(ctx context.Context, id, actor string) error {
	return e.transition(ctx, id, EventDrillBriefing, actor, nil, StateDraft, StateScheduled)
}

// Start starts the drill clock. Faults, injects and hints fire from now on.
func (e *Engine) Start(ctx context.Context, id, actor string) error {
	if r, err := e.run(ctx, id); err == nil {
		// Prepare (which changes nothing) the first faults while
		// drill.started is journaled, not after: a fault fired right
		// after the start then finds its record ready or under way.
		r.stage.starting.Add(1)
		defer r.stage.starting.Add(-1)
		e.prepareAhead(r)
	}
	return e.transition(ctx, id, EventDrillStarted, actor, nil, startableStates...)
}

// startableStates are the states Start moves a drill from.
var startableStates = []DrillState{StateDraft, StateScheduled, StateBriefing}

// Pause freezes the drill clock and holds everything scheduled, for
// instance because a real incident needs the people.
func (e *Engine) Pause(ctx context.Context, id, actor, why string) error {
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if d.State != StateRunning || d.Paused {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s%s; only a running drill can be paused", d.ID, d.State, pausedNote(d))
		}
		return []pending{{Type: EventDrillPaused, Actor: actor, Payload: StateChange{Why: why}}}, nil
	})
	return err
}

// Resume restarts the drill clock where it was paused.
func (e *Engine) Resume(ctx context.Context, id, actor string) error {
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if d.State != StateRunning || !d.Paused {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s%s; only a paused drill can be resumed", d.ID, d.State, pausedNote(d))
		}
		return []pending{{Type: EventDrillResumed, Actor: actor}}, nil
	})
	return err
}

func pausedNote(d *Drill) string {
	if d.Paused {
		return " (paused)"
	}
	return ""
}

// End ends a running drill at the facilitator's word. Every fault still in
// effect is reverted before End returns (unless a fault says
// autoRevertAtEnd: false); then the retro opens. A fault that could not be
// reverted yet makes End return an EINTERNAL error naming it; the engine
// keeps retrying it.
func (e *Engine) End(ctx context.Context, id, actor, why string) error {
	rep, err := e.stop(ctx, id, EventDrillEnded, actor, StateChange{Reason: "facilitator", Why: why})
	if err == nil && len(rep.Pending) > 0 {
		err = pendingError(id, rep)
	}
	return err
}

// Abort is the kill switch: it stops the drill in any state before the
// end and reverts everything now. Why is recorded. It returns nil once
// every fault is reverted, and otherwise an EINTERNAL error naming the
// faults whose revert failed and is being retried (see AbortReport).
func (e *Engine) Abort(ctx context.Context, id, actor, why string) error {
	rep, err := e.AbortReport(ctx, id, actor, why)
	if err == nil && len(rep.Pending) > 0 {
		err = pendingError(id, rep)
	}
	return err
}

// AbortReport is Abort that says what happened to each fault: it returns
// when every fault is reverted or has a recorded failure that the engine
// keeps retrying with backoff, and lists both. Reverts run concurrently;
// see Engine.RevertConcurrency.
func (e *Engine) AbortReport(ctx context.Context, id, actor, why string) (StopReport, error) {
	if strings.TrimSpace(why) == "" {
		return StopReport{}, injectors.Errorf(injectors.EINVALID, "abort needs a reason, for the record")
	}
	return e.stop(ctx, id, EventDrillAborted, actor, StateChange{Why: why})
}

func (e *Engine) stop(ctx context.Context, id, typ, actor string, sc StateChange) (StopReport, error) {
	r, err := e.run(ctx, id)
	if err != nil {
		return StopReport{}, err
	}
	e.lockUrgent(r)
	d := r.d
	allowed := d.State == StateRunning
	if typ == EventDrillAborted {
		allowed = inStates(d.State, []DrillState{StateDraft, StateScheduled, StateBriefing, StateRunning})
	}
	if !allowed {
		r.mu.Unlock()
		return StopReport{}, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; it cannot be %s", d.ID, d.State, map[string]string{EventDrillEnded: "ended", EventDrillAborted: "aborted"}[typ])
	}
	evs := e.stopEvents(d, typ, actor, sc)
	_, err = e.appendLocked(ctx, r, evs...)
	r.mu.Unlock()
	if err != nil {
		return StopReport{}, err
	}
	// Revert now, before acknowledging: the kill switch must not leave a
	// fault behind without saying so when it returns.
	if err := e.reconcile(ctx, r); err != nil {
		return StopReport{}, err
	}
	r.op.Lock()
	e.lockUrgent(r)
	rep := e.stopReport(r)
	r.mu.Unlock()
	r.op.Unlock()
	r.poke()
	return rep, nil
}

// stopEvents returns the end or abort event and a skip for every fault
// that never fired.
func (e *Engine) stopEvents(d *Drill, typ, actor string, sc StateChange) []pending {
	evs := []pending{{Type: typ, Actor: actor, Payload: sc}}
	for _, f := range d.Faults {
		if f.Phase == FaultPending {
			evs = append(evs, pending{Type: EventFaultSkipped, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Detail: "the drill stopped before it fired"}})
		}
	}
	return evs
}

// OpenRetro opens the retrospective of an ended or aborted drill. An ended
// drill opens its retro on its own once its faults are reverted.
func (e *Engine) OpenRetro(ctx context.Context, id, actor string) error {
	return e.transition(ctx, id, EventDrillRetro, actor, nil, StateEnded, StateAborted)
}

// CloseDrill closes a drill after its retro (or right after its end). It is
// refused while a fault of the drill is still not reverted.
func (e *Engine) CloseDrill(ctx context.Context, id, actor string) error {
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if !inStates(d.State, []DrillState{StateEnded, StateAborted, StateRetro}) {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; close needs it to be ended, aborted or retro", d.ID, d.State)
		}
		for _, f := range d.Faults {
			if f.holdsRecord() && e.revertWanted(d, &f) {
				return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s still has fault %s %s; it is reverted first", d.ID, f.ID, f.Phase)
			}
		}
		return []pending{{Type: EventDrillClosed, Actor: actor}}, nil
	})
	return err
}

// MarkFaultResolved marks a fault resolved by hand, for faults without
// probes or when the facilitator judges the fix done.
func (e *Engine) MarkFaultResolved(ctx context.Context, id, faultID, actor string) error {
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		f, ok := d.Fault(faultID)
		if !ok {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s has no fault %q", d.ID, faultID)
		}
		if d.State != StateRunning || f.Phase != FaultInEffect {
			return nil, injectors.Errorf(injectors.ECONFLICT, "fault %s is %s in a %s drill; only a fault in effect in a running drill can be marked resolved", faultID, f.Phase, d.State)
		}
		return []pending{{Type: EventFaultResolved, Actor: actor, Payload: FaultEvent{FaultID: faultID, By: "manual"}}}, nil
	})
	return err
}

// FireFaultNow fires a pending fault at once, for instance a chained fault
// the facilitator wants early because the team is fast. It returns once
// the fault is in the cluster (its revert record journaled before the
// inject) or its failed inject is recorded. The fault.injected event that
// follows a successful inject is journaled right after, and reported to
// subscribers once it is durable, like every event; the drill's other work
// waits for it. A paused drill (and a manual engine) journals the request,
// and the drill's loop fires it.
func (e *Engine) FireFaultNow(ctx context.Context, id, faultID, actor string) error {
	r, err := e.run(ctx, id)
	if err != nil {
		return err
	}
	req := pending{Type: EventFaultFireRequested, Actor: actor, Payload: FaultEvent{FaultID: faultID}}
	// Fire here rather than hand the request to the drill's loop: the
	// request, the intent and the revert record are journaled in one
	// append (one fsync before the inject instead of three).
	if !e.Manual {
		r.op.Lock()
	}
	unlock := func() {
		if !e.Manual {
			r.op.Unlock()
		}
		r.poke()
	}
	e.lockUrgent(r)
	i, err := firable(r.d, faultID)
	if err == nil && (e.Manual || !r.d.Running()) {
		_, err = e.appendLocked(ctx, r, req)
		i = -1
	}
	r.mu.Unlock()
	if err != nil || i < 0 {
		unlock()
		return err
	}
	// The fault must not be left half-injected because the person's
	// request ended (a closed browser tab): the fire goes on without ctx's
	// cancellation, and holds r.op until fault.injected is journaled. It
	// runs on the caller's goroutine up to the inject, so that no hand-off
	// stands between the request and the plugin call; journaling
	// fault.injected goes on on a goroutine of its own, off the person's
	// wait.
	e.wg.Add(1)
	handed := false
	err = e.fireFault(context.WithoutCancel(ctx), r, i, func(journal func() error) {
		handed = true
		go func() {
			defer e.wg.Done()
			if err := journal(); err != nil {
				e.logf("drill %s: fault %s is injected, but: %v", id, faultID, err)
			}
			unlock()
		}()
	}, req)
	if !handed {
		unlock()
		e.wg.Done()
	}
	return err
}

// firable returns the index of the fault a person can fire now: a pending
// fault of a running drill, not requested yet.
func firable(d *Drill, faultID string) (int, error) {
	if d.State == StateClosed {
		return -1, injectors.Errorf(injectors.ECONFLICT, "drill %s is closed; its record is final", d.ID)
	}
	i := d.faultIndex(faultID)
	if i < 0 {
		return -1, injectors.Errorf(injectors.ENOTFOUND, "drill %s has no fault %q", d.ID, faultID)
	}
	if f := &d.Faults[i]; d.State != StateRunning || f.Phase != FaultPending || f.FireRequestedAt != nil {
		return -1, injectors.Errorf(injectors.ECONFLICT, "fault %s is %s in a %s drill; only a pending fault of a running drill can be fired", faultID, f.Phase, d.State)
	}
	return i, nil
}

// SkipFault takes a fault that has not fired yet out of the drill: the
// facilitator tailors the drill to the people present (a chained fault the
// team has no time left for, an extension for a team already stretched).
// Faults chained after it are skipped in turn when they come due. why is
// recorded.
func (e *Engine) SkipFault(ctx context.Context, id, faultID, actor, why string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return injectors.Errorf(injectors.EINVALID, "why: skipping a fault needs a reason, for the record")
	}
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		f, ok := d.Fault(faultID)
		if !ok {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s has no fault %q", d.ID, faultID)
		}
		if !inStates(d.State, []DrillState{StateDraft, StateScheduled, StateBriefing, StateRunning}) || f.Phase != FaultPending {
			return nil, injectors.Errorf(injectors.ECONFLICT, "fault %s is %s in a %s drill; only a fault that has not fired yet can be skipped", faultID, f.Phase, d.State)
		}
		return []pending{{Type: EventFaultSkipped, Actor: actor, Payload: FaultEvent{FaultID: faultID, Detail: "skipped by the facilitator: " + why}}}, nil
	})
	return err
}

// FireNextHint gives the next hint stage now, ahead of its time.
func (e *Engine) FireNextHint(ctx context.Context, id, actor string) (string, error) {
	return e.nextHint(ctx, id, actor, true)
}

// SkipHint skips the next hint stage.
func (e *Engine) SkipHint(ctx context.Context, id, actor string) (string, error) {
	return e.nextHint(ctx, id, actor, false)
}

// SkipHintStage skips one pending hint stage, not only the next: the
// facilitator decides the team does not need it. who and why are journaled
// with the skip.
func (e *Engine) SkipHintStage(ctx context.Context, id, hintID, actor, why string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return injectors.Errorf(injectors.EINVALID, "why: skipping a hint needs a reason, for the record")
	}
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		i := d.hintIndex(hintID)
		if i < 0 {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s has no hint %q", d.ID, hintID)
		}
		h := &d.Hints[i]
		if !inStates(d.State, []DrillState{StateDraft, StateScheduled, StateBriefing, StateRunning}) || h.GivenAt != nil || h.Skipped {
			return nil, injectors.Errorf(injectors.ECONFLICT, "hint %s of a %s drill was already given or skipped; only a pending hint can be skipped", hintID, d.State)
		}
		return []pending{{Type: EventHintSkipped, Actor: actor, Payload: HintEvent{HintID: hintID, Reason: why}}}, nil
	})
	return err
}

func (e *Engine) nextHint(ctx context.Context, id, actor string, give bool) (string, error) {
	var hintID string
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if d.State != StateRunning {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; hints are for a running drill", d.ID, d.State)
		}
		for i, h := range d.Hints {
			if h.GivenAt != nil || h.Skipped {
				continue
			}
			hintID = h.ID
			if !give {
				return []pending{{Type: EventHintSkipped, Actor: actor, Payload: HintEvent{HintID: h.ID, Reason: "skipped by the facilitator"}}}, nil
			}
			return e.hintEvents(d, i, actor, "given early by the facilitator"), nil
		}
		return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s has no hint stage left", d.ID)
	})
	return hintID, err
}
