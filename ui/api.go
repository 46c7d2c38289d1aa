package ui

import (
	"context"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/wire"
)

// Limits of what people type.
const (
	maxMessageRunes = 4000
	maxNameRunes    = 80
	maxWhyRunes     = 500
)

func sessionView(sess *Session) wire.SessionView {
	if sess == nil {
		return wire.SessionView{}
	}
	return wire.SessionView{SignedIn: true, Admin: sess.Admin, DrillID: sess.DrillID, PersonID: sess.PersonID,
		Name: sess.Name, Role: sess.Role, CSRF: sess.CSRF, Teams: sess.Teams, BreakGlass: sess.BreakGlass()}
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, sess *Session) {
	v := sessionView(sess)
	v.SSO = s.oidc != nil
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request, _ *Session) {
	var req struct {
		Secret string `json:"secret"`
		// Name is the facilitator's own name, shown on their messages and
		// in the record.
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.admin.Configured() {
		s.writeError(w, r, injectors.Errorf(injectors.EUNAUTHORIZED, "No facilitator credential is configured: set auth.adminToken or auth.adminPasswordHash."))
		return
	}
	// Failures back off per client address, so guessing is slow; an
	// address that has not failed is always checked, so no guesser locks
	// the facilitator out (see loginGuard).
	addr := s.clientAddr(r)
	if wait := s.logins.wait(addr); wait > 0 {
		s.writeError(w, r, injectors.Errorf(injectors.EUNAUTHORIZED, "Too many failed sign-ins from your address; try again in %d seconds.", int(wait.Seconds()+0.999)))
		return
	}
	if !s.admin.Check(req.Secret) {
		s.logins.failed(addr)
		s.writeError(w, r, injectors.Errorf(injectors.EUNAUTHORIZED, "Wrong facilitator credential."))
		return
	}
	s.logins.succeeded(addr)
	// The admin credential is the bootstrap and break-glass way in: its
	// use is logged, and the record marks the person who used it.
	s.logger.Warn("break-glass sign-in with the admin credential", "addr", addr, "name", strings.TrimSpace(req.Name), "identityProvider", s.oidc != nil)
	name := strings.TrimSpace(req.Name)
	if utf8.RuneCountInString(name) > maxNameRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "name: at most %d characters.", maxNameRunes))
		return
	}
	if name == "" {
		name = DefaultFacilitatorName
	}
	sess, err := s.sessions.create(r.Context(), Session{Admin: true, Role: control.RoleFacilitator, Name: name}, adminSessionTTL)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setSessionCookie(w, r, sess)
	writeJSON(w, http.StatusOK, sessionView(sess))
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request, sess *Session) {
	if sess != nil {
		s.sessions.delete(r.Context(), sess.ID)
	}
	s.clearSessionCookie(w, r)
	writeJSON(w, http.StatusOK, wire.SessionView{})
}

