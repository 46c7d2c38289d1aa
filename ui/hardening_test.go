package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

func TestHardening(t *testing.T) {
	t.Run("a stream cannot resume past the journal head", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		_, res, err := d.participant.dialWS(d.id, 1_000_000)
		if err == nil || res == nil || res.StatusCode != 400 {
			t.Fatalf("after=1000000: %v (%v), want 400", err, res)
		}
	})
	t.Run("the static handler serves only static files", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		for _, p := range []string{"/static/%2e%2e%2froom.html", "/static/..%2froom.html", "/static/%2e%2e/console.html", "/static/../room.html"} {
			st, b := c.do("GET", p, nil)
			if st == 200 || strings.Contains(string(b), "<html") {
				t.Errorf("GET %s: %d, serves a page template", p, st)
			}
		}
		if st, _ := c.do("GET", "/static/room.js", nil); st != 200 {
			t.Errorf("GET /static/room.js: %d, want 200", st)
		}
	})
	t.Run("join links never come from the Host header", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(false)
		req, _ := http.NewRequest("POST", e.http.URL+"/api/drills/"+d.id+"/people/"+d.people["Kim"]+"/link", nil)
		req.Host = "evil.example"
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("X-CSRF-Token", d.admin.csrf)
		for _, ck := range d.admin.hc.Jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		if strings.Contains(b.String(), "evil.example") {
			t.Fatalf("a join link was built from the Host header: %s", b.String())
		}
		var l wire.JoinLink
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+d.people["Kim"]+"/link", nil, &l)
		if !strings.HasPrefix(l.URL, e.http.URL+"/join#") {
			t.Fatalf("join link %q, want it on the listen address %s", l.URL, e.http.URL)
		}
	})
	t.Run("the Origin check compares the scheme too", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		d.participant.origin = strings.Replace(e.http.URL, "http://", "https://", 1)
		if st, b := d.participant.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "hi"}); st != 403 {
			t.Fatalf("a POST with Origin %s to an http room: %d %s, want 403", d.participant.origin, st, b)
		}
	})
	t.Run("control, ANSI and bidi-override characters are not stored", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		post(d.participant, d.id, "incident", "ok\x00 \x1b[31mred\x1b[0m \u202egnp.exe\u202c\ttab\nline\u2066x\u2069\u0085")
		evs, _ := e.store.Events(t.Context(), d.id, 0, 0)
		last := string(evs[len(evs)-1].Payload)
		for _, bad := range []string{`\u0000`, `\u001b`, "\u202e", "\u202c", "\u2066", "\u2069", `\u0085`, "\u0085"} {
			if strings.Contains(last, bad) {
				t.Fatalf("the stored message holds %q: %s", bad, last)
			}
		}
		if !strings.Contains(last, `ok [31mred[0m gnp.exe\ttab\nlinex`) {
			t.Fatalf("the stored message %s lost its visible text", last)
		}
	})
	t.Run("a browser leaving during the replay is not an error", func(t *testing.T) {
		var logs controltest.SyncBuffer
		e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		d := e.newDrill(true)
		ctx := context.Background()
		long := strings.Repeat("x", 2000)
		for i := 0; i < 1500; i++ {
			if _, err := e.engine.AppendEvent(ctx, d.id, control.EventRoleClaim, d.people["Kim"], wire.RoleClaim{PersonID: d.people["Kim"], Role: long}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 3; i++ {
			conn, _, err := d.observer.dialWS(d.id, 0)
			if err != nil {
				t.Fatal(err)
			}
			conn.Close()
		}
		// Let the replays run into the closed sockets, then stop the room.
		time.Sleep(500 * time.Millisecond)
		e.http.CloseClientConnections()
		e.server.Close()
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("a browser that left logged an error:\n%s", logs.String())
		}
	})
}

// TestParticipantsCannotTellScriptedFromLive: a persona message the
// scenario scripted (a hint here) reaches participants exactly as the
// facilitator's live persona message does: no source naming the hint.
func TestParticipantsCannotTellScriptedFromLive(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	live := d.participant.ws(d.id, 0)
	live.untilReady()
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/hints/next", nil, nil)
	d.admin.must(201, "POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "Any update?", Persona: "cs"}, nil)
	keys := func(evs []wire.Event) []string {
		var out []string
		for _, ev := range evs {
			if ev.Type != control.EventChatMessage {
				continue
			}
			var m map[string]any
			_ = json.Unmarshal(ev.Payload, &m)
			if m["authorKind"] != "persona" {
				continue
			}
			var ks []string
			for k := range m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			out = append(out, strings.Join(ks, ","))
			if src, _ := m["source"].(string); src != "" && !strings.HasPrefix(src, "alert:") || strings.Contains(string(ev.Payload), "hint:") {
				t.Errorf("a participant's persona message carries its source: %s", ev.Payload)
			}
		}
		return out
	}
	var got []wire.Event
	for len(keys(got)) < 2 {
		f, err := live.next()
		if err != nil {
			t.Fatalf("live stream: %v", err)
		}
		got = append(got, f.Event)
	}
	if ks := keys(got); ks[0] != ks[1] {
		t.Errorf("the scripted and the live persona message differ in shape: %q vs %q", ks[0], ks[1])
	}
	keys(d.participant.ws(d.id, 0).untilReady())
	staff := d.admin.ws(d.id, 0).untilReady()
	if !strings.Contains(fmt.Sprint(staffPayloads(staff)), `"source":"hint:`) {
		t.Error("the facilitator's stream lost the hint's source")
	}
}

func staffPayloads(evs []wire.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, string(ev.Payload))
	}
	return out
}
