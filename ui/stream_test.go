package ui_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

func post(c *client, drillID, channel, text string) int64 {
	c.t.Helper()
	var out struct {
		Seq int64 `json:"seq"`
	}
	c.must(201, "POST", "/api/drills/"+drillID+"/messages", wire.PostMessageRequest{Channel: channel, Text: text}, &out)
	return out.Seq
}

func TestStreamResume(t *testing.T) {
	t.Run("reconnect resumes after the last sequence with nothing lost or duplicated", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		s := d.participant.ws(d.id, 0)
		s.untilReady()
		for i := 1; i <= 20; i++ {
			post(d.second, d.id, "incident", fmt.Sprintf("msg %d", i))
		}
		got := s.messages(10)
		last := got[len(got)-1].Seq
		s.conn.Close() // the browser loses its connection mid-stream

		for i := 21; i <= 30; i++ {
			post(d.second, d.id, "incident", fmt.Sprintf("msg %d", i))
		}
		s2 := d.participant.ws(d.id, last)
		got = append(got, s2.messages(20)...)

		for i, m := range got {
			if want := fmt.Sprintf("msg %d", i+1); m.Text != want {
				t.Fatalf("message %d is %q, want %q (lost or duplicated across the reconnect)", i, m.Text, want)
			}
			if i > 0 && m.Seq <= got[i-1].Seq {
				t.Fatalf("sequence numbers not increasing: #%d after #%d", m.Seq, got[i-1].Seq)
			}
		}
	})

	t.Run("slow browser is dropped without holding up others and catches up on reconnect", func(t *testing.T) {
		e := newEnv(t, withBuffer(32))
		d := e.newDrill(true)
		fast := d.participant.ws(d.id, 0)
		fast.untilReady()
		// The slow browser has a tiny socket receive buffer and does not
		// read during the burst, so the server's writes to it block and
		// its hub buffer of 32 overflows.
		slow := d.second.wsSmallBuffer(d.id, 0)
		slow.untilReady()
		big := strings.Repeat("가", 3990) // 12 kB per message
		const n = 500
		type result struct {
			msgs []control.Message
			err  error
		}
		fastDone := make(chan result, 1)
		go func() { // the fast browser reads as it goes
			m, err := fast.collect(n)
			fastDone <- result{m, err}
		}()
		for i := 1; i <= n; i++ {
			post(d.admin, d.id, "incident", fmt.Sprintf("%03d %s", i, big))
		}
		res := <-fastDone
		if res.err != nil {
			t.Fatalf("fast browser: %v", res.err)
		}
		got := res.msgs
		if !strings.HasPrefix(got[n-1].Text, fmt.Sprintf("%03d ", n)) {
			t.Fatalf("fast browser's last message starts %q, want %03d", got[n-1].Text[:4], n)
		}
		if st := e.server.HubStats(); st.Dropped != 1 {
			t.Fatalf("hub dropped %d subscribers, want the slow one", st.Dropped)
		}
		// The slow browser now reads what was sent before the drop, then
		// gets the resume close code.
		var seen []control.Message
		var closeErr error
		for {
			f, err := slow.next()
			if err != nil {
				closeErr = err
				break
			}
			if f.Kind == "event" && f.Event.Type == control.EventChatMessage {
				var m control.Message
				_ = json.Unmarshal(f.Event.Payload, &m)
				m.Seq = f.Event.Seq
				seen = append(seen, m)
			}
		}
		if !websocket.IsCloseError(closeErr, wire.CloseSlowConsumer) {
			t.Fatalf("slow browser closed with %v, want close code %d", closeErr, wire.CloseSlowConsumer)
		}
		if len(seen) == 0 || len(seen) >= n {
			t.Fatalf("slow browser saw %d of %d messages before the drop, want some but not all", len(seen), n)
		}
		last := seen[len(seen)-1].Seq
		rest := d.second.ws(d.id, last).messages(n - len(seen))
		all := append(seen, rest...)
		for i, m := range all {
			if !strings.HasPrefix(m.Text, fmt.Sprintf("%03d ", i+1)) {
				t.Fatalf("after resume, message %d starts %q, want %03d (lost or duplicated)", i, m.Text[:4], i+1)
			}
		}
	})
}

