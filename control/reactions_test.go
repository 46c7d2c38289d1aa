package control_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

func sd(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }

// reactionScenario is the payment drill with personas that react: a CTO who
// asks after the customer center spoke (inject.posted), a DBA who asks who
// restarted the database when the check on it sees a change
// (cluster.changed), a committee that reacts to a SEV1 notice (notice field)
// and to a participant saying "rollback" in the incident channel
// (chat.matched), and a customer center that escalates unless answered.
func reactionScenario() *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Injects[0].FollowUp = nil
	s.Injects[0].Escalation = []scenarios.FollowUp{
		{After: sd(3 * time.Minute), Text: "Still failing. Any ETA?"},
		{After: sd(4 * time.Minute), Text: "The CEO is asking me now.", Persona: "cto"},
	}
	s.Injects[0].AnsweredWhen = &scenarios.TextMatch{Words: []string{"ETA", "복구"}}
	watch := scenarios.Probe{Probe: scenarios.InjectorRef{Plugin: "fake", Type: "state"}, Params: map[string]any{"fault": "db-restarted"}, Interval: sd(10 * time.Second)}
	s.Injects = append(s.Injects,
		scenarios.Inject{ID: "cto-after-cc", On: &scenarios.EventTrigger{Event: scenarios.OnInjectPosted, Inject: "cc-inquiry", Delay: sd(2 * time.Minute)}, Persona: "cto", Channel: "incident", Text: "I hear customers cannot pay. Who leads?"},
		scenarios.Inject{ID: "dba-who", On: &scenarios.EventTrigger{Event: scenarios.OnClusterChanged, Check: &watch}, Persona: "cto", Channel: "incident", Text: "Who restarted the database?"},
		scenarios.Inject{ID: "ec-sev1", On: &scenarios.EventTrigger{Event: scenarios.OnNoticePosted, Notice: scenarios.NoticeIncident, Field: "grade", Value: "p1"}, Persona: "ec", Channel: "incident", Text: "P1: we convene now."},
		scenarios.Inject{ID: "ec-rollback", On: &scenarios.EventTrigger{Event: scenarios.OnChatMatched, Channel: "incident", Match: &scenarios.TextMatch{Regex: `(?i)roll ?back`}}, Persona: "ec", Channel: "incident", Text: "A rollback? Of what, and who approved it?"},
	)
	return s
}

// reactionDrill starts the reaction scenario, changed by edit when given.
func reactionDrill(t *testing.T, edit ...func(*scenarios.Scenario)) (*controltest.Harness, string) {
	t.Helper()
	s := reactionScenario()
	for _, f := range edit {
		f(s)
	}
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	return h, startDrill(t, h, s)
}

