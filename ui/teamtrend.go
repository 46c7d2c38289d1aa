package ui

import (
	"context"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
)

// identityLister is the part of the identity-link store that lists every
// link by subject (ui/sqlite and ui/postgres have it, for firedrill store
// copy).
type identityLister interface {
	AllIdentityLinks(ctx context.Context) (map[string][]IdentityLink, error)
}

// apiTeamTrend answers a team's staff with the aggregated before/after
// trend of the team's participants who linked their drills to their
// account (record.TrendOf): never one person's ratings, and nothing at all
// for fewer than record.TrendMinPeople people.
func (s *Server) apiTeamTrend(w http.ResponseWriter, r *http.Request, sess *Session) {
	team, season := strings.TrimSpace(r.URL.Query().Get("team")), strings.TrimSpace(r.URL.Query().Get("season"))
	if team == "" {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "team: the trend is a team's; pick one"))
		return
	}
	if err := (record.HistoryFilter{Season: season}).Check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !sess.teamVisible(team) {
		s.writeError(w, r, refusedAccess())
		return
	}
	byPerson, err := s.teamRatings(r.Context(), team, season)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, record.TrendOf(team, season, byPerson))
}

// teamRatings collects, per linked identity, the submitted self-ratings of
// the team's drills (of the season, when given) that ran on a real clock.
func (s *Server) teamRatings(ctx context.Context, team, season string) (map[string][]record.RatedDrill, error) {
	out := map[string][]record.RatedDrill{}
	l, ok := s.links.(identityLister)
	if !ok || s.links == nil {
		return out, nil
	}
	all, err := l.AllIdentityLinks(ctx)
	if err != nil {
		return nil, err
	}
	for subject, links := range all {
		for _, link := range links {
			d, err := s.engine.Drill(ctx, link.DrillID)
			if err != nil || !strings.EqualFold(d.Scenario.Metadata.Team, team) || !retroVisible(d.State) {
				continue // deleted since, another team's, or its retro not open yet
			}
			rec, err := s.records.load(ctx, d.ID)
			if err != nil {
				return nil, err
			}
			if rec.Rehearsal() || rec.StartedAt == nil || (season != "" && rec.Season != season) {
				continue
			}
			en := retro.Project(d, rec.Chain.Events).Entries[link.PersonID]
			if en == nil || !en.Submitted || en.Before == 0 || en.After == 0 {
				continue
			}
			out[subject] = append(out[subject], record.RatedDrill{DrillID: d.ID, At: *rec.StartedAt, Before: en.Before, After: en.After})
		}
	}
	return out, nil
}
