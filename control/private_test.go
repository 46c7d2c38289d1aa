package control_test

import (
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// TestPrivateBriefings plays, on the fake clock, messages to one
// participant only: to a join slot at the start, and to whoever claims a
// response role, which waits for the claim. Each is posted with its
// recipients, and so are its follow-ups.
func TestPrivateBriefings(t *testing.T) {
	s := controltest.PaymentScenario()
	s.Injects = append(s.Injects,
		scenarios.Inject{ID: "you-committed", On: &scenarios.EventTrigger{Event: scenarios.OnDrillStarted}, To: &scenarios.Recipient{Slot: 2},
			Persona: "cto", Channel: "incident", Text: "Private: yesterday's config commit was yours.",
			FollowUp: &scenarios.FollowUp{After: sd(5 * time.Minute), Text: "Private: will you tell the team?"}},
		scenarios.Inject{ID: "recovery-brief", At: dur(2 * time.Minute), To: &scenarios.Recipient{Claim: scenarios.ClaimRecovery},
			Persona: "cto", Channel: "incident", Text: "Private: the DB pool was resized last night."},
		scenarios.Inject{ID: "nobody", At: dur(time.Minute), To: &scenarios.Recipient{Slot: 5},
			Persona: "cto", Channel: "incident", Text: "Private: to a fifth participant who never comes."},
	)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	id := startDrill(t, h, s)
	h.AdvanceTo(id, 4*time.Minute)
	if _, err := h.Engine.AppendEvent(h.Ctx, id, control.EventRoleClaim, "alice", map[string]any{"personId": "alice", "role": scenarios.ClaimRecovery}); err != nil {
		t.Fatal(err)
	}
	h.AdvanceTo(id, 10*time.Minute)

	tests := []struct {
		source string
		at     []time.Duration
		to     []string
	}{
		{"inject:you-committed", []time.Duration{0}, []string{"bob"}},
		{"followup:you-committed", []time.Duration{5 * time.Minute}, []string{"bob"}},
		{"inject:recovery-brief", []time.Duration{4 * time.Minute}, []string{"alice"}},
		{"inject:nobody", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			msgs := messages(t, h, id, tt.source)
			if len(msgs) != len(tt.at) {
				t.Fatalf("%d messages, want %d", len(msgs), len(tt.at))
			}
			for i, m := range msgs {
				if m.DrillTime != tt.at[i] || !slices.Equal(m.To, tt.to) {
					t.Errorf("message at %s to %v, want at %s to %v", m.DrillTime, m.To, tt.at[i], tt.to)
				}
			}
		})
	}
	// A public message has no recipients: everyone sees it.
	if msgs := messages(t, h, id, "inject:cc-inquiry"); len(msgs) != 1 || msgs[0].To != nil {
		t.Errorf("public inquiry %+v, want one message without recipients", msgs)
	}
}

func dur(d time.Duration) *scenarios.Duration { v := scenarios.Duration(d); return &v }

// TestOutsidePersonasAndNotes: a partner persona speaks with its
// organization, and a back-room note of the scenario is posted to the staff
// from nobody in the story.
func TestOutsidePersonasAndNotes(t *testing.T) {
	s := controltest.PaymentScenario()
	s.Personas = append(s.Personas, scenarios.Persona{ID: "pg", Name: "Jiwon", Kind: scenarios.PersonaPartner, Organization: "KCP payments"})
	s.Injects = append(s.Injects,
		scenarios.Inject{ID: "pg-calls", At: dur(3 * time.Minute), Persona: "pg", Channel: "cs", Text: "Your requests to us time out on your side."},
		scenarios.Inject{ID: "note", At: dur(4 * time.Minute), Channel: scenarios.BackroomChannel, Text: "If nobody called the PG company by 20m, play its call early."},
	)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	id := startDrill(t, h, s)
	h.AdvanceTo(id, 5*time.Minute)
	if m := messages(t, h, id, "inject:pg-calls"); len(m) != 1 || m[0].AuthorName != "Jiwon (KCP payments)" || m[0].AuthorKind != control.AuthorPersona {
		t.Errorf("partner message %+v, want Jiwon (KCP payments) as a persona", m)
	}
	m := messages(t, h, id, "inject:note")
	if len(m) != 1 || m[0].AuthorKind != control.AuthorNote || m[0].AuthorID != "" || m[0].Channel != scenarios.BackroomChannel {
		t.Fatalf("note %+v, want one back-room note from nobody", m)
	}
}
