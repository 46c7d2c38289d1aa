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
	h.publishFrame(e, p, public)
}
