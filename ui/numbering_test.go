package ui_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// hiddenEvents makes events participants do not see: a back-room message
// and an observer note.
func hiddenEvents(d *drill, what string) {
	post(d.admin, d.id, "backroom", "staff only: "+what)
	d.observer.must(201, "POST", "/api/drills/"+d.id+"/notes", map[string]string{"tag": "strength", "text": "note: " + what}, nil)
}

// chatOf decodes a chat message frame.
func chatOf(t testing.TB, ev wire.Event) control.Message {
	t.Helper()
	var m control.Message
	if err := json.Unmarshal(ev.Payload, &m); err != nil {
		t.Fatalf("event #%d: %v", ev.Seq, err)
	}
	return m
}

// untilText reads a stream until the chat message with the text, returning
// every event read on the way.
func (s *stream) untilText(text string) []wire.Event {
	s.t.Helper()
	var out []wire.Event
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("waiting for %q: %v", text, err)
		}
		if f.Kind != "event" {
			continue
		}
		out = append(out, f.Event)
		if f.Event.Type == control.EventChatMessage && chatOf(s.t, f.Event).Text == text {
			return out
		}
	}
}

// consecutive checks that the events are numbered from first on, one by
// one, and returns the last number.
func consecutive(t *testing.T, who string, first int64, evs []wire.Event) int64 {
	t.Helper()
	for i, ev := range evs {
		if ev.Seq != first+int64(i) {
			t.Fatalf("%s: event %d (%s) is #%d, want #%d: a gap (or a repeat) in the numbers", who, i, ev.Type, ev.Seq, first+int64(i))
		}
	}
	return first + int64(len(evs)) - 1
}

// TestParticipantNumbering: participants number the events they see on
// their own, so events hidden from them (the back room, observer notes,
// faults and hints) leave no gap in their stream, in the numbers their
// writes answer with and in the drill's view; a reply refers to a message by
// the number the reader sees it under; and resuming after a disconnect
// loses and repeats nothing.
func TestParticipantNumbering(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	hiddenEvents(d, "before Kim connects")
	kim := d.participant.ws(d.id, 0)
	history := kim.untilReady()
	last := consecutive(t, "Kim's replay", 1, history)
	staff := d.observer.ws(d.id, 0)
	staffHistory := staff.untilReady()
	if len(staffHistory) <= len(history) {
		t.Fatalf("staff replay has %d events, Kim's %d: the test needs events hidden from Kim", len(staffHistory), len(history))
	}

	// Live: hidden events between the visible ones.
	var mine int64
	for i := 1; i <= 3; i++ {
		hiddenEvents(d, fmt.Sprint("round ", i))
		mine = post(d.participant, d.id, "incident", fmt.Sprint("Kim ", i))
	}
	live := kim.untilText("Kim 3")
	last = consecutive(t, "Kim's live stream", last+1, live)
	if mine != last {
		t.Errorf("Kim's post answered #%d, but their stream numbers it #%d", mine, last)
	}
	var v wire.DrillView
	d.participant.must(200, "GET", "/api/drills/"+d.id, nil, &v)
	if v.Seq != last {
		t.Errorf("Kim's view of the drill is at #%d, their stream at #%d", v.Seq, last)
	}

	// A reply names the message as its reader numbers it.
	var replyTo int64
	for _, ev := range live {
		if ev.Type == control.EventChatMessage && chatOf(t, ev).Text == "Kim 2" {
			replyTo = ev.Seq
		}
	}
	d.second.must(201, "POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "Lee answers Kim 2", ReplyTo: replyTo}, nil)
	reply := kim.untilText("Lee answers Kim 2")
	last = consecutive(t, "Kim's stream after the reply", last+1, reply)
	if got := chatOf(t, reply[len(reply)-1]).ReplyTo; got != replyTo {
		t.Errorf("Kim sees the reply to #%d, want #%d (Kim 2 as Kim numbers it)", got, replyTo)
	}
	staffLive := staff.untilText("Lee answers Kim 2")
	var staffKim2 int64
	for _, ev := range staffLive {
		if ev.Type == control.EventChatMessage && chatOf(t, ev).Text == "Kim 2" {
			staffKim2 = ev.Seq
		}
	}
	if got := chatOf(t, staffLive[len(staffLive)-1]).ReplyTo; got != staffKim2 || staffKim2 == replyTo {
		t.Errorf("staff see the reply to #%d, want #%d (Kim 2 in the journal's numbers, not Kim's #%d)", got, staffKim2, replyTo)
	}

	// Kim drops the connection; the drill goes on without them.
	kim.conn.Close()
	for i := 1; i <= 3; i++ {
		hiddenEvents(d, fmt.Sprint("while Kim is away ", i))
		post(d.second, d.id, "incident", fmt.Sprint("Lee ", i))
	}
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/hints/next", nil, nil)
	post(d.second, d.id, "incident", "Lee after the hint")
	back := d.participant.ws(d.id, last)
	missed := back.untilReady()
	end := consecutive(t, "Kim's resume", last+1, missed)
	var texts []string
	for _, ev := range missed {
		if ev.Type == control.EventChatMessage {
			texts = append(texts, chatOf(t, ev).Text)
		}
	}
	want := []string{"Lee 1", "Lee 2", "Lee 3"}
	if len(texts) < 5 || fmt.Sprint(texts[:3]) != fmt.Sprint(want) || texts[len(texts)-1] != "Lee after the hint" {
		t.Fatalf("Kim's resume brought the messages %q, want %q, the hint's message and \"Lee after the hint\", each once", texts, want)
	}
	for _, ev := range missed {
		if ev.Type == control.EventChatMessage && chatOf(t, ev).Source != "" {
			t.Errorf("Kim's #%d carries the source %q", ev.Seq, chatOf(t, ev).Source)
		}
	}
	post(d.second, d.id, "incident", "Lee live again")
	if again := back.untilText("Lee live again"); len(again) != 1 || again[0].Seq != end+1 {
		t.Errorf("after the resume Kim got %d events, the first #%d, want one, #%d", len(again), again[0].Seq, end+1)
	}

	// Nobody resumes past what they could have seen.
	if _, res, err := d.participant.dialWS(d.id, end+2); err == nil || res == nil || res.StatusCode != 400 {
		t.Errorf("Kim resumes after #%d, past their last event #%d: %v, want HTTP 400", end+2, end+1, err)
	}
}
