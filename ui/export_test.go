package ui

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
