package program

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// Period is what a compliance report covers: a year, or one season.
type Period struct {
	Year   int    `json:"year,omitempty"`
	Season string `json:"season,omitempty"`
}

// Check validates the period: exactly one of a year and a season.
func (p Period) Check() error {
	switch {
	case p.Year != 0 && p.Season != "":
		return injectors.Errorf(injectors.EINVALID, "a report covers a year or a season, not both")
	case p.Season != "":
		return CheckSeason(p.Season)
	case p.Year < 2000 || p.Year > 2999:
		return injectors.Errorf(injectors.EINVALID, "year: %d is not a year, expected e.g. 2027", p.Year)
	}
	return nil
}

// String names the period: "2027" or "2027H1".
func (p Period) String() string {
	if p.Season != "" {
		return p.Season
	}
	return strconv.Itoa(p.Year)
}

// Bounds returns the period's first instant and the first instant after it.
func (p Period) Bounds() (from, to time.Time) {
	if p.Season != "" {
		y, _ := strconv.Atoi(p.Season[:4])
		m := time.January
		if p.Season[4:] == "H2" {
			m = time.July
		}
		from = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 6, 0)
	}
	from = time.Date(p.Year, time.January, 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(1, 0, 0)
}

// covers reports whether a season is in the period.
func (p Period) covers(season string) bool {
	if p.Season != "" {
		return season == p.Season
	}
	return strings.HasPrefix(season, strconv.Itoa(p.Year))
}

// Kept is a drill's record as the database keeps it, or why it could not be
// assembled; then Team and StartedAt are what its journal still tells.
type Kept struct {
	DrillID   string
	Record    *record.Record
	Err       error
	Team      string
	StartedAt *time.Time
}

func (k Kept) team() string {
	if k.Record != nil {
		return k.Record.Team
	}
	return k.Team
}

func (k Kept) started() *time.Time {
	if k.Record != nil {
		return k.Record.StartedAt
	}
	return k.StartedAt
}

// Report is the compliance report: every planned team of the period, drilled
// or not, with the drill's date, scenario, participants and record head; and
// the teams overdue against "at least once a year".
type Report struct {
	Period Period `json:"period"`
	// AsOf is the day overdue teams are counted at: the end of the period,
	// or today when the period is not over.
	AsOf        string      `json:"asOf"`
	GeneratedAt time.Time   `json:"generatedAt"`
	Rows        []ReportRow `json:"rows"`
	// Overdue are the teams without a drill in the year before AsOf whose
	// planned month has passed (or whose drill was cancelled).
	Overdue []string `json:"overdue"`
	// Drilled counts the teams that drilled; Planned every planned team.
	Drilled int `json:"drilled"`
	Planned int `json:"planned"`
	// Unverified counts kept records that failed verification.
	Unverified int `json:"unverified"`
}

// ReportRow is one planned team's drill.
type ReportRow struct {
	Season       string   `json:"season"`
	Team         string   `json:"team"`
	Status       string   `json:"status"`
	TargetMonth  string   `json:"targetMonth,omitempty"`
	Designer     string   `json:"designer,omitempty"`
	Facilitator  string   `json:"facilitator,omitempty"`
	Scenario     string   `json:"scenario,omitempty"`
	DrillID      string   `json:"drillId,omitempty"`
	Date         string   `json:"date,omitempty"`
	DrillState   string   `json:"drillState,omitempty"`
	Participants []string `json:"participants"`
	// Head is the kept journal's hash-chain head.
	Head      string `json:"head,omitempty"`
	RecordURL string `json:"recordUrl,omitempty"`
	// Verified is false with VerifyError set when the kept record fails
	// verification; it is meaningful only when DrillID is set.
	Verified     bool   `json:"verified"`
	VerifyError  string `json:"verifyError,omitempty"`
	CancelReason string `json:"cancelReason,omitempty"`
	// LastDrill is the day of the team's last drill up to AsOf, any season.
	LastDrill string `json:"lastDrill,omitempty"`
	Overdue   bool   `json:"overdue"`
}

// Row statuses beyond the plan's: the drill ran.
const (
	RowDrilled = "drilled"
)

