package ui

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
)

// retroRoutes are the routes of the retrospective, the drill record and the
// history: pages, their JSON API and the exports. routeTable appends them.
func (s *Server) retroRoutes() []route {
	rt := func(method, pattern string, a Access, h func(http.ResponseWriter, *http.Request, *Session)) route {
		return route{Route{method, pattern, a}, h}
	}
	return []route{
		rt("GET", "/api/drills/{id}/retro", AccessMember, s.apiRetro),
		rt("PUT", "/api/drills/{id}/retro/answers", AccessMember, s.apiRetroSave),
		rt("POST", "/api/drills/{id}/retro/submit", AccessMember, s.apiRetroSubmit),
		rt("POST", "/api/drills/{id}/retro/questions", AccessMember, s.apiRetroAsk),
		rt("POST", "/api/drills/{id}/retro/questions/{qid}/answered", AccessFacilitator, s.apiRetroAnswered),
		rt("POST", "/api/drills/{id}/retro/actions", AccessMember, s.apiRetroPropose),
		rt("POST", "/api/drills/{id}/retro/actions/{aid}/accept", AccessFacilitator, s.apiRetroDecide),
		rt("POST", "/api/drills/{id}/retro/actions/{aid}/reject", AccessFacilitator, s.apiRetroDecide),
		rt("POST", "/api/drills/{id}/retro/next", AccessFacilitator, s.apiRetroNext),
		rt("POST", "/api/drills/{id}/retro/close", AccessFacilitator, s.apiRetroClose),

		rt("GET", "/api/drills/{id}/record.md", AccessMember, s.apiRecordExport),
		rt("GET", "/api/drills/{id}/record.html", AccessMember, s.apiRecordExport),
		rt("GET", "/api/drills/{id}/record.csv", AccessMember, s.apiRecordExport),
		rt("GET", "/api/drills/{id}/record.github.json", AccessMember, s.apiRecordExport),
		// The JSON record carries the whole journal (anonymous answers
		// sealed, their author unnamed): the facilitator keeps it.
		rt("GET", "/api/drills/{id}/record.json", AccessFacilitator, s.apiRecordExport),
		rt("GET", "/api/drills/{id}/charts/timeline.svg", AccessMember, s.apiRecordChart),
		rt("GET", "/api/drills/{id}/charts/ratings.svg", AccessMember, s.apiRecordChart),
		rt("GET", "/api/history", AccessAdmin, s.apiHistory),
		rt("GET", "/api/history/trend", AccessAdmin, s.apiTeamTrend),

		// The pages check their access themselves (memberPage, adminPage)
		// so that a refusal is the sign-in redirect or the 403 page, as for
		// the room: guard only treats its own page patterns as pages.
		rt("GET", "/room/{id}/retro", AccessPublic, s.memberPage(s.pageRetro)),
		rt("GET", "/room/{id}/record", AccessPublic, s.memberPage(s.pageRecord)),
		rt("GET", "/history", AccessPublic, s.adminPage(s.pageHistory)),
	}
}

func (s *Server) retroService() *retro.Service { return s.retro }

// retroPerson is whose answers a session writes: the person, or the
// facilitator's own person for the admin session.
func retroPerson(sess *Session) string {
	if sess.PersonID != "" {
		return sess.PersonID
	}
	return sess.actor()
}

type retroHandler = func(http.ResponseWriter, *http.Request, *Session)

// memberPage serves h to members of the page's drill and refuses everyone
// else the way the room page does.
func (s *Server) memberPage(h retroHandler) retroHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		sess, err := s.authorize(r.Context(), AccessMember, r.Pattern, sess, r.PathValue("id"))
		if err != nil {
			s.pageRefused(w, r, err)
			return
		}
		h(w, r, sess)
	}
}

// adminPage serves h to the signed-in facilitator only.
func (s *Server) adminPage(h retroHandler) retroHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		sess, err := s.authorize(r.Context(), AccessAdmin, strings.TrimPrefix(r.Pattern, "GET "), sess, "")
		if err != nil {
			s.pageRefused(w, r, err)
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) pageRetro(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "retro.html", http.StatusOK)
}

