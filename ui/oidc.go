package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// AllTeams, as the team of a group mapping, makes the group's members
// org-wide: they see and act on every team's drills.
const AllTeams = "*"

// OIDCConfig configures sign-in with the organization's OpenID Connect
// identity provider for staff (facilitators, designers, observers).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are firedrill's client at the provider.
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback registered at the provider; default
	// <publicURL>/auth/oidc/callback (publicURL, or the address the
	// browser used).
	RedirectURL string
	// Scopes are requested besides openid; default profile and email.
	Scopes []string
	// GroupsClaim names the ID token claim holding the person's groups;
	// default "groups".
	GroupsClaim string
	// Groups maps a group of the provider to a team and a role in it. A
	// person in no mapped group cannot sign in.
	Groups map[string]GroupGrant
	// HTTPClient talks to the provider; default http.DefaultClient.
	HTTPClient *http.Client
}

// GroupGrant is what membership of a provider group grants: a role in a
// team (AllTeams for every team).
type GroupGrant struct {
	Team string
	Role control.Role
}

// Enabled reports whether sign-in with the provider is configured.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" }

// Check reports the first configuration problem, with its field path.
func (c OIDCConfig) Check() error {
	if !c.Enabled() {
		return nil
	}
	switch {
	case c.ClientID == "":
		return injectors.Errorf(injectors.EINVALID, "auth.oidc.clientID: required when auth.oidc.issuer is set.")
	case len(c.Groups) == 0:
		return injectors.Errorf(injectors.EINVALID, "auth.oidc.groups: map at least one group to a team and role, or nobody can sign in.")
	}
	for g, gr := range c.Groups {
		if strings.TrimSpace(gr.Team) == "" {
			return injectors.Errorf(injectors.EINVALID, "auth.oidc.groups.%s.team: required (a team name, or %q for every team).", g, AllTeams)
		}
		switch gr.Role {
		case control.RoleFacilitator, control.RoleDesigner, control.RoleObserver:
		default:
			return injectors.Errorf(injectors.EINVALID, "auth.oidc.groups.%s.role: %q is not a staff role, expected facilitator, designer or observer.", g, gr.Role)
		}
	}
	return nil
}

// oidcLoginTTL bounds how long a person may take at the provider's sign-in
// page before the started sign-in is forgotten.
const oidcLoginTTL = 10 * time.Minute

// oidcStateCookie binds a started sign-in to the browser that started it.
const oidcStateCookie = "firedrill_oidc"

// pendingLogin is a sign-in started at the provider and not yet finished.
type pendingLogin struct {
	nonce    string
	verifier string // PKCE code verifier
	expires  time.Time
	// purpose is why the person signs in (purposeStaff, purposeLink,
	// purposeMe); link is the drill person a purposeLink sign-in links.
	purpose string
	link    IdentityLink
}

// oidcAuth is the relying party: discovery, the started sign-ins, and the
// mapping from groups to teams.
type oidcAuth struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
	pending  map[string]pendingLogin // by state
}

func newOIDCAuth(cfg OIDCConfig) *oidcAuth {
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"profile", "email"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &oidcAuth{cfg: cfg, pending: map[string]pendingLogin{}}
}

// discover reads the provider's discovery document once it answers; a
// provider that is down at start does not keep the room from serving.
func (o *oidcAuth) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.cfg.HTTPClient), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover identity provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (s *Server) oauth2(p *oidc.Provider, r *http.Request) *oauth2.Config {
	o := s.oidc
	redirect := o.cfg.RedirectURL
	if redirect == "" {
		redirect = s.baseURL(r) + "/auth/oidc/callback"
	}
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: redirect,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...),
	}
}

// start remembers a new sign-in and returns its state.
func (o *oidcAuth) start(now time.Time, purpose string, link IdentityLink) (string, pendingLogin) {
	state := randomToken()
	pl := pendingLogin{nonce: randomToken(), verifier: oauth2.GenerateVerifier(), expires: now.Add(oidcLoginTTL), purpose: purpose, link: link}
	o.mu.Lock()
	defer o.mu.Unlock()
	for st, p := range o.pending {
		if now.After(p.expires) {
			delete(o.pending, st)
		}
	}
	o.pending[state] = pl
	return state, pl
}

// finish takes the sign-in of state out of the pending ones: a state is
// good for one callback only, so a replayed callback is refused.
func (o *oidcAuth) finish(state string, now time.Time) (pendingLogin, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	pl, ok := o.pending[state]
	delete(o.pending, state)
	if !ok || now.After(pl.expires) {
		return pendingLogin{}, false
	}
	return pl, true
}

