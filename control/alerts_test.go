package control_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// alertScenario is the payment drill with alerts a designer scripted:
//
//   - storm: no check; fires 1m after db-config is injected, posted again
//     every minute five times, a reminder every 15m, resolved (with its
//     own message) when db-config is resolved;
//   - pool-check: armed when db-config is injected, fires while its check
//     fails, repeats every 30s three times, resolves when the check holds;
//   - batch: no check, fires at 3m, never resolves.
func alertScenario() *scenarios.Scenario {
	s := controltest.PaymentScenario()
	dbCheck := s.Faults[0].ResolvedWhen.Probes[0]
	dbInjected := &scenarios.EventTrigger{Event: scenarios.OnFaultInjected, Fault: "db-config"}
	s.Alerts = append(s.Alerts,
		scenarios.Alert{ID: "storm", Title: "Payments failing", Severity: "critical", Persona: "mon", Channel: "alerts",
			On:     &scenarios.EventTrigger{Event: scenarios.OnFaultInjected, Fault: "db-config", Delay: sd(m)},
			Until:  &scenarios.EventTrigger{Event: scenarios.OnFaultResolved, Fault: "db-config"},
			Repeat: &scenarios.AlertRepeat{Every: sd(m), Times: 5}, Renotify: sd(15 * m),
			Resolved: "[RESOLVED] {{.Fault.Title}}: payments flow again"},
		scenarios.Alert{ID: "pool-check", Title: "DB pool exhausted", Severity: "warning", Persona: "mon", Channel: "alerts",
			On: dbInjected, Probe: dbCheck, Repeat: &scenarios.AlertRepeat{Every: sd(30 * time.Second), Times: 3},
			Resolved: "[RESOLVED] DB pool has free connections again"},
		scenarios.Alert{ID: "batch", Title: "Settlement batch late", Severity: "info", Persona: "mon", Channel: "alerts", At: dur(3 * m)},
	)
	return s
}

func alertDrill(t *testing.T) (*controltest.Harness, string) {
	t.Helper()
	s := alertScenario()
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	return h, startDrill(t, h, s)
}

// alertPosts returns the drill times and texts of the messages alert id
// posted.
func alertPosts(t *testing.T, h *controltest.Harness, drill, id string) ([]time.Duration, []string) {
	t.Helper()
	var at []time.Duration
	var texts []string
	for _, msg := range messages(t, h, drill, "alert:"+id) {
		at = append(at, msg.DrillTime)
		texts = append(texts, msg.Text)
	}
	return at, texts
}

