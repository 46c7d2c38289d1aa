package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/wire"
)

func (s *Server) apiRetro(w http.ResponseWriter, r *http.Request, sess *Session) {
	d, err := s.engine.Drill(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !retroVisible(d.State) {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "The retrospective opens when the drill ends."))
		return
	}
	// The record (and the retro folded from its journal) comes from the
	// cache, which reads only what was appended since the last view.
	rec, err := s.records.load(r.Context(), d.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// With the keys: each person's own anonymous answers are in their
	// form, and everyone who answered counts as started or submitted.
	// Nothing below says whose an anonymous answer is.
	rt := s.retro.Project(d, rec.Chain.Events)
	me := retroPerson(sess)
	fac := sess.facilitator()
	v := wire.RetroView{DrillID: d.ID, Title: rec.Title, State: d.State, TimeScale: d.TimeScale, Seq: rec.Chain.Events[len(rec.Chain.Events)-1].Seq, Open: rt.Open, Closed: rt.Closed || d.State == control.StateClosed,
		Me: sessionView(sess), Facilitator: fac, Form: rt.FormFor(d, me), ActionKinds: retro.ActionKinds,
		Presenting: rt.Presenting, People: len(d.People), Questions: rt.Questions, Actions: rt.Actions,
		Metrics: rec.Metrics, Timeline: rec.Timeline, Backroom: []record.TimelineEntry{}, Notes: rec.ObserverNotes}
	v.Me.CSRF = ""
	// The page follows the stream from Seq, in the session's numbering.
	if v.Seq, err = s.participantSeq(r.Context(), sess, d.ID, v.Seq); err != nil {
		s.writeError(w, r, err)
		return
	}
	v.SurveyURL = surveyOf(rec.Chain.Events)
	names := retroNames(d, sess)
	for _, st := range rt.Statuses(d.People) {
		if st.Submitted {
			v.Submitted++
		}
		if !fac {
			st.Started, st.Submitted = false, false
		}
		v.Order = append(v.Order, st)
	}
	for i := range v.Questions {
		v.Questions[i].AuthorID = nameOr(names, v.Questions[i].AuthorID)
	}
	for i := range v.Actions {
		v.Actions[i].ProposedBy = nameOr(names, v.Actions[i].ProposedBy)
	}
	if fac {
		v.PresentingAnswers = rt.PresentingAnswers(d)
		v.AnonymousSubmitted = rt.AnonymousSubmitted()
	}
	if fac || v.Form.Submitted || v.Closed {
		agg := rt.Ratings()
		v.Aggregate = &agg
	}
	sc := d.Scenario
	v.Scenario = wire.RetroScenario{Name: sc.Metadata.Name, Title: sc.Metadata.Title, Summary: sc.Metadata.Summary, Variant: string(d.Difficulty),
		Designer: sc.Metadata.Designer, Solution: sc.Solution, Faults: sc.Faults}
	if sc.Candidate != nil {
		v.Scenario.Candidate = sc.Candidate.Title
	}
	for _, e := range rec.Timeline {
		if e.Kind == record.KindChat && isBackroom(rec, e.Seq) {
			v.Backroom = append(v.Backroom, e)
		}
	}
	base := "/api/drills/" + url.PathEscape(d.ID)
	v.Exports = map[string]string{
		"print": "/room/" + url.PathEscape(d.ID) + "/record", "md": base + "/record.md", "html": base + "/record.html",
		"csv": base + "/record.csv", "github": base + "/record.github.json",
		"timeline": base + "/charts/timeline.svg", "ratings": base + "/charts/ratings.svg",
	}
	if fac {
		v.Exports["json"] = base + "/record.json"
	}
	if d.State == control.StateClosed && joined(sess) {
		// The record stays with the facilitator once the drill is closed
		// (closedAccess): offer a joined person only what they may open.
		for k := range v.Exports {
			if k != "timeline" && k != "ratings" {
				delete(v.Exports, k)
			}
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// isBackroom reports whether the chat event with seq was in the back room.
func isBackroom(rec *record.Record, seq int64) bool {
	if seq < 1 || int(seq) > len(rec.Chain.Events) {
		return false
	}
	var m struct {
		Channel string `json:"channel"`
	}
	_ = json.Unmarshal(rec.Chain.Events[seq-1].Payload, &m)
	return m.Channel == scenarios.BackroomChannel
}

func nameOr(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// retroNames maps the actors of a drill's retro to the names the retro
// shows: each person's display name (the identity provider's for a staff
// member who signed in with it, the join name otherwise), the default name
// of the admin credential's facilitator, and the viewer's own name.
func retroNames(d *control.Drill, sess *Session) map[string]string {
	names := map[string]string{ActorFacilitator: DefaultFacilitatorName}
	if sess.Admin && sess.Name != "" {
		names[sess.actor()] = sess.Name
	}
	for _, p := range d.People {
		names[p.ID] = p.Name
	}
	return names
}

// answersRequest is the body of a save or a submission.
type answersRequest struct {
	WentWell  string            `json:"wentWell"`
	Lacking   string            `json:"lacking"`
	Better    string            `json:"better"`
	Before    int               `json:"before"`
	After     int               `json:"after"`
	Extra     map[string]string `json:"extra"`
	Anonymous bool              `json:"anonymous"`
}

func (s *Server) retroAnswers(w http.ResponseWriter, r *http.Request, sess *Session, submit bool) {
	var req answersRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	a := retro.Answers{WentWell: req.WentWell, Lacking: req.Lacking, Better: req.Better, Before: req.Before, After: req.After, Extra: req.Extra, Anonymous: req.Anonymous}
	svc := s.retroService()
	save := svc.Save
	if submit {
		save = svc.Submit
	}
	seq, err := save(r.Context(), r.PathValue("id"), retroPerson(sess), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved": seq, "submitted": submit})
}

func (s *Server) apiRetroSave(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.retroAnswers(w, r, sess, false)
}

func (s *Server) apiRetroSubmit(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.retroAnswers(w, r, sess, true)
}

func (s *Server) apiRetroAsk(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	// A staff member who asks is a person of the drill under their own
	// name, so that the queue shows who asked to everyone.
	if err := s.ensureFacilitator(r.Context(), r.PathValue("id"), sess); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.retroService().Ask(r.Context(), r.PathValue("id"), retroPerson(sess), req.Text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) apiRetroAnswered(w http.ResponseWriter, r *http.Request, sess *Session) {
	if err := s.retroService().MarkAnswered(r.Context(), r.PathValue("id"), r.PathValue("qid"), sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) apiRetroPropose(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Title string           `json:"title"`
		Kind  retro.ActionKind `json:"kind"`
		Owner string           `json:"owner"`
		Due   string           `json:"due"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.retroService().Propose(r.Context(), r.PathValue("id"), retroPerson(sess), retro.Action{Title: req.Title, Kind: req.Kind, Owner: req.Owner, Due: req.Due})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) apiRetroDecide(w http.ResponseWriter, r *http.Request, sess *Session) {
	accept := strings.HasSuffix(r.URL.Path, "/accept")
	if err := s.retroService().Decide(r.Context(), r.PathValue("id"), r.PathValue("aid"), sess.actor(), accept); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) apiRetroNext(w http.ResponseWriter, r *http.Request, sess *Session) {
	id, err := s.retroService().Next(r.Context(), r.PathValue("id"), sess.actor())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"presenting": id})
}

func (s *Server) apiRetroClose(w http.ResponseWriter, r *http.Request, sess *Session) {
	// The survey link goes into the journal before the close: a closed
	// drill takes no more writes. The retro page shows it once closed.
	if err := s.recordSurvey(r, r.PathValue("id"), sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.retroService().Close(r.Context(), r.PathValue("id"), sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	// A closed drill is over for everyone who joined it: their links no
	// longer join and their streams close; their sessions keep read-only
	// access to the retro only (see closedAccess). The facilitator keeps
	// the record and its exports.
	s.hub.kick(r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
