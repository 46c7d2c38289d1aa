package ui

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// programRoutes are the routes of the drill program: the season plan page
// and its API, the day-before notice, the teams' applications and the
// compliance report. routeTable appends them.
func (s *Server) programRoutes() []route {
	rt := func(method, pattern string, a Access, h func(http.ResponseWriter, *http.Request, *Session)) route {
		return route{Route{method, pattern, a}, h}
	}
	const season, team = "/api/program/seasons/{season}", "/api/program/seasons/{season}/teams/{team}"
	return []route{
		rt("GET", "/api/program/seasons", AccessAdmin, s.apiSeasons),
		rt("POST", "/api/program/seasons", AccessAdmin, s.apiCreateSeason),
		rt("GET", season, AccessAdmin, s.apiSeason),
		rt("POST", season+"/teams", AccessAdmin, s.apiAddTeam),
		rt("PUT", team, AccessAdmin, s.apiUpdateTeam),
		rt("POST", team+"/accept", AccessAdmin, s.apiAcceptTeam),
		rt("POST", team+"/schedule", AccessAdmin, s.apiScheduleTeam),
		rt("POST", team+"/reschedule", AccessAdmin, s.apiScheduleTeam),
		rt("POST", team+"/cancel", AccessAdmin, s.apiCancelTeam),
		rt("GET", team+"/notice", AccessAdmin, s.apiNotice),
		rt("GET", team+"/notice.ics", AccessAdmin, s.apiNoticeICS),
		rt("POST", team+"/notice/post", AccessAdmin, s.apiPostNoticeHook),
		rt("GET", "/api/program/report", AccessAdmin, s.apiProgramReport),

		// Teams apply before anyone has given them a session: the
		// application form is public, limited per client address, and
		// tells nothing about the plan.
		rt("GET", "/api/program/apply", AccessPublic, s.apiApplySeasons),
		rt("POST", "/api/program/apply", AccessPublic, s.apiApply),

		rt("GET", "/program", AccessPublic, s.adminPage(s.pageProgram)),
		rt("GET", "/program/apply", AccessPublic, s.pageApply),
	}
}

func (s *Server) pageProgram(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "program.html", http.StatusOK)
}

func (s *Server) pageApply(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "apply.html", http.StatusOK)
}

// programService returns the program, or ENOTIMPLEMENTED when the server
// runs without one.
func (s *Server) programService() (*program.Service, error) {
	if s.program == nil {
		return nil, injectors.Errorf(injectors.ENOTIMPLEMENTED, "The drill program needs a database that keeps plans.")
	}
	return s.program, nil
}

// writeSeason answers with the season's view; the awards, which only the
// drills change, come with a GET of the season.
func (s *Server) writeSeason(w http.ResponseWriter, r *http.Request, p *program.Plan, status int) {
	svc, _ := s.programService()
	v := wire.SeasonView{Plan: p, Drills: map[string]wire.TeamDrill{}, Scenarios: []string{}, Webhook: svc.Poster != nil}
	for _, e := range s.library.Scenarios() {
		v.Scenarios = append(v.Scenarios, e.Name)
	}
	for _, t := range p.Teams {
		if t.DrillID == "" {
			continue
		}
		d, err := s.engine.Drill(r.Context(), t.DrillID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		td := wire.TeamDrill{State: d.State, Head: d.Head}
		if d.ScheduledAt != nil {
			td.Day = program.Day(*d.ScheduledAt, p.Location())
		}
		v.Drills[t.Name] = td
	}
	if r.Method == http.MethodGet {
		aw, err := program.SeasonAwards(p, program.LinkedRecords(r.Context(), s.journal, p), s.clock.Now())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		v.Awards = &aw
	}
	writeJSON(w, status, v)
}

func (s *Server) apiSeasons(w http.ResponseWriter, r *http.Request, _ *Session) {
	svc, err := s.programService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seasons, err := svc.Store.Seasons(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"seasons": seasons, "current": program.SeasonOf(s.clock.Now())})
}

