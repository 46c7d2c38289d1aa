package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// The retro routes join the authorization matrix. Its drills are running,
// so the retro answers "not open yet" (409) to everyone it lets through:
// that proves the guard let them through; retroEnv below tests what they do.
func init() {
	conflict := []int{http.StatusConflict}
	exportOK := []int{http.StatusOK, http.StatusConflict} // the facilitator may export early
	routeCases["GET /api/drills/{id}/retro"] = routeCase{ok: conflict}
	routeCases["PUT /api/drills/{id}/retro/answers"] = routeCase{body: func(string) any { return map[string]any{} }, ok: conflict}
	routeCases["POST /api/drills/{id}/retro/submit"] = routeCase{body: func(string) any { return map[string]any{"before": 2, "after": 3} }, ok: conflict}
	routeCases["POST /api/drills/{id}/retro/questions"] = routeCase{body: func(string) any { return map[string]string{"text": "why?"} }, ok: conflict}
	routeCases["POST /api/drills/{id}/retro/questions/{qid}/answered"] = routeCase{ok: conflict}
	routeCases["POST /api/drills/{id}/retro/actions"] = routeCase{body: func(string) any { return map[string]string{"title": "Alert", "kind": "alert"} }, ok: conflict}
	routeCases["POST /api/drills/{id}/retro/actions/{aid}/accept"] = routeCase{ok: conflict}
	routeCases["POST /api/drills/{id}/retro/actions/{aid}/reject"] = routeCase{ok: conflict}
	routeCases["POST /api/drills/{id}/retro/next"] = routeCase{ok: conflict}
	routeCases["POST /api/drills/{id}/retro/close"] = routeCase{ok: conflict}
	for _, p := range []string{"record.md", "record.html", "record.csv", "record.github.json", "record.json", "charts/timeline.svg", "charts/ratings.svg"} {
		routeCases["GET /api/drills/{id}/"+p] = routeCase{ok: exportOK}
	}
	routeCases["GET /api/history"] = routeCase{}
	// The pages refuse by themselves (see memberPage); TestRetroPages checks
	// who gets what.
	for _, p := range []string{"GET /room/{id}/retro", "GET /room/{id}/record", "GET /history"} {
		routeCases[p] = routeCase{ok: []int{http.StatusOK, http.StatusSeeOther, http.StatusForbidden}}
	}
	// The record of a running drill is still secret to its members.
	routeCases["GET /room/{id}/record"] = routeCase{ok: []int{http.StatusOK, http.StatusSeeOther, http.StatusForbidden, http.StatusConflict}}
}

