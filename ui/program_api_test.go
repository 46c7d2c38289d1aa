package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/program/webhook"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// hookReceiver is the local HTTP receiver of the notice webhook: it answers
// with status (200 unless set) and keeps what it was sent.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	got    []webhook.Message
}

func newHookReceiver(t testing.TB) *hookReceiver {
	h := &hookReceiver{status: http.StatusOK}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m webhook.Message
		_ = json.NewDecoder(r.Body).Decode(&m)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got = append(h.got, m)
		w.WriteHeader(h.status)
		if h.status >= 400 {
			fmt.Fprint(w, "channel_is_archived")
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) URL() string { return h.srv.URL + "/services/T0/B0/secret" }

func (h *hookReceiver) answer(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

func (h *hookReceiver) messages() []webhook.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]webhook.Message{}, h.got...)
}

// testSeason is the season the program tests plan in.
const testSeason = "2027H1"

// season makes sure the test season exists and returns it.
func (e *env) season() string {
	e.t.Helper()
	a := e.admin()
	var list struct{ Seasons []string }
	a.must(200, "GET", "/api/program/seasons", nil, &list)
	if slices.Contains(list.Seasons, testSeason) {
		return testSeason
	}
	a.must(201, "POST", "/api/program/seasons", wire.CreateSeasonRequest{Season: testSeason, Owner: "Priya", ProcessURL: "https://wiki.example.com/ir"}, nil)
	return testSeason
}

// team adds a fresh team to the test season and brings its drill to
// status (applied, planned or scheduled); it returns the team's name.
func (e *env) team(status program.Status) string {
	e.t.Helper()
	season := e.season()
	name := fmt.Sprintf("Team %d", e.seasons.Add(1))
	a := e.admin()
	if status == program.StatusApplied {
		e.client().must(201, "POST", "/api/program/apply", program.Application{Season: season, Team: name, Contact: "Olu"}, nil)
		return name
	}
	a.must(200, "POST", "/api/program/seasons/"+season+"/teams", program.TeamInput{Name: name, TargetMonth: "2027-02", Facilitator: "Fiona", Designer: "Dmitri", Scenario: "room-test"}, nil)
	if status == program.StatusScheduled {
		a.must(200, "POST", teamURL(name)+"/schedule", wire.ScheduleRequest{At: future().Format(time.RFC3339)}, nil)
	}
	return name
}

func teamURL(name string) string {
	return "/api/program/seasons/" + testSeason + "/teams/" + url.PathEscape(name)
}

// future is a time the tests schedule drills at: far enough ahead that no
// drill reaches its briefing during a test.
func future() time.Time { return time.Now().Add(72 * time.Hour).Truncate(time.Minute) }

// The program's routes join the authorization matrix: each role gets a
// fresh team in the state the route needs, so the facilitator's call works
// and everyone else's is refused.
func init() {
	teamIn := func(st program.Status) func(e *env) map[string]string {
		return func(e *env) map[string]string { return map[string]string{"season": e.season(), "team": e.team(st)} }
	}
	seasonOnly := func(e *env) map[string]string { return map[string]string{"season": e.season()} }
	var n struct {
		sync.Mutex
		i int
	}
	next := func() int { n.Lock(); defer n.Unlock(); n.i++; return n.i }
	routeCases["GET /api/program/seasons"] = routeCase{}
	routeCases["POST /api/program/seasons"] = routeCase{body: func(string) any {
		return wire.CreateSeasonRequest{Season: fmt.Sprintf("%dH2", 2100+next()), Owner: "Priya", ProcessURL: "https://wiki.example.com/ir"}
	}}
	routeCases["GET /api/program/seasons/{season}"] = routeCase{vars: seasonOnly}
	routeCases["POST /api/program/seasons/{season}/teams"] = routeCase{vars: seasonOnly, body: func(string) any {
		return program.TeamInput{Name: fmt.Sprintf("Matrix team %d", next()), TargetMonth: "2027-03"}
	}}
	routeCases["PUT /api/program/seasons/{season}/teams/{team}"] = routeCase{vars: teamIn(program.StatusPlanned), body: func(string) any {
		return program.TeamInput{TargetMonth: "2027-04", Scenario: "room-test"}
	}}
	routeCases["POST /api/program/seasons/{season}/teams/{team}/accept"] = routeCase{vars: teamIn(program.StatusApplied)}
	routeCases["POST /api/program/seasons/{season}/teams/{team}/schedule"] = routeCase{vars: teamIn(program.StatusPlanned), body: func(string) any {
		return wire.ScheduleRequest{At: future().Format(time.RFC3339)}
	}}
	routeCases["POST /api/program/seasons/{season}/teams/{team}/reschedule"] = routeCase{vars: teamIn(program.StatusScheduled), body: func(string) any {
		return wire.ScheduleRequest{At: future().Add(24 * time.Hour).Format(time.RFC3339), Reason: "the team is on call"}
	}}
	routeCases["POST /api/program/seasons/{season}/teams/{team}/cancel"] = routeCase{vars: teamIn(program.StatusScheduled), body: func(string) any {
		return wire.CancelRequest{Reason: "the beta cluster is being upgraded"}
	}}
	routeCases["GET /api/program/seasons/{season}/teams/{team}/notice"] = routeCase{vars: teamIn(program.StatusScheduled)}
	routeCases["GET /api/program/seasons/{season}/teams/{team}/notice.ics"] = routeCase{vars: teamIn(program.StatusScheduled)}
	routeCases["POST /api/program/seasons/{season}/teams/{team}/notice/post"] = routeCase{vars: teamIn(program.StatusScheduled)}
	routeCases["GET /api/program/report"] = routeCase{}
	routeCases["GET /api/program/apply"] = routeCase{}
	routeCases["POST /api/program/apply"] = routeCase{vars: seasonOnly, body: func(string) any {
		return program.Application{Season: testSeason, Team: fmt.Sprintf("Applicant %d", next()), Contact: "Olu"}
	}, ok: []int{http.StatusCreated}}
	// The program page refuses by itself (see adminPage); TestProgramPage
	// checks who gets what.
	routeCases["GET /program"] = routeCase{ok: []int{http.StatusOK, http.StatusSeeOther, http.StatusForbidden}}
	routeCases["GET /program/apply"] = routeCase{}
}

