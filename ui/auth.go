package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// Cookie and header names.
const (
	sessionCookie = "firedrill_session"
	csrfHeader    = "X-CSRF-Token"
)

// Session lifetimes: a facilitator works a day; a join session lasts the
// drill and the retro that follows. A staff session (admin credential or
// identity provider) also ends after DefaultStaffIdle without a request.
const (
	adminSessionTTL = 12 * time.Hour
	joinSessionTTL  = 24 * time.Hour
	// DefaultStaffIdle is the idle timeout of staff sessions.
	DefaultStaffIdle = 2 * time.Hour
)

// Session is one signed-in browser. A facilitator session (from the admin
// credential) may act on every drill; a join session is bound to one drill,
// one person and that person's role.
type Session struct {
	ID   string
	CSRF string
	// Admin is set for the facilitator who signed in with the admin
	// credential; DrillID and PersonID are then empty.
	Admin    bool
	DrillID  string
	PersonID string
	Name     string
	Role     control.Role
	Expires  time.Time
	// LinkHash is the hash of the join token the session was made from. A
	// join session lives only while that link stands: rotating the link,
	// removing the person, ending their sessions or closing the drill
	// revokes the link, and every session made from it ends.
	LinkHash string
	// Subject is the identity-provider subject of a staff member who
	// signed in with it (their PersonID is StaffID of it); empty for the
	// admin credential and join links.
	Subject string
	// Teams are the teams such a staff member works with and their role
	// in each, from the groups claim; AllTeams stands for every team.
	Teams map[string]control.Role
}

// BreakGlass reports whether the session was opened with the admin
// credential, the bootstrap and break-glass way in.
func (sess *Session) BreakGlass() bool { return sess.Admin && sess.Subject == "" }

// scoped reports whether the session sees only its own teams: a staff
// member from the identity provider who is not an org-wide facilitator.
func (sess *Session) scoped() bool {
	return sess.Admin && sess.Subject != "" && sess.Teams[AllTeams] != control.RoleFacilitator
}

// RoleIn returns the session's role in a team's drills, or "" for none.
func (sess *Session) RoleIn(team string) control.Role {
	if !sess.Admin {
		return ""
	}
	if !sess.scoped() {
		return control.RoleFacilitator
	}
	r := sess.Teams[team]
	if all := sess.Teams[AllTeams]; roleRank(all) > roleRank(r) {
		r = all
	}
	return r
}

// Grant is what a join token stands for: one person of one drill, in one role.
type Grant struct {
	DrillID  string       `json:"drillId"`
	PersonID string       `json:"personId"`
	Name     string       `json:"name"`
	Role     control.Role `json:"role"`
}

// JoinTokens keeps the join tokens of people, hashed: the token itself is
// only in the join link. ui/sqlite implements it.
type JoinTokens interface {
	// PutJoinToken stores the grant under the SHA-256 hash of a token,
	// replacing any earlier token of the same person.
	PutJoinToken(ctx context.Context, tokenHash string, g Grant) error
	// JoinGrant returns the grant of a token hash, or ENOTFOUND.
	JoinGrant(ctx context.Context, tokenHash string) (Grant, error)
	// RevokeJoinTokens deletes the join token of a person of a drill, or of
	// every person of the drill when personID is empty.
	RevokeJoinTokens(ctx context.Context, drillID, personID string) error
}

// SessionStore keeps sessions durably, so that a restarted server (whose
// drills resume) does not sign everybody out. Sessions are stored under the
// SHA-256 hash of their id; the id itself is only in the browser's cookie.
// ui/sqlite implements it.
type SessionStore interface {
	PutSession(ctx context.Context, idHash string, s Session) error
	// GetSession returns the session, or ENOTFOUND.
	GetSession(ctx context.Context, idHash string) (Session, error)
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteSubjectSessions removes every session of an identity-provider
	// subject and returns how many there were.
	DeleteSubjectSessions(ctx context.Context, subject string) (int, error)
}

// sessions is the session table: a cache in memory over an optional
// durable store.
type sessions struct {
	clock clock.PassiveClock
	store SessionStore // nil keeps sessions in memory only
	// idle ends a staff session that made no request for that long; the
	// last request is kept in memory (a restart starts the count again).
	idle time.Duration
	mu   sync.Mutex
	byID map[string]*Session
	seen map[string]time.Time
}

func newSessions(c clock.PassiveClock, store SessionStore, idle time.Duration) *sessions {
	return &sessions{clock: c, store: store, idle: idle, byID: make(map[string]*Session), seen: make(map[string]time.Time)}
}

