package ui_test

import (
	"encoding/json"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

func TestNotices(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	path := "/api/drills/" + d.id + "/notices"

	t.Run("missing required field is named", func(t *testing.T) {
		n := incidentNotice()
		delete(n["fields"].(map[string]string), "impact")
		st, b := d.participant.do("POST", path, n)
		var er wire.ErrorResponse
		_ = json.Unmarshal(b, &er)
		if st != 400 || !slices.Equal(er.Fields, []string{"impact"}) || !strings.Contains(er.Message, "Impact scope") {
			t.Fatalf("status %d %s, want 400 naming the impact field by its label", st, b)
		}
	})
	t.Run("select value outside the options is refused", func(t *testing.T) {
		n := incidentNotice()
		n["fields"].(map[string]string)["grade"] = "SEV9"
		if st, b := d.participant.do("POST", path, n); st != 400 || !strings.Contains(string(b), "SEV1") {
			t.Fatalf("status %d %s, want 400 listing the grades", st, b)
		}
	})
	t.Run("unknown kind is refused", func(t *testing.T) {
		if st, b := d.participant.do("POST", path, map[string]any{"kind": "memo", "fields": map[string]string{}}); st != 400 {
			t.Fatalf("status %d %s, want 400", st, b)
		}
	})
	t.Run("complete notice is posted to the incident channel for everyone", func(t *testing.T) {
		d.participant.must(201, "POST", path, incidentNotice(), nil)
		var found bool
		for _, ev := range d.second.ws(d.id, 0).untilReady() {
			var p control.NoticePosted
			if ev.Type == control.EventNoticePosted && json.Unmarshal(ev.Payload, &p) == nil {
				found = p.Channel == "incident" && p.Fields["impact"] == "Customers cannot order." && p.AuthorID == d.people["Kim"]
			}
		}
		if !found {
			t.Fatal("the notice is not in the other participant's stream")
		}
	})
}

func TestRoomProjection(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	base := "/api/drills/" + d.id
	d.participant.must(201, "POST", base+"/claims", map[string]any{"role": "incident-commander"}, nil)
	d.second.must(201, "POST", base+"/claims", map[string]any{"role": "propagation"}, nil)
	d.second.must(201, "POST", base+"/claims", map[string]any{"role": "propagation", "release": true}, nil)
	d.observer.must(201, "POST", base+"/notes", map[string]string{"tag": "strength", "text": "notice in 2 minutes"}, nil)
	d.designer.must(201, "POST", base+"/notes", map[string]string{"tag": "weakness", "text": "no status update"}, nil)

	t.Run("participant sees claims but not the scenario", func(t *testing.T) {
		var v wire.DrillView
		d.participant.must(200, "GET", base, nil, &v)
		claims := map[string][]string{}
		for _, p := range v.People {
			claims[p.Name] = p.Claims
		}
		if !slices.Equal(claims["Kim"], []string{"incident-commander"}) || len(claims["Lee"]) != 0 {
			t.Fatalf("claims %v, want Kim commander and Lee nothing (released)", claims)
		}
		if v.Staff != nil || len(v.HintMarksMS) != 0 {
			t.Fatal("participant view carries the staff view or the hint times")
		}
		for _, c := range v.Channels {
			if c.Backroom {
				t.Fatal("participant view lists the back room")
			}
		}
		raw, _ := json.Marshal(v)
		for _, secret := range []string{"Restore DB_HOST", "db-config", "Compare the config", "notice in 2 minutes"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("participant view leaks %q", secret)
			}
		}
	})
	t.Run("observer sees notes, solution and read-only channels", func(t *testing.T) {
		var v wire.DrillView
		d.observer.must(200, "GET", base, nil, &v)
		raw, _ := json.Marshal(v.Staff)
		if v.Staff == nil || !strings.Contains(string(raw), "notice in 2 minutes") || !strings.Contains(v.Staff.Solution, "Restore DB_HOST") {
			t.Fatalf("observer staff view %s lacks notes or solution", raw)
		}
		for _, c := range v.Channels {
			if !c.Backroom && !c.ReadOnly {
				t.Fatalf("channel %s is writable for the observer", c.ID)
			}
		}
	})
	t.Run("facilitator gets quick replies and the briefing", func(t *testing.T) {
		var v wire.DrillView
		d.admin.must(200, "GET", base, nil, &v)
		if v.Staff == nil || !strings.Contains(v.Staff.Briefing, "not an evaluation") || len(v.Personas[0].QuickReplies) == 0 {
			t.Fatal("facilitator view lacks the briefing or quick replies")
		}
		if len(v.HintMarksMS) != 2 || v.HintMarksMS[0] != 70*60*1000 {
			t.Fatalf("hint marks %v, want 70m and 75m", v.HintMarksMS)
		}
	})
}