// grants maps a person's groups to their teams: the strongest role wins
// when two groups grant roles in one team.
// (AllTeams stands for a role in every team.)
func (o *oidcAuth) grants(groups []string) map[string]control.Role {
	teams := map[string]control.Role{}
	for _, g := range groups {
		for name, gr := range o.cfg.Groups {
			// Group names compare case-insensitively: configuration keys
			// are folded to lower case.
			if strings.EqualFold(name, g) && roleRank(gr.Role) > roleRank(teams[gr.Team]) {
				teams[gr.Team] = gr.Role
			}
		}
	}
	return teams
}

func roleRank(r control.Role) int {
	switch r {
	case control.RoleFacilitator:
		return 3
	case control.RoleDesigner:
		return 2
	case control.RoleObserver:
		return 1
	}
	return 0
}

// StaffID is the person id of a staff member who signed in with the
// identity provider: one id per issuer and subject, so the same person is
// the same person in every drill whatever name they go by.
func StaffID(issuer, subject string) string {
	h := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return "staff-" + hex.EncodeToString(h[:6])
}

// pageOIDCLogin starts the authorization code flow with PKCE: it remembers
// the state, nonce and code verifier, binds the state to this browser with
// a cookie and sends the browser to the provider.
func (s *Server) pageOIDCLogin(w http.ResponseWriter, r *http.Request, sess *Session) {
	if s.oidc == nil {
		s.signInRefused(w, http.StatusNotFound, "Sign-in with an identity provider is not configured here.", "Use the facilitator sign-in.")
		return
	}
	purpose, link := r.URL.Query().Get("purpose"), IdentityLink{}
	switch purpose {
	case purposeStaff, purposeMe:
	case purposeLink:
		// A participant links the drill of their join link: the link is
		// taken from their session now, not from anything the provider
		// sends back.
		if sess == nil || sess.Admin || sess.DrillID == "" || sess.Role != control.RoleParticipant || s.links == nil {
			s.signInRefused(w, http.StatusForbidden, "Only a participant who joined a drill can link it to their account.", "Open your join link first.")
			return
		}
		link = IdentityLink{DrillID: sess.DrillID, PersonID: sess.PersonID}
	default:
		s.signInRefused(w, http.StatusBadRequest, "Unknown sign-in purpose.", "Start again from the sign-in page.")
		return
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.logf("oidc: %v", err)
		s.signInRefused(w, http.StatusBadGateway, "The identity provider does not answer.", "Try again in a moment, or ask your administrator.")
		return
	}
	state, pl := s.oidc.start(s.clock.Now(), purpose, link)
	http.SetCookie(w, &http.Cookie{
		Name: oidcStateCookie, Value: state, Path: "/auth/oidc/", MaxAge: int(oidcLoginTTL.Seconds()),
		// Lax: the provider sends the browser back with a top-level
		// navigation from its own site.
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
	u := s.oauth2(p, r).AuthCodeURL(state, oidc.Nonce(pl.nonce), oauth2.S256ChallengeOption(pl.verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// idClaims are the ID token claims firedrill reads.
type idClaims struct {
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
}

// pageOIDCCallback finishes a sign-in: the state must be one this server
// issued to this browser and not used before; the code is exchanged with
// the PKCE verifier; the ID token's signature, issuer, audience, expiry and
// nonce are checked; the person's groups must map to a team.
func (s *Server) pageOIDCCallback(w http.ResponseWriter, r *http.Request, _ *Session) {
	if s.oidc == nil {
		s.signInRefused(w, http.StatusNotFound, "Sign-in with an identity provider is not configured here.", "Use the facilitator sign-in.")
		return
	}
	q := r.URL.Query()
	c, _ := r.Cookie(oidcStateCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	state := q.Get("state")
	if c == nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		s.signInRefused(w, http.StatusBadRequest, "This sign-in was not started in this browser.", "Start again from the sign-in page.")
		return
	}
	pl, ok := s.oidc.finish(state, s.clock.Now())
	if !ok {
		s.signInRefused(w, http.StatusBadRequest, "This sign-in has already been used or has expired.", "Start again from the sign-in page.")
		return
	}
	if e := q.Get("error"); e != "" {
		s.signInRefused(w, http.StatusUnauthorized, "The identity provider refused the sign-in: "+e+".", "Start again from the sign-in page.")
		return
	}
	sess, err := s.oidcSession(r, q.Get("code"), pl)
	if err == nil && pl.purpose == purposeLink {
		s.signedIn(w, "/room/"+pl.link.DrillID, "Linked this drill to "+sess.Name+".")
		return
	}
	if err != nil {
		var ref *signInError
		if errors.As(err, &ref) {
			s.signInRefused(w, ref.status, ref.msg, ref.hint)
			return
		}
		s.logf("oidc callback: %v", err)
		s.signInRefused(w, http.StatusUnauthorized, "The identity provider's answer could not be verified.", "Start again from the sign-in page; if it keeps failing, ask your administrator.")
		return
	}
	s.setSessionCookie(w, r, sess)
	if pl.purpose == purposeMe {
		s.signedIn(w, "/me", "Signed in as "+sess.Name+".")
		return
	}
	s.logger.Info("staff signed in with the identity provider", "subject", sess.Subject, "name", sess.Name, "teams", teamList(sess))
	s.signedIn(w, "/console", "Signed in as "+sess.Name+".")
}

// signedIn answers a finished sign-in with a page that moves on to next.
// The session cookie is SameSite=Strict and this answer ends a navigation
// that started at the provider: the browser would not send the cookie on
// a redirect, so a page of ours moves on.
func (s *Server) signedIn(w http.ResponseWriter, next, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = signedInPage.Execute(w, struct{ Next, Msg string }{next, msg})
}

// signInError is a refused sign-in with what to tell the person.
type signInError struct {
	status    int
	msg, hint string
}

func (e *signInError) Error() string { return e.msg }

// oidcSession exchanges the code and verifies the ID token, then makes the
// staff session.
func (s *Server) oidcSession(r *http.Request, code string, pl pendingLogin) (*Session, error) {
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		return nil, err
	}
	ctx := oidc.ClientContext(r.Context(), s.oidc.cfg.HTTPClient)
	tok, err := s.oauth2(p, r).Exchange(ctx, code, oauth2.VerifierOption(pl.verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token answer has no id_token")
	}
	v := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.clock.Now})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return nil, &signInError{http.StatusUnauthorized, "The identity provider's token has expired.", "Start again from the sign-in page; if it keeps failing, check the clocks of firedrill and the provider."}
		}
		return nil, fmt.Errorf("verify ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pl.nonce)) != 1 {
		return nil, fmt.Errorf("verify ID token: nonce %q is not the one this sign-in sent", idt.Nonce)
	}
	var cl idClaims
	all := map[string]any{}
	if err := idt.Claims(&cl); err != nil {
		return nil, fmt.Errorf("read ID token claims: %w", err)
	}
	if err := idt.Claims(&all); err != nil {
		return nil, fmt.Errorf("read ID token claims: %w", err)
	}
	groups := claimStrings(all[s.oidc.cfg.GroupsClaim])
	teams := s.oidc.grants(groups)
	name := firstNonEmpty(cl.Name, cl.PreferredUsername, cl.Email, idt.Subject)
	if len([]rune(name)) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	switch pl.purpose {
	case purposeLink:
		// Participants need no group: the link ties the drill they
		// joined to who they are, for their own history.
		if err := s.links.LinkIdentity(r.Context(), idt.Subject, pl.link); err != nil {
			return nil, err
		}
		return &Session{Subject: idt.Subject, Name: name}, nil
	case purposeMe:
		return s.sessions.create(ctx, Session{Subject: idt.Subject, Name: name, PersonID: StaffID(idt.Issuer, idt.Subject)}, joinSessionTTL)
	}
	if len(teams) == 0 {
		s.logger.Warn("identity provider sign-in refused: no mapped group", "subject", idt.Subject, "name", name, "groups", groups)
		return nil, &signInError{http.StatusForbidden, fmt.Sprintf("You signed in as %s, but you are in no group that firedrill maps to a team.", name),
			"Ask your firedrill administrator to add you to the group of your team. Participants join drills with the link their facilitator sends."}
	}
	sess := Session{Admin: true, Role: control.RoleFacilitator, Name: name, Subject: idt.Subject,
		PersonID: StaffID(idt.Issuer, idt.Subject), Teams: teams}
	return s.sessions.create(ctx, sess, adminSessionTTL)
}

// claimStrings reads a groups claim: a list of strings, or one string.
func claimStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func teamList(sess *Session) []string {
	var out []string
	for t, r := range sess.Teams {
		out = append(out, t+":"+string(r))
	}
	sort.Strings(out)
	return out
}

var signInPages = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>firedrill — sign-in refused</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css"></head>
<body><div class="banner">EXERCISE — this is an incident drill.</div>
<main class="center"><h1 id="signin-refused">Sign-in refused</h1><p id="signin-why">{{.Msg}}</p><p>{{.Hint}}</p>
<p><a id="signin-again" href="/login">Back to the sign-in page</a></p></main></body></html>
`))

var signedInPage = template.Must(template.New("signed-in").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={{.Next}}">
<title>firedrill — signed in</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="center"><p id="signed-in">{{.Msg}} <a href="{{.Next}}">Go on</a>.</p></main></body></html>
`))

// signInRefused answers a failed sign-in with a page that says why and
// what to do, and nothing about the server's configuration.
func (s *Server) signInRefused(w http.ResponseWriter, status int, msg, hint string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = signInPages.Execute(w, struct{ Msg, Hint string }{msg, hint})
}
