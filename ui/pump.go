package ui

import (
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// ensurePump makes sure the engine's live events of a drill flow into the
// hub: from then on every event appended to the drill is published by
// follow, on the goroutine that committed it. A drill is followed from
// when the first browser opens it until it is closed (or the server
// closes), so a server that runs drills for a year keeps nothing for the
// drills it once served. It must run before a browser registers with the
// hub so that every event the browser's journal replay misses reaches it
// live: the drill is marked under the drill's lock, which every append
// holds until its events are published, so an append either sees the mark
// or is in the journal before the browser replays it.
func (s *Server) ensurePump(drillID string) error {
	s.pumpMu.Lock()
	followed := s.pumps[drillID]
	s.pumpMu.Unlock()
	if followed {
		return nil
	}
	var head int64
	err := s.engine.View(s.ctx, drillID, func(d *control.Drill) error {
		if d.State == control.StateClosed {
			// Nothing more comes live; browsers replay the journal.
			return nil
		}
		head = d.Seq
		s.pumpMu.Lock()
		s.pumps[drillID] = true
		s.pumpMu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	// Number the events so far for participants now, so that publishing
	// the next one only adds it to the index instead of reading the
	// journal on the committing goroutine. Failing here is not fatal:
	// publish catches up itself.
	_, _ = s.publicSeqs.upTo(s.ctx, drillID, "", head)
	return nil
}

// follow is the server's engine follower (see control.Engine.Follow): it
// publishes the events of the drills browsers follow, in order, and stops
// following a drill once it is closed.
func (s *Server) follow(evs []control.Event) {
	id := evs[0].DrillID
	s.pumpMu.Lock()
	followed := s.pumps[id]
	s.pumpMu.Unlock()
	if !followed {
		return
	}
	for _, e := range evs {
		s.publish(e)
		if e.Type == control.EventDrillClosed {
			// The drill's last event. A later browser replays the
			// journal.
			s.pumpMu.Lock()
			delete(s.pumps, id)
			s.pumpMu.Unlock()
		}
	}
}

// publish hands e to the hub with its form for participants, numbered
// among the events they see. If it cannot be numbered (the journal did not
// answer), the drill's participants are dropped and resume from the journal
// rather than miss it.
//
// Who sees e and its staff form are made once (streamed, which reads a
// chat message's payload) and handed to the numbering and the hub.
func (s *Server) publish(e control.Event) {
	a, staff := streamed(e)
	n, personal, err := s.publicSeqs.observe(s.ctx, e, a)
	if err != nil {
		s.logf("drill %s: event #%d: %v", e.DrillID, e.Seq, err)
		s.hub.resync(e.DrillID)
		s.hub.publish(e, a, staff, nil)
		return
	}
	var public *wire.Event
	if n > 0 {
		w, err := s.participantEvent(s.ctx, e, staff, n, "")
		if err != nil {
			s.logf("drill %s: event #%d for participants: %v", e.DrillID, e.Seq, err)
			s.hub.resync(e.DrillID)
		} else {
			public = &w
		}
	}
	var frames map[string]wire.Event
	for person, pn := range personal {
		w, err := s.participantEvent(s.ctx, e, staff, pn, person)
		if err != nil {
			s.logf("drill %s: event #%d for %s: %v", e.DrillID, e.Seq, person, err)
			s.hub.resync(e.DrillID)
			continue
		}
		if frames == nil {
			frames = make(map[string]wire.Event, len(personal))
		}
		frames[person] = w
	}
	s.hub.publish(e, a, staff, public, frames)
	if e.Type == control.EventDrillClosed {
		// Nobody of the room follows a closed drill's stream.
		s.publicSeqs.forget(e.DrillID)
	}
}
