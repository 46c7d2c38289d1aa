package ui

import (
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// Pumps returns how many drills' live events are pumped into the hub now.
func (s *Server) Pumps() int {
	s.pumpMu.Lock()
	defer s.pumpMu.Unlock()
	return len(s.pumps)
}

// NudgeWait exposes nudgeWait.
var NudgeWait = nudgeWait

// EncodeEventFrame exposes encodeEventFrame.
var EncodeEventFrame = encodeEventFrame

// RenumberedFrame exposes renumberedFrame.
var RenumberedFrame = renumberedFrame

// PreparedEvent is preparedEvent.
type PreparedEvent = preparedEvent

// PrepareEvent exposes prepareEvent.
var PrepareEvent = prepareEvent

// PublishPrepared is what the server's follower runs once e, prepared as
// p, is durable, given its participants' form public.
func (h *Hub) PublishPrepared(e control.Event, p PreparedEvent, public *wire.Event) {
	h.publishFrame(e, p, durable, public)
}

// PublishTentative hands e to the hub as the server's follower does with a
// chat message it streams before it is durable.
func (h *Hub) PublishTentative(e control.Event, public *wire.Event) {
	h.publishFrame(e, prepareEvent(e), tentative, public)
}

// Settle tells the hub how the commit of drillID's streamed events up to
// seq ended.
func (h *Hub) Settle(drillID string, failed bool) { h.settle(drillID, failed) }

// SubscribeResume is Subscribe for a browser resuming on a stream of
// epoch.
func (h *Hub) SubscribeResume(drillID string, staff bool, epoch string) *Subscriber {
	s := h.subscribe(drillID, "", staff, epoch)
	if s == nil {
		return nil
	}
	return &Subscriber{s}
}

// Epoch is the epoch of the stream the subscriber joined.
func (s *Subscriber) Epoch() string { return s.s.epoch }

// Reset reports whether the hub reset the subscriber; meaningful once
// Next returned ok == false.
func (s *Subscriber) Reset() bool { return s.s.reset }

// PublishTentativeUnnumbered is PublishTentative for a message the server
// could not number for participants.
func (h *Hub) PublishTentativeUnnumbered(e control.Event) {
	h.publishFrame(e, prepareEvent(e), tentativeUnnumbered, nil)
}
