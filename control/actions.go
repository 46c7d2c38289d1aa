package control

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// do performs one planned action. It returns an error only when the journal
// cannot be written; injector failures are recorded and retried.
func (e *Engine) do(ctx context.Context, r *drillRun, a *action) error {
	switch a.kind {
	case actRevert:
		return e.revertAll(ctx, r)
	case actSettleIntent:
		return e.settleIntent(ctx, r, a.idx)
	case actCap:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if !d.Running() {
				return nil
			}
			return e.stopEvents(d, EventDrillEnded, ActorEngine, StateChange{Reason: "cap", Why: fmt.Sprintf("the %s cap was reached", scenarios.Duration(d.TimeLimit()))})
		})
	case actAutoEnd:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if !d.Running() || !d.resolvedAndNoticed() {
				return nil
			}
			if now := e.clock.Now(); d.scriptDue(d.Elapsed(now)) {
				// A message fell due since the pass was planned (a slow
				// check before this): the next pass posts it, then ends.
				r.rt.endAfter = now
				return nil
			}
			return e.stopEvents(d, EventDrillEnded, ActorEngine, StateChange{Reason: "resolved", Why: "every fault is resolved and the resolution notice is posted"})
		})
	case actAutoRetro:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if d.State != StateEnded {
				return nil
			}
			return []pending{{Type: EventDrillRetro, Actor: ActorEngine}}
		})
	case actBriefing:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if d.State != StateScheduled || d.ScheduledAt == nil || e.clock.Now().Before(*d.ScheduledAt) {
				return nil
			}
			return []pending{{Type: EventDrillBriefing, Actor: ActorEngine, Payload: StateChange{Reason: "scheduled"}}}
		})
	case actFault:
		return e.fireFault(ctx, r, a.idx, nil)
	case actInject, actFollowUp:
		follow := a.kind == actFollowUp
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if !d.Running() {
				return nil
			}
			if follow {
				if _, ok := d.followUpDue(a.idx); !ok {
					return nil
				}
			} else if _, ok := d.injectDue(a.idx, d.Elapsed(e.clock.Now())); !ok {
				return nil
			}
			return e.injectEvents(d, a.idx, follow)
		})
	case actHint:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			h := d.Hints[a.idx]
			if !d.Running() || h.GivenAt != nil || h.Skipped {
				return nil
			}
			if !d.hintWanted(a.idx) {
				return []pending{{Type: EventHintSkipped, Actor: ActorEngine, Payload: HintEvent{HintID: h.ID, Reason: "every fault it is about is resolved"}}}
			}
			return e.hintEvents(d, a.idx, ActorEngine, "")
		})
	case actHeal:
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if !d.Running() {
				return nil
			}
			due, ok := d.healDue(a.idx)
			if !ok || d.Elapsed(e.clock.Now()) < due {
				return nil
			}
			id := d.Faults[a.idx].ID
			why := fmt.Sprintf("healed by itself after %s (duration), as a quiet fix does", scenarios.Duration(d.Scenario.Faults[a.idx].HealAfter.D()))
			return []pending{
				{Type: EventFaultResolved, Actor: ActorEngine, Payload: FaultEvent{FaultID: id, By: "duration", Detail: why}},
				{Type: EventFaultRevertIntent, Actor: ActorEngine, Payload: FaultEvent{FaultID: id}},
			}
		})
	case actRecur:
		return e.appendNow(ctx, r, func(d *Drill) []pending { return e.recurEvents(d, a.idx) })
	case actProbe:
		return e.probeFault(ctx, r, a.idx)
	case actAlert:
		return e.evalAlert(ctx, r, a.idx)
	case actAlertScript:
		return e.alertScript(ctx, r, a.idx)
	case actWatch:
		return e.watchCluster(ctx, r, a.idx)
	}
	return injectors.Errorf(injectors.EINTERNAL, "unknown action %d", a.kind)
}