func TestProgramPage(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(false)
	tests := []struct {
		name string
		c    *client
		want int
	}{
		{"the facilitator gets the program page", d.admin, http.StatusOK},
		{"a participant gets the 403 page", d.participant, http.StatusForbidden},
		{"an observer gets the 403 page", d.observer, http.StatusForbidden},
		{"a designer gets the 403 page", d.designer, http.StatusForbidden},
		{"an anonymous visitor is sent to sign in", e.client(), http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := tt.c.do("GET", "/program", nil)
			if st != tt.want {
				t.Fatalf("status %d, want %d", st, tt.want)
			}
			if st == http.StatusOK && !strings.Contains(string(b), "Drill program") {
				t.Fatalf("page %s is not the program page", b)
			}
		})
	}
	t.Run("anyone gets the application form", func(t *testing.T) {
		if st, b := e.client().do("GET", "/program/apply", nil); st != http.StatusOK || !strings.Contains(string(b), "Apply for an incident drill") {
			t.Fatalf("status %d %s", st, b)
		}
	})
}

// seasonView reads the test season as the program page does.
func (e *env) seasonView() wire.SeasonView {
	e.t.Helper()
	var v wire.SeasonView
	e.admin().must(200, "GET", "/api/program/seasons/"+testSeason, nil, &v)
	return v
}

func findTeam(t *testing.T, v wire.SeasonView, name string) program.Team {
	t.Helper()
	for _, tm := range v.Teams {
		if tm.Name == name {
			return tm
		}
	}
	t.Fatalf("season has no team %s", name)
	return program.Team{}
}

