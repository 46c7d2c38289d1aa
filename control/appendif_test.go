package control_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// playedOnly is the precondition the room puts on a role claim.
func playedOnly(seen *control.Drill) func(d *control.Drill) error {
	return func(d *control.Drill) error {
		*seen = *d
		if d.Over() {
			return injectors.Errorf(injectors.ECONFLICT, "drill %s is %s", d.ID, d.State)
		}
		return nil
	}
}

// TestAppendEventIf: the precondition runs on the drill under the lock of
// the append, so it sees the state the event would follow — the engine's
// own end at the cap, or an abort — and when it refuses, nothing is
// appended. When it allows, the event is the one right after what it saw.
func TestAppendEventIf(t *testing.T) {
	claim := map[string]any{"personId": "alice", "role": scenarios.ClaimRecovery}

	t.Run("allowed while running: appended right after what the check saw", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		h.AdvanceTo(id, time.Minute)
		var seen control.Drill
		ev, err := h.Engine.AppendEventIf(h.Ctx, id, control.EventRoleClaim, "alice", claim, playedOnly(&seen))
		if err != nil {
			t.Fatal(err)
		}
		if seen.State != control.StateRunning || ev.Seq != seen.Seq+1 {
			t.Fatalf("check saw %s at #%d, event is #%d; expected running and the next event", seen.State, seen.Seq, ev.Seq)
		}
	})
	for _, tc := range []struct {
		name string
		end  func(h *controltest.Harness, id string)
	}{
		{"the engine ended it at the cap", func(h *controltest.Harness, id string) { h.AdvanceTo(id, 95*m) }},
		{"it was aborted", func(h *controltest.Harness, id string) {
			if err := h.Engine.Abort(h.Ctx, id, "fiona", "target down"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run("refused after "+tc.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			id := startDrill(t, h, controltest.PaymentScenario())
			h.AdvanceTo(id, time.Minute)
			tc.end(h, id)
			before := len(h.Events(id))
			var seen control.Drill
			_, err := h.Engine.AppendEventIf(h.Ctx, id, control.EventRoleClaim, "alice", claim, playedOnly(&seen))
			if injectors.ErrorCode(err) != injectors.ECONFLICT {
				t.Fatalf("AppendEventIf = %v, expected conflict", err)
			}
			if !seen.Over() {
				t.Fatalf("the check saw %s; expected the drill over", seen.State)
			}
			if after := len(h.Events(id)); after != before {
				t.Fatalf("%d events appended by a refused append", after-before)
			}
		})
	}
	t.Run("a nil check allows, and reserved types are still refused", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		if _, err := h.Engine.AppendEventIf(h.Ctx, id, "observer.note", "oscar", nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Engine.AppendEventIf(h.Ctx, id, control.EventDrillEnded, "oscar", nil, nil); injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("AppendEventIf(drill.ended) = %v, expected invalid", err)
		}
	})
}