// endDrill ends the drill and waits for the engine to open its retro.
func endDrill(t *testing.T, e *env, d *drill) {
	t.Helper()
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/end", map[string]string{"why": "time for the retro"}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		dr, err := e.engine.Drill(t.Context(), d.id)
		if err != nil {
			t.Fatal(err)
		}
		if dr.State == "retro" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("drill %s is %s 10 s after its end, expected its retro to open", d.id, dr.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRetroAPI(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	path := "/api/drills/" + d.id + "/retro"

	st, b := d.participant.do("GET", path, nil)
	if st != http.StatusConflict || !strings.Contains(string(b), "opens when the drill ends") {
		t.Fatalf("retro of a running drill: %d %s", st, b)
	}
	endDrill(t, e, d)

	var v wire.RetroView
	d.participant.must(200, "GET", path, nil, &v)
	if !v.Open || v.Form.Blameless == "" || v.Scenario.Solution == "" || len(v.Timeline) == 0 || v.Aggregate != nil {
		t.Fatalf("retro view for a participant: open %v, solution %q, %d timeline entries, aggregate %v", v.Open, v.Scenario.Solution, len(v.Timeline), v.Aggregate)
	}

	t.Run("a draft is kept as typed", func(t *testing.T) {
		d.participant.must(200, "PUT", path+"/answers", map[string]any{"wentWell": "We found it fast", "anonymous": true}, nil)
		d.participant.must(200, "GET", path, nil, &v)
		if v.Form.Answers.WentWell != "We found it fast" || v.Form.Submitted || !v.Form.Answers.Anonymous {
			t.Fatalf("form after a draft: %+v", v.Form)
		}
	})
	t.Run("the first save's anonymity is kept", func(t *testing.T) {
		st, b := d.participant.do("PUT", path+"/answers", map[string]any{"wentWell": "We found it fast"})
		if st != http.StatusConflict || !strings.Contains(string(b), "first saved anonymously") {
			t.Fatalf("switching to named after an anonymous draft: %d %s", st, b)
		}
	})
	t.Run("submitting without the ratings names them", func(t *testing.T) {
		st, b := d.participant.do("POST", path+"/submit", map[string]any{"wentWell": "x", "anonymous": true})
		if st != 400 || !strings.Contains(string(b), "before: the self-rating is required") {
			t.Fatalf("%d %s", st, b)
		}
	})
	t.Run("after submitting the person sees the aggregate", func(t *testing.T) {
		d.participant.must(200, "POST", path+"/submit", map[string]any{"wentWell": "We found it fast", "lacking": "No runbook", "before": 2, "after": 4, "anonymous": true}, nil)
		d.participant.must(200, "GET", path, nil, &v)
		// Kim's ratings are anonymous: they join the aggregate when the
		// close publishes them, so that it never moves with one person.
		if !v.Form.Submitted || v.Aggregate == nil || v.Aggregate.Count != 0 || v.Submitted != 1 || v.AnonymousSubmitted != 0 {
			t.Fatalf("after submit: form %+v aggregate %+v", v.Form, v.Aggregate)
		}
		for _, o := range v.Order {
			if o.Submitted {
				t.Fatalf("a participant sees who submitted: %+v", o)
			}
		}
	})
	t.Run("the facilitator sees who submitted, in presentation order", func(t *testing.T) {
		var fv wire.RetroView
		d.admin.must(200, "GET", path, nil, &fv)
		if len(fv.Order) == 0 || fv.Order[0].Name != "Kim" || !fv.Order[0].Submitted || fv.Order[len(fv.Order)-1].Role != "facilitator" {
			t.Fatalf("order %+v", fv.Order)
		}
		if fv.AnonymousSubmitted != 1 {
			t.Fatalf("the facilitator is told %d anonymous answers, want 1", fv.AnonymousSubmitted)
		}
		if fv.Exports["json"] == "" {
			t.Fatal("the facilitator has no JSON record link")
		}
	})
	t.Run("each role answers its own questions; only the facilitator reads the presenter's", func(t *testing.T) {
		var ov wire.RetroView
		d.observer.must(200, "GET", path, nil, &ov)
		if ov.Form.Role != "observer" || ov.Form.SelfRating || len(ov.Form.Questions) == 0 || ov.Form.Questions[0].ID != retro.QObserverStrengths {
			t.Fatalf("observer's form: role %s, selfRating %v, questions %+v", ov.Form.Role, ov.Form.SelfRating, ov.Form.Questions)
		}
		if v.Form.Role != "participant" || !v.Form.SelfRating {
			t.Fatalf("participant's form: role %s, selfRating %v", v.Form.Role, v.Form.SelfRating)
		}
		st, b := d.observer.do("PUT", path+"/answers", map[string]any{"before": 3, "after": 4})
		if st != 400 || !strings.Contains(string(b), "asked of participants only") {
			t.Fatalf("observer's self-rating: %d %s", st, b)
		}
		d.admin.must(200, "POST", path+"/next", nil, nil)
		var fv wire.RetroView
		d.admin.must(200, "GET", path, nil, &fv)
		// Kim presents first and submitted anonymously: the facilitator is
		// told so, and the answers are not shown under Kim's name.
		if p := fv.PresentingAnswers; p == nil || p.Name != "Kim" || !p.Answered || !p.Anonymous || p.Answers != nil {
			t.Fatalf("facilitator's view of the presenter: %+v", fv.PresentingAnswers)
		}
		for name, c := range map[string]*client{"participant": d.participant, "second participant": d.second, "observer": d.observer} {
			var pv wire.RetroView
			c.must(200, "GET", path, nil, &pv)
			if pv.PresentingAnswers != nil {
				t.Fatalf("the %s reads the presenter's answers: %+v", name, pv.PresentingAnswers)
			}
		}
	})
	var actionID string
	t.Run("anyone proposes an action, only the facilitator accepts", func(t *testing.T) {
		var res map[string]string
		d.observer.must(201, "POST", path+"/actions", map[string]string{"title": "Alert on DB_HOST drift", "kind": "alert", "owner": "Mina", "due": "2026-12-15"}, &res)
		actionID = res["id"]
		st, b := d.observer.do("POST", path+"/actions", map[string]string{"title": "x", "kind": "party"})
		if st != 400 || !strings.Contains(string(b), `kind \"party\" is not a kind`) {
			t.Fatalf("bad kind: %d %s", st, b)
		}
		if st, _ := d.participant.do("POST", path+"/actions/"+actionID+"/accept", nil); st != 403 {
			t.Fatalf("participant accepting: %d", st)
		}
		d.admin.must(200, "POST", path+"/actions/"+actionID+"/accept", nil, nil)
	})
	t.Run("the question queue", func(t *testing.T) {
		var res map[string]string
		d.second.must(201, "POST", path+"/questions", map[string]string{"text": "Why no alert?"}, &res)
		d.admin.must(200, "POST", path+"/questions/"+res["id"]+"/answered", nil, nil)
		d.second.must(200, "GET", path, nil, &v)
		if len(v.Questions) != 1 || !v.Questions[0].Answered || v.Questions[0].AuthorID != "Lee" {
			t.Fatalf("questions %+v", v.Questions)
		}
	})
	t.Run("exports carry the retro, blamelessly", func(t *testing.T) {
		st, b := d.participant.do("GET", "/api/drills/"+d.id+"/record.md", nil)
		if st != 200 || !strings.Contains(string(b), "Alert on DB_HOST drift") || strings.Contains(string(b), "We found it fast — Kim") {
			t.Fatalf("markdown %d:\n%.3000s", st, b)
		}
		if st, _ := d.participant.do("GET", "/api/drills/"+d.id+"/record.json", nil); st != 403 {
			t.Fatalf("a participant downloads the JSON record with the journal: %d", st)
		}
		st, b = d.admin.do("GET", "/api/drills/"+d.id+"/record.json", nil)
		if st != 200 {
			t.Fatalf("json %d", st)
		}
		rec, err := record.ReadJSON(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := record.Verify(rec); err != nil {
			t.Fatalf("the downloaded record does not verify: %v", err)
		}
	})
	t.Run("the printable page has its own script-free policy", func(t *testing.T) {
		res, err := d.participant.hc.Get(e.http.URL + "/room/" + d.id + "/record")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'") {
			t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
	})
	t.Run("history counts the drill", func(t *testing.T) {
		var h record.History
		d.admin.must(200, "GET", "/api/history", nil, &h)
		// Kim's anonymous ratings are published at the close (below).
		if len(h.Drills) != 1 || h.Ratings.Count != 0 || len(h.OpenActions) != 1 {
			t.Fatalf("history %+v", h)
		}
		if st, b := d.admin.do("GET", "/api/history?season=someday", nil); st != 400 || !strings.Contains(string(b), "like 2026H2") {
			t.Fatalf("bad season: %d %s", st, b)
		}
	})
	t.Run("closing the retro freezes the answers and closes the drill", func(t *testing.T) {
		d.admin.must(200, "POST", path+"/close", nil, nil)
		st, b := d.participant.do("PUT", path+"/answers", map[string]any{"wentWell": "late"})
		if st != 409 || !strings.Contains(string(b), "closed") {
			t.Fatalf("save after close: %d %s", st, b)
		}
		d.participant.must(200, "GET", path, nil, &v)
		if !v.Closed || v.State != "closed" {
			t.Fatalf("view after close: closed %v state %s", v.Closed, v.State)
		}
		var h record.History
		d.admin.must(200, "GET", "/api/history", nil, &h)
		// Kim's anonymous answer is published and counted, but one answer is
		// too few to average without giving it away (record.MinAnswers).
		if h.Ratings.Count != 1 || !h.RatingsHidden || h.Ratings.After != 0 {
			t.Fatalf("history after the close %+v hidden %v, want Kim's published answer counted and its ratings hidden", h.Ratings, h.RatingsHidden)
		}
	})
}

func TestRetroPages(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	other := e.newDrill(true)
	tests := []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"a member opens the retro page", d.participant, "/room/" + d.id + "/retro", 200},
		{"an anonymous visitor is sent to sign in", e.client(), "/room/" + d.id + "/retro", 303},
		{"a member of another drill gets the 403 page", other.participant, "/room/" + d.id + "/retro", 403},
		{"the facilitator opens the history", d.admin, "/history", 200},
		{"a participant gets the 403 page for the history", d.participant, "/history", 403},
		{"the record of a running drill stays closed to participants", d.participant, "/room/" + d.id + "/record", 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := tt.c.do("GET", tt.path, nil)
			if st != tt.status {
				t.Fatalf("%d %.300s, want %d", st, b, tt.status)
			}
			if st == 403 && !strings.Contains(string(b), "refused") {
				t.Fatalf("not the refusal page: %.300s", b)
			}
		})
	}
}

