package ui

import (
	"context"
	"html/template"
	"net/http"
	"sort"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// IdentityLink ties a person of a drill (who joined by link, with no
// account) to an identity-provider subject, so that their before/after
// self-ratings form a history across drills.
type IdentityLink struct {
	DrillID  string
	PersonID string
}

// IdentityLinks keeps the links. ui/sqlite and ui/postgres implement it.
type IdentityLinks interface {
	// LinkIdentity records that subject is the person of the drill.
	LinkIdentity(ctx context.Context, subject string, l IdentityLink) error
	// IdentityLinksOf returns the drills linked to subject.
	IdentityLinksOf(ctx context.Context, subject string) ([]IdentityLink, error)
}

// Sign-in purposes: staff sign in to the console; a participant links the
// drill they joined to their identity, or opens their own drills.
const (
	purposeStaff = ""
	purposeLink  = "link"
	purposeMe    = "me"
)

// personal reports whether sess is a person's own sign-in, for "my drills":
// an identity-provider subject, no console and no drill.
func (sess *Session) personal() bool {
	return sess != nil && !sess.Admin && sess.Subject != "" && sess.DrillID == ""
}

// pageMe serves "my drills" to a person signed in for it; anyone else is
// sent to sign in for it. Without an identity provider nobody can sign in
// for it: the page says so instead of sending them to a sign-in that
// answers 404.
func (s *Server) pageMe(w http.ResponseWriter, r *http.Request, sess *Session) {
	if s.oidc == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = meUnavailablePage.Execute(w, nil)
		return
	}
	if !sess.personal() {
		http.Redirect(w, r, "/auth/oidc/login?purpose=me", http.StatusSeeOther)
		return
	}
	s.servePage(w, r, "me.html", http.StatusOK)
}

// apiMyDrills lists the drills linked to the signed-in person with their
// own before/after self-ratings, oldest first: visible only to them.
func (s *Server) apiMyDrills(w http.ResponseWriter, r *http.Request, sess *Session) {
	if !sess.personal() || s.links == nil {
		s.writeError(w, r, injectors.Errorf(injectors.EUNAUTHORIZED, "Sign in with your identity provider to see your drills."))
		return
	}
	links, err := s.links.IdentityLinksOf(r.Context(), sess.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.MyDrills{Name: sess.Name, Drills: []wire.MyDrill{}}
	for _, l := range links {
		d, err := s.engine.Drill(r.Context(), l.DrillID)
		if err != nil {
			continue // a drill deleted since
		}
		md := wire.MyDrill{DrillID: d.ID, Title: d.Title, Team: d.Scenario.Metadata.Team, CreatedAt: d.CreatedAt}
		if md.Title == "" {
			md.Title = d.Scenario.Metadata.Title
		}
		if retroVisible(d.State) {
			rec, err := s.records.load(r.Context(), d.ID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			// With the keys, the person's own anonymous ratings count in
			// their trend: this page is theirs alone, and says nothing of
			// which answer of the drill is theirs.
			if en := s.retro.Project(d, rec.Chain.Events).Entries[l.PersonID]; en != nil && en.Before > 0 && en.After > 0 {
				md.Before, md.After = en.Before, en.After
			}
		}
		out.Drills = append(out.Drills, md)
	}
	sort.Slice(out.Drills, func(i, j int) bool { return out.Drills[i].CreatedAt.Before(out.Drills[j].CreatedAt) })
	writeJSON(w, http.StatusOK, out)
}

// meUnavailablePage is "my drills" on a server without an identity
// provider: it says what the page is for and where a drill's record is.
var meUnavailablePage = template.Must(template.New("me-unavailable").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>firedrill — my drills</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css"></head>
<body><div class="banner">EXERCISE — this is an incident drill.</div>
<main class="center"><h1>My drills</h1>
<p id="me-unavailable">"My drills" lists the drills you linked to your identity-provider account, with your own before/after self-ratings. This server has no identity provider configured, so there is nothing to sign in to.</p>
<p>A drill you joined stays reachable through its join link; its record is with the facilitator.</p>
<p><a href="/login">Facilitator sign-in</a></p></main></body></html>
`))
