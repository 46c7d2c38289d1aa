package ui_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// anonPerson is a participant who answers anonymously, and what would tie
// an answer to them.
type anonPerson struct {
	c       *client
	id      string
	name    string
	token   string
	secrets []string // the texts they write
}

func (p *anonPerson) markers() []string { return []string{p.id, p.name, p.token} }

// saved is one response some role received.
type saved struct{ who, what, body string }

// TestRetroAnonymity_NothingLinks: two participants answer anonymously
// (drafts, a submission, an edit after it) next to a named designer. Every
// response every role receives — the retro API views, the records and
// exports in every format, the charts, the printable page, the history,
// the stream frames the facilitator and the observer receive, replayed and
// live, and the server's log — is kept before and after the close, and
// searched: an anonymous text never appears near its author's id, name or
// join token; before the close it appears nowhere but in its author's own
// form; the journal names no author of an anonymous save; the exported
// record still verifies.
func TestRetroAnonymity_NothingLinks(t *testing.T) {
	var logs controltest.SyncBuffer
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	d := e.newDrill(true)
	path := "/api/drills/" + d.id + "/retro"
	people := []*anonPerson{{name: "Sora Quill"}, {name: "Jun Vale"}}
	for _, p := range people {
		var l wire.JoinLink
		d.admin.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": p.name, "role": control.RoleParticipant}, &l)
		_, p.token, _ = strings.Cut(l.URL, "#")
		p.id, p.c = l.Person.ID, e.join(l.URL)
	}
	sora, jun := people[0], people[1]
	// Sections sort differently per person, so that a row of the record
	// holding one person's texts together would show.
	sora.secrets = []string{"b-sora-went-well", "a-sora-lacking", "b-sora-better-edited", "sora-draft-only"}
	jun.secrets = []string{"a-jun-went-well", "b-jun-lacking", "a-jun-better"}

	facStream := d.admin.ws(d.id, 0)
	obsStream := d.observer.ws(d.id, 0)
	endDrill(t, e, d)

	sora.c.must(200, "PUT", path+"/answers", map[string]any{"wentWell": "sora-draft-only", "anonymous": true}, nil)
	sora.c.must(200, "POST", path+"/submit", map[string]any{"wentWell": "b-sora-went-well", "lacking": "a-sora-lacking", "better": "sora-better", "before": 1, "after": 5, "anonymous": true}, nil)
	jun.c.must(200, "PUT", path+"/answers", map[string]any{"wentWell": "a-jun-went-well", "anonymous": true}, nil)
	jun.c.must(200, "POST", path+"/submit", map[string]any{"wentWell": "a-jun-went-well", "lacking": "b-jun-lacking", "better": "a-jun-better", "before": 3, "after": 4, "anonymous": true}, nil)
	d.designer.must(200, "POST", path+"/submit", map[string]any{"wentWell": "mina-named-went-well", "lacking": "mina-named-lacking", "better": "mina-named-better"}, nil)

	t.Run("the author edits their anonymous answer and reads it back", func(t *testing.T) {
		sora.c.must(200, "PUT", path+"/answers", map[string]any{"wentWell": "b-sora-went-well", "lacking": "a-sora-lacking", "better": "b-sora-better-edited", "before": 1, "after": 5, "anonymous": true}, nil)
		var v wire.RetroView
		sora.c.must(200, "GET", path, nil, &v)
		if !v.Form.Submitted || !v.Form.Answers.Anonymous || v.Form.Answers.Better != "b-sora-better-edited" {
			t.Fatalf("Sora's own form %+v", v.Form)
		}
		if st, b := sora.c.do("PUT", path+"/answers", map[string]any{"wentWell": "now named"}); st != http.StatusConflict {
			t.Fatalf("Sora switching to named: %d %s", st, b)
		}
	})
	// The facilitator gives the floor to both anonymous participants.
	for range 4 {
		d.admin.must(200, "POST", path+"/next", nil, nil)
	}

	roles := map[string]*client{"facilitator": d.admin, "participant": d.participant, "observer": d.observer, "designer": d.designer, "sora": sora.c, "jun": jun.c}
	var got []saved
	collect := func(when string) {
		for who, c := range roles {
			for _, u := range []string{path, "/api/drills/" + d.id + "/record.md", "/api/drills/" + d.id + "/record.html", "/api/drills/" + d.id + "/record.csv",
				"/api/drills/" + d.id + "/record.github.json", "/api/drills/" + d.id + "/record.json", "/api/drills/" + d.id + "/charts/ratings.svg",
				"/api/drills/" + d.id + "/charts/timeline.svg", "/room/" + d.id + "/record", "/api/history", "/api/drills/" + d.id} {
				if _, b := c.do("GET", u, nil); len(b) > 0 {
					got = append(got, saved{who, when + " GET " + u, string(b)})
				}
			}
		}
		for name, c := range map[string]*client{"facilitator": d.admin, "observer": d.observer} {
			if conn, _, err := c.dialWS(d.id, 0); err == nil {
				s := &stream{t: t, conn: conn}
				for _, ev := range s.untilReady() {
					b, _ := json.Marshal(ev)
					got = append(got, saved{name, when + " replayed frame", string(b)})
				}
				conn.Close()
			}
		}
	}
	collect("open:")
	var fv wire.RetroView
	d.admin.must(200, "GET", path, nil, &fv)
	if fv.AnonymousSubmitted != 2 || fv.Submitted != 3 {
		t.Fatalf("the facilitator's counts: %d anonymous of %d submitted, want 2 of 3", fv.AnonymousSubmitted, fv.Submitted)
	}
	d.admin.must(200, "POST", path+"/close", nil, nil)
	collect("closed:")
	for name, s := range map[string]*stream{"facilitator": facStream, "observer": obsStream} {
		for {
			// The close ends the participants' streams; the staff's go
			// quiet.
			_ = s.conn.SetReadDeadline(time.Now().Add(time.Second))
			_, b, err := s.conn.ReadMessage()
			if err != nil {
				break
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			got = append(got, saved{name, "live frame", string(b)})
			if control.InNamespace(f.Event.Type, control.NamespaceRetro) && (f.Event.Actor != "" || len(f.Event.Payload) > 0) {
				t.Fatalf("the %s's stream carries a retro event's actor or payload: %s", name, b)
			}
		}
	}
	got = append(got, saved{"server", "log", logs.String()})
	// The search covers real content: the published answers are in the
	// records, and both staff streams carried frames.
	seen := map[string]bool{}
	for _, r := range got {
		switch {
		case r.who == "facilitator" && strings.HasSuffix(r.what, "/record.md") && strings.HasPrefix(r.what, "closed:") && strings.Contains(r.body, "b-sora-went-well"):
			seen["published in the Markdown record"] = true
		case r.who == "observer" && r.what == "live frame":
			seen["observer's live frames"] = true
		case r.who == "facilitator" && r.what == "live frame":
			seen["facilitator's live frames"] = true
		case r.who == "observer" && strings.HasSuffix(r.what, "replayed frame"):
			seen["observer's replayed frames"] = true
		}
	}
	if len(seen) != 4 {
		t.Fatalf("the search covered only %v", seen)
	}

	for _, r := range got {
		for _, p := range people {
			own := r.who == strings.ToLower(strings.Fields(p.name)[0])
			for _, sec := range p.secrets {
				// The author reads their own answers; nobody else may
				// tell they are theirs.
				if !own && linked(r.body, sec, p.markers()) {
					t.Errorf("%s's %s ties %q to %s: %.600s", r.who, r.what, sec, p.name, around(r.body, sec))
				}
				if strings.HasPrefix(r.what, "open:") && !own && strings.Contains(r.body, sec) {
					t.Errorf("%s's %s shows %q before the close published it", r.who, r.what, sec)
				}
			}
		}
	}
	if strings.Contains(strings.Join(texts(got), "\n"), "sora-draft-only") {
		t.Error("a draft that was never submitted left the server")
	}

	_, b := d.admin.do("GET", "/api/drills/"+d.id+"/record.json", nil)
	rec, err := record.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := record.Verify(rec); err != nil {
		t.Fatalf("the exported record does not verify: %v", err)
	}
	for _, ev := range rec.Chain.Events {
		for _, p := range people {
			answers := ev.Type == retro.EventDraft || ev.Type == retro.EventSubmitted || ev.Type == retro.EventClosed
			if answers && (ev.Actor == p.id || strings.Contains(string(ev.Payload), p.id)) {
				t.Fatalf("journal event #%d %s names %s: actor %s payload %s", ev.Seq, ev.Type, p.name, ev.Actor, ev.Payload)
			}
		}
	}
	var anon []record.Answer
	for _, a := range rec.Retro.Answers {
		if a.Anonymous {
			anon = append(anon, a)
		}
	}
	if len(anon) != 2 || rec.Retro.Submitted != 3 || rec.Retro.Ratings.Count != 2 {
		t.Fatalf("record retro %+v, want the 2 published anonymous answers, 3 submitted, both participants' ratings", rec.Retro)
	}
	for _, a := range anon {
		if a.Name != "" || strings.Contains(a.WentWell, "sora") == strings.Contains(a.Lacking, "sora") {
			t.Fatalf("anonymous row %+v keeps one person's sections together", a)
		}
	}
}

// linked reports whether body holds secret within 400 bytes of a marker.
func linked(body, secret string, markers []string) bool {
	for i := 0; ; {
		j := strings.Index(body[i:], secret)
		if j < 0 {
			return false
		}
		at := i + j
		win := body[max(0, at-400):min(len(body), at+len(secret)+400)]
		for _, m := range markers {
			if m != "" && strings.Contains(win, m) {
				return true
			}
		}
		i = at + len(secret)
	}
}

func around(body, s string) string {
	at := strings.Index(body, s)
	return body[max(0, at-300):min(len(body), at+len(s)+300)]
}

func texts(rs []saved) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.body
	}
	return out
}
