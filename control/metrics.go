package control

import (
	"context"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Metrics are what the engine measures in every drill, for the retro and
// the drill history. Durations are drill time; "time to" values count from
// the first fault injection (the occurrence) and are nil until it happens.
type Metrics struct {
	FirstInjected          *time.Duration `json:"firstInjected,omitempty"`
	TimeToFirstAck         *time.Duration `json:"timeToFirstAck,omitempty"`
	TimeToIncidentNotice   *time.Duration `json:"timeToIncidentNotice,omitempty"`
	TimeToResolutionNotice *time.Duration `json:"timeToResolutionNotice,omitempty"`
	Faults                 []FaultMetrics `json:"faults"`
	HintsUsed              int            `json:"hintsUsed"`
	HintsSkipped           int            `json:"hintsSkipped"`
	FaultsChained          int            `json:"faultsChained"`
	// Duration is the drill clock at the end, or now while it runs.
	Duration   time.Duration `json:"duration"`
	CapReached bool          `json:"capReached"`
	EndReason  string        `json:"endReason,omitempty"`
}

// FaultMetrics are the times of one fault.
type FaultMetrics struct {
	ID         string         `json:"id"`
	Phase      FaultPhase     `json:"phase"`
	Chained    bool           `json:"chained"`
	InjectedAt *time.Duration `json:"injectedAt,omitempty"`
	// TimeToDetect runs from the inject to the first participant message
	// in the incident channel after it.
	TimeToDetect *time.Duration `json:"timeToDetect,omitempty"`
	// TimeToRecover runs from the inject to when the resolvedWhen probes
	// first held (or the manual mark); TimeToResolve to the resolution,
	// after stabilisation.
	TimeToRecover *time.Duration `json:"timeToRecover,omitempty"`
	TimeToResolve *time.Duration `json:"timeToResolve,omitempty"`
	RevertedAt    *time.Duration `json:"revertedAt,omitempty"`
}

func since(from, to *time.Duration) *time.Duration {
	if from == nil || to == nil {
		return nil
	}
	d := *to - *from
	return &d
}

// Metrics computes the drill's metrics at wall time now.
func (d *Drill) Metrics(now time.Time) Metrics {
	m := Metrics{FirstInjected: dup(d.FirstInjected), Duration: d.Elapsed(now), EndReason: d.EndReason, CapReached: d.EndReason == "cap"}
	if d.EndDrill != nil {
		m.Duration = *d.EndDrill
	}
	if m.FirstInjected != nil {
		m.TimeToFirstAck = since(m.FirstInjected, d.FirstAck)
		if n := d.firstNoticeFrom(scenarios.NoticeIncident, *m.FirstInjected); n != nil {
			m.TimeToIncidentNotice = since(m.FirstInjected, &n.At)
		}
		if n := d.firstNoticeFrom(scenarios.NoticeResolution, *m.FirstInjected); n != nil {
			m.TimeToResolutionNotice = since(m.FirstInjected, &n.At)
		}
	}
	for i, f := range d.Faults {
		fm := FaultMetrics{ID: f.ID, Phase: f.Phase, Chained: d.Scenario.Faults[i].After != nil, InjectedAt: f.InjectedAt, RevertedAt: f.RevertedAt,
			TimeToDetect: since(f.InjectedAt, f.DetectedAt), TimeToRecover: since(f.InjectedAt, f.RecoveringAt), TimeToResolve: since(f.InjectedAt, f.ResolvedAt)}
		if fm.Chained && f.InjectedAt != nil {
			m.FaultsChained++
		}
		m.Faults = append(m.Faults, fm)
	}
	for _, h := range d.Hints {
		if h.GivenAt != nil {
			m.HintsUsed++
		} else if h.Skipped {
			m.HintsSkipped++
		}
	}
	return m
}

// Metrics returns the drill's metrics now.
func (e *Engine) Metrics(ctx context.Context, id string) (Metrics, error) {
	r, err := e.run(ctx, id)
	if err != nil {
		return Metrics{}, err
	}
	e.lockUrgent(r)
	defer r.mu.Unlock()
	return r.d.Metrics(e.clock.Now()), nil
}