func (s *Server) apiCreateSeason(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req wire.CreateSeasonRequest
	svc, err := s.programService()
	if err == nil {
		err = decodeJSON(w, r, &req)
	}
	var p *program.Plan
	if err == nil {
		p, err = svc.CreateSeason(r.Context(), strings.TrimSpace(req.Season), req.Owner, req.ProcessURL, strings.TrimSpace(req.TimeZone), sess.actor())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeason(w, r, p, http.StatusCreated)
}

func (s *Server) apiSeason(w http.ResponseWriter, r *http.Request, _ *Session) {
	svc, err := s.programService()
	var p *program.Plan
	if err == nil {
		p, err = svc.Store.Plan(r.Context(), r.PathValue("season"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeason(w, r, p, http.StatusOK)
}

// planChange runs a change of a season's plan and answers with the season.
func (s *Server) planChange(w http.ResponseWriter, r *http.Request, body any, fn func(svc *program.Service) (*program.Plan, error)) {
	svc, err := s.programService()
	if err == nil && body != nil {
		err = decodeJSON(w, r, body)
	}
	var p *program.Plan
	if err == nil {
		p, err = fn(svc)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeason(w, r, p, http.StatusOK)
}

func (s *Server) apiAddTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	var in program.TeamInput
	s.planChange(w, r, &in, func(svc *program.Service) (*program.Plan, error) {
		return svc.AddTeam(r.Context(), r.PathValue("season"), in, sess.actor())
	})
}

func (s *Server) apiUpdateTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	var in program.TeamInput
	s.planChange(w, r, &in, func(svc *program.Service) (*program.Plan, error) {
		return svc.UpdateTeam(r.Context(), r.PathValue("season"), r.PathValue("team"), in, sess.actor())
	})
}

func (s *Server) apiAcceptTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.planChange(w, r, nil, func(svc *program.Service) (*program.Plan, error) {
		return svc.Accept(r.Context(), r.PathValue("season"), r.PathValue("team"), sess.actor())
	})
}

func (s *Server) apiScheduleTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req wire.ScheduleRequest
	s.planChange(w, r, &req, func(svc *program.Service) (*program.Plan, error) {
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(req.At))
		if err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "at: %q is not a date and time, expected RFC 3339 like 2027-01-12T14:00:00+01:00", req.At)
		}
		if strings.HasSuffix(r.URL.Path, "/reschedule") {
			return svc.Reschedule(r.Context(), r.PathValue("season"), r.PathValue("team"), at, req.Reason, sess.actor())
		}
		if strings.TrimSpace(req.Reason) != "" {
			return nil, injectors.Errorf(injectors.EINVALID, "reason: scheduling takes no reason; rescheduling does")
		}
		return svc.Schedule(r.Context(), r.PathValue("season"), r.PathValue("team"), at, sess.actor())
	})
}

func (s *Server) apiCancelTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req wire.CancelRequest
	s.planChange(w, r, &req, func(svc *program.Service) (*program.Plan, error) {
		return svc.Cancel(r.Context(), r.PathValue("season"), r.PathValue("team"), req.Reason, sess.actor())
	})
}

func (s *Server) notice(r *http.Request) (*program.Notice, error) {
	svc, err := s.programService()
	if err != nil {
		return nil, err
	}
	return svc.Notice(r.Context(), r.PathValue("season"), r.PathValue("team"))
}

