package record

import (
	"encoding/json"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// Metrics are the engine's metrics in milliseconds of drill time, counted
// from the first fault injection.
type Metrics struct {
	FirstInjectedMs          *int64 `json:"firstInjectedMs"`
	TimeToAckMs              *int64 `json:"timeToAckMs"`
	TimeToIncidentNoticeMs   *int64 `json:"timeToIncidentNoticeMs"`
	TimeToResolutionNoticeMs *int64 `json:"timeToResolutionNoticeMs"`
	DurationMs               int64  `json:"durationMs"`
	HintsUsed                int    `json:"hintsUsed"`
	HintsSkipped             int    `json:"hintsSkipped"`
	FaultsChained            int    `json:"faultsChained"`
	CapReached               bool   `json:"capReached"`
	// Injections counts and averages every injection of every fault, a
	// fault that came back once more for each comeback; absent in records
	// of sections version 2 and older.
	Injections *InjectionTotals `json:"injections,omitempty"`
	Faults     []FaultMetrics   `json:"faults"`
}

// InjectionTotals are the detection and resolution of every injection of
// the drill's faults: how many there were, how many the team detected and
// resolved, and the mean time to each over those that were (nil when
// none was).
type InjectionTotals struct {
	Injections          int    `json:"injections"`
	Detected            int    `json:"detected"`
	Resolved            int    `json:"resolved"`
	MeanTimeToDetectMs  *int64 `json:"meanTimeToDetectMs"`
	MeanTimeToResolveMs *int64 `json:"meanTimeToResolveMs"`
}

// FaultMetrics are one fault's times. The times of the fault itself are
// those of its latest injection; Injections holds each of them.
type FaultMetrics struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Phase          string `json:"phase"`
	Chained        bool   `json:"chained"`
	InjectedAtMs   *int64 `json:"injectedAtMs"`
	RecoveringAtMs *int64 `json:"recoveringAtMs"`
	ResolvedAtMs   *int64 `json:"resolvedAtMs"`
	RevertedAtMs   *int64 `json:"revertedAtMs"`
	// TimeToDetectMs runs from the fault's injection to the first
	// participant message in the incident channel after it.
	TimeToDetectMs  *int64 `json:"timeToDetectMs"`
	TimeToRecoverMs *int64 `json:"timeToRecoverMs"`
	TimeToResolveMs *int64 `json:"timeToResolveMs"`
	// Injections are every injection of the fault, first to last: one
	// more each time it came back after a fix (recurs), none when it
	// never fired. Absent in records of sections version 2 and older,
	// which kept the latest injection only.
	Injections []Injection `json:"injections,omitempty"`
}

// Each returns the fault's injections: those recorded, or, for a record
// of sections version 2 or older, the one its own times describe.
func (f FaultMetrics) Each() []Injection {
	if len(f.Injections) > 0 || f.InjectedAtMs == nil {
		return f.Injections
	}
	return []Injection{{N: 1, InjectedAtMs: *f.InjectedAtMs, RecoveringAtMs: f.RecoveringAtMs, ResolvedAtMs: f.ResolvedAtMs, RevertedAtMs: f.RevertedAtMs,
		TimeToDetectMs: f.TimeToDetectMs, TimeToRecoverMs: f.TimeToRecoverMs, TimeToResolveMs: f.TimeToResolveMs}}
}

// metricsOf is the metrics section. From sections version 3 on, each
// fault carries its injections, its own times are its latest injection's,
// and the totals count every injection. Before, each fault's detection is
// version 2's (detectedV2), read from the journal.
func metricsOf(d *control.Drill, mt control.Metrics, events []control.Event, inj [][]Injection, version int) Metrics {
	out := Metrics{FirstInjectedMs: ms(mt.FirstInjected), TimeToAckMs: ms(mt.TimeToFirstAck), TimeToIncidentNoticeMs: ms(mt.TimeToIncidentNotice),
		TimeToResolutionNoticeMs: ms(mt.TimeToResolutionNotice), DurationMs: mt.Duration.Milliseconds(), HintsUsed: mt.HintsUsed,
		HintsSkipped: mt.HintsSkipped, FaultsChained: mt.FaultsChained, CapReached: mt.CapReached, Faults: []FaultMetrics{}}
	var detected []*time.Duration
	if version < 3 {
		detected = detectedV2(d, events)
	}
	for i, f := range mt.Faults {
		fs := d.Faults[i]
		fm := FaultMetrics{ID: f.ID, Title: fs.Title, Phase: string(f.Phase), Chained: f.Chained,
			InjectedAtMs: ms(f.InjectedAt), RecoveringAtMs: ms(fs.RecoveringAt), ResolvedAtMs: ms(fs.ResolvedAt), RevertedAtMs: ms(f.RevertedAt),
			TimeToRecoverMs: ms(f.TimeToRecover), TimeToResolveMs: ms(f.TimeToResolve)}
		switch {
		case version < 3:
			if f.InjectedAt != nil {
				fm.TimeToDetectMs = ms(since(f.InjectedAt, detected[i]))
			}
		case len(inj[i]) > 0:
			fm.Injections = inj[i]
			last := inj[i][len(inj[i])-1]
			fm.InjectedAtMs, fm.RevertedAtMs = &last.InjectedAtMs, last.RevertedAtMs
			if last.CameBackAtMs == nil {
				fm.RecoveringAtMs, fm.ResolvedAtMs = last.RecoveringAtMs, last.ResolvedAtMs
				fm.TimeToDetectMs, fm.TimeToRecoverMs, fm.TimeToResolveMs = last.TimeToDetectMs, last.TimeToRecoverMs, last.TimeToResolveMs
			} else {
				// The drill ended after the fault came back and before it
				// was injected again: it is not resolved, and nothing of
				// the comeback happened (the engine starts over, too).
				fm.RecoveringAtMs, fm.ResolvedAtMs, fm.TimeToRecoverMs, fm.TimeToResolveMs = nil, nil, nil, nil
			}
		}
		out.Faults = append(out.Faults, fm)
	}
	if version >= 3 {
		out.Injections = totals(inj)
	}
	return out
}

