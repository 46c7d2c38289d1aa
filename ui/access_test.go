package ui_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// linkOf issues a new join link for a person of the drill.
func linkOf(d *drill, name string) string {
	var l wire.JoinLink
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+d.people[name]+"/link", nil, &l)
	return l.URL
}

// assertEnded checks that a browser's session has ended: its reads and
// writes are refused as signed out, and its open stream was closed with
// CloseAccessEnded.
func assertEnded(t *testing.T, c *client, d *drill, ws *stream, who string) {
	t.Helper()
	if st, b := c.do("GET", "/api/drills/"+d.id, nil); st != 401 {
		t.Errorf("%s reads the drill after their access ended: %d %s, want 401", who, st, b)
	}
	if st, b := c.do("POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "still here"}); st != 401 {
		t.Errorf("%s posts after their access ended: %d %s, want 401", who, st, b)
	}
	if ws == nil {
		return
	}
	for {
		_, err := ws.next()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, wire.CloseAccessEnded) {
			t.Errorf("%s's open stream ended with %v, want close code %d", who, err, wire.CloseAccessEnded)
		}
		return
	}
}

// assertLinkRefused checks that a join link no longer joins.
func assertLinkRefused(t *testing.T, e *env, link, what string) {
	t.Helper()
	_, tok, _ := strings.Cut(link, "#")
	if st, b := e.client().do("POST", "/api/join", map[string]string{"token": tok}); st != 401 {
		t.Errorf("%s still joins: %d %s, want 401", what, st, b)
	}
}

func TestAccessEnds(t *testing.T) {
	t.Run("a rotated link ends the sessions made from the old one", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		old := linkOf(d, "Kim")
		kim := e.join(old)
		ws := kim.ws(d.id, 0)
		ws.untilReady()
		fresh := linkOf(d, "Kim")
		assertEnded(t, kim, d, ws, "Kim's old session")
		assertEnded(t, d.participant, d, nil, "Kim's first session")
		assertLinkRefused(t, e, old, "the replaced link")
		again := e.join(fresh)
		again.must(200, "GET", "/api/drills/"+d.id, nil, nil)
		post(again, d.id, "incident", "back with the new link")
	})
	t.Run("ending a person's sessions signs them out and revokes their link", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		link := linkOf(d, "Park")
		park := e.join(link)
		ws := park.ws(d.id, 0)
		ws.untilReady()
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+d.people["Park"]+"/sessions/end", nil, nil)
		assertEnded(t, park, d, ws, "Park")
		assertLinkRefused(t, e, link, "Park's link")
		// Others keep their access; Park gets back in with a new link.
		post(d.participant, d.id, "incident", "still here")
		e.join(linkOf(d, "Park")).must(200, "GET", "/api/drills/"+d.id, nil, nil)
	})
	t.Run("a removed person loses access for good and the journal says who removed them", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		link := linkOf(d, "Lee")
		lee := e.join(link)
		ws := lee.ws(d.id, 0)
		ws.untilReady()
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+d.people["Lee"]+"/remove", map[string]string{"why": "joined the wrong drill"}, nil)
		assertEnded(t, lee, d, ws, "Lee")
		assertLinkRefused(t, e, link, "Lee's link")
		if st, b := d.admin.do("POST", "/api/drills/"+d.id+"/people/"+d.people["Lee"]+"/link", nil); st != 409 {
			t.Errorf("a new link for the removed person: %d %s, want 409", st, b)
		}
		dr, err := e.engine.Drill(t.Context(), d.id)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := dr.Person(d.people["Lee"]); !ok || !p.Removed {
			t.Errorf("Lee in the drill: %+v, want marked removed", p)
		}
		evs, _ := e.store.Events(t.Context(), d.id, 0, 0)
		last := evs[len(evs)-1]
		if last.Type != control.EventPersonRemoved || last.Actor != ui.ActorFacilitator || !strings.Contains(string(last.Payload), "wrong drill") {
			t.Errorf("the journal ends with %s by %s %s, want person.removed by the facilitator with the reason", last.Type, last.Actor, last.Payload)
		}
	})
	t.Run("closing the retro ends every join link and stream, leaving the retro readable", func(t *testing.T) {
		e := newEnv(t)
		d := e.newDrill(true)
		links := map[string]string{}
		for _, name := range []string{"Kim", "Park", "Mina"} {
			links[name] = linkOf(d, name)
		}
		kim, park, mina := e.join(links["Kim"]), e.join(links["Park"]), e.join(links["Mina"])
		ws := kim.ws(d.id, 0)
		ws.untilReady()
		endDrill(t, e, d)
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", map[string]any{"confirm": true}, nil)
		for {
			if _, err := ws.next(); err != nil {
				if !websocket.IsCloseError(err, wire.CloseAccessEnded) {
					t.Errorf("Kim's open stream ended with %v, want close code %d", err, wire.CloseAccessEnded)
				}
				break
			}
		}
		for who, c := range map[string]*client{"participant Kim": kim, "observer Park": park, "designer Mina": mina} {
			for _, path := range []string{"/api/drills/" + d.id, "/api/drills/" + d.id + "/record.md"} {
				if st, b := c.do("GET", path, nil); st != 403 {
					t.Errorf("%s: GET %s after the close: %d %s, want 403", who, path, st, b)
				}
			}
			// The room page sends them to the retro they keep.
			if st, b := c.do("GET", "/room/"+d.id, nil); st != 303 || !strings.Contains(string(b), "/room/"+d.id+"/retro") {
				t.Errorf("%s: GET /room/%s after the close: %d %s, want 303 to the retro", who, d.id, st, b)
			}
			if _, res, err := c.dialWS(d.id, 0); err == nil || res == nil || res.StatusCode != 403 {
				t.Errorf("%s opens a stream of the closed drill: %v", who, err)
			}
			c.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, nil)
		}
		for name, l := range links {
			assertLinkRefused(t, e, l, name+"'s link after the close")
		}
		d.admin.must(200, "GET", "/api/drills/"+d.id+"/record.md", nil, nil)
	})
}