func (s *Server) apiNotice(w http.ResponseWriter, r *http.Request, _ *Session) {
	n, err := s.notice(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) apiNoticeICS(w http.ResponseWriter, r *http.Request, _ *Session) {
	n, err := s.notice(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="drill-`+fileSafe(n.Team)+"-"+n.Day+`.ics"`)
	_, _ = w.Write(n.ICS(s.clock.Now()))
}

// fileSafe keeps letters, digits, - and _ of a name for a file name.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
}

func (s *Server) apiPostNoticeHook(w http.ResponseWriter, r *http.Request, sess *Session) {
	svc, err := s.programService()
	if err == nil {
		_, err = svc.PostNotice(r.Context(), r.PathValue("season"), r.PathValue("team"), sess.actor())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"posted": true})
}

// apiProgramReport answers the compliance report of ?year= (default this
// year) or ?season= as ?format=json (default), csv or html (printable).
func (s *Server) apiProgramReport(w http.ResponseWriter, r *http.Request, _ *Session) {
	q := r.URL.Query()
	var period program.Period
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "year: %q is not a year, expected e.g. 2027", y))
			return
		}
		period.Year = n
	}
	period.Season = strings.TrimSpace(q.Get("season"))
	if period.Year == 0 && period.Season == "" {
		period.Year = s.clock.Now().Year()
	}
	format := q.Get("format")
	if format == "" {
		format = program.FormatJSON
	}
	if format != program.FormatJSON && format != program.FormatCSV && format != program.FormatHTML {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "format: %q is not a report format, expected html, csv or json", format))
		return
	}
	svc, err := s.programService()
	var rep *program.Report
	if err == nil {
		rep, err = svc.Report(r.Context(), period, s.journal, s.baseURL(r))
	}
	var buf bytes.Buffer
	if err == nil {
		err = program.WriteReport(&buf, rep, format)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == program.FormatHTML {
		w.Header().Set("Content-Security-Policy", recordPolicy)
	} else {
		w.Header().Set("Content-Disposition", `attachment; filename="drill-program-`+period.String()+"."+format+`"`)
	}
	w.Header().Set("Content-Type", program.ContentType(format))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) apiApplySeasons(w http.ResponseWriter, r *http.Request, _ *Session) {
	svc, err := s.programService()
	var seasons []string
	if err == nil {
		seasons, err = svc.Store.Seasons(r.Context())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cur := program.SeasonOf(s.clock.Now())
	open := []string{}
	for _, season := range seasons {
		if season >= cur {
			open = append(open, season)
		}
	}
	writeJSON(w, http.StatusOK, wire.ApplySeasons{Seasons: open})
}

func (s *Server) apiApply(w http.ResponseWriter, r *http.Request, _ *Session) {
	var a program.Application
	svc, err := s.programService()
	if err == nil {
		err = decodeJSON(w, r, &a)
	}
	if err == nil {
		_, err = svc.Apply(r.Context(), a)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"season": strings.TrimSpace(a.Season), "team": strings.TrimSpace(a.Team), "status": string(program.StatusApplied)})
}

// programWriteBudget charges a write to the drill program against the
// room's write buckets: the facilitator's, or for the public application
// form, one bucket per client address.
func (s *Server) programWriteBudget(r *http.Request, rt route, sess *Session) error {
	if !strings.HasPrefix(rt.Pattern, "/api/program/") {
		return nil
	}
	if sess != nil && sess.Admin {
		if !s.facWrites.allow("write:program:" + sess.actor()) {
			return injectors.Errorf(injectors.ECONFLICT, "You are doing that too fast; wait a moment.")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.writes.allow("write:program:" + host) {
		return injectors.Errorf(injectors.ECONFLICT, "Too many applications from here; try again in a minute.")
	}
	return nil
}

// recordSurvey fills the survey URL template for the drill and records it
// in the drill's journal, where the retro page shows it from, once: only a
// drill whose retro is open gets one.
func (s *Server) recordSurvey(r *http.Request, drillID, actor string) error {
	if s.surveyURL == "" {
		return nil
	}
	d, err := s.engine.Drill(r.Context(), drillID)
	if err != nil {
		return err
	}
	if d.State != control.StateRetro && d.State != control.StateEnded && d.State != control.StateAborted {
		return nil // the close refuses it with the reason
	}
	evs, err := s.journal.Events(r.Context(), drillID, 0, 0)
	if err != nil {
		return err
	}
	if surveyOf(evs) != "" {
		return nil
	}
	season := program.SeasonOf(d.CreatedAt)
	if !d.StartedAt.IsZero() {
		season = program.SeasonOf(d.StartedAt)
	}
	link, err := program.SurveyURL(s.surveyURL, d.ID, d.Scenario.Metadata.Team, season)
	if err != nil {
		return err
	}
	_, err = s.engine.AppendEvent(r.Context(), drillID, wire.EventSurvey, actor, wire.SurveyLink{URL: link})
	return err
}

// surveyOf returns the last survey link recorded in a journal.
func surveyOf(events []control.Event) string {
	link := ""
	for _, e := range events {
		var p wire.SurveyLink
		if e.Type == wire.EventSurvey && json.Unmarshal(e.Payload, &p) == nil {
			link = p.URL
		}
	}
	return link
}