// detectedV2 is each fault's detection as sections version 2 derived it
// (from the engine's rule of that time, frozen here so that the engine may
// change): the first participant message in the incident channel at or
// after the fault's latest injection, not detected since it last came
// back. A message after the fault came back and before it was injected
// again detected the comeback, earlier than its injection.
func detectedV2(d *control.Drill, events []control.Event) []*time.Duration {
	injected, detected := make([]*time.Duration, len(d.Faults)), make([]*time.Duration, len(d.Faults))
	index := map[string]int{}
	for i, f := range d.Faults {
		index[f.ID] = i
	}
	acks := acknowledgements(d)
	for _, e := range events {
		t := e.DrillTime
		if _, ok := acks(e); ok {
			for i := range injected {
				if injected[i] != nil && detected[i] == nil && *injected[i] <= t {
					detected[i] = &t
				}
			}
			continue
		}
		if e.Type != control.EventFaultInjected && e.Type != control.EventFaultRecurred {
			continue
		}
		var p control.FaultEvent
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		if i, ok := index[p.FaultID]; ok && e.Type == control.EventFaultInjected {
			injected[i] = &t
		} else if ok {
			detected[i] = nil
		}
	}
	return detected
}

// firstInjectedV2 is mt with the drill's first injection, and the times
// counted from it, as sections version 2 derived them (from the engine's
// rule of that time, frozen here so that the engine may change): the
// earliest of the faults' latest injections. A fault injected first that
// came back moved it to its re-injection, or to a later fault's injection,
// which could put it after the first acknowledgement or notice (a
// negative time to them). From version 3 on, mt's own first injection,
// the drill's first fault.injected, is the record's.
func firstInjectedV2(d *control.Drill, mt control.Metrics) control.Metrics {
	var first *time.Duration
	for _, f := range d.Faults {
		if t := f.InjectedAt; t != nil && (first == nil || *t < *first) {
			first = t
		}
	}
	mt.FirstInjected, mt.TimeToFirstAck, mt.TimeToIncidentNotice, mt.TimeToResolutionNotice = first, nil, nil, nil
	if first == nil {
		return mt
	}
	mt.TimeToFirstAck = since(first, d.FirstAck)
	for _, n := range d.Notices {
		at := n.At
		switch {
		case n.Kind == scenarios.NoticeIncident && mt.TimeToIncidentNotice == nil:
			mt.TimeToIncidentNotice = since(first, &at)
		case n.Kind == scenarios.NoticeResolution && mt.TimeToResolutionNotice == nil:
			mt.TimeToResolutionNotice = since(first, &at)
		}
	}
	return mt
}

// totals counts and averages every injection.
func totals(inj [][]Injection) *InjectionTotals {
	t := &InjectionTotals{}
	var detect, resolve int64
	for _, each := range inj {
		for _, in := range each {
			t.Injections++
			if in.TimeToDetectMs != nil {
				t.Detected++
				detect += *in.TimeToDetectMs
			}
			if in.TimeToResolveMs != nil {
				t.Resolved++
				resolve += *in.TimeToResolveMs
			}
		}
	}
	mean := func(sum int64, n int) *int64 {
		if n == 0 {
			return nil
		}
		v := sum / int64(n)
		return &v
	}
	t.MeanTimeToDetectMs, t.MeanTimeToResolveMs = mean(detect, t.Detected), mean(resolve, t.Resolved)
	return t
}
