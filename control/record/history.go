package record

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
)

// RealismQuestion is the id of the retro scale question (1–5) the "most
// realistic scenario" award is computed from. Scenarios ask it in
// retro.questions: {id: realism, type: scale, text: "How realistic…?"}.
const RealismQuestion = "realism"

// HistoryFilter selects drills by team and season (e.g. 2026H2); empty
// fields select all.
type HistoryFilter struct {
	Team   string `json:"team,omitempty"`
	Season string `json:"season,omitempty"`
	// Rehearsals includes drills run on a faster clock (time scale other
	// than 1): left out unless asked, they train nobody and win no award.
	Rehearsals bool `json:"rehearsals,omitempty"`
}

// Rehearsal reports whether the drill was a rehearsal: played by robot
// participants, or run on a rehearsal clock (a time scale other than 1;
// records from before the scale was kept count as real).
func (r *Record) Rehearsal() bool { return r.Robots || r.TimeScale != 0 && r.TimeScale != 1 }

// Check validates the filter.
func (f HistoryFilter) Check() error {
	if f.Season == "" {
		return nil
	}
	if len(f.Season) != 6 || (f.Season[4:] != "H1" && f.Season[4:] != "H2") {
		return injectors.Errorf(injectors.EINVALID, "season %q: expected a year and a half, like 2026H2", f.Season)
	}
	if _, err := strconv.Atoi(f.Season[:4]); err != nil {
		return injectors.Errorf(injectors.EINVALID, "season %q: expected a year and a half, like 2026H2", f.Season)
	}
	return nil
}

// History summarises drills across a team and a season.
type History struct {
	Filter HistoryFilter  `json:"filter"`
	Drills []DrillSummary `json:"drills"`
	// PeopleTrained counts distinct participants (by name, case-folded);
	// People counts everyone who took part in any role.
	PeopleTrained int `json:"peopleTrained"`
	People        int `json:"people"`
	// RehearsalsLeftOut counts the drills of the filter left out because
	// they ran on a rehearsal clock; one still running is not counted.
	RehearsalsLeftOut int `json:"rehearsalsLeftOut"`
	// Ratings pools every submitted before/after self-rating; below
	// MinAnswers answers only its count is given (RatingsHidden).
	Ratings       retro.Ratings `json:"ratings"`
	RatingsHidden bool          `json:"ratingsHidden,omitempty"`
	// NoticeTrend is the time to incident notice per drill, oldest first.
	NoticeTrend []TrendPoint `json:"noticeTrend"`
	// OpenActions are the accepted follow-up actions of the drills. The
	// record does not track their completion (that happens in the issue
	// tracker they are exported to); Overdue flags a due date in the past.
	OpenActions []OpenAction `json:"openActions"`
	// Awards pool every drill the filter selects.
	Awards Awards `json:"awards"`
	// TeamAwards are the practice's awards proper: one set per team and
	// season among the drills the filter selects, the latest season first,
	// then by team.
	TeamAwards []TeamAwards `json:"teamAwards"`
	// Teams and Seasons are every team and season in the records, for
	// filters.
	Teams   []string `json:"teams"`
	Seasons []string `json:"seasons"`
}

// DrillSummary is one drill in the history.
type DrillSummary struct {
	// TimeScale marks a rehearsal (other than 1), listed only when asked.
	TimeScale float64 `json:"timeScale,omitempty"`
	// Robots marks a drill played by robot participants (a rehearsal).
	Robots                   bool   `json:"robots,omitempty"`
	DrillID                  string `json:"drillId"`
	Title                    string `json:"title"`
	Date                     string `json:"date"`
	Season                   string `json:"season"`
	Team                     string `json:"team"`
	Scenario                 string `json:"scenario"`
	Designer                 string `json:"designer,omitempty"`
	State                    string `json:"state"`
	EndReason                string `json:"endReason,omitempty"`
	Participants             int    `json:"participants"`
	TimeToIncidentNoticeMs   *int64 `json:"timeToIncidentNoticeMs"`
	TimeToResolutionNoticeMs *int64 `json:"timeToResolutionNoticeMs"`
	HintsUsed                int    `json:"hintsUsed"`
	CapReached               bool   `json:"capReached"`
	// Ratings are the drill's before/after self-ratings; below MinAnswers
	// answers only their count is given and RatingsHidden is set.
	Ratings       retro.Ratings `json:"ratings"`
	RatingsHidden bool          `json:"ratingsHidden,omitempty"`
}

// MinAnswers is the smallest group of answers whose self-rating averages
// the history shows: with fewer, an average (or the spread) would give
// away one person's own ratings, which the anonymous retro keeps to them.
const MinAnswers = 3

// shownRatings returns r as the history may show it: whole from MinAnswers
// answers up, else only its count, and whether it was hidden.
func shownRatings(r retro.Ratings) (retro.Ratings, bool) {
	if r.Count >= MinAnswers {
		return r, false
	}
	return retro.Ratings{Count: r.Count, Pairs: [][2]int{}}, r.Count > 0
}

