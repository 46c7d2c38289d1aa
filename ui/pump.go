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
// or is in the journal before the browser replays it; a chat message
// published before it is durable is kept by the hub until its commit
// answers and given to the browsers that register meanwhile.
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

// follow is the server's engine follower (see
// control.Engine.FollowStreamed). For the drills browsers follow, it
// prepares each append's events on the appending goroutine — who sees
// them and their frame for staff, the costly part — and returns what
// publishes them, in order: chat messages at once (early), while they are
// committed, so that people read them without waiting for the disk, and
// every other event once durable (on the store's writer, one group of
// every drill's appends after another); it stops following a drill once
// it is closed. Whether a drill is followed cannot change in between: the
// mark is set under the drill's lock (see ensurePump), which the append
// holds from preparing to publishing and settling.
func (s *Server) follow(evs []control.Event, early bool) (publish func()) {
	id := evs[0].DrillID
	s.pumpMu.Lock()
	followed := s.pumps[id]
	s.pumpMu.Unlock()
	if !followed {
		return nil
	}
	ps := make([]preparedEvent, len(evs))
	for i, e := range evs {
		ps[i] = prepareEvent(e)
	}
	return func() {
		for i, e := range evs {
			s.publish(e, ps[i], early)
			if e.Type == control.EventDrillClosed {
				// The drill's last event. A later browser replays the
				// journal.
				s.pumpMu.Lock()
				delete(s.pumps, id)
				s.pumpMu.Unlock()
			}
		}
	}
}

// preparedEvent is an event made ready for the hub before it is durable:
// who sees it (streamed), its form for staff and that form's frame.
type preparedEvent struct {
	audience Audience
	staff    wire.Event
	frame    []byte
	err      error
}

// prepareEvent returns e made ready for the hub: what depends on e alone.
func prepareEvent(e control.Event) preparedEvent {
	a, w := streamed(e)
	p := preparedEvent{audience: a, staff: w}
	if a != AudienceNone {
		p.frame, p.err = encodeEventFrame(w)
	}
	return p
}

// settled is told how the commit of chat messages streamed early ended:
// the hub forgets them once durable; if the commit failed, the drill's
// browsers are reset (they start over from the journal, which does not
// have them) and the participants' numbering is read again from the
// journal. It runs under the drill's lock, before the next event of the
// drill is numbered.
func (s *Server) settled(evs []control.Event, err error) {
	id := evs[0].DrillID
	if err != nil {
		s.logf("drill %s: events #%d to #%d were streamed but not committed (%v); the drill's browsers start over from the journal", id, evs[0].Seq, evs[len(evs)-1].Seq, err)
		s.publicSeqs.forget(id)
	}
	s.hub.settle(id, err != nil)
}

// publish hands e, prepared as p, to the hub with its form for
// participants, numbered among the events they see. If it cannot be
// numbered (the journal did not answer), the drill's participants are
// dropped and resume from the journal rather than miss it. An early e is
// not durable yet (see settled).
func (s *Server) publish(e control.Event, p preparedEvent, early bool) {
	// numbered is whether every participant who sees e has its form.
	numbered := true
	a, staff := p.audience, p.staff
	n, personal, err := s.publicSeqs.observe(s.ctx, e, a)
	if err != nil {
		s.logf("drill %s: event #%d: %v", e.DrillID, e.Seq, err)
		s.hub.resync(e.DrillID)
		numbered = false
		s.hub.publishFrame(e, p, modeOf(early, numbered), nil)
		return
	}
	var public *wire.Event
	if n > 0 {
		w, err := s.participantEvent(s.ctx, e, staff, n, "")
		if err != nil {
			s.logf("drill %s: event #%d for participants: %v", e.DrillID, e.Seq, err)
			s.hub.resync(e.DrillID)
			numbered = false
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
			numbered = false
			continue
		}
		if frames == nil {
			frames = make(map[string]wire.Event, len(personal))
		}
		frames[person] = w
	}
	s.hub.publishFrame(e, p, modeOf(early, numbered), public, frames)
	if e.Type == control.EventDrillClosed {
		// Nobody of the room follows a closed drill's stream.
		s.publicSeqs.forget(e.DrillID)
	}
}

// modeOf is how an event reaches the hub: durable unless published early,
// and tentative without every participant's form when it is not numbered.
func modeOf(early, numbered bool) publishMode {
	switch {
	case !early:
		return durable
	case numbered:
		return tentative
	}
	return tentativeUnnumbered
}