func TestProgramAPI(t *testing.T) {
	e := newEnv(t)
	a := e.admin()

	t.Run("a team applies anonymously, without learning anything of the plan", func(t *testing.T) {
		e.season()
		var got map[string]string
		e.client().must(201, "POST", "/api/program/apply", program.Application{Season: testSeason, Team: "Search", Contact: "Olu", TargetMonth: "2027-03"}, &got)
		if len(got) != 3 || got["status"] != "applied" {
			t.Fatalf("answer %v, want the application's season, team and status only", got)
		}
		if tm := findTeam(t, e.seasonView(), "Search"); tm.Status != program.StatusApplied || tm.Contact != "Olu" {
			t.Fatalf("team %+v, want applied by Olu", tm)
		}
	})

	t.Run("a bad application gets a clear error", func(t *testing.T) {
		st, b := e.client().do("POST", "/api/program/apply", program.Application{Season: testSeason, Team: "Search 2", Contact: "Olu", TargetMonth: "2027-11"})
		if st != 400 || !strings.Contains(string(b), "not in season 2027H1") {
			t.Fatalf("%d %s, want 400 naming the month's season", st, b)
		}
	})

	name := e.team(program.StatusScheduled)
	tm := findTeam(t, e.seasonView(), name)
	d := &drill{id: tm.DrillID, admin: a, people: map[string]string{}}

	t.Run("participants see the day of a scheduled drill, staff the time", func(t *testing.T) {
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &l)
		p := e.join(l.URL)
		var pv, sv map[string]any
		p.must(200, "GET", "/api/drills/"+d.id, nil, &pv)
		a.must(200, "GET", "/api/drills/"+d.id, nil, &sv)
		day := tm.ScheduledAt.UTC().Format(time.DateOnly)
		if pv["state"] != "scheduled" || pv["scheduledDay"] != day || pv["scheduledAt"] != nil {
			t.Fatalf("participant's view: state %v, day %v, at %v; want scheduled on %s with no time", pv["state"], pv["scheduledDay"], pv["scheduledAt"], day)
		}
		if sv["scheduledAt"] == nil {
			t.Fatalf("facilitator's view has no scheduled time")
		}
	})

	t.Run("participants see the day in the plan's time zone, the day the notice names", func(t *testing.T) {
		const season = "2027H2"
		a.must(201, "POST", "/api/program/seasons", wire.CreateSeasonRequest{Season: season, Owner: "Priya", ProcessURL: "https://wiki.example.com/ir", TimeZone: "Asia/Seoul"}, nil)
		a.must(200, "POST", "/api/program/seasons/"+season+"/teams", program.TeamInput{Name: "Late", TargetMonth: "2027-08", Scenario: "room-test"}, nil)
		// 23:30 UTC on the 11th is 08:30 in Seoul on the 12th.
		a.must(200, "POST", "/api/program/seasons/"+season+"/teams/Late/schedule", wire.ScheduleRequest{At: "2027-08-11T23:30:00Z"}, nil)
		var sv wire.SeasonView
		a.must(200, "GET", "/api/program/seasons/"+season, nil, &sv)
		var late program.Team
		for _, tm := range sv.Teams {
			if tm.Name == "Late" {
				late = tm
			}
		}
		if late.DrillID == "" {
			t.Fatalf("team Late has no drill: %+v", sv.Teams)
		}
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+late.DrillID+"/people", map[string]any{"name": "Min", "role": control.RoleParticipant}, &l)
		var pv map[string]any
		e.join(l.URL).must(200, "GET", "/api/drills/"+late.DrillID, nil, &pv)
		if pv["scheduledDay"] != "2027-08-12" {
			t.Fatalf("participant's day %v, want 2027-08-12 (Seoul), not the UTC day", pv["scheduledDay"])
		}
	})

	t.Run("the notice is copyable text and an iCalendar download", func(t *testing.T) {
		var n program.Notice
		a.must(200, "GET", teamURL(name)+"/notice", nil, &n)
		if !strings.Contains(n.Text, "NOT an evaluation") || !strings.Contains(n.Text, "https://wiki.example.com/ir") {
			t.Fatalf("notice %q", n.Text)
		}
		res, err := a.hc.Get(e.http.URL + teamURL(name) + "/notice.ics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" || !strings.Contains(res.Header.Get("Content-Disposition"), ".ics") {
			t.Fatalf("content type %q, disposition %q", ct, res.Header.Get("Content-Disposition"))
		}
	})

	t.Run("the notice is posted to the webhook and journaled", func(t *testing.T) {
		a.must(200, "POST", teamURL(name)+"/notice/post", nil, nil)
		msgs := e.hook.messages()
		if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Text, "Incident drill for "+name) {
			t.Fatalf("webhook got %v", msgs)
		}
		v := e.seasonView()
		if last := v.Journal[len(v.Journal)-1]; last.Action != program.ActionNoticePosted || last.Team != name {
			t.Fatalf("last journal entry %+v, want the notice posted", last)
		}
	})

	t.Run("a webhook that refuses the notice is a clear error", func(t *testing.T) {
		e.hook.answer(http.StatusNotFound)
		defer e.hook.answer(http.StatusOK)
		st, b := a.do("POST", teamURL(name)+"/notice/post", nil)
		if st != 400 || !strings.Contains(string(b), "refused the notice with HTTP 404 Not Found: channel_is_archived") || strings.Contains(string(b), "secret") {
			t.Fatalf("%d %s, want 400 saying the webhook refused, without its secret path", st, b)
		}
	})

	t.Run("rescheduling needs a reason", func(t *testing.T) {
		st, b := a.do("POST", teamURL(name)+"/reschedule", wire.ScheduleRequest{At: future().Add(time.Hour).Format(time.RFC3339)})
		if st != 400 || !strings.Contains(string(b), "reason") {
			t.Fatalf("%d %s, want 400 asking for a reason", st, b)
		}
	})

	t.Run("a time that is not RFC 3339 is refused", func(t *testing.T) {
		st, b := a.do("POST", teamURL(name)+"/reschedule", wire.ScheduleRequest{At: "tomorrow", Reason: "x"})
		if st != 400 || !strings.Contains(string(b), "RFC 3339") {
			t.Fatalf("%d %s", st, b)
		}
	})

	t.Run("cancelling aborts the drill with the reason", func(t *testing.T) {
		a.must(200, "POST", teamURL(name)+"/cancel", wire.CancelRequest{Reason: "the beta cluster is being upgraded"}, nil)
		dr, err := e.engine.Drill(t.Context(), d.id)
		if err != nil {
			t.Fatal(err)
		}
		if dr.State != control.StateAborted || dr.Why != "cancelled: the beta cluster is being upgraded" {
			t.Fatalf("drill %s (%q), want aborted with the reason", dr.State, dr.Why)
		}
	})

	t.Run("the report comes as JSON, CSV and a printable page", func(t *testing.T) {
		var rep program.Report
		a.must(200, "GET", "/api/program/report?season="+testSeason, nil, &rep)
		var row *program.ReportRow
		for i := range rep.Rows {
			if rep.Rows[i].Team == name {
				row = &rep.Rows[i]
			}
		}
		if row == nil || row.Status != "cancelled" || row.CancelReason != "the beta cluster is being upgraded" || row.DrillID != d.id {
			t.Fatalf("row %+v, want %s cancelled with its reason", row, name)
		}
		for format, ct := range map[string]string{"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"} {
			res, err := a.hc.Get(e.http.URL + "/api/program/report?year=2027&format=" + format)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct {
				t.Fatalf("%s: %d %s", format, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
		if st, b := a.do("GET", "/api/program/report?format=pdf", nil); st != 400 || !strings.Contains(string(b), "html, csv or json") {
			t.Fatalf("%d %s", st, b)
		}
	})
}

func TestSurveyLink(t *testing.T) {
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
		c.SurveyURL = "https://forms.example.com/after-drill?drill={drill}&team={team}"
	})
	d := e.newDrill(true)
	endDrill(t, e, d)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", nil, nil)
	var v wire.RetroView
	d.participant.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, &v)
	want := "https://forms.example.com/after-drill?drill=" + d.id + "&team="
	if !strings.HasPrefix(v.SurveyURL, want) {
		t.Fatalf("survey %q, want %s…", v.SurveyURL, want)
	}
	recorded := false
	evs, err := e.store.Events(t.Context(), d.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		recorded = recorded || ev.Type == wire.EventSurvey && strings.Contains(string(ev.Payload), d.id)
	}
	if !recorded {
		t.Fatal("the survey link is not in the drill's journal")
	}
}

