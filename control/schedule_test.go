package control_test

import (
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
)

func TestSchedule(t *testing.T) {
	newScheduled := func(t *testing.T, h *controltest.Harness, at time.Time) string {
		t.Helper()
		d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{Scenario: controltest.PaymentScenario()})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Engine.Schedule(h.Ctx, d.ID, at, "fiona", ""); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}

	t.Run("a scheduled drill moves to the briefing on its own at its time and waits for Start", func(t *testing.T) {
		h := controltest.NewHarness(t)
		at := controltest.Start.Add(26 * time.Hour)
		id := newScheduled(t, h, at)
		h.Advance(id, 26*time.Hour-time.Second)
		if d := h.Drill(id); d.State != control.StateScheduled {
			t.Fatalf("a second before its time the drill is %s, want scheduled", d.State)
		}
		if next, ok := h.Engine.NextWake(id); !ok || !next.Equal(at) {
			t.Fatalf("next wake %v %v, want %v", next, ok, at)
		}
		h.Advance(id, time.Second)
		d := h.Drill(id)
		if d.State != control.StateBriefing {
			t.Fatalf("at its time the drill is %s, want briefing", d.State)
		}
		evs := h.Events(id)
		last := evs[len(evs)-1]
		if last.Type != control.EventDrillBriefing || last.Actor != control.ActorEngine || !last.Time.Equal(at) {
			t.Fatalf("last event %s by %s at %s, want the engine's briefing at %s", last.Type, last.Actor, last.Time, at)
		}
		h.Advance(id, 3*time.Hour)
		if d := h.Drill(id); d.State != control.StateBriefing || len(h.Injector.Calls("inject")) != 0 {
			t.Fatalf("hours later the drill is %s with %d injections, want briefing and nothing injected", d.State, len(h.Injector.Calls("inject")))
		}
	})

	t.Run("rescheduling is journaled with its reason and moves the briefing", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := newScheduled(t, h, controltest.Start.Add(time.Hour))
		later := controltest.Start.Add(48 * time.Hour)
		if err := h.Engine.Schedule(h.Ctx, id, later, "fiona", "the team is on call that day"); err != nil {
			t.Fatal(err)
		}
		h.Advance(id, 2*time.Hour)
		if d := h.Drill(id); d.State != control.StateScheduled || !d.ScheduledAt.Equal(later) {
			t.Fatalf("drill %s at %v, want scheduled at %s", d.State, d.ScheduledAt, later)
		}
		evs := h.Events(id)
		if last := evs[len(evs)-1]; last.Type != control.EventDrillScheduled || !strings.Contains(string(last.Payload), "on call that day") {
			t.Fatalf("last event %s %s, want the reschedule with its reason", last.Type, last.Payload)
		}
	})

	t.Run("rescheduling without a reason is refused", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := newScheduled(t, h, controltest.Start.Add(time.Hour))
		err := h.Engine.Schedule(h.Ctx, id, controltest.Start.Add(2*time.Hour), "fiona", " ")
		if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "reason") {
			t.Fatalf("err %v, want EINVALID asking for a reason", err)
		}
	})

	t.Run("a cancelled drill never reaches its briefing", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := newScheduled(t, h, controltest.Start.Add(time.Hour))
		if err := h.Engine.Abort(h.Ctx, id, "fiona", "cancelled: the beta cluster is being upgraded"); err != nil {
			t.Fatal(err)
		}
		h.Advance(id, 2*time.Hour)
		if d := h.Drill(id); d.State != control.StateAborted || d.Why != "cancelled: the beta cluster is being upgraded" {
			t.Fatalf("drill %s (%q), want aborted with the reason", d.State, d.Why)
		}
	})

	t.Run("a running drill cannot be scheduled", func(t *testing.T) {
		h := controltest.NewHarness(t)
		id := startDrill(t, h, controltest.PaymentScenario())
		err := h.Engine.Schedule(h.Ctx, id, controltest.Start.Add(time.Hour), "fiona", "x")
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("err %v, want ECONFLICT", err)
		}
	})
}

// TestScheduleLoop runs the engine's own background loop on a fake clock: the
// drill reaches its briefing without anyone calling RunDue.
func TestScheduleLoop(t *testing.T) {
	h := controltest.OpenHarness(t, t.TempDir()+"/firedrill.db", clocktesting.NewFakeClock(controltest.Start), controltest.NewInjector(), func(e *control.Engine) { e.Manual = false })
	d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{Scenario: controltest.PaymentScenario()})
	if err != nil {
		t.Fatal(err)
	}
	at := controltest.Start.Add(24 * time.Hour)
	if err := h.Engine.Schedule(h.Ctx, d.ID, at, "fiona", ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Drill(d.ID).State != control.StateBriefing {
		if time.Now().After(deadline) {
			t.Fatalf("drill is %s after the clock passed its time, want briefing", h.Drill(d.ID).State)
		}
		if h.Clock.HasWaiters() {
			h.Clock.SetTime(at)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
