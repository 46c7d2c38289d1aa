// Package program is the drill program: the season plan of which team drills
// when, with whom and on what scenario; the teams' applications; scheduling,
// rescheduling and cancelling with a reason, journaled; the day-before
// notice; the after-drill survey link; and the compliance report that proves
// the program (every planned team, drilled or not, with its record's
// hash-chain head, and the teams overdue against "at least once a year").
//
// It holds the domain rules only and no I/O: the plan is kept through the
// Store interface (control/sqlite implements it), drills are created and
// scheduled through the Drills interface (*control.Engine implements it), and
// the notice is posted through a Poster (control/program/webhook).
package program

import (
	// A plan names its IANA time zone; the zone database ships in the
	// binary so that a machine without tzdata still tells the right day.
	_ "time/tzdata"

	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
)

// Status is where a team's planned drill is in the program.
type Status string

// Statuses of a team's planned drill.
const (
	// StatusApplied: the team applied; the owner has not accepted yet.
	StatusApplied Status = "applied"
	// StatusPlanned: accepted into the season, not scheduled yet.
	StatusPlanned Status = "planned"
	// StatusScheduled: the drill exists and has a date and time.
	StatusScheduled Status = "scheduled"
	// StatusCancelled: the drill was called off, with a reason.
	StatusCancelled Status = "cancelled"
)

// Journal actions.
const (
	ActionSeasonCreated = "season-created"
	ActionApplied       = "applied"
	ActionAccepted      = "accepted"
	ActionPlanned       = "planned"
	ActionUpdated       = "updated"
	ActionScheduled     = "scheduled"
	ActionRescheduled   = "rescheduled"
	ActionCancelled     = "cancelled"
	ActionNoticePosted  = "notice-posted"
)

// Plan is one season of the program: the teams and their planned drills.
type Plan struct {
	// Season is a half year, e.g. 2027H1.
	Season string `json:"season"`
	// Owner is the program owner, who accepts applications and schedules.
	Owner string `json:"owner"`
	// ProcessURL is the incident-response process document the day-before
	// notice links to.
	ProcessURL string `json:"processUrl"`
	// TimeZone is the IANA zone the drill days are told in (the notice, the
	// day participants see); empty means UTC.
	TimeZone string `json:"timeZone,omitempty"`
	Teams    []Team `json:"teams"`
	// Version is the stored version the plan was read at; the store refuses
	// a save over a newer one.
	Version int64 `json:"version"`
	// Journal is every change of the plan, oldest first.
	Journal []Entry `json:"journal"`
}

// Team is one team's planned drill in a season.
type Team struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// TargetMonth is the month the drill is planned for, YYYY-MM.
	TargetMonth string `json:"targetMonth"`
	Designer    string `json:"designer,omitempty"`
	Facilitator string `json:"facilitator,omitempty"`
	// Scenario is the library scenario's name; empty means "to design".
	Scenario string `json:"scenario,omitempty"`
	// Contact and Note come with an application.
	Contact     string     `json:"contact,omitempty"`
	Note        string     `json:"note,omitempty"`
	DrillID     string     `json:"drillId,omitempty"`
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
	// CancelReason says why a cancelled drill was called off.
	CancelReason string `json:"cancelReason,omitempty"`
}