// TrendPoint is one drill's time to incident notice.
type TrendPoint struct {
	DrillID string `json:"drillId"`
	Date    string `json:"date"`
	Ms      *int64 `json:"ms"`
}

// OpenAction is an accepted follow-up action with its drill.
type OpenAction struct {
	retro.Action
	DrillID string `json:"drillId"`
	Date    string `json:"date"`
	Team    string `json:"team"`
	Overdue bool   `json:"overdue"`
}

// Awards are the season's awards from the practice.
type Awards struct {
	// LargestGain is the answer set with the largest after−before
	// self-rating gain; anonymous answers are not eligible (an award needs
	// a name). Ties go to the higher after rating, then the earlier drill.
	LargestGain *GainAward `json:"largestGain"`
	// MostEfficient is the most efficient participation: among drills the
	// team resolved themselves (ended by resolution, not the cap or an
	// abort), the one with the fewest hints, then the shortest time from
	// the first fault to the resolution notice.
	MostEfficient *DrillAward `json:"mostEfficient"`
	// MostRealistic is the scenario with the highest average answer to the
	// retro scale question "realism" (RealismQuestion); ties go to more
	// answers.
	MostRealistic *ScenarioAward `json:"mostRealistic"`
	// Designers thanks every designer of the drills, by name.
	Designers []string `json:"designers"`
}

// TeamAwards are the awards of one team in one season.
type TeamAwards struct {
	Team   string `json:"team"`
	Season string `json:"season"`
	Awards Awards `json:"awards"`
}

// GainAward names a person and their gain.
type GainAward struct {
	Name    string `json:"name"`
	DrillID string `json:"drillId"`
	Team    string `json:"team"`
	Before  int    `json:"before"`
	After   int    `json:"after"`
	Gain    int    `json:"gain"`
}

// DrillAward names a drill and why.
type DrillAward struct {
	DrillID string `json:"drillId"`
	Title   string `json:"title"`
	Team    string `json:"team"`
	Why     string `json:"why"`
}

// ScenarioAward names a scenario and its score.
type ScenarioAward struct {
	Scenario string  `json:"scenario"`
	Title    string  `json:"title"`
	Designer string  `json:"designer,omitempty"`
	Score    float64 `json:"score"`
	Answers  int     `json:"answers"`
}

// BuildHistory summarises the records f selects, as of now (for overdue
// actions). Records are taken in date order.
func BuildHistory(records []*Record, f HistoryFilter, now time.Time) (*History, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	h, sel := buildHistory(records, f, now)
	h.TeamAwards = teamAwards(sel, now)
	return h, nil
}

// teamAwards computes the awards of each team and season among sel, the
// drills a history selected (already in date order).
func teamAwards(sel []*Record, now time.Time) []TeamAwards {
	type key struct{ team, season string }
	groups := map[key][]*Record{}
	var keys []key
	for _, r := range sel {
		k := key{r.Team, r.Season}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].season != keys[j].season {
			return keys[i].season > keys[j].season
		}
		return strings.ToLower(keys[i].team) < strings.ToLower(keys[j].team)
	})
	out := []TeamAwards{}
	for _, k := range keys {
		// The group is selected already: rehearsals were left out or
		// asked for by the caller's filter.
		h, _ := buildHistory(groups[k], HistoryFilter{Rehearsals: true}, now)
		out = append(out, TeamAwards{Team: k.team, Season: k.season, Awards: h.Awards})
	}
	return out
}