// BuildReport builds the compliance report of the period from the plans and
// every kept record. baseURL prefixes the links to the records (empty for
// links relative to the drill room).
func BuildReport(period Period, plans []*Plan, kept []Kept, baseURL string, now time.Time) (*Report, error) {
	if err := period.Check(); err != nil {
		return nil, err
	}
	from, to := period.Bounds()
	asOf := now.UTC()
	if !asOf.Before(to) {
		asOf = to.Add(-time.Nanosecond)
	}
	rep := &Report{Period: period, AsOf: asOf.Format(time.DateOnly), GeneratedAt: now.UTC(), Rows: []ReportRow{}, Overdue: []string{}}
	byID := map[string]Kept{}
	for _, k := range kept {
		byID[k.DrillID] = k
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].Season < plans[j].Season })
	overdue := map[string]bool{}
	for _, p := range plans {
		if !period.covers(p.Season) {
			continue
		}
		for _, t := range p.Teams {
			if t.Status == StatusApplied {
				continue // not in the plan until accepted
			}
			row := ReportRow{Season: p.Season, Team: t.Name, Status: string(t.Status), TargetMonth: t.TargetMonth, Designer: t.Designer,
				Facilitator: t.Facilitator, Scenario: t.Scenario, CancelReason: t.CancelReason, Participants: []string{}}
			k, linked := byID[t.DrillID]
			if !linked || !ran(k, from, to) {
				// A drill of the team's outside the plan counts too.
				if other, ok := teamDrill(kept, t.Name, from, to); ok {
					k, linked = other, true
				}
			}
			if linked {
				fillRow(&row, k, baseURL)
			}
			if row.Status == RowDrilled {
				rep.Drilled++
			}
			if row.DrillID != "" && !row.Verified {
				rep.Unverified++
			}
			row.LastDrill = lastDrill(kept, t.Name, asOf)
			row.Overdue = isOverdue(row, t, asOf)
			if row.Overdue {
				overdue[t.Name] = true
			}
			rep.Rows = append(rep.Rows, row)
			rep.Planned++
		}
	}
	for name := range overdue {
		rep.Overdue = append(rep.Overdue, name)
	}
	sort.Strings(rep.Overdue)
	return rep, nil
}

// ran reports whether the kept drill started within [from, to).
func ran(k Kept, from, to time.Time) bool {
	at := k.started()
	return at != nil && !at.Before(from) && at.Before(to)
}

func teamDrill(kept []Kept, team string, from, to time.Time) (Kept, bool) {
	for _, k := range kept {
		if ran(k, from, to) && strings.EqualFold(k.team(), team) {
			return k, true
		}
	}
	return Kept{}, false
}

func fillRow(row *ReportRow, k Kept, baseURL string) {
	row.DrillID = k.DrillID
	row.RecordURL = strings.TrimRight(baseURL, "/") + "/room/" + k.DrillID + "/record"
	if k.Err != nil {
		if at := k.started(); at != nil {
			row.Status, row.Date = RowDrilled, at.UTC().Format(time.DateOnly)
		}
		row.VerifyError = "the kept journal cannot be read as a record: " + injectors.ErrorMessage(k.Err)
		return
	}
	r := k.Record
	row.Head, row.DrillState = r.Chain.Head, r.State
	if r.Scenario.Name != "" {
		row.Scenario = r.Scenario.Name
	}
	if r.StartedAt != nil {
		row.Status, row.Date = RowDrilled, r.Date
	}
	for _, p := range r.People {
		if p.Role == control.RoleParticipant {
			row.Participants = append(row.Participants, p.Name)
		}
	}
	if _, err := record.Verify(r); err != nil {
		row.VerifyError = injectors.ErrorMessage(err)
		return
	}
	row.Verified = true
}

// lastDrill returns the day of the team's last drill that started by asOf.
func lastDrill(kept []Kept, team string, asOf time.Time) string {
	last := ""
	for _, k := range kept {
		at := k.started()
		if at == nil || at.After(asOf) || !strings.EqualFold(k.team(), team) {
			continue
		}
		if d := at.UTC().Format(time.DateOnly); d > last {
			last = d
		}
	}
	return last
}

// isOverdue applies "at least once a year": the team has no drill in the
// year up to asOf, and its planned month has passed, or its drill was
// cancelled, or it has no month at all.
func isOverdue(row ReportRow, t Team, asOf time.Time) bool {
	if row.LastDrill != "" && row.LastDrill > asOf.AddDate(-1, 0, 0).Format(time.DateOnly) {
		return false
	}
	if t.Status == StatusCancelled || t.TargetMonth == "" {
		return true
	}
	return t.TargetMonth < asOf.Format("2006-01")
}

// SeasonAwards computes a season's awards the way the history page does,
// from the season's drills only: the drills of the plan's teams that ran in
// the season, among kept (LinkedRecords gives the plan's own drills).
func SeasonAwards(p *Plan, kept []Kept, now time.Time) (record.Awards, error) {
	teams, linked := map[string]bool{}, map[string]bool{}
	for _, t := range p.Teams {
		teams[strings.ToLower(t.Name)] = true
		if t.DrillID != "" {
			linked[t.DrillID] = true
		}
	}
	var rs []*record.Record
	for _, k := range kept {
		if k.Record != nil && (linked[k.DrillID] || teams[strings.ToLower(k.Record.Team)]) {
			rs = append(rs, k.Record)
		}
	}
	h, err := record.BuildHistory(rs, record.HistoryFilter{Season: p.Season}, now)
	if err != nil {
		return record.Awards{}, err
	}
	return h.Awards, nil
}