func (ss *sessions) create(ctx context.Context, s Session, ttl time.Duration) (*Session, error) {
	s.ID = randomToken()
	s.CSRF = randomToken()
	s.Expires = ss.clock.Now().Add(ttl)
	if ss.store != nil {
		if err := ss.store.PutSession(ctx, HashToken(s.ID), s); err != nil {
			return nil, fmt.Errorf("create session: %w", err)
		}
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.clock.Now()
	for id, old := range ss.byID {
		if now.After(old.Expires) {
			delete(ss.byID, id)
			delete(ss.seen, id)
		}
	}
	ss.byID[s.ID] = &s
	ss.seen[s.ID] = now
	return &s, nil
}

func (ss *sessions) get(ctx context.Context, id string) (*Session, bool) {
	ss.mu.Lock()
	s, ok := ss.byID[id]
	ss.mu.Unlock()
	if !ok && ss.store != nil {
		stored, err := ss.store.GetSession(ctx, HashToken(id))
		if err != nil {
			return nil, false
		}
		stored.ID = id
		s, ok = &stored, true
		ss.mu.Lock()
		ss.byID[id] = s
		ss.mu.Unlock()
	}
	if !ok {
		return nil, false
	}
	now := ss.clock.Now()
	ss.mu.Lock()
	last, seen := ss.seen[id]
	if !seen {
		last = now
	}
	ss.seen[id] = now
	ss.mu.Unlock()
	if now.After(s.Expires) || (s.Admin && ss.idle > 0 && now.Sub(last) > ss.idle) {
		ss.delete(ctx, id)
		return nil, false
	}
	return s, true
}

func (ss *sessions) delete(ctx context.Context, id string) {
	ss.mu.Lock()
	delete(ss.byID, id)
	delete(ss.seen, id)
	ss.mu.Unlock()
	if ss.store != nil {
		_ = ss.store.DeleteSession(ctx, HashToken(id))
	}
}

// deleteSubject ends every session of an identity-provider subject, in
// this process and in the store, and returns how many ended.
func (ss *sessions) deleteSubject(ctx context.Context, subject string) int {
	n := 0
	ss.mu.Lock()
	for id, s := range ss.byID {
		if s.Subject == subject {
			delete(ss.byID, id)
			delete(ss.seen, id)
			n++
		}
	}
	ss.mu.Unlock()
	if ss.store != nil {
		if m, err := ss.store.DeleteSubjectSessions(ctx, subject); err == nil && m > n {
			n = m
		}
	}
	return n
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("ui: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a join token, the form it is stored
// in. Tokens carry 256 random bits, so a fast hash is enough.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// AdminCredential checks the facilitator's credential from the
// configuration: a shared token, a bcrypt hash of a password, or both.
type AdminCredential struct {
	Token        string
	PasswordHash string
}

// Configured reports whether any credential is set; without one nobody can
// sign in as facilitator.
func (a AdminCredential) Configured() bool { return a.Token != "" || a.PasswordHash != "" }

// Check reports whether secret matches the token or the password.
func (a AdminCredential) Check(secret string) bool {
	if secret == "" {
		return false
	}
	if a.Token != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(a.Token)) == 1 {
		return true
	}
	if a.PasswordHash != "" && bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(secret)) == nil {
		return true
	}
	return false
}

// session returns the request's session, if any. A join session whose link
// was revoked or replaced has ended.
func (s *Server) session(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	sess, ok := s.sessions.get(r.Context(), c.Value)
	if !ok || sess.Admin || sess.personal() {
		return sess, ok
	}
	g, err := s.tokens.JoinGrant(r.Context(), sess.LinkHash)
	if err != nil || sess.LinkHash == "" || g.DrillID != sess.DrillID || g.PersonID != sess.PersonID {
		if injectors.ErrorCode(err) == injectors.ENOTFOUND || err == nil {
			s.sessions.delete(r.Context(), sess.ID)
		}
		return nil, false
	}
	return sess, true
}

// endAccess revokes the join link of a person of a drill (every person's
// when personID is empty), which ends the sessions made from it, and closes
// their open streams.
func (s *Server) endAccess(ctx context.Context, drillID, personID string) error {
	if err := s.tokens.RevokeJoinTokens(ctx, drillID, personID); err != nil {
		return fmt.Errorf("end access to drill %s: %w", drillID, err)
	}
	s.hub.kick(drillID, personID)
	return nil
}

// setSessionCookie gives the browser the session's cookie for as long as
// the session lasts. The lifetime is sent as Max-Age, the seconds left on
// the server's clock, not as an Expires date: a browser compares a date
// with its own clock, so a laptop whose clock runs an hour ahead would
// drop a fresh session at once (and a test's fake clock set to another
// day made the cookie jar drop it).
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess *Session) {
	left := int(sess.Expires.Sub(s.clock.Now()) / time.Second)
	if left < 1 {
		left = 1 // MaxAge 0 would mean a cookie without lifetime, below 0 none
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    sess.ID,
		Path:     "/",
		MaxAge:   left,
		HttpOnly: true,
		Secure:   s.secureCookies(r),
		SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) secureCookies(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return strings.HasPrefix(s.publicURL, "https://")
}

// sameOrigin reports whether the request comes from a page of this server:
// its Origin header must name the host the request was sent to (or the
// configured public URL). Requests without Origin are refused on WebSocket
// upgrades and state changes alike: every browser we serve sends it.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) && u.Scheme == requestScheme(r) {
		return true
	}
	if s.publicURL != "" {
		if p, err := url.Parse(s.publicURL); err == nil && strings.EqualFold(p.Host, u.Host) && p.Scheme == u.Scheme {
			return true
		}
	}
	return false
}

// checkCSRF protects a state-changing request: same origin, and the session's
// CSRF token echoed in the X-CSRF-Token header (which a cross-site form
// cannot set).
func (s *Server) checkCSRF(r *http.Request, sess *Session) error {
	if !s.sameOrigin(r) {
		return injectors.Errorf(injectors.EFORBIDDEN, "Cross-origin request refused.")
	}
	if sess == nil {
		return nil
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
		return injectors.Errorf(injectors.EFORBIDDEN, "Missing or wrong CSRF token; reload the page.")
	}
	return nil
}
