package record_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/scenarios"
)

// TestTimeline_AlertStormInBothLanguages: a scripted alert's storm — fired,
// posted again, reminded, resolved — is said in the record's timeline by
// the alert's title, in English and in Korean.
func TestTimeline_AlertStormInBothLanguages(t *testing.T) {
	s := controltest.PaymentScenario()
	min := scenarios.Duration(time.Minute)
	s.Alerts = append(s.Alerts, scenarios.Alert{ID: "storm", Title: "Payments failing", Persona: "mon", Channel: "alerts",
		On:     &scenarios.EventTrigger{Event: scenarios.OnFaultInjected, Fault: "db-config"},
		Until:  &scenarios.EventTrigger{Event: scenarios.OnFaultResolved, Fault: "db-config"},
		Repeat: &scenarios.AlertRepeat{Every: min, Times: 2}, Renotify: 5 * min})
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{Scenario: s})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Start(h.Ctx, d.ID, "fiona"); err != nil {
		t.Fatal(err)
	}
	h.AdvanceTo(d.ID, 6*time.Minute)
	h.Injector.Fix("db-config")
	h.AdvanceTo(d.ID, 10*time.Minute)
	rec, err := record.Load(h.Ctx, h.DB, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var en, ko []string
	for _, e := range rec.Timeline {
		if e.Kind == record.KindAlert {
			en = append(en, e.Phrase.Say(record.English))
			ko = append(ko, e.Phrase.Say(record.Korean))
		}
	}
	for _, want := range []string{"Alert “Payments failing” firing", "Alert “Payments failing” posted again (repeat 1)",
		"Alert “Payments failing” posted again (repeat 2)", "Alert “Payments failing” still firing (reminder)", "Alert “Payments failing” resolved"} {
		if !slices.Contains(en, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, strings.Join(en, "\n"))
		}
	}
	for _, want := range []string{"알림 “Payments failing” 발생", "알림 “Payments failing” 재발송 (2번째 반복)", "알림 “Payments failing” 계속 발생 중 (재알림)", "알림 “Payments failing” 해제"} {
		if !slices.Contains(ko, want) {
			t.Errorf("the Korean timeline lacks %q:\n%s", want, strings.Join(ko, "\n"))
		}
	}
}