func TestReactions(t *testing.T) {
	t.Run("a persona speaks after another's message", func(t *testing.T) {
		h, id := reactionDrill(t)
		h.AdvanceTo(id, 10*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"cto-after-cc"`, 7*time.Minute)
	})
	t.Run("a check that sees the cluster change makes a persona ask who changed it", func(t *testing.T) {
		h, id := reactionDrill(t)
		h.AdvanceTo(id, 12*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"dba-who"`)
		h.Injector.Break("db-restarted") // someone restarts the database by hand
		h.AdvanceTo(id, 13*time.Minute)
		at(t, h, id, control.EventInjectTriggered, `"injectId":"dba-who"`, 12*time.Minute+10*time.Second)
		at(t, h, id, control.EventInjectPosted, `"injectId":"dba-who"`, 12*time.Minute+10*time.Second)
		st := h.Drill(id).Injects[4]
		if !strings.Contains(st.TriggerDetail, "db-restarted is healthy") || !strings.Contains(st.TriggerDetail, "db-restarted is broken") {
			t.Errorf("trigger detail %q does not say what changed", st.TriggerDetail)
		}
	})
	t.Run("the drill's own fault changes are not what participants did", func(t *testing.T) {
		// The watch looks at what cache-evict breaks: the chained fault
		// changing it re-takes the baseline instead of firing.
		h, id := reactionDrill(t, func(s *scenarios.Scenario) { s.Injects[4].On.Check.Params = map[string]any{"fault": "cache-evict"} })
		h.AdvanceTo(id, 5*time.Minute)
		h.Injector.Fix("db-config")
		h.AdvanceTo(id, 30*time.Minute)
		if f, _ := h.Drill(id).Fault("cache-evict"); f.InjectedAt == nil {
			t.Fatalf("cache-evict never fired: %s", f.Phase)
		}
		at(t, h, id, control.EventInjectTriggered, `"injectId":"dba-who"`)
		h.Injector.Fix("cache-evict") // a participant fixes it: that is a change
		h.AdvanceTo(id, 31*time.Minute)
		if len(h.EventTimes(id, control.EventInjectTriggered, `"injectId":"dba-who"`)) != 1 {
			t.Fatal("the participant's fix was not seen as a change")
		}
	})
	t.Run("a fault that heals and comes back again and again is the drill's change each time", func(t *testing.T) {
		// coupon-flag heals by itself 4m after each injection and comes
		// back 3m later while db-config (never fixed) is active; the
		// watch looks at what coupon-flag breaks. Each heal and each
		// comeback is the drill's own doing, the second and third ones
		// too (the fault was already injected and reverted once).
		h, id := reactionDrill(t, func(s *scenarios.Scenario) {
			s.Injects[4].On.Check.Params = map[string]any{"fault": "coupon-flag"}
			heal := sd(4 * time.Minute)
			s.Faults[1].HealAfter = &heal
			s.Faults[1].Recurs = &scenarios.Recurrence{While: scenarios.Condition{FaultActive: "db-config"}, After: sd(3 * time.Minute), Times: 2}
		})
		h.AdvanceTo(id, 30*time.Minute)
		at(t, h, id, control.EventFaultInjected, `"faultId":"coupon-flag"`, 0, 7*time.Minute, 14*time.Minute)
		at(t, h, id, control.EventFaultReverted, `"faultId":"coupon-flag"`, 4*time.Minute, 11*time.Minute, 18*time.Minute)
		if got := h.EventTimes(id, control.EventInjectTriggered, `"injectId":"dba-who"`); len(got) > 0 {
			t.Fatalf("inject.triggered at %v (%s): the drill's own heal or comeback was taken for a participant's change", got, h.Drill(id).Injects[4].TriggerDetail)
		}
		h.Injector.Break("coupon-flag") // a participant breaks it by hand: that is a change
		h.AdvanceTo(id, 31*time.Minute)
		if len(h.EventTimes(id, control.EventInjectTriggered, `"injectId":"dba-who"`)) != 1 {
			t.Fatal("the participant's change was not seen")
		}
	})
	t.Run("a notice with a field's value and a matching message trigger reactions", func(t *testing.T) {
		h, id := reactionDrill(t)
		h.AdvanceTo(id, 3*time.Minute)
		post(t, h, id, "bob", "incident", "Should we roll back the config?")
		post(t, h, id, "fiona", "backroom", "rollback noted") // staff: never a trigger
		notice(t, h, id, "P2")
		h.AdvanceTo(id, 4*time.Minute)
		notice(t, h, id, "P1")
		h.AdvanceTo(id, 5*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"ec-rollback"`, 3*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"ec-sev1"`, 4*time.Minute)
	})
	t.Run("an unanswered inquiry escalates step by step", func(t *testing.T) {
		h, id := reactionDrill(t)
		h.AdvanceTo(id, 6*time.Minute)
		post(t, h, id, "bob", "cs", "Looking into it") // not an answer: no ETA
		h.AdvanceTo(id, 20*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"cc-inquiry","followUp":true`, 8*time.Minute, 12*time.Minute)
		msgs := messages(t, h, id, "followup:cc-inquiry")
		if len(msgs) != 2 || msgs[0].AuthorID != "cc" || msgs[1].AuthorID != "cto" {
			t.Fatalf("escalation messages %+v, want the customer center then the CTO", msgs)
		}
	})
	t.Run("an answer stops the escalation", func(t *testing.T) {
		h, id := reactionDrill(t)
		h.AdvanceTo(id, 9*time.Minute)
		post(t, h, id, "alice", "cs", "복구 중입니다, ETA 10분")
		h.AdvanceTo(id, 30*time.Minute)
		at(t, h, id, control.EventInjectPosted, `"injectId":"cc-inquiry","followUp":true`, 8*time.Minute)
		if st := h.Drill(id).Injects[0]; st.AnsweredAt == nil || *st.AnsweredAt != 9*time.Minute || st.Steps != 1 {
			t.Fatalf("inject state %+v, want answered at 9m after one step", st)
		}
	})
}

func post(t *testing.T, h *controltest.Harness, id, who, channel, text string) {
	t.Helper()
	if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: channel, AuthorID: who, AuthorKind: control.AuthorPerson, Text: text}); err != nil {
		t.Fatal(err)
	}
}

func notice(t *testing.T, h *controltest.Harness, id, grade string) {
	t.Helper()
	if _, err := h.Engine.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob",
		Fields: map[string]string{"start": "14:00", "impact": "users can't pay", "grade": grade}}); err != nil {
		t.Fatal(err)
	}
}

// messages returns the chat messages of the drill posted by the source.
func messages(t *testing.T, h *controltest.Harness, id, source string) []control.Message {
	t.Helper()
	var out []control.Message
	for _, e := range h.Events(id) {
		if e.Type != control.EventChatMessage {
			continue
		}
		var m control.Message
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			t.Fatal(err)
		}
		if m.Source == source {
			out = append(out, m)
		}
	}
	return out
}

// A drill's loop is not woken by every chat message (a busy chat would
// wake it for nothing), but it is by one that triggers a reaction: on the
// engine's own loop, with the fake clock standing still, the persona
// answers a participant who says "rollback".
func TestReactions_chatWakesTheLoopOnlyForWhatItTriggers(t *testing.T) {
	h := controltest.OpenHarness(t, t.TempDir()+"/firedrill.db", clocktesting.NewFakeClock(controltest.Start), controltest.NewInjector(), func(e *control.Engine) { e.Manual = false })
	s := reactionScenario()
	h.Injector.Bind(s)
	id := startDrill(t, h, s)
	deadline := time.Now().Add(10 * time.Second)
	for !h.Clock.HasWaiters() { // the loop did what was due and sleeps
		if time.Now().After(deadline) {
			t.Fatal("the drill's loop did not go to sleep")
		}
		time.Sleep(time.Millisecond)
	}
	post(t, h, id, "bob", "incident", "Looking at the payment errors")
	post(t, h, id, "bob", "incident", "Should we roll back the config?")
	for len(h.EventTimes(id, control.EventInjectPosted, `"injectId":"ec-rollback"`)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the reaction to a matching message was not posted: the drill's loop was not woken")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
