package ui

import (
	"errors"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// ensurePump makes sure the engine's live events of a drill flow into the
// hub. One pump per drill, started when the first browser opens the drill
// and kept until the drill is closed (or the server closes): a server that
// runs drills for a year does not keep a goroutine per drill it ever served. It must run before a browser registers
// with the hub so that every event the browser's journal replay misses
// reaches it live.
func (s *Server) ensurePump(drillID string) error {
	s.pumpMu.Lock()
	defer s.pumpMu.Unlock()
	if s.pumps[drillID] {
		return nil
	}
	d, err := s.engine.Drill(s.ctx, drillID)
	if err != nil {
		return err
	}
	sub, err := s.engine.Subscribe(s.ctx, drillID, d.Seq)
	if err != nil {
		return err
	}
	s.pumps[drillID] = true
	s.conns.Add(1)
	go s.pump(drillID, sub, d.Seq)
	return nil
}

// publish hands e to the hub with its form for participants, numbered
// among the events they see. If it cannot be numbered (the journal did not
// answer), the drill's participants are dropped and resume from the journal
// rather than miss it.
func (s *Server) publish(e control.Event) {
	n, personal, err := s.publicSeqs.observe(s.ctx, e)
	if err != nil {
		s.logf("drill %s: event #%d: %v", e.DrillID, e.Seq, err)
		s.hub.resync(e.DrillID)
		s.hub.Publish(e, nil)
		return
	}
	var public *wire.Event
	if n > 0 {
		w, err := s.participantEvent(s.ctx, e, n, "")
		if err != nil {
			s.logf("drill %s: event #%d for participants: %v", e.DrillID, e.Seq, err)
			s.hub.resync(e.DrillID)
		} else {
			public = &w
		}
	}
	var frames map[string]wire.Event
	for person, pn := range personal {
		w, err := s.participantEvent(s.ctx, e, pn, person)
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
	s.hub.Publish(e, public, frames)
	if e.Type == control.EventDrillClosed {
		// Nobody of the room follows a closed drill's stream.
		s.publicSeqs.forget(e.DrillID)
	}
}

// pump forwards one drill's subscription to the hub, in order. If the
// engine drops it for being slow, it subscribes again from the last event
// it forwarded, so nothing is lost.
func (s *Server) pump(drillID string, sub *control.Subscription, last int64) {
	defer s.conns.Done()
	for {
		for e := range sub.C {
			if e.Seq <= last {
				continue
			}
			last = e.Seq
			s.publish(e)
			if e.Type == control.EventDrillClosed {
				// The drill's last event: nothing more comes live. A later
				// browser replays the journal and starts a new pump.
				sub.Close()
				s.pumpMu.Lock()
				delete(s.pumps, drillID)
				s.pumpMu.Unlock()
				return
			}
		}
		if s.ctx.Err() != nil || !errors.Is(sub.Err(), control.ErrSubscriberTooSlow) {
			s.pumpMu.Lock()
			delete(s.pumps, drillID)
			s.pumpMu.Unlock()
			return
		}
		for {
			var err error
			sub, err = s.engine.Subscribe(s.ctx, drillID, last)
			if err == nil {
				break
			}
			s.logf("resubscribe to drill %s after #%d: %v", drillID, last, err)
			select {
			case <-s.ctx.Done():
				return
			case <-s.netClock.After(time.Second):
			}
		}
	}
}