// appendNow appends the events fn returns for the drill's current state.
func (e *Engine) appendNow(ctx context.Context, r *drillRun, fn func(d *Drill) []pending) error {
	e.lockUrgent(r)
	defer r.mu.Unlock()
	ps := fn(r.d)
	if len(ps) == 0 {
		return nil
	}
	_, err := e.appendLocked(ctx, r, ps...)
	return err
}

// persona returns the scenario's persona, or one named by its id when the
// scenario lacks it, so that a scripted message is never lost.
func (e *Engine) persona(d *Drill, id string) scenarios.Persona {
	if p, ok := d.Scenario.Persona(id); ok {
		return *p
	}
	return scenarios.Persona{ID: id, Name: id}
}

// personaMessage is a chat message posted by a persona; to, when set, makes
// it private to those people.
func (e *Engine) personaMessage(d *Drill, personaID, channel, text, source string, to ...string) pending {
	if personaID == "" {
		// A back-room note of the scenario, from nobody in the story.
		return pending{Type: EventChatMessage, Actor: ActorEngine, Payload: Message{
			Channel: channel, AuthorKind: AuthorNote, AuthorName: NoteAuthorName, Text: text, Source: source, DrillTime: d.Elapsed(e.clock.Now()),
		}}
	}
	p := e.persona(d, personaID)
	return pending{Type: EventChatMessage, Actor: PersonaActor(p.ID), Payload: Message{
		Channel: channel, AuthorID: p.ID, AuthorKind: AuthorPersona, AuthorName: p.DisplayName(), Text: text, Source: source, DrillTime: d.Elapsed(e.clock.Now()), To: to,
	}}
}

func (e *Engine) injectEvents(d *Drill, i int, follow bool) []pending {
	in := d.Scenario.Injects[i]
	text, source, persona := in.Text, "inject:"+in.ID, in.Persona
	step := 0
	if follow {
		st := in.Ladder()[d.Injects[i].Steps]
		step = d.Injects[i].Steps + 1
		text, source = st.Text, "followup:"+in.ID
		if st.Persona != "" {
			persona = st.Persona
		}
	}
	faultID := ""
	if in.On != nil {
		faultID = in.On.Fault
	}
	rendered, err := renderText(text, d.textData(e.clock.Now(), faultID))
	ev := InjectEvent{InjectID: in.ID, FollowUp: follow, Step: step}
	var to []string
	switch {
	case follow:
		to = d.Injects[i].To
	case in.To != nil:
		to = d.recipients(in.To)
		ev.To = to
	}
	if err != nil {
		ev.RenderError = err.Error()
		e.logf("drill %s: inject %s: %v", d.ID, in.ID, err)
	}
	return []pending{
		{Type: EventInjectPosted, Actor: ActorEngine, Payload: ev},
		e.personaMessage(d, persona, in.Channel, rendered, source, to...),
	}
}

func (e *Engine) hintEvents(d *Drill, i int, actor, reason string) []pending {
	h := d.Scenario.Hints[i]
	rendered, err := renderText(h.Text, d.textData(e.clock.Now(), ""))
	ev := HintEvent{HintID: h.ID, Reason: reason}
	if err != nil {
		ev.RenderError = err.Error()
		e.logf("drill %s: hint %s: %v", d.ID, h.ID, err)
	}
	return []pending{
		{Type: EventHintGiven, Actor: actor, Payload: ev},
		e.personaMessage(d, h.Persona, h.Channel, rendered, "hint:"+h.ID),
	}
}

