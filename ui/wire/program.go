package wire

import (
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/record"
)

// SeasonView is a season's plan as the program page shows it: the plan, each
// team's drill as the engine has it, and the season's awards.
type SeasonView struct {
	*program.Plan
	Drills map[string]TeamDrill `json:"drills"`
	// Awards are the season's awards, in answers to a GET of the season.
	Awards *record.Awards `json:"awards,omitempty"`
	// Scenarios are the library's scenario names, for the plan's forms.
	Scenarios []string `json:"scenarios"`
	// Webhook says whether notices can be posted to a webhook.
	Webhook bool `json:"webhook"`
}

// TeamDrill is a team's drill as the engine has it.
type TeamDrill struct {
	State control.DrillState `json:"state"`
	Head  string             `json:"head,omitempty"`
	// Day is the scheduled day in the plan's time zone.
	Day string `json:"day,omitempty"`
}

// CreateSeasonRequest starts a season's plan.
type CreateSeasonRequest struct {
	Season     string `json:"season"`
	Owner      string `json:"owner"`
	ProcessURL string `json:"processUrl"`
	TimeZone   string `json:"timeZone"`
}

// ScheduleRequest schedules or reschedules a team's drill. At is RFC 3339
// (2027-01-12T14:00:00+01:00); Reason is required to reschedule.
type ScheduleRequest struct {
	At     string `json:"at"`
	Reason string `json:"reason"`
}

// CancelRequest calls off a team's drill.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// ApplySeasons are the seasons a team can apply for.
type ApplySeasons struct {
	Seasons []string `json:"seasons"`
}

// EventSurvey is the journal event recording the after-drill survey link
// people were given when the retro closed.
const EventSurvey = "survey.link"

// SurveyLink is the payload of EventSurvey.
type SurveyLink struct {
	URL string `json:"url"`
}