// buildHistory is BuildHistory for a checked filter, without the awards
// per team and season; it also returns the records it selected.
func buildHistory(records []*Record, f HistoryFilter, now time.Time) (*History, []*Record) {
	h := &History{Filter: f, Drills: []DrillSummary{}, NoticeTrend: []TrendPoint{}, OpenActions: []OpenAction{}, Teams: []string{}, Seasons: []string{}}
	teams, seasons := map[string]bool{}, map[string]bool{}
	var sel []*Record
	for _, r := range records {
		if r.StartedAt == nil {
			continue // never ran: not a drill of the history yet
		}
		if r.Team != "" {
			teams[r.Team] = true
		}
		seasons[r.Season] = true
		if (f.Team == "" || strings.EqualFold(r.Team, f.Team)) && (f.Season == "" || r.Season == f.Season) {
			if r.Rehearsal() && !f.Rehearsals {
				// A rehearsal still being played is not yet one the
				// history left out: it is counted once it has ended.
				if r.State != string(control.StateRunning) {
					h.RehearsalsLeftOut++
				}
				continue
			}
			sel = append(sel, r)
		}
	}
	h.Teams, h.Seasons = keysOf(teams), keysOf(seasons)
	sort.SliceStable(sel, func(i, j int) bool {
		if sel[i].Date != sel[j].Date {
			return sel[i].Date < sel[j].Date
		}
		return sel[i].DrillID < sel[j].DrillID
	})
	trained, everyone, designers := map[string]bool{}, map[string]bool{}, map[string]string{}
	var pairs [][2]int
	realism := map[string]*ScenarioAward{}
	today := now.UTC().Format(time.DateOnly)
	for _, r := range sel {
		ds := DrillSummary{DrillID: r.DrillID, Title: r.Title, Date: r.Date, Season: r.Season, Team: r.Team, Scenario: r.Scenario.Name,
			Designer: r.Scenario.Designer, State: r.State, EndReason: r.EndReason, TimeToIncidentNoticeMs: r.Metrics.TimeToIncidentNoticeMs,
			TimeToResolutionNoticeMs: r.Metrics.TimeToResolutionNoticeMs, HintsUsed: r.Metrics.HintsUsed, CapReached: r.Metrics.CapReached,
			Ratings: r.Retro.Ratings, TimeScale: r.TimeScale, Robots: r.Robots}
		for _, p := range r.People {
			key := strings.ToLower(strings.TrimSpace(p.Name))
			everyone[key] = true
			switch p.Role {
			case control.RoleParticipant:
				trained[key] = true
				ds.Participants++
			case control.RoleDesigner:
				designers[key] = p.Name
			}
		}
		// The scenario's designer is thanked by the name it was written
		// with only when nobody joined the drill as its designer.
		if r.Scenario.Designer != "" && !hasRole(r.People, control.RoleDesigner) {
			designers[strings.ToLower(r.Scenario.Designer)] = r.Scenario.Designer
		}
		ds.Ratings, ds.RatingsHidden = shownRatings(ds.Ratings)
		h.Drills = append(h.Drills, ds)
		h.NoticeTrend = append(h.NoticeTrend, TrendPoint{DrillID: r.DrillID, Date: r.Date, Ms: r.Metrics.TimeToIncidentNoticeMs})
		for _, a := range r.Retro.Actions {
			h.OpenActions = append(h.OpenActions, OpenAction{Action: a, DrillID: r.DrillID, Date: r.Date, Team: r.Team, Overdue: a.Due != "" && a.Due < today})
		}
		for _, a := range r.Retro.Answers {
			if !rated(a) {
				continue
			}
			pairs = append(pairs, [2]int{a.Before, a.After})
			if !a.Anonymous && a.Name != "" {
				g := GainAward{Name: a.Name, DrillID: r.DrillID, Team: r.Team, Before: a.Before, After: a.After, Gain: a.After - a.Before}
				if best := h.Awards.LargestGain; best == nil || g.Gain > best.Gain || (g.Gain == best.Gain && g.After > best.After) {
					h.Awards.LargestGain = &g
				}
			}
			if v, err := strconv.Atoi(strings.TrimSpace(a.Extra[RealismQuestion])); err == nil && v >= 1 && v <= 5 {
				sa := realism[r.Scenario.Name]
				if sa == nil {
					sa = &ScenarioAward{Scenario: r.Scenario.Name, Title: r.Scenario.Title, Designer: r.Scenario.Designer}
					realism[r.Scenario.Name] = sa
				}
				sa.Score += float64(v)
				sa.Answers++
			}
		}
		if r.EndReason == "resolved" && r.Metrics.TimeToResolutionNoticeMs != nil {
			best := h.Awards.MostEfficient
			if best == nil || efficientBefore(r, sel, best.DrillID) {
				h.Awards.MostEfficient = &DrillAward{DrillID: r.DrillID, Title: r.Title, Team: r.Team,
					Why: "resolved by the team with " + strconv.Itoa(r.Metrics.HintsUsed) + " hints; resolution notice " + Clock(*r.Metrics.TimeToResolutionNoticeMs) + " after the first fault"}
			}
		}
	}
	h.Ratings, h.RatingsHidden = shownRatings(retro.RatingsOf(pairs))
	h.PeopleTrained, h.People = len(trained), len(everyone)
	for _, sa := range realism {
		sa.Score = retro.Round2(sa.Score / float64(sa.Answers))
		if best := h.Awards.MostRealistic; best == nil || sa.Score > best.Score || (sa.Score == best.Score && (sa.Answers > best.Answers || sa.Answers == best.Answers && sa.Scenario < best.Scenario)) {
			h.Awards.MostRealistic = sa
		}
	}
	h.Awards.Designers = []string{}
	for _, k := range keysOfString(designers) {
		h.Awards.Designers = append(h.Awards.Designers, designers[k])
	}
	return h, sel
}

// efficientBefore reports whether r beats the drill with id bestID.
func efficientBefore(r *Record, sel []*Record, bestID string) bool {
	for _, b := range sel {
		if b.DrillID != bestID {
			continue
		}
		if r.Metrics.HintsUsed != b.Metrics.HintsUsed {
			return r.Metrics.HintsUsed < b.Metrics.HintsUsed
		}
		return *r.Metrics.TimeToResolutionNoticeMs < *b.Metrics.TimeToResolutionNoticeMs
	}
	return true
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keysOfString(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasRole(people []Person, role control.Role) bool {
	for _, p := range people {
		if p.Role == role {
			return true
		}
	}
	return false
}

// rated reports whether an answer set counts in the self-ratings: only
// participants rate themselves (the staff are not asked), so an answer
// without ratings or from a named staff role is left out of the averages
// and the gain award.
func rated(a Answer) bool {
	return a.Before != 0 && a.After != 0 && (a.Role == "" || a.Role == control.RoleParticipant)
}
