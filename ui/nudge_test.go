package ui_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

func withClock(c clock.WithTicker) envOption {
	return func(cfg *ui.Config, _ *control.Engine) { cfg.Clock = c; cfg.NudgeEvery = -1 }
}

// nudges returns the nudge kinds in the participant's stream.
func nudges(t *testing.T, c *client, drillID string) []string {
	t.Helper()
	var out []string
	for _, ev := range c.ws(drillID, 0).untilReady() {
		if ev.Type == control.EventNudge {
			var n wire.Nudge
			if err := json.Unmarshal(ev.Payload, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n.Kind)
		}
	}
	return out
}

func TestNudges(t *testing.T) {
	// The engine runs on the real clock at 60 drill seconds per second, so
	// the scripted customer-center inject (detection) lands at 1m after a
	// wall second; the room's clock is a fake one the test moves.
	fake := clocktesting.NewFakeClock(time.Now())
	e := newEnv(t, withTimeScale(60), withClock(fake))
	d := e.newDrill(true)
	ctx := context.Background()
	var dr *control.Drill
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if dr, err = e.engine.Drill(ctx, d.id); err != nil {
			t.Fatal(err)
		}
		if dr.Injects[0].PostedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the 1m inject was not posted")
		}
	}

	detected := *dr.Injects[0].PostedAt
	// at returns the wall time at which the drill clock reads drill.
	at := func(drill time.Duration) time.Time { return dr.ClockSince.Add(drill / 60) }

	t.Run("nothing is due right after detection", func(t *testing.T) {
		fake.SetTime(at(detected + 2*time.Minute))
		if err := e.server.CheckNudges(ctx); err != nil {
			t.Fatal(err)
		}
		if got := nudges(t, d.participant, d.id); len(got) != 0 {
			t.Fatalf("nudges %v right after detection, want none", got)
		}
	})

	t.Run("unclaimed commander and propagation are nudged once", func(t *testing.T) {
		d.participant.must(201, "POST", "/api/drills/"+d.id+"/claims", map[string]any{"role": "recovery"}, nil)
		fake.SetTime(at(detected + ui.NudgeAfter + time.Minute))
		for i := 0; i < 2; i++ {
			if err := e.server.CheckNudges(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := nudges(t, d.participant, d.id)
		if len(got) != 2 || got[0] != wire.NudgeNoCommander || got[1] != wire.NudgeNoPropagation {
			t.Fatalf("nudges %v, want one no-commander and one no-propagation", got)
		}
	})

	t.Run("overdue status update is nudged after the cadence", func(t *testing.T) {
		d.participant.must(201, "POST", "/api/drills/"+d.id+"/notices", incidentNotice(), nil)
		dr, err := e.engine.Drill(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		posted := dr.Notices[0].At
		fake.SetTime(at(posted + 14*time.Minute))
		if err := e.server.CheckNudges(ctx); err != nil {
			t.Fatal(err)
		}
		if got := nudges(t, d.second, d.id); len(got) != 2 {
			t.Fatalf("nudges %v before the 15m cadence passed, want only the first two", got)
		}
		fake.SetTime(at(posted + 16*time.Minute))
		if err := e.server.CheckNudges(ctx); err != nil {
			t.Fatal(err)
		}
		got := nudges(t, d.second, d.id)
		if len(got) != 3 || got[2] != wire.NudgeStatusOverdue {
			t.Fatalf("nudges %v, want a status-overdue after the first two", got)
		}
	})
}