// fireFault injects a due fault write-ahead: Prepare (which changes
// nothing) returns the revert record, then one append records the intent
// and the record together (one fsync), and only then Inject applies the
// fault and the refined record is appended. lead is a person's fire
// request, journaled in that same append; without one, a due extension
// whose condition failed is skipped instead. injected, when set, is handed
// the fault.injected append once Inject succeeded, to run it (and then
// release r.op) off the caller's wait; fireFault then returns nil. The
// caller holds r.op.
func (e *Engine) fireFault(ctx context.Context, r *drillRun, i int, injected func(journal func() error), lead ...pending) error {
	e.lockUrgent(r)
	d := r.d
	f := d.Faults[i]
	if !d.Running() || f.Phase != FaultPending {
		r.mu.Unlock()
		return notFirable(f, d, lead)
	}
	if why := d.faultSkipReason(i); why != "" && len(lead) == 0 {
		_, err := e.appendLocked(ctx, r, append(lead, pending{Type: EventFaultSkipped, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Detail: why}})...)
		r.mu.Unlock()
		return err
	}
	spec := f.Spec
	attempt := f.Attempts + 1
	r.mu.Unlock()
	delete(r.rt.injectRetry, f.ID)
	intent := pending{Type: EventFaultIntent, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Spec: &spec, Attempt: attempt}}

	record, ok := e.takePrepared(ctx, r, spec, attempt-1)
	if !ok {
		var err error
		if record, err = e.injector.Prepare(ctx, spec); err != nil {
			return e.injectFailed(ctx, r, f.ID, attempt, fmt.Errorf("prepare %s: %w", f.ID, err), append(lead, intent)...)
		}
	}
	e.lockUrgent(r)
	if cur := r.d.Faults[i]; !r.d.Running() || cur.Phase != FaultPending {
		// Stopped or paused while preparing: nothing was changed.
		r.mu.Unlock()
		return notFirable(cur, r.d, lead)
	}
	_, err := e.appendLocked(ctx, r, append(lead, intent, pending{Type: EventFaultPrepared, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Record: record}})...)
	r.mu.Unlock()
	if err != nil {
		return err
	}

	newRecord, err := e.injectFresh(ctx, r, spec, &record)
	if err != nil {
		injErr := fmt.Errorf("inject %s: %w", f.ID, err)
		if len(newRecord) > 0 {
			// The partial-inject record covers what the plugin changed
			// before it failed: persist it, then revert with it.
			e.lockUrgent(r)
			_, perr := e.appendLocked(ctx, r, pending{Type: EventFaultPartial, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Record: newRecord, Error: injErr.Error()}})
			r.mu.Unlock()
			if perr != nil {
				return perr
			}
			record = newRecord
		}
		if rerr := e.injector.Revert(ctx, spec.Plugin, record); rerr != nil {
			// Leave the fault injecting with its record: the next pass
			// checks its status and reverts with backoff.
			e.logf("drill %s: %v; revert of the partial inject failed: %v", d.ID, injErr, rerr)
			b := e.backoffFor(r, f.ID)
			b.fail(e.clock.Now())
			return nil
		}
		return e.injectFailed(ctx, r, f.ID, attempt, injErr)
	}
	if len(newRecord) == 0 {
		newRecord = record
	}
	journal := func() error {
		e.lockUrgent(r)
		defer r.mu.Unlock()
		_, err := e.appendLocked(ctx, r, pending{Type: EventFaultInjected, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Record: newRecord}})
		return err
	}
	if injected != nil {
		injected(journal)
		return nil
	}
	return journal()
}

// maxStalePrepares bounds how often one fire prepares again after Inject
// found its record stale.
const maxStalePrepares = 3

// injectFresh injects spec with *record, which is journaled. When the
// plugin refuses the record as stale (ECONFLICT and no record: the target
// changed since Prepare, nothing was written), it prepares again, journals
// the new record and retries, so that the journal always holds the record
// of what is injected before the inject. *record is the journaled record
// when it returns. The caller holds r.op.
func (e *Engine) injectFresh(ctx context.Context, r *drillRun, spec FaultSpec, record *[]byte) ([]byte, error) {
	for stale := 0; ; stale++ {
		newRecord, err := e.injector.Inject(ctx, spec, *record)
		if err == nil || len(newRecord) > 0 || injectors.ErrorCode(err) != injectors.ECONFLICT || stale == maxStalePrepares {
			return newRecord, err
		}
		fresh, perr := e.injector.Prepare(ctx, spec)
		if perr != nil {
			return nil, fmt.Errorf("%w; prepare again: %w", err, perr)
		}
		e.lockUrgent(r)
		_, jerr := e.appendLocked(ctx, r, pending{Type: EventFaultPrepared, Actor: ActorEngine, Payload: FaultEvent{FaultID: spec.FaultID, Record: fresh, Detail: "prepared again: " + err.Error()}})
		r.mu.Unlock()
		if jerr != nil {
			return nil, jerr
		}
		*record = fresh
	}
}

