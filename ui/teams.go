package ui

import (
	"context"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// Teams: drills, scenarios, records and history belong to the team of
// their scenario (metadata.team). A staff member who signed in with the
// identity provider sees only the teams their groups map to, in the role
// mapped for each; an org-wide facilitator (a group mapped to AllTeams)
// and the admin credential see every team.

// refusedAccess is the one refusal of a team-scoped session: the same
// for a drill of another team and for a drill that does not exist.
func refusedAccess() error {
	return injectors.Errorf(injectors.EFORBIDDEN, "You do not have access to this.")
}

// orgWideRoute reports whether a route is the console routes outside any team: the drill
// program's season plans, notices and compliance report, and the sessions
// page of the org-wide admin.
func orgWideRoute(pattern string) bool {
	return strings.HasPrefix(pattern, "/api/program/") && pattern != "/api/program/apply" || pattern == "/program" || adminRoute(pattern)
}

// authorize decides whether sess may use a route with access a on drill
// drillID (empty outside a drill) and returns the session the handler acts
// with: for a team-scoped staff member who is a designer or observer of
// the drill's team, a session bound to the drill in that role.
func (s *Server) authorize(ctx context.Context, a Access, pattern string, sess *Session, drillID string) (*Session, error) {
	if err := allowed(a, sess, drillID); err != nil {
		return nil, err
	}
	if !sess.scoped() {
		return sess, nil
	}
	if drillID == "" {
		if a == AccessAdmin && orgWideRoute(pattern) || a == AccessStudio && !sess.studioDesigns() {
			return nil, refusedAccess()
		}
		return sess, nil
	}
	d, err := s.engine.Drill(ctx, drillID)
	if err != nil {
		return nil, refusedAccess()
	}
	role := sess.RoleIn(d.Scenario.Metadata.Team)
	switch role {
	case "":
		return nil, refusedAccess()
	case control.RoleFacilitator:
		return sess, nil
	}
	bound := *sess
	bound.Admin, bound.DrillID, bound.Role = false, drillID, role
	if err := allowed(a, &bound, drillID); err != nil {
		return nil, err
	}
	if d.State != control.StateClosed {
		if _, ok := d.Person(sess.PersonID); !ok {
			_, err := s.engine.AddPerson(ctx, drillID, sess.person(role), sess.PersonID)
			if err != nil && injectors.ErrorCode(err) != injectors.ECONFLICT {
				return nil, err
			}
		}
	}
	return &bound, nil
}

// person is the staff member of sess as a person of a drill, in role.
func (sess *Session) person(role control.Role) control.Person {
	p := control.Person{ID: sess.actor(), Name: sess.Name, Role: role, Subject: sess.Subject, SignIn: control.SignInIdentityProvider}
	if sess.BreakGlass() {
		p.SignIn = control.SignInAdminToken
	}
	return p
}

// teamVisible reports whether sess may see a team's drills and records.
func (sess *Session) teamVisible(team string) bool {
	return sess != nil && sess.RoleIn(team) != ""
}

// visibleDrills keeps the drills of sess's teams, each with sess's role in
// it: the console opens a drill the person facilitates in the facilitator's
// console, any other in the drill room.
func (s *Server) visibleDrills(ctx context.Context, sess *Session, ds []control.DrillSummary) []wire.ConsoleDrill {
	out := []wire.ConsoleDrill{}
	for _, sum := range ds {
		if !sess.scoped() {
			out = append(out, wire.ConsoleDrill{DrillSummary: sum, Role: control.RoleFacilitator})
			continue
		}
		d, err := s.engine.Drill(ctx, sum.ID)
		if err == nil && sess.teamVisible(d.Scenario.Metadata.Team) {
			out = append(out, wire.ConsoleDrill{DrillSummary: sum, Role: sess.RoleIn(d.Scenario.Metadata.Team)})
		}
	}
	return out
}

// visibleScenarios keeps the scenarios of the teams sess designs or
// facilitates drills for.
func visibleScenarios(sess *Session, all []LibraryEntry) []LibraryEntry {
	if !sess.scoped() {
		return all
	}
	out := []LibraryEntry{}
	for _, e := range all {
		if r := sess.RoleIn(e.Team); r == control.RoleFacilitator || r == control.RoleDesigner {
			out = append(out, e)
		}
	}
	return out
}

// canCreateDrill checks that sess facilitates drills of the team.
func canCreateDrill(sess *Session, team string) error {
	if sess.RoleIn(team) != control.RoleFacilitator {
		return injectors.Errorf(injectors.ENOTFOUND, "No such scenario in your teams' library.")
	}
	return nil
}

// apiLogoutEverywhere signs the person out in every browser: every
// session of their identity-provider subject ends (for the admin
// credential or a join link, only this browser's).
func (s *Server) apiLogoutEverywhere(w http.ResponseWriter, r *http.Request, sess *Session) {
	n := 0
	if sess.Subject != "" {
		n = s.sessions.deleteSubject(r.Context(), sess.Subject)
	}
	s.sessions.delete(r.Context(), sess.ID)
	s.clearSessionCookie(w, r)
	writeJSON(w, http.StatusOK, map[string]int{"ended": n + 1})
}
