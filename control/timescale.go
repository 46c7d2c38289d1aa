package control

import (
	"context"
	"math"

	"github.com/firedrill/firedrill/injectors"
)

// EventDrillTimeScaleSet changes a drill's clock speed before it starts.
const EventDrillTimeScaleSet = "drill.time-scale-set"

// TimeScaleSet is the payload of drill.time-scale-set.
type TimeScaleSet struct {
	TimeScale float64 `json:"timeScale"`
}

// checkTimeScale refuses a drill clock speed out of range.
func checkTimeScale(scale float64) error {
	if scale <= 0 || scale > MaxTimeScale || math.IsNaN(scale) {
		return injectors.Errorf(injectors.EINVALID, "timeScale: %v is out of range, expected a number above 0 and at most %d (1 is real time)", scale, MaxTimeScale)
	}
	return nil
}

// SetTimeScale changes the drill clock's speed (1 is real time, 60 a
// rehearsal of a 90-minute drill in 90 seconds) until the drill starts: the
// facilitator decides on the day whether this run is the real drill or a
// rehearsal, also for a drill created by someone else (the demo's).
func (e *Engine) SetTimeScale(ctx context.Context, id string, scale float64, actor string) error {
	if err := checkTimeScale(scale); err != nil {
		return err
	}
	_, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if !inStates(d.State, []DrillState{StateDraft, StateScheduled, StateBriefing}) {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; the drill clock is chosen before the start", d.ID, d.State)
		}
		if d.TimeScale == scale {
			return nil, nil
		}
		return []pending{{Type: EventDrillTimeScaleSet, Actor: actor, Payload: TimeScaleSet{TimeScale: scale}}}, nil
	})
	return err
}
