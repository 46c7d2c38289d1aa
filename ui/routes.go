package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// Access says who may call a route. Every route of the server is in the
// route table with exactly one Access; the authorization matrix test walks
// the table.
type Access string

// Accesses.
const (
	// AccessPublic routes need no session (sign-in, static assets).
	AccessPublic Access = "public"
	// AccessAdmin routes are the facilitator's outside any one drill.
	AccessAdmin Access = "admin"
	// AccessMember routes read one drill: anyone with a session for it.
	AccessMember Access = "member"
	// AccessFacilitator routes run one drill.
	AccessFacilitator Access = "facilitator"
	// AccessStaff routes are for the facilitator, designer and observer.
	AccessStaff Access = "staff"
	// AccessParticipant routes are for participants only: notices and
	// response-role claims.
	AccessParticipant Access = "participant"
	// AccessStudio routes are the scenario studio's: designers and
	// facilitators, each for the teams they design or facilitate for.
	AccessStudio Access = "studio"
)

// Route describes one route of the server.
type Route struct {
	Method  string
	Pattern string
	Access  Access
}

type route struct {
	Route
	h func(w http.ResponseWriter, r *http.Request, sess *Session)
}

// routeTable is every route of the server.
func (s *Server) routeTable() []route {
	rt := func(method, pattern string, a Access, h func(http.ResponseWriter, *http.Request, *Session)) route {
		return route{Route{method, pattern, a}, h}
	}
	return append([]route{
		rt("POST", "/api/login", AccessPublic, s.apiLogin),
		rt("POST", "/api/logout", AccessPublic, s.apiLogout),
		rt("POST", "/api/logout/everywhere", AccessAdmin, s.apiLogoutEverywhere),
		rt("GET", "/auth/oidc/login", AccessPublic, s.pageOIDCLogin),
		rt("GET", "/auth/oidc/callback", AccessPublic, s.pageOIDCCallback),
		rt("GET", "/me", AccessPublic, s.pageMe),
		rt("GET", "/api/me/drills", AccessPublic, s.apiMyDrills),
		rt("POST", "/api/join", AccessPublic, s.apiJoin),
		rt("GET", "/api/session", AccessPublic, s.apiSession),
		rt("GET", "/healthz", AccessPublic, s.healthz),
		rt("GET", "/readyz", AccessPublic, s.readyz),
		rt("GET", "/metrics", AccessAdmin, s.metrics),

		rt("GET", "/api/scenarios", AccessAdmin, s.apiScenarios),
		rt("GET", "/api/drills", AccessAdmin, s.apiDrills),
		rt("POST", "/api/drills", AccessAdmin, s.apiCreateDrill),

		rt("GET", "/api/drills/{id}", AccessMember, s.apiDrill),
		rt("GET", "/api/drills/{id}/ws", AccessMember, s.apiWS),
		rt("POST", "/api/drills/{id}/messages", AccessMember, s.apiPostMessage),

		rt("POST", "/api/drills/{id}/people", AccessFacilitator, s.apiAddPerson),
		rt("POST", "/api/drills/{id}/people/{pid}/link", AccessFacilitator, s.apiNewLink),
		rt("POST", "/api/drills/{id}/people/{pid}/remove", AccessFacilitator, s.apiRemovePerson),
		rt("POST", "/api/drills/{id}/people/{pid}/sessions/end", AccessFacilitator, s.apiEndSessions),
		rt("POST", "/api/drills/{id}/briefing", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/start", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/time-scale", AccessFacilitator, s.apiTimeScale),
		rt("POST", "/api/drills/{id}/pause", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/resume", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/end", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/abort", AccessFacilitator, s.apiLifecycle),
		rt("POST", "/api/drills/{id}/hints/next", AccessFacilitator, s.apiNextHint),
		rt("POST", "/api/drills/{id}/hints/skip", AccessFacilitator, s.apiSkipHint),
		rt("POST", "/api/drills/{id}/hints/{hid}/skip", AccessFacilitator, s.apiSkipHintStage),
		rt("POST", "/api/drills/{id}/faults/{fid}/fire", AccessFacilitator, s.apiFault),
		rt("POST", "/api/drills/{id}/faults/{fid}/resolve", AccessFacilitator, s.apiFault),
		rt("POST", "/api/drills/{id}/faults/{fid}/skip", AccessFacilitator, s.apiSkipFault),

		rt("POST", "/api/drills/{id}/notes", AccessStaff, s.apiPostNote),

		rt("POST", "/api/drills/{id}/notices", AccessParticipant, s.apiPostNotice),
		rt("POST", "/api/drills/{id}/claims", AccessParticipant, s.apiClaim),
		rt("POST", "/api/drills/{id}/confirmations/{key}", AccessParticipant, s.apiConfirm),

		rt("GET", "/{$}", AccessPublic, s.pageHome),
		rt("GET", "/login", AccessPublic, s.pageLogin),
		rt("GET", "/join", AccessPublic, s.pageJoin),
		rt("GET", "/console", AccessAdmin, s.pageConsole),
		rt("GET", "/console/drills/{id}", AccessFacilitator, s.pageRoom),
		rt("GET", "/room/{id}", AccessMember, s.pageRoom),
		rt("GET", "/static/", AccessPublic, s.pageStatic),
		rt("GET", "/favicon.ico", AccessPublic, s.pageFavicon),
	}, slices.Concat(s.retroRoutes(), s.programRoutes(), s.studioRoutes(), s.adminRoutes(), s.rehearsalRoutes())...)
}

// Routes lists every route of the server with who may call it.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routeTable() {
		out = append(out, r.Route)
	}
	return out
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	for _, rt := range s.routeTable() {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.guard(rt))
	}
}