func TestStreamIsReceiveOnly(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	s := d.participant.ws(d.id, 0)
	s.untilReady()
	if err := s.conn.WriteMessage(websocket.TextMessage, []byte(`{"kind":"message","text":"sneaky"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := s.next()
		if err != nil {
			break // the server ended the connection
		}
		if f.Kind == "event" && strings.Contains(string(f.Event.Payload), "sneaky") {
			t.Fatal("a frame sent on the socket was posted")
		}
	}
	// Nothing was posted, and the browser can resume as usual.
	for _, ev := range d.participant.ws(d.id, 0).untilReady() {
		if strings.Contains(string(ev.Payload), "sneaky") {
			t.Fatal("a frame sent on the socket reached the journal")
		}
	}
}

func TestStreamVisibility(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	post(d.admin, d.id, "backroom", "they are slow, hint at 70")
	post(d.observer, d.id, "backroom", "noted")
	d.observer.must(201, "POST", "/api/drills/"+d.id+"/notes", map[string]string{"tag": "strength", "text": "quick incident notice"}, nil)
	post(d.participant, d.id, "incident", "looking into it")

	types := func(evs []wire.Event) map[string]int {
		m := map[string]int{}
		for _, e := range evs {
			m[e.Type]++
			if e.Type == control.EventChatMessage && strings.Contains(string(e.Payload), `"backroom"`) {
				m["backroom"]++
			}
		}
		return m
	}
	part := types(d.participant.ws(d.id, 0).untilReady())
	staff := types(d.observer.ws(d.id, 0).untilReady())

	for _, typ := range []string{control.EventDrillCreated, "backroom", control.EventObserverNote, control.EventFaultIntent} {
		if part[typ] != 0 {
			t.Errorf("participant received %d %s events", part[typ], typ)
		}
	}
	if part[control.EventChatMessage] != 1 || part[control.EventDrillStarted] != 1 {
		t.Errorf("participant events %v, want their one chat message and the start", part)
	}
	for _, typ := range []string{control.EventDrillCreated, "backroom", control.EventObserverNote} {
		if staff[typ] == 0 {
			t.Errorf("observer did not receive %s; got %v", typ, staff)
		}
	}
}

func TestMessages(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	path := "/api/drills/" + d.id + "/messages"
	tests := []struct {
		name string
		c    func() *client
		body wire.PostMessageRequest
		want int
	}{
		{"participant writes in a drill channel", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "incident", Text: "on it"}, 201},
		{"participant cannot write in the back room", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "backroom", Text: "hi"}, 400},
		{"participant cannot speak as a persona", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "incident", Text: "hi", Persona: "cto"}, 403},
		{"observer cannot intervene in a drill channel", func() *client { return d.observer }, wire.PostMessageRequest{Channel: "incident", Text: "try X"}, 403},
		{"designer writes in the back room", func() *client { return d.designer }, wire.PostMessageRequest{Channel: "backroom", Text: "the bug is in config"}, 201},
		{"facilitator speaks as the CTO", func() *client { return d.admin }, wire.PostMessageRequest{Channel: "incident", Text: "Status?", Persona: "cto"}, 201},
		{"facilitator speaks as an unknown persona", func() *client { return d.admin }, wire.PostMessageRequest{Channel: "incident", Text: "x", Persona: "ceo"}, 400},
		{"unknown channel", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "random", Text: "x"}, 400},
		{"empty text", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "incident", Text: "   "}, 400},
		{"text over 4000 characters", func() *client { return d.participant }, wire.PostMessageRequest{Channel: "incident", Text: strings.Repeat("가", 4001)}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := tt.c().do("POST", path, tt.body)
			if st != tt.want {
				t.Fatalf("status %d %s, want %d", st, b, tt.want)
			}
		})
	}

	t.Run("persona message is marked as a persona", func(t *testing.T) {
		evs := d.participant.ws(d.id, 0).untilReady()
		var found bool
		for _, ev := range evs {
			var m control.Message
			if ev.Type == control.EventChatMessage && json.Unmarshal(ev.Payload, &m) == nil && m.AuthorKind == control.AuthorPersona {
				found = m.AuthorID == "cto" && m.AuthorName == "CTO"
			}
		}
		if !found {
			t.Fatal("the CTO's message is not in the participant's stream as a persona message")
		}
	})

	t.Run("rate limit refuses a flood", func(t *testing.T) {
		e := newEnv(t, withRate(ui.RateLimit{Burst: 3, Every: 0}))
		d := e.newDrill(true)
		for i := 0; i < 3; i++ {
			post(d.participant, d.id, "incident", "x")
		}
		if st, b := d.participant.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "x"}); st != 409 || !strings.Contains(string(b), "too fast") {
			t.Fatalf("4th message: %d %s, want 409 too fast", st, b)
		}
		// Others are not limited by one person's flood.
		post(d.second, d.id, "incident", "y")
	})
}

func TestAlertsReachParticipants(t *testing.T) {
	// The test injector's probe always fails, so the alert fires after its
	// 30s; at 60 drill seconds per second that is within a second or two.
	e := newEnv(t, withTimeScale(60))
	a := e.admin()
	var sum control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": "alerts-test"}, &sum)
	var l wire.JoinLink
	a.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": "Kim", "role": "participant"}, &l)
	p := e.join(l.URL)
	s := p.ws(sum.ID, 0)
	s.untilReady()
	a.must(200, "POST", "/api/drills/"+sum.ID+"/start", nil, nil)
	m := s.messages(1)[0]
	if m.Channel != "alerts" || m.AuthorKind != control.AuthorPersona || m.AuthorID != "monitor" ||
		!strings.HasPrefix(m.Source, "alert:") || !strings.Contains(m.Text, "FIRING") {
		t.Fatalf("first message %+v, want a FIRING alert from the monitoring persona in #alerts", m)
	}
}

// TestStreamCarriesNoRevertRecord: revert records (the previous values of
// what a fault changed, Secret values included) are the engine's business.
// No role receives one on the stream, live or replayed.
func TestStreamCarriesNoRevertRecord(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(false)
	live := d.admin.ws(d.id, 0)
	live.untilReady()
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/start", nil, nil)
	var faults int
	for faults < 2 {
		f, err := live.next()
		if err != nil {
			t.Fatalf("live stream: %v", err)
		}
		if strings.HasPrefix(f.Event.Type, "fault.") {
			faults++
			if strings.Contains(string(f.Event.Payload), `"record"`) {
				t.Fatalf("the facilitator's live stream carried a revert record: %s", f.Event.Payload)
			}
		}
	}
	for role, c := range map[string]*client{"facilitator": d.admin, "designer": d.designer, "observer": d.observer, "participant": d.participant} {
		t.Run(role+" replays no revert record", func(t *testing.T) {
			for _, ev := range c.ws(d.id, 0).untilReady() {
				if strings.Contains(string(ev.Payload), `"record"`) {
					t.Fatalf("%s's replay carried a revert record in %s #%d: %s", role, ev.Type, ev.Seq, ev.Payload)
				}
			}
		})
	}
}
