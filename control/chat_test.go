package control_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

func TestPostMessage(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	first, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "  looking  "})
	if err != nil {
		t.Fatal(err)
	}
	if first.Seq == 0 || first.Text != "looking" || first.AuthorName != "Alice" {
		t.Fatalf("stored message %+v", first)
	}
	tests := []struct {
		name string
		in   control.PostMessage
		code string
	}{
		{"reply from a persona is stored", control.PostMessage{Channel: "cs", AuthorID: "cc", AuthorKind: control.AuthorPersona, Text: "any update?", ReplyTo: first.Seq}, ""},
		{"observer in the back room is stored", control.PostMessage{Channel: scenarios.BackroomChannel, AuthorID: "oscar", AuthorKind: control.AuthorPerson, Text: "good split of roles"}, ""},
		{"participant in the back room is forbidden", control.PostMessage{Channel: scenarios.BackroomChannel, AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "hi"}, injectors.EFORBIDDEN},
		{"unknown channel is invalid", control.PostMessage{Channel: "random", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "hi"}, injectors.EINVALID},
		{"empty text is invalid", control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: " "}, injectors.EINVALID},
		{"too long text is invalid", control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: strings.Repeat("x", 4001)}, injectors.EINVALID},
		{"unknown person is not found", control.PostMessage{Channel: "incident", AuthorID: "mallory", AuthorKind: control.AuthorPerson, Text: "hi"}, injectors.ENOTFOUND},
		{"unknown persona is not found", control.PostMessage{Channel: "incident", AuthorID: "ceo", AuthorKind: control.AuthorPersona, Text: "hi"}, injectors.ENOTFOUND},
		{"reply to the future is invalid", control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "hi", ReplyTo: 9999}, injectors.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.Engine.PostMessage(h.Ctx, id, tc.in)
			if got := injectors.ErrorCode(err); got != tc.code {
				t.Fatalf("PostMessage = %v, expected code %q", err, tc.code)
			}
		})
	}
}

func TestPostNotice(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	tests := []struct {
		name   string
		in     control.PostNotice
		code   string
		inText []string
	}{
		{"missing required fields are named", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"impact": "users can't pay"}}, injectors.EINVALID, []string{"missing required fields: start, grade"}},
		{"unknown fields are named", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"start": "14:01", "impact": "x", "grade": "P1", "color": "red"}}, injectors.EINVALID, []string{"unknown fields: color"}},
		{"a grade outside the options is invalid", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"start": "14:01", "impact": "x", "grade": "P9"}}, injectors.EINVALID, []string{"grade", "P1, P2, P3"}},
		{"a bad time is invalid", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"start": "2pm", "impact": "x", "grade": "P1"}}, injectors.EINVALID, []string{"start", "14:05"}},
		{"a bad duration is invalid", control.PostNotice{Kind: scenarios.NoticeStatus, AuthorID: "bob", Fields: map[string]string{"status": "rolling back", "eta": "soon"}}, injectors.EINVALID, []string{"eta"}},
		{"an unknown kind is invalid", control.PostNotice{Kind: "memo", AuthorID: "bob", Fields: map[string]string{}}, injectors.EINVALID, []string{"memo"}},
		{"an unknown author is not found", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "mallory", Fields: map[string]string{}}, injectors.ENOTFOUND, nil},
		{"a complete incident notice is stored", control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"start": "14:01", "impact": "users can't pay", "grade": "P1"}}, "", nil},
		{"a status update is stored", control.PostNotice{Kind: scenarios.NoticeStatus, AuthorID: "bob", Fields: map[string]string{"status": "rolling back", "eta": "10m"}}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := h.Engine.PostNotice(h.Ctx, id, tc.in)
			if got := injectors.ErrorCode(err); got != tc.code {
				t.Fatalf("PostNotice = %v, expected code %q", err, tc.code)
			}
			for _, s := range tc.inText {
				if !strings.Contains(injectors.ErrorMessage(err), s) {
					t.Fatalf("error %q does not mention %q", injectors.ErrorMessage(err), s)
				}
			}
			if tc.code == "" && (n.Seq == 0 || n.Channel != "incident") {
				t.Fatalf("stored notice %+v", n)
			}
		})
	}
	if got := len(h.Drill(id).Notices); got != 2 {
		t.Fatalf("%d notices stored, expected 2", got)
	}
}

func TestSubscribe(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	h.AdvanceTo(id, time.Minute)
	stored := h.Drill(id).Seq

	sub, err := h.Engine.Subscribe(h.Ctx, id, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := 0; i < 5; i++ {
		if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "update"}); err != nil {
			t.Fatal(err)
		}
	}
	note, err := h.Engine.AppendEvent(h.Ctx, id, "observer.note", "oscar", map[string]string{"kind": "strength", "text": "clear incident notice"})
	if err != nil {
		t.Fatal(err)
	}
	want := note.Seq
	next := int64(4)
	for next <= want {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription ended: %v", sub.Err())
			}
			if ev.Seq != next {
				t.Fatalf("got event #%d, expected #%d (stored up to #%d before subscribing)", ev.Seq, next, stored)
			}
			next++
		case <-time.After(5 * time.Second):
			t.Fatalf("no event #%d", next)
		}
	}
	sub.Close()
	if _, ok := <-sub.C; ok {
		t.Fatal("C stays open after Close")
	}

	t.Run("engine namespaces are refused for other packages", func(t *testing.T) {
		for _, typ := range []string{"fault.injected", "chat.message", "drill.ended", ""} {
			if _, err := h.Engine.AppendEvent(h.Ctx, id, typ, "oscar", nil); injectors.ErrorCode(err) != injectors.EINVALID {
				t.Fatalf("AppendEvent(%q) = %v, expected invalid", typ, err)
			}
		}
	})
	t.Run("subscribing past the head is invalid", func(t *testing.T) {
		if _, err := h.Engine.Subscribe(h.Ctx, id, 1<<40); injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("Subscribe = %v, expected invalid", err)
		}
	})
}

func TestVerifyChain(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	h.AdvanceTo(id, 10*time.Minute)
	evs := h.Events(id)
	head, err := control.VerifyChain(0, "", evs)
	if err != nil || head != h.Drill(id).Head {
		t.Fatalf("VerifyChain = %q, %v; expected the drill head", head, err)
	}
	tests := []struct {
		name   string
		tamper func(evs []control.Event) []control.Event
	}{
		{"an edited payload is detected", func(evs []control.Event) []control.Event {
			evs[5].Payload = []byte(`{"edited":true}`)
			return evs
		}},
		{"a removed event is detected", func(evs []control.Event) []control.Event { return append(evs[:3:3], evs[4:]...) }},
		{"a changed drill time is detected", func(evs []control.Event) []control.Event {
			evs[7].DrillTime += time.Second
			return evs
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp := append([]control.Event(nil), evs...)
			if _, err := control.VerifyChain(0, "", tc.tamper(cp)); err == nil {
				t.Fatal("tampering was not detected")
			}
		})
	}
}