// notFirable is what fireFault returns for a fault that cannot fire (any
// more): nothing for the engine's own schedule, a conflict for a person's
// request (lead events), which is then not journaled.
func notFirable(f FaultState, d *Drill, lead []pending) error {
	if len(lead) == 0 {
		return nil
	}
	return injectors.Errorf(injectors.ECONFLICT, "fault %s is %s in a %s drill; only a pending fault of a running drill can be fired", f.ID, f.Phase, d.State)
}

func (e *Engine) backoffFor(r *drillRun, faultID string) *backoff {
	b := r.rt.revertRetry[faultID]
	if b == nil {
		b = &backoff{}
		r.rt.revertRetry[faultID] = b
	}
	return b
}

// injectFailed records a failed inject (nothing of it is left in effect)
// and schedules the next attempt, or gives up after maxInjectAttempts.
func (e *Engine) injectFailed(ctx context.Context, r *drillRun, faultID string, attempt int, cause error, lead ...pending) error {
	e.logf("drill %s: attempt %d: %v", r.d.ID, attempt, cause)
	final := attempt >= maxInjectAttempts
	e.lockUrgent(r)
	defer r.mu.Unlock()
	if _, err := e.appendLocked(ctx, r, append(lead, pending{Type: EventFaultInjectFailed, Actor: ActorEngine, Payload: FaultEvent{FaultID: faultID, Attempt: attempt, Error: cause.Error(), Final: final}})...); err != nil {
		return err
	}
	if !final {
		r.rt.injectRetry[faultID] = r.d.Elapsed(e.clock.Now()) + injectRetryBase<<(attempt-1)
	}
	return nil
}

// settleIntent resolves a fault left injecting by a crash or a failed
// revert. Without a revert record nothing was changed yet, so the intent is
// dropped. With one, the inject's outcome is unknown: Status decides
// whether it took effect; otherwise the partial change is reverted and the
// inject retried.
func (e *Engine) settleIntent(ctx context.Context, r *drillRun, i int) error {
	e.lockUrgent(r)
	d := r.d
	f := d.Faults[i]
	if f.Phase != FaultInjecting {
		r.mu.Unlock()
		return nil
	}
	if len(f.Record) == 0 {
		var p pending
		if d.Running() {
			p = pending{Type: EventFaultInjectFailed, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Attempt: f.Attempts, Error: "interrupted before the revert record was written; nothing was changed"}}
		} else {
			p = pending{Type: EventFaultSkipped, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Detail: "the drill stopped before it was injected"}}
		}
		_, err := e.appendLocked(ctx, r, p)
		r.mu.Unlock()
		return err
	}
	r.mu.Unlock()
	b := e.backoffFor(r, f.ID)
	st, err := e.injector.Status(ctx, f.Spec, f.Record)
	if err != nil {
		e.logf("drill %s: status of %s after an interrupted inject: %v", d.ID, f.ID, err)
		b.fail(e.clock.Now())
		return nil
	}
	if st.Effect == injectors.InEffect {
		delete(r.rt.revertRetry, f.ID)
		return e.appendNow(ctx, r, func(d *Drill) []pending {
			if d.Faults[i].Phase != FaultInjecting {
				return nil
			}
			return []pending{{Type: EventFaultInjected, Actor: ActorEngine, Payload: FaultEvent{FaultID: f.ID, Record: f.Record, Detail: "inject confirmed by status after an interruption"}}}
		})
	}
	if err := e.injector.Revert(ctx, f.Spec.Plugin, f.Record); err != nil {
		e.logf("drill %s: revert of interrupted inject %s: %v", d.ID, f.ID, err)
		b.fail(e.clock.Now())
		return nil
	}
	delete(r.rt.revertRetry, f.ID)
	return e.injectFailed(ctx, r, f.ID, f.Attempts, fmt.Errorf("inject %s: outcome unknown after an interruption (status %s); partial change reverted", f.ID, st.Effect))
}