func TestLoginAndJoin(t *testing.T) {
	e := newEnv(t)
	t.Run("wrong admin token is refused", func(t *testing.T) {
		if st, _ := e.client().do("POST", "/api/login", map[string]string{"secret": "nope"}); st != 401 {
			t.Fatalf("status %d, want 401", st)
		}
	})
	t.Run("session cookie is HttpOnly and SameSite=Strict", func(t *testing.T) {
		c := e.client()
		req := strings.NewReader(`{"secret":"` + adminToken + `"}`)
		res, err := c.hc.Post(e.http.URL+"/api/login", "application/json", req)
		if err == nil {
			res.Body.Close()
		}
		// net/http's client sends no Origin: the login is refused.
		if res.StatusCode != 403 {
			t.Fatalf("login without Origin: %d, want 403", res.StatusCode)
		}
		st, _ := c.do("POST", "/api/login", map[string]string{"secret": adminToken})
		if st != 200 {
			t.Fatalf("login: %d", st)
		}
	})
	t.Run("a new link replaces the old one", func(t *testing.T) {
		d := e.newDrill(false)
		var l1, l2 wire.JoinLink
		d.admin.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "Yoon", "role": "participant"}, &l1)
		d.admin.must(200, "POST", "/api/drills/"+d.id+"/people/"+l1.Person.ID+"/link", nil, &l2)
		_, tok, _ := strings.Cut(l1.URL, "#")
		if st, _ := e.client().do("POST", "/api/join", map[string]string{"token": tok}); st != 401 {
			t.Fatalf("old link: %d, want 401", st)
		}
		c := e.join(l2.URL)
		var s wire.SessionView
		c.must(200, "GET", "/api/session", nil, &s)
		if s.DrillID != d.id || s.Role != control.RoleParticipant || s.Name != "Yoon" {
			t.Fatalf("session %+v, want Yoon, participant of %s", s, d.id)
		}
	})
	t.Run("guessing the admin credential backs off the guesser's address", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		for i := 0; i < 6; i++ {
			if st, _ := c.do("POST", "/api/login", map[string]string{"secret": "guess"}); st != 401 {
				t.Fatalf("guess %d: %d, want 401", i, st)
			}
		}
		if st, b := c.do("POST", "/api/login", map[string]string{"secret": adminToken}); st != 401 || !strings.Contains(string(b), "try again in") {
			t.Fatalf("right token from the guessing address during its backoff: %d %s, want 401 until the backoff ends", st, b)
		}
	})
	t.Run("the facilitator role cannot be handed out by link", func(t *testing.T) {
		d := e.newDrill(false)
		if st, b := d.admin.do("POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "X", "role": "facilitator"}); st != 400 {
			t.Fatalf("status %d %s, want 400", st, b)
		}
	})
}

func TestSessionsSurviveRestart(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	// A second server over the same engine and databases stands for the
	// restarted process.
	srv, err := ui.NewServer(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	for name, c := range map[string]*client{"participant": d.participant, "facilitator": d.admin} {
		t.Run(name+" is still signed in", func(t *testing.T) {
			c2 := *c
			c2.base, c2.origin = hs.URL, hs.URL
			var s wire.SessionView
			c2.must(200, "GET", "/api/session", nil, &s)
			if !s.SignedIn || s.CSRF != c.csrf {
				t.Fatalf("session after restart %+v", s)
			}
			c2.must(201, "POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "still here"}, nil)
		})
	}
	t.Run("a signed-out session stays out", func(t *testing.T) {
		c := *d.second
		c.must(200, "POST", "/api/logout", nil, nil)
		c.base, c.origin = hs.URL, hs.URL
		var s wire.SessionView
		c.must(200, "GET", "/api/session", nil, &s)
		if s.SignedIn {
			t.Fatal("logged-out session came back after the restart")
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/login", "/join", "/static/room.js", "/api/session"} {
		t.Run(p+" carries the headers", func(t *testing.T) {
			res, err := e.client().hc.Get(e.http.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Fatalf("CSP %q must allow only same-origin scripts", csp)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := res.Header.Get(h); got != want {
					t.Fatalf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

// TestPagesHaveNoInlineCode guards the CSP: no inline script, no inline
// event handler, no style attribute, nothing from another host, and no
// innerHTML in the scripts.
func TestPagesHaveNoInlineCode(t *testing.T) {
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	handler := regexp.MustCompile(`\son[a-z]+\s*=`)
	remote := regexp.MustCompile(`(?:src|href)="(?:https?:)?//`)
	err := filepath.WalkDir("web", func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := string(b)
		switch filepath.Ext(path) {
		case ".html":
			if inlineScript.MatchString(s) || handler.MatchString(s) || strings.Contains(s, "style=") || remote.MatchString(s) {
				t.Errorf("%s has inline code, a style attribute or a remote resource", path)
			}
		case ".js":
			if strings.Contains(s, "innerHTML") || strings.Contains(s, "insertAdjacentHTML") || strings.Contains(s, "eval(") {
				t.Errorf("%s parses strings as markup or code", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The facilitator can rehearse a drill on a faster clock than the server's.
func TestCreateDrillTimeScale(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	t.Run("a rehearsal scale is stored with the drill", func(t *testing.T) {
		var sum control.DrillSummary
		a.must(201, "POST", "/api/drills", map[string]any{"scenario": "room-test", "timeScale": 60}, &sum)
		var view struct {
			TimeScale float64 `json:"timeScale"`
		}
		a.must(200, "GET", "/api/drills/"+sum.ID, nil, &view)
		if view.TimeScale != 60 {
			t.Fatalf("time scale %v, want 60", view.TimeScale)
		}
	})
	t.Run("an absent scale takes the server's", func(t *testing.T) {
		var sum control.DrillSummary
		a.must(201, "POST", "/api/drills", map[string]any{"scenario": "room-test"}, &sum)
		var view struct {
			TimeScale float64 `json:"timeScale"`
		}
		a.must(200, "GET", "/api/drills/"+sum.ID, nil, &view)
		if view.TimeScale != 1 {
			t.Fatalf("time scale %v, want the server's 1", view.TimeScale)
		}
	})
	t.Run("an out-of-range scale is refused with the field named", func(t *testing.T) {
		st, body := a.do("POST", "/api/drills", map[string]any{"scenario": "room-test", "timeScale": 100000})
		if st != 400 || !strings.Contains(string(body), "timeScale") {
			t.Fatalf("status %d %s, want 400 naming timeScale", st, body)
		}
	})
}
