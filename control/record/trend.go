package record

import (
	"sort"
	"time"

	"github.com/firedrill/firedrill/control/retro"
)

// TrendMinPeople is the smallest group whose trend a team sees: with fewer
// people an average could give away one person's own ratings, which only
// that person sees ("my drills").
const TrendMinPeople = 3

// RatedDrill is one person's submitted before/after self-rating in one
// drill that started at At.
type RatedDrill struct {
	DrillID string
	At      time.Time
	Before  int
	After   int
}

// TeamTrend is the participants' trend of a team, aggregated: for each
// person who linked at least two rated drills to their account, their
// rating before their first drill and after their latest, averaged.
type TeamTrend struct {
	Team   string `json:"team"`
	Season string `json:"season,omitempty"`
	// MinPeople is the suppression threshold (TrendMinPeople).
	MinPeople int `json:"minPeople"`
	// Shown is false when fewer than MinPeople people qualify; People,
	// Before, After and Drills are then zero, so nothing is given away.
	Shown  bool    `json:"shown"`
	People int     `json:"people,omitempty"`
	Before float64 `json:"before,omitempty"`
	After  float64 `json:"after,omitempty"`
	// ChangePct is (After−Before)/Before in whole percent.
	ChangePct float64 `json:"changePct,omitempty"`
	// Drills is the average number of rated drills per person.
	Drills float64 `json:"drills,omitempty"`
}

// TrendOf aggregates the rated drills of each person (keyed by an identity
// no one outside sees) into a team's trend.
func TrendOf(team, season string, byPerson map[string][]RatedDrill) TeamTrend {
	out := TeamTrend{Team: team, Season: season, MinPeople: TrendMinPeople}
	var before, after, drills int
	n := 0
	for _, ds := range byPerson {
		if len(ds) < 2 {
			continue
		}
		ds = append([]RatedDrill(nil), ds...)
		sort.Slice(ds, func(i, j int) bool {
			if !ds[i].At.Equal(ds[j].At) {
				return ds[i].At.Before(ds[j].At)
			}
			return ds[i].DrillID < ds[j].DrillID
		})
		before += ds[0].Before
		after += ds[len(ds)-1].After
		drills += len(ds)
		n++
	}
	if n < TrendMinPeople {
		return out
	}
	out.Shown, out.People = true, n
	b, a := float64(before)/float64(n), float64(after)/float64(n)
	out.Before, out.After, out.ChangePct = retro.Round2(b), retro.Round2(a), retro.ChangePct(b, a)
	out.Drills = retro.Round2(float64(drills) / float64(n))
	return out
}
