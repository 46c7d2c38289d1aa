package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// TestWriteLimits: every write route has a per-person rate limit, and
// people's writes stop at the drill's quota, so that no script can grow a
// drill's journal (and every browser's replay) without bound.
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
