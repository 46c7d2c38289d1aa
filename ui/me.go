package ui

import (
	"context"
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
// sent to sign in for it.
func (s *Server) pageMe(w http.ResponseWriter, r *http.Request, sess *Session) {
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