// guard enforces a route's Access and, for state changes, CSRF protection.
// Refusals say only that access is refused: never whether a drill exists.
func (s *Server) guard(rt route) http.Handler {
	page := rt.Pattern == "/console" || rt.Pattern == "/console/drills/{id}" || strings.HasPrefix(rt.Pattern, "/room/") || strings.HasPrefix(rt.Pattern, "/studio") || rt.Pattern == "/admin/sessions"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := s.session(r)
		if rt.Pattern == "/metrics" && s.metricsBearer(r) {
			rt.h(w, r, sess)
			return
		}
		if rt.Access != AccessPublic {
			var err error
			if sess, err = s.authorize(r.Context(), rt.Access, rt.Pattern, sess, r.PathValue("id")); err != nil {
				if page {
					s.pageRefused(w, r, err)
				} else {
					s.writeError(w, r, err)
				}
				return
			}
		}
		if err := s.closedAccess(r, rt, sess); err != nil {
			if rt.Pattern == "/room/{id}" && r.Method == http.MethodGet {
				// The room of a closed drill: its retro is what the person
				// keeps (and where "back to my drill room" must lead).
				http.Redirect(w, r, "/room/"+url.PathEscape(sess.DrillID)+"/retro", http.StatusSeeOther)
				return
			}
			if page {
				s.pageRefused(w, r, err)
			} else {
				s.writeError(w, r, err)
			}
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			csrfSess := sess
			if signIn[rt.Pattern] {
				// Signing in replaces whatever session the browser holds (a
				// join link of another drill): the secret or join token
				// proves intent, the same-origin check still applies.
				csrfSess = nil
			}
			if err := s.checkCSRF(r, csrfSess); err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := s.writeBudget(r, rt, sess); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		rt.h(w, r, sess)
	})
}

// closedReadable are the routes a joined person keeps once their drill is
// closed: reading the retro, their own answers in it, and its two charts
// (the timeline and the ratings the retro page shows).
var closedReadable = map[string]bool{"/api/drills/{id}/retro": true, "/room/{id}/retro": true,
	"/api/drills/{id}/charts/timeline.svg": true, "/api/drills/{id}/charts/ratings.svg": true}