// apiJoin exchanges a join token (from the fragment of a join link, so it
// never reaches logs) for a session bound to one drill and role.
func (s *Server) apiJoin(w http.ResponseWriter, r *http.Request, old *Session) {
	var req struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	refused := injectors.Errorf(injectors.EUNAUTHORIZED, "This join link is not valid. Ask the facilitator for a new one.")
	if len(req.Token) < 20 || len(req.Token) > 100 {
		s.writeError(w, r, refused)
		return
	}
	g, err := s.tokens.JoinGrant(r.Context(), HashToken(req.Token))
	if injectors.ErrorCode(err) == injectors.ENOTFOUND {
		s.writeError(w, r, refused)
		return
	} else if err != nil {
		s.writeError(w, r, err)
		return
	}
	if d, err := s.engine.Drill(r.Context(), g.DrillID); err != nil || d.State == control.StateClosed {
		s.writeError(w, r, refused)
		return
	} else if p, ok := d.Person(g.PersonID); !ok || p.Removed {
		s.writeError(w, r, refused)
		return
	}
	sess, err := s.sessions.create(r.Context(), Session{DrillID: g.DrillID, PersonID: g.PersonID, Name: g.Name, Role: g.Role, LinkHash: HashToken(req.Token)}, joinSessionTTL)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setSessionCookie(w, r, sess)
	v := sessionView(sess)
	if old != nil && !(old.DrillID == g.DrillID && old.PersonID == g.PersonID) {
		// The browser held another session: it ends here, and the room
		// says so.
		v.SwitchedFrom = &wire.SwitchedSession{Admin: old.Admin, Name: old.Name, Role: old.Role, DrillID: old.DrillID}
		if old.DrillID != "" {
			if d, err := s.engine.Drill(r.Context(), old.DrillID); err == nil {
				v.SwitchedFrom.DrillTitle = d.Title
				if v.SwitchedFrom.DrillTitle == "" {
					v.SwitchedFrom.DrillTitle = d.Scenario.Metadata.Title
				}
			}
		}
		s.sessions.delete(r.Context(), old.ID)
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiScenarios(w http.ResponseWriter, r *http.Request, sess *Session) {
	writeJSON(w, http.StatusOK, visibleScenarios(sess, s.library.Scenarios()))
}

func (s *Server) apiDrills(w http.ResponseWriter, r *http.Request, sess *Session) {
	ds, err := s.engine.Drills(r.Context(), control.DrillFilter{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.visibleDrills(r.Context(), sess, ds))
}

func (s *Server) apiCreateDrill(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Scenario   string               `json:"scenario"`
		Title      string               `json:"title"`
		Difficulty scenarios.Difficulty `json:"difficulty"`
		// Candidate is the candidate scenario picked, required for a
		// scenario that keeps candidates.
		Candidate string `json:"candidate"`
		// TimeScale rehearses the drill on a faster clock; 0 or absent is
		// the server's drill.timeScale.
		TimeScale float64 `json:"timeScale"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Scenario == "" {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "scenario: choose a scenario from the library."))
		return
	}
	if err := checkDifficulty(req.Difficulty); err != nil {
		s.writeError(w, r, err)
		return
	}
	if utf8.RuneCountInString(req.Title) > 200 {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "title: at most 200 characters."))
		return
	}
	sc, err := s.library.Scenario(req.Scenario)
	if err == nil {
		err = canCreateDrill(sess, sc.Metadata.Team)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.engine.CreateDrill(r.Context(), control.DrillRequest{Scenario: sc, Title: strings.TrimSpace(req.Title), Difficulty: req.Difficulty, Candidate: req.Candidate, TimeScale: req.TimeScale, Actor: sess.actor()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The facilitator is a person of every drill, so that they can speak as
	// themself (in the back room, mostly) as well as through personas.
	if err := s.ensureFacilitator(r.Context(), d.ID, sess); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, control.DrillSummary{ID: d.ID, Title: d.Title, Scenario: sc.Metadata.Name, State: d.State, Seq: d.Seq, CreatedAt: d.CreatedAt})
}

func (s *Server) apiAddPerson(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Name string       `json:"name"`
		Role control.Role `json:"role"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || utf8.RuneCountInString(req.Name) > maxNameRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "name: required, at most %d characters.", maxNameRunes))
		return
	}
	switch req.Role {
	case control.RoleDesigner, control.RoleObserver, control.RoleParticipant:
	default:
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "role: %q is not a role people join as, expected designer, observer or participant.", req.Role))
		return
	}
	id := r.PathValue("id")
	p, err := s.engine.AddPerson(r.Context(), id, control.Person{Name: req.Name, Role: req.Role}, sess.actor())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	link, err := s.issueLink(r, id, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, link)
}

func (s *Server) apiNewLink(w http.ResponseWriter, r *http.Request, _ *Session) {
	id := r.PathValue("id")
	d, err := s.engine.Drill(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, ok := d.Person(r.PathValue("pid"))
	if !ok {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "No person %q in this drill.", r.PathValue("pid")))
		return
	}
	if d.State == control.StateClosed {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "Drill %s is closed: nobody joins it any more.", id))
		return
	}
	if p.Removed {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "%s was removed from this drill.", p.Name))
		return
	}
	// The new link replaces the old one: sessions made from the old link
	// end, and their open streams close.
	link, err := s.issueLink(r, id, *p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.hub.kick(id, p.ID)
	writeJSON(w, http.StatusOK, link)
}

