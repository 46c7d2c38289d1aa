package ui

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// The sessions page: an org-wide admin lists the people signed in with the
// identity provider and ends a person's sessions in every browser, for
// example when someone leaves or a laptop is lost. Join-link sessions
// belong to one drill and end from that drill's console.

// adminRoutes are the routes of the sessions page. routeTable appends them.
func (s *Server) adminRoutes() []route {
	return []route{
		{Route{"GET", "/admin/sessions", AccessAdmin}, s.pageAdminSessions},
		{Route{"GET", "/api/admin/sessions", AccessAdmin}, s.apiAdminSessions},
		{Route{"POST", "/api/admin/sessions/revoke", AccessAdmin}, s.apiAdminRevoke},
	}
}

// adminRoute reports whether a route is the org-wide admin's: a staff
// member scoped to their teams is refused it.
func adminRoute(pattern string) bool {
	return strings.HasPrefix(pattern, "/api/admin/") || pattern == "/admin/sessions"
}

func (s *Server) pageAdminSessions(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "sessions.html", http.StatusOK)
}

// sessionLister is the part of a session store that lists every stored
// session by the hash of its id (ui/sqlite and ui/postgres have it, for
// firedrill store copy).
type sessionLister interface {
	AllSessions(ctx context.Context) (map[string]Session, error)
}

// active returns the unexpired sessions of people signed in with the
// identity provider: those in this process and, when the store lists its
// sessions, those of every replica and from before a restart.
func (ss *sessions) active(ctx context.Context) ([]Session, error) {
	now := ss.clock.Now()
	byHash := map[string]Session{}
	if l, ok := ss.store.(sessionLister); ok && ss.store != nil {
		all, err := l.AllSessions(ctx)
		if err != nil {
			return nil, err
		}
		byHash = all
	}
	ss.mu.Lock()
	for id, s := range ss.byID {
		byHash[HashToken(id)] = *s
	}
	ss.mu.Unlock()
	var out []Session
	for _, s := range byHash {
		if s.Subject != "" && now.Before(s.Expires) {
			out = append(out, s)
		}
	}
	return out, nil
}

// apiAdminSessions lists the people with active sessions, one row per
// person: name, what they signed in for, their teams and how many browsers.
func (s *Server) apiAdminSessions(w http.ResponseWriter, r *http.Request, sess *Session) {
	active, err := s.sessions.active(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows := map[string]*wire.ActivePerson{}
	for _, a := range active {
		p := rows[a.Subject]
		if p == nil {
			p = &wire.ActivePerson{Subject: a.Subject, Name: a.Name, Teams: map[string]control.Role{}}
			rows[a.Subject] = p
		}
		p.Sessions++
		if a.Admin {
			p.Staff = true
			for t, role := range a.Teams {
				p.Teams[t] = role
			}
		}
		if a.Expires.After(p.Until) {
			p.Until = a.Expires
		}
		if a.Subject == sess.Subject {
			p.You = true
		}
	}
	out := wire.ActiveSessions{People: []wire.ActivePerson{}}
	for _, p := range rows {
		out.People = append(out.People, *p)
	}
	sort.Slice(out.People, func(i, j int) bool {
		if out.People[i].Name != out.People[j].Name {
			return out.People[i].Name < out.People[j].Name
		}
		return out.People[i].Subject < out.People[j].Subject
	})
	writeJSON(w, http.StatusOK, out)
}

// apiAdminRevoke ends every session of a person in every browser and
// closes their drill streams. The revocation is logged with who did it.
func (s *Server) apiAdminRevoke(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req wire.RevokeSessionsRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	subject := strings.TrimSpace(req.Subject)
	if subject == "" {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "subject: the person whose sessions end is required"))
		return
	}
	active, err := s.sessions.active(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var name string
	people := map[string]bool{}
	for _, a := range active {
		if a.Subject == subject {
			name = a.Name
			people[a.PersonID] = true
		}
	}
	if name == "" {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "Nobody with that subject has an active session."))
		return
	}
	n := s.sessions.deleteSubject(r.Context(), subject)
	// Their open drill streams close too: a staff member's person id is
	// the same in every drill.
	if sums, err := s.engine.Drills(r.Context(), control.DrillFilter{Open: true}); err == nil {
		for _, d := range sums {
			for pid := range people {
				if pid != "" {
					s.hub.kick(d.ID, pid)
				}
			}
		}
	}
	s.logger.Warn("sessions revoked by an admin", "subject", subject, "name", name, "sessions", n, "by", sess.Name, "bySubject", sess.Subject, "why", strings.TrimSpace(req.Why))
	if sess.Subject == subject {
		s.clearSessionCookie(w, r)
	}
	writeJSON(w, http.StatusOK, wire.RevokeSessionsResult{Name: name, Ended: n})
}