// closedAccess refuses a joined person everything but reading the retro once
// their drill is closed: their link no longer joins and their stream is
// closed; the facilitator keeps the record.
func (s *Server) closedAccess(r *http.Request, rt route, sess *Session) error {
	if !joined(sess) || r.PathValue("id") != sess.DrillID {
		return nil
	}
	if r.Method == http.MethodGet && closedReadable[rt.Pattern] {
		return nil
	}
	d, err := s.engine.Drill(r.Context(), sess.DrillID)
	if err != nil || d.State != control.StateClosed {
		return nil
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return injectors.Errorf(injectors.ECONFLICT, "This drill is closed: its record is final.")
	}
	return injectors.Errorf(injectors.EFORBIDDEN, "This drill is closed: only the retro stays readable.")
}

// joined reports whether sess is a person of one drill who joined by a
// link (not the admin credential, not staff from the identity provider):
// their access ends when the drill closes.
func joined(sess *Session) bool {
	return sess != nil && !sess.Admin && sess.Subject == "" && sess.DrillID != ""
}

// signIn are the routes that exchange a secret for a new session.
var signIn = map[string]bool{"/api/login": true, "/api/join": true}

// allowed decides whether sess may use a route with access a on drill
// drillID (empty for routes outside a drill).
func allowed(a Access, sess *Session, drillID string) error {
	if sess == nil {
		return injectors.Errorf(injectors.EUNAUTHORIZED, "Sign in first: use your join link, or the facilitator sign-in.")
	}
	forbidden := injectors.Errorf(injectors.EFORBIDDEN, "You do not have access to this.")
	if a == AccessStudio {
		// A designer's join link opens the studio for their drill's team.
		if sess.Admin || sess.Role == control.RoleDesigner || sess.Role == control.RoleFacilitator {
			return nil
		}
		return forbidden
	}
	if sess.Admin {
		if a == AccessParticipant {
			return forbidden
		}
		return nil
	}
	if a == AccessAdmin {
		return forbidden
	}
	if sess.DrillID != drillID {
		return forbidden
	}
	switch a {
	case AccessMember:
		return nil
	case AccessFacilitator:
		if sess.Role == control.RoleFacilitator {
			return nil
		}
	case AccessStaff:
		if sess.Role.Backroom() {
			return nil
		}
	case AccessParticipant:
		if sess.Role == control.RoleParticipant {
			return nil
		}
	}
	return forbidden
}

// facilitator reports whether sess runs its drill.
func (sess *Session) facilitator() bool {
	return sess.Admin || sess.Role == control.RoleFacilitator
}

// staff reports whether sess is of the back room (the facilitator, a
// designer or an observer): staff see every event of the stream, under the
// journal's numbers.
func (sess *Session) staff() bool { return sess.Admin || sess.Role.Backroom() }

// actor is who the engine records as acting for sess: a staff member from
// the identity provider acts as themself (StaffID), a facilitator who
// signed in with the admin credential as the person of their name.
func (sess *Session) actor() string {
	if sess.Subject != "" {
		return sess.PersonID
	}
	if sess.Admin {
		return FacilitatorID(sess.Name)
	}
	return sess.PersonID
}

// FacilitatorID is the person id of a facilitator who signed in with the
// admin credential under a name: ActorFacilitator for the default name, else
// one id per name, so that two facilitators are two people in the drill and
// the same person signing in again is the same person.
func FacilitatorID(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == strings.ToLower(DefaultFacilitatorName) {
		return ActorFacilitator
	}
	h := sha256.Sum256([]byte(n))
	return ActorFacilitator + "-" + hex.EncodeToString(h[:4])
}

// DefaultFacilitatorName is the name of a facilitator who gave none.
const DefaultFacilitatorName = "Facilitator"