func (s *Server) pageHistory(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "history.html", http.StatusOK)
}

// pageRecord serves the printable record. It is a self-contained document
// with inline styles and no scripts, so it gets a policy of its own that
// allows exactly that.
//
// It is written in the drill's language (the scenario's
// metadata.language) unless ?lang=en or ?lang=ko asks for another.
func (s *Server) pageRecord(w http.ResponseWriter, r *http.Request, sess *Session) {
	rec, lang, err := s.endedRecordIn(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := record.WriteHTML(&buf, rec, lang); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", recordPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(lang))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// recordPolicy is the content security policy of the printable record: no
// scripts at all, its own inline styles, inline SVG.
const recordPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// endedRecord assembles the record of the request's drill once the drill
// has ended: before that, the record would open what is still secret.
func (s *Server) endedRecord(r *http.Request, sess *Session) (*record.Record, error) {
	id := r.PathValue("id")
	d, err := s.engine.Drill(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !retroVisible(d.State) && !sess.facilitator() {
		return nil, injectors.Errorf(injectors.ECONFLICT, "The record opens when the drill ends.")
	}
	return record.Load(r.Context(), s.journal, id)
}

// endedRecordIn is endedRecord with the language the reader asked for
// (?lang=en|ko), or the drill's. A language the record is not written in
// is refused before the record is assembled.
func (s *Server) endedRecordIn(r *http.Request, sess *Session) (*record.Record, record.Lang, error) {
	lang, err := record.ParseLang(r.URL.Query().Get("lang"))
	if err != nil {
		return nil, "", err
	}
	rec, err := s.endedRecord(r, sess)
	if err != nil {
		return nil, "", err
	}
	return rec, lang.Or(rec.Language()), nil
}

// retroVisible reports whether the private parts of a drill are open to
// everyone: from the end of the drill on.
func retroVisible(st control.DrillState) bool {
	switch st {
	case control.StateEnded, control.StateAborted, control.StateRetro, control.StateClosed:
		return true
	}
	return false
}

// apiRecordExport answers an export of the record. Markdown and HTML are
// written in the drill's language unless ?lang=en|ko asks for another,
// and say which (Content-Language, and the file name: d-….record.ko.md);
// the data formats are the same in every language.
func (s *Server) apiRecordExport(w http.ResponseWriter, r *http.Request, sess *Session) {
	rec, lang, err := s.endedRecordIn(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	format := map[string]string{"record.md": record.FormatMarkdown, "record.html": record.FormatHTML, "record.csv": record.FormatCSV,
		"record.github.json": record.FormatGitHub, "record.json": record.FormatJSON}[name]
	var buf bytes.Buffer
	if err := record.Export(&buf, rec, format, lang); err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == record.FormatHTML {
		w.Header().Set("Content-Security-Policy", recordPolicy)
	}
	file := rec.DrillID + "-" + name
	if record.Localized(format) {
		w.Header().Set("Content-Language", string(lang))
		file = rec.DrillID + "-record." + string(lang) + "." + format
	}
	w.Header().Set("Content-Type", record.ContentType(format))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) apiRecordChart(w http.ResponseWriter, r *http.Request, sess *Session) {
	rec, lang, err := s.endedRecordIn(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var svg string
	if strings.HasSuffix(r.URL.Path, "/timeline.svg") {
		svg = record.TimelineSVG(rec, lang)
	} else {
		svg = record.RatingsSVG(rec.Retro.Ratings, lang)
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Language", string(lang))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(svg))
}

func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := record.HistoryFilter{Team: strings.TrimSpace(r.URL.Query().Get("team")), Season: strings.TrimSpace(r.URL.Query().Get("season")),
		Rehearsals: r.URL.Query().Get("rehearsals") == "1"}
	if err := f.Check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := record.LoadAll(r.Context(), s.journal)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A team-scoped staff member's history, exports and awards are their
	// teams' only.
	rs = slices.DeleteFunc(rs, func(rec *record.Record) bool { return !sess.teamVisible(rec.Team) })
	h, err := record.BuildHistory(rs, f, s.clock.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}