// apiRemovePerson takes a person out of the drill: the journal records it,
// their link is revoked, their sessions end and their streams close.
func (s *Server) apiRemovePerson(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Why string `json:"why"`
	}
	if err := decodeOptionalJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, pid := r.PathValue("id"), r.PathValue("pid")
	if err := s.engine.RemovePerson(r.Context(), id, pid, sess.actor(), req.Why); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.endAccess(r.Context(), id, pid); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// apiEndSessions ends a person's access without removing them: their link
// is revoked, their sessions end and their streams close. The facilitator
// hands them a new link when they should come back.
func (s *Server) apiEndSessions(w http.ResponseWriter, r *http.Request, sess *Session) {
	id, pid := r.PathValue("id"), r.PathValue("pid")
	d, err := s.engine.Drill(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p, ok := d.Person(pid); ok && p.Subject != "" {
		// A staff member signed in with the identity provider: their
		// sessions are not this drill's, and only an org-wide admin
		// (or the break-glass credential) ends them, everywhere.
		if sess.scoped() {
			s.writeError(w, r, injectors.Errorf(injectors.EFORBIDDEN, "Only an org-wide admin ends a staff member's sessions."))
			return
		}
		n := s.sessions.deleteSubject(r.Context(), p.Subject)
		s.hub.kick(id, pid)
		s.logger.Warn("staff sessions revoked", "subject", p.Subject, "name", p.Name, "sessions", n, "by", sess.Name)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	} else if !ok {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "No person %q in this drill.", pid))
		return
	}
	if d.State == control.StateClosed {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "Drill %s is closed: every session of it has ended.", id))
		return
	}
	if err := s.endAccess(r.Context(), id, pid); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// issueLink creates a fresh join token for p, replacing any earlier one.
func (s *Server) issueLink(r *http.Request, drillID string, p control.Person) (wire.JoinLink, error) {
	tok := randomToken()
	if err := s.tokens.PutJoinToken(r.Context(), HashToken(tok), Grant{DrillID: drillID, PersonID: p.ID, Name: p.Name, Role: p.Role}); err != nil {
		return wire.JoinLink{}, err
	}
	return wire.JoinLink{Person: p, URL: s.baseURL(r) + "/join#" + tok}, nil
}

// baseURL is where join links point: the configured public URL, or else
// the address the server accepted the request on — never the request's
// Host header, which the client chooses.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	host := r.Host
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		host = a.String()
	}
	return requestScheme(r) + "://" + host
}