func TestScriptedAlerts(t *testing.T) {
	t.Run("an alert without a check fires at its drill time", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 10*m)
		at(t, h, id, control.EventAlertFiring, `"alertId":"batch"`, 3*m)
		_, texts := alertPosts(t, h, id, "batch")
		if len(texts) != 1 || texts[0] != "[FIRING] [info] Settlement batch late" {
			t.Fatalf("batch posted %q, want one firing message and nothing more", texts)
		}
	})
	t.Run("an alert fires on an event and storms while firing, bounded", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 40*m) // db-config is never fixed
		at(t, h, id, control.EventAlertFiring, `"alertId":"storm"`, m)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm","repeat"`, 2*m, 3*m, 4*m, 5*m, 6*m)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm","detail":"still firing for 15m","reminder":true`, 16*m)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm","detail":"still firing for 30m","reminder":true`, 31*m)
		_, texts := alertPosts(t, h, id, "storm")
		if len(texts) != 8 || texts[0] != "[FIRING] [critical] Payments failing" || texts[5] != "[FIRING] [critical] Payments failing (repeat 5 of 5)" ||
			texts[6] != "[FIRING] [critical] Payments failing — still firing for 15m" {
			t.Fatalf("storm posted %q", texts)
		}
		if st := h.Drill(id).Alerts[1]; !st.Firing || st.Repeats != 5 || st.Reminders != 2 || st.Posts != 8 {
			t.Fatalf("storm state %+v, want firing after 5 repeats and 2 reminders", st)
		}
	})
	t.Run("the storm stops when its fault is resolved, with the resolved message", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 3*m+30*time.Second)
		h.Injector.Fix("db-config")
		h.AdvanceTo(id, 30*m)
		resolved := fault(t, h.Drill(id), "db-config").ResolvedAt
		if resolved == nil {
			t.Fatal("db-config was never resolved")
		}
		at(t, h, id, control.EventAlertResolved, `"alertId":"storm"`, *resolved)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm"`, 2*m, 3*m, 4*m, 5*m)
		times, texts := alertPosts(t, h, id, "storm")
		if last := texts[len(texts)-1]; last != "[RESOLVED] Payment DB pool size set to 1: payments flow again" || times[len(times)-1] != *resolved {
			t.Fatalf("storm's last post %q at %s, want its resolved message at %s", last, times[len(times)-1], *resolved)
		}
		if len(texts) != 6 {
			t.Fatalf("storm posted %q, want fired, 4 repeats, resolved", texts)
		}
	})
	t.Run("an alert with a check, armed by an event, repeats until the check holds", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 5*m)
		h.Injector.Fix("db-config")
		h.AdvanceTo(id, 10*m)
		at(t, h, id, control.EventAlertFiring, `"alertId":"pool-check"`, 0)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"pool-check"`, 30*time.Second, m, m+30*time.Second)
		at(t, h, id, control.EventAlertResolved, `"alertId":"pool-check","detail":"db-config-healthy: db-config is healthy"}`, 5*m+10*time.Second)
		_, texts := alertPosts(t, h, id, "pool-check")
		if len(texts) != 5 || texts[1] != "[FIRING] [warning] DB pool exhausted — db-config-healthy: db-config is broken (repeat 1 of 3)" || texts[4] != "[RESOLVED] DB pool has free connections again" {
			t.Fatalf("pool-check posted %q", texts)
		}
	})
	t.Run("until before the alert is armed: it never fires", func(t *testing.T) {
		s := alertScenario()
		s.Alerts[1].On.Delay = sd(20 * m) // armed long after db-config is fixed
		h := controltest.NewHarness(t)
		h.Injector.Bind(s)
		id := startDrill(t, h, s)
		h.AdvanceTo(id, m)
		h.Injector.Fix("db-config")
		h.AdvanceTo(id, 30*m)
		at(t, h, id, control.EventAlertFiring, `"alertId":"storm"`)
		if times, _ := alertPosts(t, h, id, "storm"); len(times) != 0 {
			t.Fatalf("storm posted at %v after its fault was resolved", times)
		}
	})
}

// TestScriptedAlerts_restartMidStorm restarts the engine in the middle of
// the storm: the restarted engine rebuilds the alert from the journal and
// posts exactly what an uninterrupted one posts — and after a downtime,
// the repeat it missed once, late, never a burst or a duplicate.
func TestScriptedAlerts_restartMidStorm(t *testing.T) {
	stormEvents := func(h *controltest.Harness, id string) []string {
		var out []string
		for _, e := range h.Events(id) {
			if strings.HasPrefix(e.Type, "alert.") || e.Type == control.EventChatMessage && strings.Contains(string(e.Payload), `"source":"alert:`) {
				out = append(out, e.DrillTime.String()+" "+e.Type+" "+string(e.Payload))
			}
		}
		return out
	}
	ref, refID := alertDrill(t)
	ref.AdvanceTo(refID, 20*m)
	want := stormEvents(ref, refID)

	t.Run("restarted between two repeats: the same posts as without a restart", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 3*m+30*time.Second)
		h.Close()
		h = controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
		h.AdvanceTo(id, 20*m)
		got := stormEvents(h, id)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("after a restart the alerts posted\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("down while a repeat was due: posted once, late, then on time", func(t *testing.T) {
		h, id := alertDrill(t)
		h.AdvanceTo(id, 3*m+30*time.Second)
		h.Close()
		h.Clock.Step(m) // down from 3m30s to 4m30s: the 4m repeat is missed
		h = controltest.OpenHarness(t, h.Path, h.Clock, h.Injector, nil)
		h.AdvanceTo(id, 20*m)
		at(t, h, id, control.EventAlertFiring, `"alertId":"storm"`, m)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm","repeat"`, 2*m, 3*m, 4*m+30*time.Second, 5*m, 6*m)
		at(t, h, id, control.EventAlertRepeated, `"alertId":"storm","detail":"still firing for 15m","reminder":true`, 16*m)
		if times, _ := alertPosts(t, h, id, "storm"); len(times) != 7 {
			t.Fatalf("storm posted at %v, want 7 posts (fired, 5 repeats, 1 reminder)", times)
		}
	})
}