// Entry is one journaled change of a plan.
type Entry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Team   string    `json:"team,omitempty"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// TeamInput is what the owner writes about a team's planned drill.
type TeamInput struct {
	Name        string `json:"name"`
	TargetMonth string `json:"targetMonth"`
	Designer    string `json:"designer"`
	Facilitator string `json:"facilitator"`
	Scenario    string `json:"scenario"`
}

// Application is a team asking for a drill in a season.
type Application struct {
	Season      string `json:"season"`
	Team        string `json:"team"`
	Contact     string `json:"contact"`
	TargetMonth string `json:"targetMonth"`
	Note        string `json:"note"`
}

// Limits on what people type.
const (
	maxName   = 64
	maxText   = 500
	maxReason = 500
)

// CheckSeason validates a season name: a year and a half, like 2027H1.
func CheckSeason(season string) error {
	if len(season) != 6 || (season[4:] != "H1" && season[4:] != "H2") {
		return injectors.Errorf(injectors.EINVALID, "season %q: expected a year and a half, like 2027H1", season)
	}
	if y, err := strconv.Atoi(season[:4]); err != nil || y < 2000 || y > 2999 {
		return injectors.Errorf(injectors.EINVALID, "season %q: expected a year and a half, like 2027H1", season)
	}
	return nil
}

// SeasonOf returns the season of a time: its year and half, like 2027H1.
func SeasonOf(t time.Time) string {
	h := "H1"
	if t.Month() > time.June {
		h = "H2"
	}
	return strconv.Itoa(t.Year()) + h
}

// NewPlan returns an empty plan for a season.
func NewPlan(season, owner, processURL, timeZone string) (*Plan, error) {
	if err := CheckSeason(season); err != nil {
		return nil, err
	}
	owner = strings.TrimSpace(owner)
	if err := checkName("owner", owner, true); err != nil {
		return nil, err
	}
	if err := checkURL("processUrl", processURL); err != nil {
		return nil, err
	}
	if timeZone != "" {
		if _, err := time.LoadLocation(timeZone); err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "timeZone: %q is not a time zone, expected an IANA name like Europe/Berlin", timeZone)
		}
	}
	return &Plan{Season: season, Owner: owner, ProcessURL: strings.TrimSpace(processURL), TimeZone: timeZone, Teams: []Team{}, Journal: []Entry{}}, nil
}

// Location returns the plan's time zone.
func (p *Plan) Location() *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Team returns the team's planned drill, matched without regard to case.
func (p *Plan) Team(name string) (*Team, error) {
	for i := range p.Teams {
		if strings.EqualFold(p.Teams[i].Name, strings.TrimSpace(name)) {
			return &p.Teams[i], nil
		}
	}
	return nil, injectors.Errorf(injectors.ENOTFOUND, "season %s has no team %q", p.Season, name)
}

func (p *Plan) entry(at time.Time, actor, team, action, detail, reason string) Entry {
	return Entry{At: at.UTC(), Actor: actor, Team: team, Action: action, Detail: detail, Reason: reason}
}

// AddTeam plans a team's drill on the owner's word.
func (p *Plan) AddTeam(in TeamInput, actor string, now time.Time) (Entry, error) {
	in = in.trimmed()
	if err := checkName("name", in.Name, true); err != nil {
		return Entry{}, err
	}
	if _, err := p.Team(in.Name); err == nil {
		return Entry{}, injectors.Errorf(injectors.ECONFLICT, "team %q is already in season %s", in.Name, p.Season)
	}
	if err := p.checkInput(in); err != nil {
		return Entry{}, err
	}
	p.Teams = append(p.Teams, Team{Name: in.Name, Status: StatusPlanned, TargetMonth: in.TargetMonth, Designer: in.Designer,
		Facilitator: in.Facilitator, Scenario: in.Scenario})
	return p.entry(now, actor, in.Name, ActionPlanned, in.describe(), ""), nil
}

// Apply records a team's application for a drill in the season.
func (p *Plan) Apply(a Application, now time.Time) (Entry, error) {
	in := TeamInput{Name: a.Team, TargetMonth: a.TargetMonth}.trimmed()
	a.Contact, a.Note = strings.TrimSpace(a.Contact), strings.TrimSpace(a.Note)
	if err := checkName("team", in.Name, true); err != nil {
		return Entry{}, err
	}
	if err := checkName("contact", a.Contact, true); err != nil {
		return Entry{}, err
	}
	if len(a.Note) > maxText {
		return Entry{}, injectors.Errorf(injectors.EINVALID, "note: %d characters, expected at most %d", len(a.Note), maxText)
	}
	if _, err := p.Team(in.Name); err == nil {
		return Entry{}, injectors.Errorf(injectors.ECONFLICT, "team %q is already in season %s", in.Name, p.Season)
	}
	if err := p.checkInput(in); err != nil {
		return Entry{}, err
	}
	p.Teams = append(p.Teams, Team{Name: in.Name, Status: StatusApplied, TargetMonth: in.TargetMonth, Contact: a.Contact, Note: a.Note})
	return p.entry(now, a.Contact, in.Name, ActionApplied, "wishes "+orDash(in.TargetMonth), ""), nil
}

// Accept accepts a team's application into the season.
func (p *Plan) Accept(team, actor string, now time.Time) (Entry, error) {
	t, err := p.Team(team)
	if err != nil {
		return Entry{}, err
	}
	if t.Status != StatusApplied {
		return Entry{}, injectors.Errorf(injectors.ECONFLICT, "team %s is %s; only an application can be accepted", t.Name, t.Status)
	}
	t.Status = StatusPlanned
	return p.entry(now, actor, t.Name, ActionAccepted, "", ""), nil
}

// Update changes a planned drill's month, people or scenario. A scheduled
// drill keeps its scenario: cancel it to change that.
func (p *Plan) Update(team string, in TeamInput, actor string, now time.Time) (Entry, error) {
	t, err := p.Team(team)
	if err != nil {
		return Entry{}, err
	}
	in = in.trimmed()
	in.Name = t.Name
	if err := p.checkInput(in); err != nil {
		return Entry{}, err
	}
	switch t.Status {
	case StatusCancelled:
		return Entry{}, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is cancelled", t.Name)
	case StatusScheduled:
		if in.Scenario != t.Scenario {
			return Entry{}, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is scheduled on scenario %s; cancel it to change the scenario", t.Name, t.Scenario)
		}
	}
	t.TargetMonth, t.Designer, t.Facilitator, t.Scenario = in.TargetMonth, in.Designer, in.Facilitator, in.Scenario
	return p.entry(now, actor, t.Name, ActionUpdated, in.describe(), ""), nil
}

// CanSchedule checks that the team's drill can be scheduled at at: it is
// planned with a scenario, and at is after now.
func (p *Plan) CanSchedule(team string, at, now time.Time) (*Team, error) {
	t, err := p.Team(team)
	if err != nil {
		return nil, err
	}
	if t.Status != StatusPlanned {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is %s; only a planned drill can be scheduled", t.Name, t.Status)
	}
	if t.Scenario == "" {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is still to design: choose its scenario first", t.Name)
	}
	if !at.After(now) {
		return nil, injectors.Errorf(injectors.EINVALID, "at: %s is not in the future", at.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// Scheduled records that the team's drill was created and scheduled.
func (p *Plan) Scheduled(team, drillID string, at time.Time, actor string, now time.Time) (Entry, error) {
	t, err := p.CanSchedule(team, at, now)
	if err != nil {
		return Entry{}, err
	}
	at = at.UTC()
	t.Status, t.DrillID, t.ScheduledAt = StatusScheduled, drillID, &at
	return p.entry(now, actor, t.Name, ActionScheduled, "drill "+drillID+" at "+at.Format(time.RFC3339), ""), nil
}

// CanReschedule checks that the team's drill can move to at, for a reason.
func (p *Plan) CanReschedule(team string, at time.Time, reason string, now time.Time) (*Team, error) {
	t, err := p.Team(team)
	if err != nil {
		return nil, err
	}
	if t.Status != StatusScheduled {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is %s; only a scheduled drill can be rescheduled", t.Name, t.Status)
	}
	if err := checkReason(reason, "rescheduling"); err != nil {
		return nil, err
	}
	if !at.After(now) {
		return nil, injectors.Errorf(injectors.EINVALID, "at: %s is not in the future", at.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// Rescheduled records the team's drill's new time and why it moved.
func (p *Plan) Rescheduled(team string, at time.Time, reason, actor string, now time.Time) (Entry, error) {
	t, err := p.CanReschedule(team, at, reason, now)
	if err != nil {
		return Entry{}, err
	}
	at = at.UTC()
	from := t.ScheduledAt.Format(time.RFC3339)
	t.ScheduledAt = &at
	return p.entry(now, actor, t.Name, ActionRescheduled, "from "+from+" to "+at.Format(time.RFC3339), strings.TrimSpace(reason)), nil
}

// CanCancel checks that the team's drill can be called off for reason.
func (p *Plan) CanCancel(team, reason string) (*Team, error) {
	t, err := p.Team(team)
	if err != nil {
		return nil, err
	}
	if t.Status == StatusCancelled {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is already cancelled", t.Name)
	}
	if err := checkReason(reason, "cancelling"); err != nil {
		return nil, err
	}
	return t, nil
}

// Cancelled records that the team's drill was called off, and why.
func (p *Plan) Cancelled(team, reason, actor string, now time.Time) (Entry, error) {
	t, err := p.CanCancel(team, reason)
	if err != nil {
		return Entry{}, err
	}
	t.Status, t.CancelReason = StatusCancelled, strings.TrimSpace(reason)
	return p.entry(now, actor, t.Name, ActionCancelled, "", t.CancelReason), nil
}

// checkInput validates a team's month, people and scenario against the season.
func (p *Plan) checkInput(in TeamInput) error {
	if in.TargetMonth != "" {
		m, err := time.Parse("2006-01", in.TargetMonth)
		if err != nil {
			return injectors.Errorf(injectors.EINVALID, "targetMonth: %q is not a month, expected YYYY-MM", in.TargetMonth)
		}
		if SeasonOf(m) != p.Season {
			return injectors.Errorf(injectors.EINVALID, "targetMonth: %s is not in season %s", in.TargetMonth, p.Season)
		}
	}
	for _, f := range []struct{ field, v string }{{"designer", in.Designer}, {"facilitator", in.Facilitator}, {"scenario", in.Scenario}} {
		if err := checkName(f.field, f.v, false); err != nil {
			return err
		}
	}
	return nil
}

func (in TeamInput) trimmed() TeamInput {
	return TeamInput{Name: strings.TrimSpace(in.Name), TargetMonth: strings.TrimSpace(in.TargetMonth), Designer: strings.TrimSpace(in.Designer),
		Facilitator: strings.TrimSpace(in.Facilitator), Scenario: strings.TrimSpace(in.Scenario)}
}

func (in TeamInput) describe() string {
	sc := in.Scenario
	if sc == "" {
		sc = "to design"
	}
	return "month " + orDash(in.TargetMonth) + ", designer " + orDash(in.Designer) + ", facilitator " + orDash(in.Facilitator) + ", scenario " + sc
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func checkName(field, v string, required bool) error {
	switch {
	case v == "" && required:
		return injectors.Errorf(injectors.EINVALID, "%s is required", field)
	case len(v) > maxName:
		return injectors.Errorf(injectors.EINVALID, "%s: %d characters, expected at most %d", field, len(v), maxName)
	case strings.ContainsAny(v, "\r\n\t"):
		return injectors.Errorf(injectors.EINVALID, "%s: expected one line of text", field)
	}
	return nil
}

func checkReason(reason, what string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return injectors.Errorf(injectors.EINVALID, "reason: %s a drill needs a reason, for the record", what)
	}
	if len(reason) > maxReason {
		return injectors.Errorf(injectors.EINVALID, "reason: %d characters, expected at most %d", len(reason), maxReason)
	}
	return nil
}

func checkURL(field, v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return injectors.Errorf(injectors.EINVALID, "%s is required: the incident-response process document the notice links to", field)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return injectors.Errorf(injectors.EINVALID, "%s: %q is not a link, expected an http or https URL", field, v)
	}
	return nil
}