// TestProgramWriteLimits: the program's writes use the room's write
// buckets: the public application form one per client address, the
// facilitator's changes the facilitator's.
func TestProgramWriteLimits(t *testing.T) {
	const burst = 4
	e := newEnv(t, withWriteLimit(ui.RateLimit{Burst: burst, Every: time.Hour}))
	e.season()
	count := func(n int, do func(i int) (int, []byte), refusal string) int {
		refused := 0
		for i := 0; i < n; i++ {
			if st, b := do(i); st == 409 && strings.Contains(string(b), refusal) {
				refused++
			}
		}
		return refused
	}
	t.Run("applications beyond the burst are refused", func(t *testing.T) {
		anon := e.client()
		refused := count(burst+3, func(i int) (int, []byte) {
			return anon.do("POST", "/api/program/apply", program.Application{Season: testSeason, Team: fmt.Sprintf("Flood %d", i), Contact: "x"})
		}, "Too many applications")
		if refused < 3 {
			t.Fatalf("%d applications refused, want at least 3", refused)
		}
	})
	t.Run("the facilitator's changes beyond five bursts are refused", func(t *testing.T) {
		a := e.admin()
		refused := count(5*burst+3, func(i int) (int, []byte) {
			return a.do("POST", "/api/program/seasons/"+testSeason+"/teams", program.TeamInput{Name: fmt.Sprintf("Planned %d", i)})
		}, "too fast")
		if refused < 3 {
			t.Fatalf("%d changes refused, want at least 3", refused)
		}
	})
}
