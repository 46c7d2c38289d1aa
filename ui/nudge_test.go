package ui_test

import (
	"context"
	"encoding/json"
	"strings"
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
		if len(got) != 3 || got[0] != wire.NudgeIncidentNotice || got[1] != wire.NudgeNoCommander || got[2] != wire.NudgeNoPropagation {
			t.Fatalf("nudges %v, want one no-incident-notice, one no-commander and one no-propagation", got)
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
		if got := nudges(t, d.second, d.id); len(got) != 3 {
			t.Fatalf("nudges %v before the 15m cadence passed, want only the first three", got)
		}
		fake.SetTime(at(posted + 16*time.Minute))
		if err := e.server.CheckNudges(ctx); err != nil {
			t.Fatal(err)
		}
		got := nudges(t, d.second, d.id)
		if len(got) != 4 || got[3] != wire.NudgeStatusOverdue {
			t.Fatalf("nudges %v, want a status-overdue after the first three", got)
		}
	})

	t.Run("a promised next update is shown and nudged once it passes", func(t *testing.T) {
		dr, err := e.engine.Drill(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		// The drill's own clock reads start + drill time: promise an
		// update 10 drill minutes from now (the engine's clock is real).
		now := dr.Elapsed(clock.RealClock{}.Now())
		promised := dr.StartedAt.Add(now + 10*time.Minute).In(time.Local).Format("15:04")
		d.participant.must(201, "POST", "/api/drills/"+d.id+"/notices", map[string]any{"kind": "status-update", "fields": map[string]string{
			"status": "identified", "impact": "Customers cannot order.", "progress": "Restoring the config.", "nextUpdate": promised,
		}}, nil)
		var v wire.DrillView
		d.participant.must(200, "GET", "/api/drills/"+d.id, nil, &v)
		if v.NextUpdate == nil || v.NextUpdate.Promised != promised {
			t.Fatalf("room view's next update = %+v, want %s", v.NextUpdate, promised)
		}
		due := time.Duration(v.NextUpdate.DueMS) * time.Millisecond
		fake.SetTime(at(due - time.Minute))
		if err := e.server.CheckNudges(ctx); err != nil {
			t.Fatal(err)
		}
		if got := nudges(t, d.second, d.id); len(got) != 4 {
			t.Fatalf("nudges %v before the promised update, want none new", got)
		}
		fake.SetTime(at(due + time.Second))
		for i := 0; i < 2; i++ {
			if err := e.server.CheckNudges(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := nudges(t, d.second, d.id)
		if len(got) != 5 || got[4] != wire.NudgeUpdatePromised {
			t.Fatalf("nudges %v, want one update-promised after the first four", got)
		}
	})
}

func TestNudgeChecksFollowTheDrillClock(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		want  time.Duration
	}{
		{name: "real time: every 15 s", scale: 1, want: 15 * time.Second},
		{name: "rehearsal x10: every 1.5 s, 15 drill seconds", scale: 10, want: 1500 * time.Millisecond},
		{name: "rehearsal x60: every 250 ms, 15 drill seconds", scale: 60, want: 250 * time.Millisecond},
		{name: "faster still: not under 250 ms", scale: 600, want: 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ui.NudgeWait(15*time.Second, tt.scale); got != tt.want {
				t.Fatalf("wait %s, want %s", got, tt.want)
			}
		})
	}
}

// TestHintReachesTheChannelAsItsPersona gives the next hint from the
// console's route and checks what participants get: the hint's text, in
// the hint's channel, said by the hint's persona (in character, as the
// practice wants), never as the facilitator or the tool.
func TestHintReachesTheChannelAsItsPersona(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	s := d.participant.ws(d.id, 0)
	s.untilReady()
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/hints/next", nil, nil)
	for _, m := range s.messages(1) {
		if m.AuthorKind != control.AuthorPersona || m.AuthorID != "cto" || m.AuthorName != "CTO" ||
			m.Channel != "incident" || m.Text != "Did anybody look at what changed in the order API config?" || m.Source != "" {
			t.Fatalf("the hint reached participants as %+v, want the CTO asking in #incident, like a live message", m)
		}
	}
	// The journal knows it was the hint.
	evs, err := e.engine.Events(context.Background(), d.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || ev.Type == control.EventChatMessage && strings.Contains(string(ev.Payload), `"source":"hint:hint-1"`)
	}
	if !found {
		t.Fatal("no chat message with source hint:hint-1 in the journal")
	}
	// The facilitator's view counts it given.
	var v wire.DrillView
	d.admin.must(200, "GET", "/api/drills/"+d.id, nil, &v)
	if len(v.Staff.Hints) != 2 || v.Staff.Hints[0].GivenAt == nil || v.Staff.Hints[1].GivenAt != nil {
		t.Fatalf("hints in the console %+v, want the first given", v.Staff.Hints)
	}
}