// requestScheme is the scheme the request arrived over.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func (s *Server) apiLifecycle(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Why     string `json:"why"`
		Confirm bool   `json:"confirm"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if utf8.RuneCountInString(req.Why) > maxWhyRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "why: at most %d characters.", maxWhyRunes))
		return
	}
	id, ctx, actor := r.PathValue("id"), r.Context(), sess.actor()
	var err error
	switch action := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]; action {
	case "briefing":
		err = s.engine.StartBriefing(ctx, id, actor)
	case "start":
		err = s.engine.Start(ctx, id, actor)
	case "pause":
		err = s.engine.Pause(ctx, id, actor, req.Why)
	case "resume":
		err = s.engine.Resume(ctx, id, actor)
	case "end":
		err = s.engine.End(ctx, id, actor, req.Why)
	case "abort":
		if !req.Confirm {
			err = injectors.Errorf(injectors.EINVALID, "confirm: aborting reverts every fault and stops the drill; send confirm: true.")
			break
		}
		if strings.TrimSpace(req.Why) == "" {
			req.Why = "aborted by the facilitator"
		}
		rep, err := s.engine.AbortReport(ctx, id, actor, req.Why)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		view, err := s.abortReport(ctx, id, rep)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, view)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// abortReport words the kill switch's report for the facilitator: each
// fault by id and title, the pending ones with their latest error.
func (s *Server) abortReport(ctx context.Context, id string, rep control.StopReport) (wire.AbortReport, error) {
	out := wire.AbortReport{OK: true, Complete: len(rep.Pending) == 0, Reverted: []wire.RevertedFault{}, Pending: []wire.PendingRevert{}}
	err := s.engine.View(ctx, id, func(d *control.Drill) error {
		title := func(fid string) string {
			if f, ok := d.Fault(fid); ok {
				return f.Title
			}
			return fid
		}
		for _, fid := range rep.Reverted {
			out.Reverted = append(out.Reverted, wire.RevertedFault{ID: fid, Title: title(fid)})
		}
		for _, p := range rep.Pending {
			v := wire.PendingRevert{ID: p.FaultID, Title: title(p.FaultID), Error: p.Error}
			if !p.NextAttempt.IsZero() {
				at := p.NextAttempt
				v.NextAttempt = &at
			}
			out.Pending = append(out.Pending, v)
		}
		return nil
	})
	return out, err
}

// apiTimeScale sets the drill clock's speed until the drill starts: real
// time for the drill, faster for a rehearsal.
func (s *Server) apiTimeScale(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		TimeScale float64 `json:"timeScale"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.SetTimeScale(r.Context(), r.PathValue("id"), req.TimeScale, sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) apiNextHint(w http.ResponseWriter, r *http.Request, sess *Session) {
	if _, err := s.engine.FireNextHint(r.Context(), r.PathValue("id"), sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) apiSkipHint(w http.ResponseWriter, r *http.Request, sess *Session) {
	if _, err := s.engine.SkipHint(r.Context(), r.PathValue("id"), sess.actor()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// apiSkipHintStage skips one pending hint stage, with the facilitator's
// reason for the record.
func (s *Server) apiSkipHintStage(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Why string `json:"why"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if utf8.RuneCountInString(req.Why) > maxWhyRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "why: at most %d characters.", maxWhyRunes))
		return
	}
	if err := s.engine.SkipHintStage(r.Context(), r.PathValue("id"), r.PathValue("hid"), sess.actor(), req.Why); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// apiSkipFault takes a fault that has not fired out of the drill, with the
// facilitator's reason for the record.
func (s *Server) apiSkipFault(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Why string `json:"why"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.SkipFault(r.Context(), r.PathValue("id"), r.PathValue("fid"), sess.actor(), req.Why); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) apiFault(w http.ResponseWriter, r *http.Request, sess *Session) {
	id, fid, ctx := r.PathValue("id"), r.PathValue("fid"), r.Context()
	var err error
	switch r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:] {
	case "fire":
		err = s.engine.FireFaultNow(ctx, id, fid, sess.actor())
	case "resolve":
		err = s.engine.MarkFaultResolved(ctx, id, fid, sess.actor())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// ensureFacilitator makes the facilitator of an admin session a person of
// the drill under the name they signed in with, so that their messages and
// actions carry their name in the room and in the record.
func (s *Server) ensureFacilitator(ctx context.Context, drillID string, sess *Session) error {
	if sess == nil || !sess.Admin {
		return nil
	}
	id := sess.actor()
	var has bool
	if err := s.engine.View(ctx, drillID, func(d *control.Drill) error {
		_, has = d.Person(id)
		return nil
	}); err != nil {
		return err
	}
	if has {
		return nil
	}
	_, err := s.engine.AddPerson(ctx, drillID, sess.person(control.RoleFacilitator), id)
	if injectors.ErrorCode(err) == injectors.ECONFLICT {
		return nil
	}
	return err
}

// ActorFacilitator is the actor, and the person id, of the facilitator who
// signed in with the admin credential.
const ActorFacilitator = "facilitator"

// checkDifficulty refuses a difficulty that is not a level; empty means the
// scenario's own.
func checkDifficulty(d scenarios.Difficulty) error {
	switch d {
	case "", scenarios.Hard, scenarios.Medium, scenarios.Easy:
		return nil
	}
	return injectors.Errorf(injectors.EINVALID, "difficulty: %q is not a level, expected hard, medium or easy.", d)
}