// The retro's events never reach participants' sockets: answers, drafts and
// who wrote them stay out of the room's stream (the retro page reads its
// own API, which leaves names off what others may not see).
func TestRetroEventsAreStaffOnly(t *testing.T) {
	for _, typ := range []string{retro.EventDraft, retro.EventSubmitted, retro.EventQuestion, retro.EventActionProposed, retro.EventClosed} {
		if got := ui.Visibility(control.Event{Type: typ}); got == ui.AudienceEveryone {
			t.Errorf("%s reaches participants' sockets", typ)
		}
	}
}

// A closed drill's stream pump stops: a long-running server does not keep a
// goroutine for every drill it ever served, and a browser that opens the
// closed drill later still gets its whole journal.
func TestClosedDrillsPumpStops(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	s := d.participant.ws(d.id, 0)
	s.untilReady()
	if n := e.server.Pumps(); n != 1 {
		t.Fatalf("%d pumps while the drill runs, want 1", n)
	}
	endDrill(t, e, d)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", map[string]any{"confirm": true}, nil)
	waitFor(t, "the pump stops after the drill is closed", func() bool { return e.server.Pumps() == 0 })
	later := d.admin.ws(d.id, 0)
	evs := later.untilReady()
	if len(evs) == 0 || evs[len(evs)-1].Type != control.EventDrillClosed {
		t.Fatalf("a browser opening the closed drill replays %d events, want the journal up to %s", len(evs), control.EventDrillClosed)
	}
}
