package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// untilReadyEpoch reads the replay and returns its events and the ready
// frame's epoch.
func (s *stream) untilReadyEpoch() ([]wire.Event, string) {
	s.t.Helper()
	var out []wire.Event
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("read until ready: %v", err)
		}
		if f.Kind == "ready" {
			return out, f.Epoch
		}
		out = append(out, f.Event)
	}
}

// untilClosed reads frames until the socket closes and returns the chat
// texts read and the close error.
func (s *stream) untilClosed() ([]string, error) {
	s.t.Helper()
	var texts []string
	for {
		f, err := s.next()
		if err != nil {
			return texts, err
		}
		if f.Kind == "event" && f.Event.Type == control.EventChatMessage {
			texts = append(texts, chatOf(s.t, f.Event).Text)
		}
	}
}

// A chat message is streamed while it is committed. When the journal
// refuses it (the disk is full), every browser of the drill that was sent
// it is reset (wire.CloseReset) and starts over from the journal, which
// does not have it; a browser that was away and resumes on the old epoch
// is reset too; the poster gets the refusal. While the journal keeps
// refusing, messages are no longer streamed before they are durable, so
// the next refusal withdraws nothing.
func TestStreamWithdrawsAMessageTheJournalRefused(t *testing.T) {
	e := newEnvLimit(t, 256<<10)
	d := e.newDrill(true)
	staff := d.admin.ws(d.id, 0)
	_, epoch := staff.untilReadyEpoch()
	part := d.participant.ws(d.id, 0)
	part.untilReady()
	away := d.second.ws(d.id, 0)
	replay, awayEpoch := away.untilReadyEpoch()
	if awayEpoch != epoch || epoch == "" {
		t.Fatalf("ready epochs %q and %q, want one non-empty epoch for the drill", epoch, awayEpoch)
	}
	awayLast := replay[len(replay)-1].Seq
	away.conn.Close()

	body := strings.Repeat("the pool is exhausted, checking the connection limits; ", 40) + "still looking"
	var acked []string
	var refused string
	for i := 0; i < 2000 && refused == ""; i++ {
		text := fmt.Sprintf("%04d %s", i, body)
		st, b := d.participant.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: text})
		switch st {
		case 201:
			acked = append(acked, text)
		case 500:
			if !strings.Contains(string(b), "journal is full") {
				t.Fatalf("refusal %s, want it to say the journal is full", b)
			}
			refused = text
		default:
			t.Fatalf("post %d: HTTP %d %s", i, st, b)
		}
	}
	if refused == "" || len(acked) == 0 {
		t.Fatalf("%d messages acknowledged and none refused by a 256 KiB journal", len(acked))
	}

	for name, s := range map[string]*stream{"facilitator": staff, "participant": part} {
		got, err := s.untilClosed()
		if !websocket.IsCloseError(err, wire.CloseReset) {
			t.Fatalf("%s: stream ended with %v, want close code %d", name, err, wire.CloseReset)
		}
		if want := append(slices.Clone(acked), refused); !slices.Equal(got, want) {
			t.Fatalf("%s: streamed %d messages, want the %d acknowledged then the refused one", name, len(got), len(acked))
		}
	}

	stale := d.second.wsResume(d.id, awayLast, awayEpoch)
	if _, err := stale.next(); !websocket.IsCloseError(err, wire.CloseReset) {
		t.Fatalf("resuming on the epoch before the withdrawal: %v, want close code %d", err, wire.CloseReset)
	}

	fresh := d.admin.ws(d.id, 0)
	evs, newEpoch := fresh.untilReadyEpoch()
	if got := chatTexts(t, evs); !slices.Equal(got, acked) {
		t.Fatalf("starting over: the journal has %d messages, want the %d acknowledged and not the refused one", len(got), len(acked))
	}
	if newEpoch == epoch {
		t.Fatalf("the epoch is still %q after a withdrawal", epoch)
	}
	if st, _ := d.participant.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "refused again"}); st != 500 {
		t.Fatalf("posting to the full journal again: HTTP %d, want 500", st)
	}
	// The abort still journals (the kill switch's reserve): its events are
	// the next frames, with no second refused message or reset before.
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/abort", map[string]any{"confirm": true, "why": "the journal is full"}, nil)
	f, err := fresh.next()
	if err != nil || f.Kind != "event" || !strings.HasPrefix(f.Event.Type, "drill.") && !strings.HasPrefix(f.Event.Type, "fault.") {
		t.Fatalf("after the second refusal the stream got %+v (%v), want the abort's events", f, err)
	}
}
