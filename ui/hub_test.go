package ui_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

func chatEvent(drill string, seq int64, channel, text string) control.Event {
	p, _ := json.Marshal(control.Message{Channel: channel, AuthorID: "p1", AuthorKind: control.AuthorPerson, AuthorName: "Kim", Text: text})
	return control.Event{DrillID: drill, Seq: seq, Type: control.EventChatMessage, Time: time.Unix(0, 0), Actor: "p1", Payload: p}
}

// publish hands e to the hub as the server does, numbered n among the
// events participants see (zero when they do not see it).
func publish(h *ui.Hub, e control.Event, n int64) {
	var public *wire.Event
	if n > 0 {
		public = &wire.Event{Seq: n, Type: e.Type, Payload: e.Payload}
	}
	h.Publish(e, public)
}

func TestHub(t *testing.T) {
	t.Run("slow subscriber is dropped and others get every event", func(t *testing.T) {
		h := ui.NewHub(4)
		defer h.Close()
		slow := h.Subscribe("d1", false)
		fast := h.Subscribe("d1", false)
		got := make(chan []int64, 1)
		ack := make(chan struct{}, 1)
		go func() {
			var seqs []int64
			for {
				seq, _, ok := fast.Next()
				if !ok {
					break
				}
				seqs = append(seqs, seq)
				ack <- struct{}{}
				if seq == 100 {
					break
				}
			}
			got <- seqs
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			// The fast subscriber keeps up (the publisher waits for it);
			// the slow one never reads.
			for i := int64(1); i <= 100; i++ {
				publish(h, chatEvent("d1", i, "incident", fmt.Sprint(i)), i)
				select {
				case <-ack:
				case <-time.After(5 * time.Second):
					return
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Publish blocked on a subscriber that does not read")
		}
		seqs := <-got
		if len(seqs) != 100 || seqs[0] != 1 || seqs[99] != 100 {
			t.Fatalf("fast subscriber got %d events (%v…), want 1..100", len(seqs), seqs[:min(3, len(seqs))])
		}
		n := 0
		for {
			_, _, ok := slow.Next()
			if !ok {
				break
			}
			n++
		}
		if !slow.Dropped() {
			t.Fatal("slow subscriber was not marked dropped")
		}
		if n != 4 {
			t.Fatalf("slow subscriber drained %d buffered events before the drop, want its buffer of 4", n)
		}
		if st := h.Stats(); st.Dropped != 1 || st.Subscribers != 1 {
			t.Fatalf("stats = %+v, want 1 dropped and 1 subscriber left", st)
		}
	})

	t.Run("events go only to the drill's subscribers, staff-only events only to staff, each numbered as its subscriber sees them", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		part := h.Subscribe("d1", false)
		staff := h.Subscribe("d1", true)
		other := h.Subscribe("d2", true)
		publish(h, chatEvent("d1", 1, "backroom", "staff talk"), 0)
		publish(h, chatEvent("d1", 2, "incident", "hello"), 1)
		publish(h, chatEvent("d2", 1, "incident", "other drill"), 1)

		if seq, frame, _ := part.Next(); seq != 1 || !strings.Contains(string(frame), `"seq":1,`) || !strings.Contains(string(frame), "hello") {
			t.Fatalf("participant first got #%d %s, want #2 of the journal as their #1 (the back-room #1 is staff-only)", seq, frame)
		}
		if seq, _, _ := staff.Next(); seq != 1 {
			t.Fatalf("staff first got #%d, want #1", seq)
		}
		if seq, frame, _ := other.Next(); seq != 1 || !json.Valid(frame) {
			t.Fatalf("other drill got #%d %s", seq, frame)
		}
		var f struct {
			Kind  string     `json:"kind"`
			Event wire.Event `json:"event"`
		}
		_, frame, _ := staff.Next()
		if err := json.Unmarshal(frame, &f); err != nil || f.Kind != "event" || f.Event.Seq != 2 || f.Event.Type != control.EventChatMessage {
			t.Fatalf("frame %s does not decode to event #2 (%v)", frame, err)
		}
	})
}

func TestEncodeEventFrame(t *testing.T) {
	for _, tt := range []struct {
		name string
		ev   wire.Event
	}{
		{"a chat message is the frame json.Marshal makes", wire.Event{Seq: 7, Type: control.EventChatMessage, Time: "2026-11-30T09:00:00.000Z", Actor: "p1",
			Payload: json.RawMessage(`{"channel":"incident","text":"hello"}`)}},
		{"HTML, quotes and Korean are escaped as json.Marshal escapes them", wire.Event{Seq: 1, Type: control.EventChatMessage, Actor: "<p&1>",
			Payload: json.RawMessage(`{"text": "<b>\"a&b\"</b> 주문 \u2028"}`)}},
		{"an event without payload", wire.Event{Seq: 2, Type: control.EventDrillStarted}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ui.EncodeEventFrame(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := json.Marshal(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(struct {
				Kind  string          `json:"kind"`
				Event json.RawMessage `json:"event,omitempty"`
				Seq   int64           `json:"seq,omitempty"`
			}{Kind: wire.FrameEvent, Event: ev})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("frame\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// A participant's frame of an event that differs from the staff's only by
// its number is the staff's frame renumbered, byte for byte what encoding
// it would make; an event that differs otherwise is encoded on its own.
func TestRenumberedFrame(t *testing.T) {
	staff := wire.Event{Seq: 1234, Type: control.EventChatMessage, Time: "2026-11-30T09:00:00.000Z", DrillTimeMS: 61000, Actor: "p1",
		Payload: json.RawMessage(`{"channel":"incident","text":"<b>roll back</b> 주문"}`)}
	frame, err := ui.EncodeEventFrame(staff)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		public     wire.Event
		renumbered bool
	}{
		{"the same event numbered for participants is renumbered", func() wire.Event { w := staff; w.Seq = 7; return w }(), true},
		{"a number with more digits is renumbered", func() wire.Event { w := staff; w.Seq = 123456789; return w }(), true},
		{"a payload without its source is encoded", func() wire.Event {
			w := staff
			w.Seq = 7
			w.Payload = json.RawMessage(`{"channel":"incident"}`)
			return w
		}(), false},
		{"another actor is encoded", func() wire.Event { w := staff; w.Seq = 7; w.Actor = ""; return w }(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ui.RenumberedFrame(frame, staff, tt.public)
			if (got != nil) != tt.renumbered {
				t.Fatalf("renumbered = %s, want renumbered: %v", got, tt.renumbered)
			}
			if got == nil {
				return
			}
			want, err := ui.EncodeEventFrame(tt.public)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("renumbered frame\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestVisibility(t *testing.T) {
	ev := func(typ, payload string) control.Event {
		return control.Event{Type: typ, Payload: json.RawMessage(payload)}
	}
	tests := []struct {
		name string
		ev   control.Event
		want ui.Audience
	}{
		{"participant channel message is for everyone", ev(control.EventChatMessage, `{"channel":"incident"}`), ui.AudienceEveryone},
		{"back-room message is staff-only", ev(control.EventChatMessage, `{"channel":"backroom"}`), ui.AudienceStaff},
		{"notice is for everyone", ev(control.EventNoticePosted, `{"kind":"incident"}`), ui.AudienceEveryone},
		{"drill start is for everyone", ev(control.EventDrillStarted, ``), ui.AudienceEveryone},
		{"drill creation carries the scenario and is staff-only", ev(control.EventDrillCreated, `{}`), ui.AudienceStaff},
		{"schedule time is secret", ev(control.EventDrillScheduled, `{}`), ui.AudienceStaff},
		{"fault injection is staff-only", ev(control.EventFaultInjected, `{"faultId":"f"}`), ui.AudienceStaff},
		{"hint bookkeeping is staff-only", ev(control.EventHintGiven, `{"hintId":"h"}`), ui.AudienceStaff},
		{"observer note is staff-only", ev(control.EventObserverNote, `{}`), ui.AudienceStaff},
		{"retro draft is never streamed", ev("retro.draft", `{"anonymous":true}`), ui.AudienceNone},
		{"retro submission is never streamed", ev("retro.submitted", `{}`), ui.AudienceNone},
		{"role claim is for everyone", ev(control.EventRoleClaim, `{}`), ui.AudienceEveryone},
		{"nudge is for everyone", ev(control.EventNudge, `{}`), ui.AudienceEveryone},
		{"unknown type is staff-only", ev("custom.event", `{}`), ui.AudienceStaff},
		{"malformed message is staff-only", ev(control.EventChatMessage, `{`), ui.AudienceStaff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ui.Visibility(tt.ev); got != tt.want {
				t.Fatalf("Visibility = %v, want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkHubPublish is the hub's share of a chat message's fan-out in the
// drill room (see BenchmarkFanout): the staff and participant frames made
// once, handed to the 10 participants' buffers of a drill among 50 that
// their write pumps drain. It reports the publisher's time and allocations
// per message: "whole" is all of it; "after the commit" is what is left
// for the store's writer once the server's follower prepared the event
// (who sees it, its staff frame) on the appending goroutine before the
// commit (see Server.follow).
func BenchmarkHubPublish(b *testing.B) {
	for _, prepared := range []bool{false, true} {
		name := "whole"
		if prepared {
			name = "after the commit"
		}
		b.Run(name, func(b *testing.B) { benchmarkHubPublish(b, prepared) })
	}
}

func benchmarkHubPublish(b *testing.B, prepared bool) {
	const buffer = 256
	h := ui.NewHub(buffer)
	defer h.Close()
	var subs []*ui.Subscriber
	for d := range 50 {
		for range 10 {
			subs = append(subs, h.Subscribe(fmt.Sprintf("drill-%d", d), false))
		}
	}
	var drained sync.WaitGroup
	var received atomic.Int64
	for _, s := range subs {
		drained.Add(1)
		go func() {
			defer drained.Done()
			for {
				if _, _, ok := s.Next(); !ok {
					return
				}
				received.Add(1)
			}
		}()
	}
	e := chatEvent("drill-7", 0, "incident", "t=1796059539621746500")
	// Participants see a plain chat message as staff do, numbered their
	// way (see Server.participantEvent).
	public := wire.Event{Type: e.Type, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Actor: e.Actor, Payload: e.Payload}
	// The events are made (and prepared) before the clock runs, as the
	// appending goroutines prepare them before the commit; every half
	// buffer the clock stops until the readers caught up, so that no
	// subscriber is ever dropped for being too slow (until session 10 the
	// loop outran them and measured, after the first few hundred
	// messages, a hand-off to nobody).
	const batch = buffer / 2
	events := make([]control.Event, batch)
	preps := make([]ui.PreparedEvent, batch)
	var published int64
	b.ReportAllocs()
	i := batch
	for b.Loop() {
		if i == batch {
			b.StopTimer()
			for received.Load() < published*10 {
				runtime.Gosched()
			}
			for k := range events {
				e.Seq++
				events[k] = e
				if prepared {
					preps[k] = ui.PrepareEvent(e)
				}
			}
			i = 0
			b.StartTimer()
		}
		ev := events[i]
		public.Seq = ev.Seq - 3
		if prepared {
			h.PublishPrepared(ev, preps[i], &public)
		} else {
			h.Publish(ev, &public)
		}
		published++
		i++
	}
	b.StopTimer()
	st := h.Stats()
	h.Close()
	drained.Wait()
	if st.Dropped > 0 || st.Delivered != published*10 {
		b.Fatalf("%d messages handed to %d subscribers (%d dropped), want each to its 10", published, st.Delivered, st.Dropped)
	}
}

// drain reads s until the hub closes it and returns the numbers it got.
func drain(t *testing.T, s *ui.Subscriber) []int64 {
	t.Helper()
	var seqs []int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			seq, _, ok := s.Next()
			if !ok {
				return
			}
			seqs = append(seqs, seq)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber was not closed")
	}
	return seqs
}

// A chat message streamed before it is durable reaches the subscribers
// registered meanwhile too (their replay of the journal may miss it); if
// its commit fails, every subscriber of the drill is reset and the
// drill's epoch changes, so that a browser resuming from an older epoch
// starts over.
func TestHubStreamedMessages(t *testing.T) {
	public := func(e control.Event, n int64) *wire.Event {
		return &wire.Event{Seq: n, Type: e.Type, Payload: e.Payload}
	}
	t.Run("a subscriber registered before the commit answers gets the message; one registered after does not", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		before := h.Subscribe("d1", true)
		e := chatEvent("d1", 1, "incident", "streamed")
		h.PublishTentative(e, public(e, 1))
		during := h.Subscribe("d1", false)
		h.Settle("d1", false)
		after := h.Subscribe("d1", true)
		h.Close()
		if got := drain(t, before); !slices.Equal(got, []int64{1}) {
			t.Errorf("subscribed before: got %v, want [1]", got)
		}
		if got := drain(t, during); !slices.Equal(got, []int64{1}) {
			t.Errorf("subscribed while committed: got %v, want [1]", got)
		}
		if got := drain(t, after); len(got) != 0 {
			t.Errorf("subscribed once durable: got %v from the hub, want nothing (its replay has it)", got)
		}
		for _, s := range []*ui.Subscriber{before, during, after} {
			if s.Reset() {
				t.Error("a subscriber was reset although the commit succeeded")
			}
		}
	})

	t.Run("a failed commit resets the drill's subscribers and no other drill's, and changes the drill's epoch", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		staff := h.Subscribe("d1", true)
		part := h.Subscribe("d1", false)
		other := h.Subscribe("d2", true)
		old := staff.Epoch()
		e := chatEvent("d1", 1, "incident", "withdrawn")
		h.PublishTentative(e, public(e, 1))
		h.Settle("d1", true)
		for name, s := range map[string]*ui.Subscriber{"staff": staff, "participant": part} {
			if got := drain(t, s); !slices.Equal(got, []int64{1}) || !s.Reset() {
				t.Errorf("%s: got %v, reset %v; want the message, then a reset", name, got, s.Reset())
			}
		}
		if st := h.Stats(); st.Subscribers != 1 {
			t.Errorf("%d subscribers left, want the other drill's only", st.Subscribers)
		}
		late := h.Subscribe("d1", true)
		if late.Epoch() == old {
			t.Fatalf("the drill's epoch is still %q after a withdrawal", old)
		}
		stale := h.SubscribeResume("d1", true, old)
		if got := drain(t, stale); len(got) != 0 || !stale.Reset() {
			t.Errorf("resuming on the old epoch: got %v, reset %v; want an immediate reset", got, stale.Reset())
		}
		current := h.SubscribeResume("d1", true, late.Epoch())
		if current.Epoch() != late.Epoch() || h.SubscribeResume("d2", true, other.Epoch()).Epoch() != other.Epoch() {
			t.Error("resuming on the current epoch changed it")
		}
		h.Close()
		if got := drain(t, late); len(got) != 0 {
			t.Errorf("subscribed after the withdrawal: got %v, want nothing", got)
		}
		if current.Reset() || other.Reset() {
			t.Error("a subscriber on the current epoch, or of another drill, was reset")
		}
	})

	t.Run("a withdrawal resets only the subscribers that were sent a withdrawn message", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		staff := h.Subscribe("d1", true)
		part := h.Subscribe("d1", false)
		h.PublishTentative(chatEvent("d1", 1, "backroom", "staff only"), nil)
		h.Settle("d1", true)
		if got := drain(t, staff); !slices.Equal(got, []int64{1}) || !staff.Reset() {
			t.Errorf("staff: got %v, reset %v; want the back-room message, then a reset", got, staff.Reset())
		}
		h.Close()
		if got := drain(t, part); len(got) != 0 || part.Reset() {
			t.Errorf("participant: got %v, reset %v; want nothing: they were never sent it", got, part.Reset())
		}
	})

	t.Run("a subscriber whose buffer cannot take the messages streamed is dropped, without a panic", func(t *testing.T) {
		h := ui.NewHub(1)
		defer h.Close()
		for i := int64(1); i <= 3; i++ {
			e := chatEvent("d1", i, "incident", fmt.Sprint(i))
			h.PublishTentative(e, public(e, i))
		}
		s := h.Subscribe("d1", true)
		if got := drain(t, s); !slices.Equal(got, []int64{1}) || !s.Dropped() {
			t.Fatalf("got %v, dropped %v; want the one its buffer holds, then a drop (it resumes from the journal)", got, s.Dropped())
		}
	})

	t.Run("a participant subscribing while a message not numbered for participants is committed is dropped; staff get it", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		h.PublishTentativeUnnumbered(chatEvent("d1", 1, "incident", "not numbered"))
		part := h.Subscribe("d1", false)
		staff := h.Subscribe("d1", true)
		if got := drain(t, part); len(got) != 0 || !part.Dropped() {
			t.Errorf("participant: got %v, dropped %v; want a drop, to resume from the journal", got, part.Dropped())
		}
		h.Close()
		if got := drain(t, staff); !slices.Equal(got, []int64{1}) {
			t.Errorf("staff: got %v, want [1]", got)
		}
	})

	t.Run("a participant subscribing while a staff-only message not numbered is committed is not dropped", func(t *testing.T) {
		h := ui.NewHub(16)
		defer h.Close()
		h.PublishTentativeUnnumbered(chatEvent("d1", 1, "backroom", "staff only"))
		part := h.Subscribe("d1", false)
		h.Close()
		if got := drain(t, part); len(got) != 0 || part.Dropped() {
			t.Errorf("participant: got %v, dropped %v; want nothing and no drop: it never sees a back-room message", got, part.Dropped())
		}
	})

	t.Run("another hub (a restart) has another epoch", func(t *testing.T) {
		a, b := ui.NewHub(1), ui.NewHub(1)
		defer a.Close()
		defer b.Close()
		if a.Subscribe("d1", true).Epoch() == b.Subscribe("d1", true).Epoch() {
			t.Fatal("two hubs share an epoch: a browser would resume across a restart with numbers that may name other events")
		}
	})
}
