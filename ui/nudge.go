package ui

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/wire"
)

// NudgeAfter is how long after detection (the first alert or the first
// persona inject) the room bot reminds participants that nobody has claimed
// incident commander or propagation yet.
const NudgeAfter = 5 * time.Minute

// ActorRoomBot is the actor of the room bot's nudges. It is neither a
// person nor a persona: nudges are the tool speaking, not the scenario.
const ActorRoomBot = "room-bot"

// CheckNudges looks at every running drill and posts the nudges the practice
// expects, each once: no incident notice, or nobody claimed incident
// commander or propagation, within NudgeAfter of detection; a status update
// is overdue against the scenario's update cadence; the next update a notice
// promised ("next update 14:20") is due and none came.
func (s *Server) CheckNudges(ctx context.Context) error {
	sums, err := s.engine.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return err
	}
	var errs []error
	for _, sum := range sums {
		if sum.State != control.StateRunning {
			continue
		}
		if err := s.checkDrill(ctx, sum.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkDrill posts the drill's due nudges. It reads the drill in place
// (View) rather than copying it: the check runs over every running drill,
// and a copy would hold each drill's lock — its chat — for as long as
// copying a whole drill takes.
func (s *Server) checkDrill(ctx context.Context, id string) error {
	st, err := s.rooms.state(ctx, id)
	if err != nil {
		return err
	}
	var due []wire.Nudge
	err = s.engine.View(ctx, id, func(d *control.Drill) error {
		if d.Running() {
			due = dueNudges(d, st, d.Elapsed(s.clock.Now()))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range due {
		if st.nudged[nudgeKey(n)] {
			continue
		}
		if _, err := s.engine.AppendEvent(ctx, id, control.EventNudge, ActorRoomBot, n); err != nil {
			return err
		}
	}
	return nil
}

// dueNudges returns the nudges the drill needs at drill time now.
func dueNudges(d *control.Drill, st roomState, now time.Duration) []wire.Nudge {
	ch := d.Scenario.IncidentChannel()
	var out []wire.Nudge
	if det, ok := detected(d); ok && now-det >= NudgeAfter {
		if !noticed(d, scenarios.NoticeIncident) {
			out = append(out, wire.Nudge{Kind: wire.NudgeIncidentNotice, Channel: ch})
		}
		if !st.holder(wire.ClaimCommander) {
			out = append(out, wire.Nudge{Kind: wire.NudgeNoCommander, Channel: ch})
		}
		if !st.holder(wire.ClaimPropagation) {
			out = append(out, wire.Nudge{Kind: wire.NudgeNoPropagation, Channel: ch})
		}
	}
	if doubleRole(d, st) {
		out = append(out, wire.Nudge{Kind: wire.NudgeDoubleRole, Channel: ch})
	}
	if ps := control.UpdatePromises(d, time.Local); len(ps) > 0 && !ps[len(ps)-1].Kept() && now >= ps[len(ps)-1].Due {
		p := ps[len(ps)-1]
		// One nudge per promise: the window is the promising notice.
		out = append(out, wire.Nudge{Kind: wire.NudgeUpdatePromised, Channel: ch, Window: int(p.Seq)})
	}
	cadence := d.Scenario.Notices.UpdateCadence.D()
	if cadence <= 0 {
		return out
	}
	var last time.Duration
	updates, resolved := 0, false
	for _, n := range d.Notices {
		switch n.Kind {
		case scenarios.NoticeIncident, scenarios.NoticeStatus:
			updates++
			if n.At > last {
				last = n.At
			}
		case scenarios.NoticeResolution:
			resolved = true
		}
	}
	if updates > 0 && !resolved && now-last >= cadence {
		// One nudge per missed update: the window is the number of updates
		// posted so far, so posting one re-arms the reminder.
		out = append(out, wire.Nudge{Kind: wire.NudgeStatusOverdue, Channel: ch, Window: updates})
	}
	return out
}

// doubleRole reports whether one participant holds both recovery and
// propagation while another participant holds no response role: the
// practice wants different people for the two jobs.
func doubleRole(d *control.Drill, st roomState) bool {
	both, free := false, false
	for _, p := range d.People {
		if p.Role != control.RoleParticipant {
			continue
		}
		held := st.claims[p.ID]
		both = both || slices.Contains(held, wire.ClaimRecovery) && slices.Contains(held, wire.ClaimPropagation)
		free = free || len(held) == 0
	}
	return both && free
}

// noticed reports whether a notice of kind was posted.
func noticed(d *control.Drill, kind scenarios.NoticeKind) bool {
	for _, n := range d.Notices {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

// detected returns when participants could first know of the incident: the
// first alert that fired or the first scripted persona message.
func detected(d *control.Drill) (time.Duration, bool) {
	var at *time.Duration
	for _, a := range d.Alerts {
		if a.FirstFired != nil && (at == nil || *a.FirstFired < *at) {
			at = a.FirstFired
		}
	}
	for _, in := range d.Injects {
		if in.PostedAt != nil && (at == nil || *in.PostedAt < *at) {
			at = in.PostedAt
		}
	}
	if at == nil {
		return 0, false
	}
	return *at, true
}

// runNudges calls CheckNudges until the server closes: every interval of
// drill time, so that a rehearsal at ×60 is nudged as promptly (in drill
// minutes) as a real drill — the wall-clock wait is the interval divided by
// the fastest running drill's time scale, and never under nudgeFloor.
func (s *Server) runNudges(every time.Duration) {
	defer s.conns.Done()
	wait := every
	for {
		t := s.clock.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if err := s.CheckNudges(s.ctx); err != nil && s.ctx.Err() == nil {
			s.logf("nudges: %v", err)
		}
		wait = nudgeWait(every, s.fastestScale(s.ctx))
	}
}

// nudgeFloor is the shortest wall-clock wait between two nudge checks.
const nudgeFloor = 250 * time.Millisecond

// nudgeWait is the wall-clock wait for every of drill time at time scale
// scale.
func nudgeWait(every time.Duration, scale float64) time.Duration {
	if scale <= 1 {
		return every
	}
	return max(nudgeFloor, time.Duration(float64(every)/scale))
}

// fastestScale is the highest time scale of the running drills (1 when
// none runs).
func (s *Server) fastestScale(ctx context.Context) float64 {
	scale := 1.0
	sums, err := s.engine.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return scale
	}
	for _, sum := range sums {
		if sum.State != control.StateRunning {
			continue
		}
		if d, err := s.engine.Drill(ctx, sum.ID); err == nil && d.TimeScale > scale {
			scale = d.TimeScale
		}
	}
	return scale
}
