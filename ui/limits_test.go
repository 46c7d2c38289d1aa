package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// TestWriteLimits: every write route has a per-person rate limit, and
// people's writes stop at the drill's quota, so that no script can grow a
// drill's journal (and every browser's replay) without bound; each kind of
// entry also stops at a quota of its own, so that one kind cannot use up the
// drill's quota.
func TestWriteLimits(t *testing.T) {
	const burst = 5
	slow := withWriteLimit(ui.RateLimit{Burst: burst, Every: time.Hour})
	tests := []struct {
		name  string
		who   func(d *drill) *client
		path  string
		body  any
		retro bool
	}{
		{"role claims", func(d *drill) *client { return d.participant }, "/claims", map[string]any{"role": "incident-commander"}, false},
		{"observer notes", func(d *drill) *client { return d.observer }, "/notes", map[string]string{"tag": "strength", "text": "calm"}, false},
		{"notices", func(d *drill) *client { return d.participant }, "/notices", incidentNotice(), false},
		{"retro drafts", func(d *drill) *client { return d.participant }, "/retro/answers", map[string]any{"wentWell": "quick notice"}, true},
		{"retro questions", func(d *drill) *client { return d.observer }, "/retro/questions", map[string]string{"text": "why?"}, true},
		{"the facilitator's hints (five times a person's burst)", func(d *drill) *client { return d.admin }, "/hints/skip", map[string]string{"why": "not needed"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" beyond the burst are refused for that person only", func(t *testing.T) {
			e := newEnv(t, slow)
			d := e.newDrill(true)
			if tt.retro {
				endDrill(t, e, d)
			}
			c := tt.who(d)
			refused := 0
			n := burst + 3
			if c == d.admin {
				n = 5*burst + 3
			}
			for i := 0; i < n; i++ {
				method := "POST"
				if strings.HasSuffix(tt.path, "/answers") {
					method = "PUT"
				}
				st, b := c.do(method, "/api/drills/"+d.id+tt.path, tt.body)
				if st == 409 && strings.Contains(string(b), "too fast") {
					refused++
				}
			}
			if refused < 3 {
				t.Fatalf("%d of %d writes refused as too fast, want at least 3", refused, n)
			}
			if st, b := d.second.do("GET", "/api/drills/"+d.id, nil); st != 200 {
				t.Fatalf("another person reads: %d %s", st, b)
			}
		})
	}
	kinds := []struct {
		name  string
		typ   string
		who   func(d *drill) *client
		path  string
		body  func(i int) any
		retro bool
	}{
		{"role claims", control.EventRoleClaim, func(d *drill) *client { return d.participant }, "/claims",
			func(i int) any {
				return map[string]any{"role": []string{"incident-commander", "recovery", "propagation"}[i]}
			}, false},
		{"retro drafts", retro.EventDraft, func(d *drill) *client { return d.participant }, "/retro/answers",
			func(i int) any { return map[string]any{"wentWell": fmt.Sprint("draft ", i)} }, true},
		{"observer notes", control.EventObserverNote, func(d *drill) *client { return d.observer }, "/notes",
			func(i int) any { return map[string]string{"tag": "strength", "text": fmt.Sprint("calm ", i)} }, false},
		{"notices", control.EventNoticePosted, func(d *drill) *client { return d.participant }, "/notices", func(int) any { return incidentNotice() }, false},
		{"retro questions", retro.EventQuestion, func(d *drill) *client { return d.observer }, "/retro/questions",
			func(i int) any { return map[string]string{"text": fmt.Sprint("why ", i, "?")} }, true},
		{"retro actions", retro.EventActionProposed, func(d *drill) *client { return d.designer }, "/retro/actions",
			func(i int) any { return map[string]any{"title": fmt.Sprint("Alert ", i), "kind": "alert"} }, true},
	}
	for _, k := range kinds {
		t.Run(k.name+" stop at their own quota while other writes go on", func(t *testing.T) {
			e := newEnv(t, withTypeQuotas(map[string]int64{k.typ: 2}))
			d := e.newDrill(true)
			if k.retro {
				endDrill(t, e, d)
			}
			c := k.who(d)
			method, ok := "POST", 201
			if k.typ == retro.EventDraft {
				method, ok = "PUT", 200
			}
			for i := range 2 {
				c.must(ok, method, "/api/drills/"+d.id+k.path, k.body(i), nil)
			}
			st, b := c.do(method, "/api/drills/"+d.id+k.path, k.body(2))
			if st != 409 || !strings.Contains(string(b), "quota") {
				t.Fatalf("a third entry past a quota of 2: %d %s, want 409 naming the quota", st, b)
			}
			if n := len(eventsOf(t, e, d.id, k.typ)); n != 2 {
				t.Fatalf("the journal holds %d %s entries, want the 2 of the quota", n, k.typ)
			}
			switch {
			case k.typ == retro.EventQuestion:
				d.observer.must(201, "POST", "/api/drills/"+d.id+"/retro/actions", map[string]any{"title": "Still writable", "kind": "alert"}, nil)
			case k.retro:
				d.observer.must(201, "POST", "/api/drills/"+d.id+"/retro/questions", map[string]string{"text": "still writable?"}, nil)
			default:
				post(d.participant, d.id, "incident", "the chat goes on")
			}
		})
	}
	t.Run("the drill quota stops people's writes but not the facilitator ending the drill", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		evs, _ := e.store.Events(t.Context(), d.id, 0, 0)
		head := evs[len(evs)-1].Seq
		e2 := newEnv(t, withQuota(head+3))
		d = e2.newDrill(true)
		var refused int
		for i := 0; i < 10; i++ {
			if st, b := d.participant.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "spam"}); st == 409 && strings.Contains(string(b), "quota") {
				refused++
			}
		}
		if refused == 0 {
			t.Fatal("no message was refused by the drill quota")
		}
		if st, b := d.observer.do("POST", "/api/drills/"+d.id+"/notes", map[string]string{"tag": "weakness", "text": "x"}); st != 409 {
			t.Fatalf("a note past the quota: %d %s, want 409", st, b)
		}
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/end", map[string]string{"why": "time"}, nil)
	})
}

// TestRetroIsPushed: a retro page learns of every change from the stream
// (content-free, author-free), so nothing polls; its view names the journal
// head to follow from.
func TestRetroIsPushed(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	endDrill(t, e, d)
	var v wire.RetroView
	d.second.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, &v)
	if v.Seq == 0 {
		t.Fatal("the retro view names no journal head")
	}
	ws := d.second.ws(d.id, v.Seq)
	if evs := ws.untilReady(); len(evs) != 0 {
		t.Fatalf("following from the view's head replayed %d events, want none", len(evs))
	}
	d.participant.must(200, "PUT", "/api/drills/"+d.id+"/retro/answers", map[string]any{"wentWell": "a secret draft"}, nil)
	f, err := ws.next()
	if err != nil {
		t.Fatal(err)
	}
	if f.Event.Type != ui.EventRetroChanged || f.Event.Actor != "" || len(f.Event.Payload) != 0 {
		t.Fatalf("the stream announced the draft as %+v, want %s without actor or payload", f.Event, ui.EventRetroChanged)
	}
	d.second.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, &v)
	if v.Seq != f.Event.Seq {
		t.Fatalf("the refreshed view is at #%d, want the announced #%d", v.Seq, f.Event.Seq)
	}
}

// eventsOf returns the drill's journal entries of one type.
func eventsOf(t *testing.T, e *env, drillID, typ string) []control.Event {
	t.Helper()
	evs, err := e.store.Events(t.Context(), drillID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []control.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}
