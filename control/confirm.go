package control

import (
	"context"
	"time"

	"github.com/firedrill/firedrill/injectors"
)

// ConfirmFault records a participant's confirmation of a fault's
// resolution (its resolvedWhen.confirm: what no probe sees, such as the
// pending orders re-processed). A fault that needs nothing else — no
// probes, or require: any — is resolved with it; one that needs its probes
// too is resolved at its next check once they have held for stableFor.
func (e *Engine) ConfirmFault(ctx context.Context, drillID, faultID, personID string) error {
	_, err := e.mutate(ctx, drillID, func(d *Drill) ([]pending, error) {
		p, ok := d.Person(personID)
		if !ok || p.Removed || p.Role != RoleParticipant {
			return nil, injectors.Errorf(injectors.EFORBIDDEN, "only a participant of drill %s confirms a resolution", d.ID)
		}
		i := d.faultIndex(faultID)
		if i < 0 || d.Scenario.Faults[i].ResolvedWhen.Confirm == "" {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s has nothing to confirm called %q", d.ID, faultID)
		}
		f := &d.Faults[i]
		rw := d.Scenario.Faults[i].ResolvedWhen
		switch {
		case !d.Running():
			return nil, injectors.Errorf(injectors.ECONFLICT, "the drill is %s; confirmations are made while it runs", d.State)
		case f.ConfirmedAt != nil:
			return nil, injectors.Errorf(injectors.ECONFLICT, "already confirmed by %s", f.ConfirmedBy)
		case f.Phase != FaultInEffect:
			return nil, injectors.Errorf(injectors.ECONFLICT, "there is nothing to confirm now")
		}
		evs := []pending{{Type: EventFaultConfirmed, Actor: personID, Payload: FaultEvent{FaultID: faultID, By: personID, Detail: rw.Confirm}}}
		if len(rw.Probes) == 0 || !rw.NeedsConfirmation() {
			evs = append(evs, pending{Type: EventFaultResolved, Actor: personID, Payload: FaultEvent{FaultID: faultID, By: "confirmed", Detail: rw.Confirm}})
		}
		return evs, nil
	})
	if err != nil {
		return err
	}
	// Check the probes at once rather than at their next interval.
	if r, err := e.run(ctx, drillID); err == nil {
		r.op.Lock()
		if ps := r.rt.probes[faultID]; ps != nil {
			ps.next = time.Time{}
		}
		r.op.Unlock()
		r.poke()
	}
	return nil
}
