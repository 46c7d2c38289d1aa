package control_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/scenarios"
)

// TestFirstInjected_staysWhenTheFirstFaultComesBack: the drill's first
// injection is its first fault.injected, whatever comes back after. A
// fault injected first that comes back and is injected again does not move
// it, neither to a later fault's injection nor to the re-injection, so the
// times to the first acknowledgement and to the incident notice are never
// negative; the projection rebuilt from the journal after a restart says
// the same.
func TestFirstInjected_staysWhenTheFirstFaultComesBack(t *testing.T) {
	const comeback = 15*time.Minute + tick // fixed at 10m, resolved 12m10s, back 3m later
	for _, tt := range []struct {
		name     string
		scenario func() *scenarios.Scenario
		// others are the faults in effect at the comeback besides db-config.
		others []string
	}{
		{name: "a fault injected later is in effect when the first comes back", others: []string{"coupon-flag"},
			scenario: func() *scenarios.Scenario {
				s := recurScenario(2)
				later := scenarios.Duration(5 * time.Minute)
				s.Faults[1].At = &later
				return s
			}},
		{name: "the only fault injected comes back",
			scenario: func() *scenarios.Scenario {
				s := controltest.PaymentScenario()
				s.Faults[0].Recurs = &scenarios.Recurrence{While: scenarios.Condition{NoticePosted: scenarios.NoticeIncident}, After: scenarios.Duration(3 * time.Minute), Times: 1}
				late := scenarios.Duration(40 * time.Minute)
				s.Faults[1].At = &late
				s.Faults[2].After.Delay = scenarios.Duration(time.Hour)
				return s
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			s := tt.scenario()
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			h.AdvanceTo(id, 3*time.Minute)
			post(t, h, id, "alice", "incident", "Payments are failing, I'm on it")
			h.AdvanceTo(id, 4*time.Minute)
			notice(t, h, id, "P1")
			fixAt(h, id, "db-config", 10*time.Minute)
			h.AdvanceTo(id, 16*time.Minute)
			at(t, h, id, control.EventFaultInjected, `"faultId":"db-config"`, 0, comeback)
			d := h.Drill(id)
			for _, other := range tt.others {
				if f := fault(t, d, other); f.Phase != control.FaultInEffect {
					t.Fatalf("%s %s at the comeback, expected in effect", other, f.Phase)
				}
			}
			if len(tt.others) == 0 {
				for _, other := range d.Faults {
					if other.ID != "db-config" && other.InjectedAt != nil {
						t.Fatalf("%s injected at %s: db-config was to be the only fault injected", other.ID, *other.InjectedAt)
					}
				}
			}

			check := func(when string, d *control.Drill, mt control.Metrics) {
				t.Helper()
				eqDur(t, when+": the drill's first injection", d.FirstInjected, 0)
				eqDur(t, when+": metrics' first injection", mt.FirstInjected, 0)
				eqDur(t, when+": time to first ack", mt.TimeToFirstAck, 3*time.Minute)
				eqDur(t, when+": time to incident notice", mt.TimeToIncidentNotice, 4*time.Minute)
				eqDur(t, when+": db-config's latest injection", fault(t, d, "db-config").InjectedAt, comeback)
			}
			mt, err := h.Engine.Metrics(h.Ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			check("running", d, mt)

			replayed, err := control.Replay(h.Events(id))
			if err != nil {
				t.Fatal(err)
			}
			check("replayed", replayed, replayed.Metrics(h.Clock.Now()))

			h.Close()
			h2 := controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
			mt2, err := h2.Engine.Metrics(h2.Ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			check("after a restart", h2.Drill(id), mt2)
		})
	}
}

// TestFirstInjected_aNoticeBeforeAnyFaultAnswersNothing: an incident
// notice posted before the first fault is injected (a false alarm) is not
// the drill's incident notice: the time to it counts from the first notice
// after the injection, and the record gives the early notice no response
// time instead of a negative one.
func TestFirstInjected_aNoticeBeforeAnyFaultAnswersNothing(t *testing.T) {
	h := controltest.NewHarness(t)
	s := recurScenario(2)
	late := scenarios.Duration(5 * time.Minute)
	s.Faults[0].At, s.Faults[1].At = &late, &late
	h.Injector.Bind(s)
	id := startDrill(t, h, s)
	h.AdvanceTo(id, 2*time.Minute)
	notice(t, h, id, "P3")
	h.AdvanceTo(id, 7*time.Minute)
	notice(t, h, id, "P1")

	mt, err := h.Engine.Metrics(h.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	eqDur(t, "first injection", mt.FirstInjected, 5*time.Minute)
	eqDur(t, "time to incident notice", mt.TimeToIncidentNotice, 2*time.Minute)

	rec, err := record.Assemble(h.Events(id))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rec.Responses {
		if r.Kind != "notice" {
			continue
		}
		rt := "none"
		if r.ResponseMs != nil {
			rt = (time.Duration(*r.ResponseMs) * time.Millisecond).String()
		}
		got = append(got, fmt.Sprintf("replied %dms, response %s", *r.RepliedMs, rt))
	}
	if want := []string{"replied 120000ms, response none", "replied 420000ms, response 2m0s"}; !slices.Equal(got, want) {
		t.Fatalf("notice responses %q, want %q", got, want)
	}
}
