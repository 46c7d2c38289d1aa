package record

import (
	"encoding/json"
	"time"

	"github.com/firedrill/firedrill/control"
)

// Injection is one injection of a fault: its first, and one more each time
// the fault came back after it was fixed (recurs). Times are milliseconds
// of drill time; the "time to" values count from this injection.
type Injection struct {
	// N numbers the fault's injections from 1; 2 is its first comeback.
	N            int   `json:"n"`
	InjectedAtMs int64 `json:"injectedAtMs"`
	// DetectedAtMs is the first participant message in the incident
	// channel after this injection while it was unresolved (so before the
	// fault came back); DetectedBy is its author. Nil when none came.
	DetectedAtMs *int64 `json:"detectedAtMs"`
	DetectedBy   string `json:"detectedBy,omitempty"`
	// RecoveringAtMs is when the resolution checks first held;
	// ResolvedAtMs when this injection was resolved, ResolvedBy how
	// (probe, manual, confirmed or duration) and Resolver who, when a
	// person marked or confirmed it.
	RecoveringAtMs *int64 `json:"recoveringAtMs"`
	ResolvedAtMs   *int64 `json:"resolvedAtMs"`
	ResolvedBy     string `json:"resolvedBy,omitempty"`
	Resolver       string `json:"resolver,omitempty"`
	// ConfirmedBy is the participant who confirmed the fix in the room.
	ConfirmedBy  string `json:"confirmedBy,omitempty"`
	RevertedAtMs *int64 `json:"revertedAtMs"`
	// CameBackAtMs is when the fault came back after this injection,
	// ending it; nil when it did not, as for the fault's last injection
	// unless the drill ended before the comeback was injected.
	CameBackAtMs    *int64 `json:"cameBackAtMs"`
	TimeToDetectMs  *int64 `json:"timeToDetectMs"`
	TimeToRecoverMs *int64 `json:"timeToRecoverMs"`
	TimeToResolveMs *int64 `json:"timeToResolveMs"`
}

// injection is an Injection being followed through the journal, in drill
// time.
type injection struct {
	injected                                      time.Duration
	detected, recovering, resolved                *time.Duration
	reverted, cameBack                            *time.Duration
	detectedBy, resolvedBy, resolver, confirmedBy string
}

// injectionsOf follows the journal and returns every injection of each of
// d's faults, in the drill's fault order (exported: Injections). An
// injection is detected by the first participant message in the incident
// channel after it while it is unresolved: a message after it was resolved
// ("is it fixed?" after it healed by itself) detects nothing, nor does one
// after the fault came back and before it is injected again; the message
// that detects a comeback is the first after it is injected again.
// Resolution events count for the injection in effect; the revert that
// follows a comeback undoes the injection before it.
func injectionsOf(d *control.Drill, events []control.Event, names map[string]string) [][]injection {
	all := make([][]injection, len(d.Faults))
	index := map[string]int{}
	for i, f := range d.Faults {
		index[f.ID] = i
	}
	acks := acknowledgements(d)
	// current is fault i's latest injection while the fault has not come
	// back after it.
	current := func(i int) *injection {
		if n := len(all[i]); n > 0 && all[i][n-1].cameBack == nil {
			return &all[i][n-1]
		}
		return nil
	}
	for _, e := range events {
		t := e.DrillTime
		if e.Type == control.EventChatMessage {
			author, ok := acks(e)
			if !ok {
				continue
			}
			for i := range all {
				if in := current(i); in != nil && in.detected == nil && in.resolved == nil && in.injected <= t {
					in.detected, in.detectedBy = &t, nameOf(names, author)
				}
			}
			continue
		}
		if !control.InNamespace(e.Type, control.NamespaceFault) {
			continue
		}
		var p control.FaultEvent
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		i, ok := index[p.FaultID]
		if !ok {
			continue
		}
		if e.Type == control.EventFaultInjected {
			all[i] = append(all[i], injection{injected: t})
			continue
		}
		if e.Type == control.EventFaultReverted && len(all[i]) > 0 {
			all[i][len(all[i])-1].reverted = &t
			continue
		}
		if in := current(i); in != nil {
			in.fold(e, p, t, names)
		}
	}
	return all
}

// acknowledgements returns a function that says whether a journal event
// is a participant's message in d's incident channel, the kind of message
// that detects a fault, and who wrote it.
func acknowledgements(d *control.Drill) func(control.Event) (author string, ok bool) {
	participant := map[string]bool{}
	for _, p := range d.People {
		participant[p.ID] = p.Role == control.RoleParticipant
	}
	incident := d.Scenario.IncidentChannel()
	return func(e control.Event) (string, bool) {
		if e.Type != control.EventChatMessage {
			return "", false
		}
		var m control.Message
		if json.Unmarshal(e.Payload, &m) != nil || m.AuthorKind != control.AuthorPerson || !participant[m.AuthorID] || m.Channel != incident {
			return "", false
		}
		return m.AuthorID, true
	}
}

// exportInjections is each fault's injections as the record keeps them.
func exportInjections(all [][]injection) [][]Injection {
	out := make([][]Injection, len(all))
	for i, each := range all {
		out[i] = []Injection{}
		for n, in := range each {
			out[i] = append(out[i], in.export(n+1))
		}
	}
	return out
}

// fold takes a resolution event, or the comeback, of the injection in
// effect, the way the engine's projection takes it for the fault.
func (in *injection) fold(e control.Event, p control.FaultEvent, t time.Duration, names map[string]string) {
	switch e.Type {
	case control.EventFaultRecovering:
		in.recovering = &t
	case control.EventFaultRegressed:
		in.recovering = nil
	case control.EventFaultResolved:
		in.resolved, in.resolvedBy = &t, p.By
		if in.recovering == nil {
			in.recovering = &t
		}
		if e.Actor != control.ActorEngine {
			in.resolver = nameOf(names, e.Actor)
		}
	case control.EventFaultConfirmed:
		in.confirmedBy = nameOf(names, p.By)
	case control.EventFaultRecurred:
		in.cameBack = &t
	}
}

func (in injection) export(n int) Injection {
	at := in.injected
	return Injection{N: n, InjectedAtMs: at.Milliseconds(), DetectedAtMs: ms(in.detected), DetectedBy: in.detectedBy,
		RecoveringAtMs: ms(in.recovering), ResolvedAtMs: ms(in.resolved), ResolvedBy: in.resolvedBy, Resolver: in.resolver, ConfirmedBy: in.confirmedBy,
		RevertedAtMs: ms(in.reverted), CameBackAtMs: ms(in.cameBack),
		TimeToDetectMs: ms(since(&at, in.detected)), TimeToRecoverMs: ms(since(&at, in.recovering)), TimeToResolveMs: ms(since(&at, in.resolved))}
}

// since is the time from from to to; nil when to is.
func since(from, to *time.Duration) *time.Duration {
	if to == nil {
		return nil
	}
	d := *to - *from
	return &d
}

// resolvedTimes are the drill times the faults were resolved at: from
// sections version 3 on, every injection's resolution; before, each
// fault's latest.
func resolvedTimes(d *control.Drill, inj [][]injection, version int) []time.Duration {
	var out []time.Duration
	if version < 3 {
		for _, f := range d.Faults {
			if f.ResolvedAt != nil {
				out = append(out, *f.ResolvedAt)
			}
		}
		return out
	}
	for _, each := range inj {
		for _, in := range each {
			if in.resolved != nil {
				out = append(out, *in.resolved)
			}
		}
	}
	return out
}
