package program

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
)

// Notice is the day-before notice of a team's drill: what the team is told
// the day before. It names the day, never the time or the scenario, which
// stay secret.
type Notice struct {
	Season string `json:"season"`
	Team   string `json:"team"`
	// Day is the drill's day in the plan's time zone, YYYY-MM-DD.
	Day        string `json:"day"`
	Subject    string `json:"subject"`
	Text       string `json:"text"`
	ProcessURL string `json:"processUrl"`
	// DrillID names the drill, for the invitation's identity.
	DrillID string `json:"drillId"`
}

// Day returns the day of at in loc, YYYY-MM-DD: what participants may know
// of a scheduled drill.
func Day(at time.Time, loc *time.Location) string {
	return at.In(loc).Format(time.DateOnly)
}

// BuildNotice writes the day-before notice of the team's scheduled drill.
func BuildNotice(p *Plan, team string) (*Notice, error) {
	t, err := p.Team(team)
	if err != nil {
		return nil, err
	}
	if t.Status != StatusScheduled || t.ScheduledAt == nil {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill is %s; the notice is for a scheduled drill", t.Name, t.Status)
	}
	day := t.ScheduledAt.In(p.Location())
	long := day.Format("Monday 2 January 2006")
	n := &Notice{Season: p.Season, Team: t.Name, Day: day.Format(time.DateOnly), ProcessURL: p.ProcessURL, DrillID: t.DrillID,
		Subject: fmt.Sprintf("Incident drill for %s on %s", t.Name, long)}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", t.Name)
	fmt.Fprintf(&b, "On %s your team takes part in an incident drill (mock outage training).\n\n", long)
	b.WriteString("Purpose: to rehearse responding to an incident together: noticing it, posting the incident notice, " +
		"recovering the service and keeping the related departments informed, and to find what we can improve in our alerts, " +
		"documents and process.\n\n")
	b.WriteString("This is NOT an evaluation. Nobody is graded. Whatever goes wrong is written down for the retrospective, " +
		"where we look for improvements, never for someone to blame.\n\n")
	b.WriteString("It is a real recovery and propagation exercise: a real fault is injected into the beta environment. " +
		"You recover it for real, and you propagate for real: the incident notice, answers to the departments asking, " +
		"status updates and the resolution notice. Ideally different people recover and propagate.\n\n")
	b.WriteString("Rules:\n" +
		"- The exact time and the scenario stay secret: you learn of the incident from an alert or a customer-center inquiry in the drill channel.\n" +
		"- Work in the drill channel as you would in a real incident.\n" +
		"- The drill lasts at most 90 minutes; a retrospective of about 30 minutes follows at once.\n" +
		"- If a real incident needs you, say so: the facilitator pauses the drill.\n\n")
	fmt.Fprintf(&b, "Before the drill, please read the incident-response process document:\n%s\n", p.ProcessURL)
	if t.Facilitator != "" {
		fmt.Fprintf(&b, "\nYour facilitator: %s\n", t.Facilitator)
	}
	n.Text = b.String()
	return n, nil
}

// ICS returns the notice as an iCalendar invitation: an all-day event on the
// drill's day (the time stays secret), stamped at now.
func (n *Notice) ICS(now time.Time) []byte {
	day, err := time.Parse(time.DateOnly, n.Day)
	if err != nil {
		day = now
	}
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//firedrill//drill program//EN",
		"CALSCALE:GREGORIAN",
		"METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + icsText(n.DrillID) + "@firedrill",
		"DTSTAMP:" + now.UTC().Format("20060102T150405Z"),
		"DTSTART;VALUE=DATE:" + day.Format("20060102"),
		"DTEND;VALUE=DATE:" + day.AddDate(0, 0, 1).Format("20060102"),
		"SUMMARY:" + icsText(n.Subject),
		"DESCRIPTION:" + icsText(n.Text),
		"URL:" + icsText(n.ProcessURL),
		"TRANSP:TRANSPARENT",
		"END:VEVENT",
		"END:VCALENDAR",
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(foldICS(l))
	}
	return []byte(b.String())
}

// icsText escapes a value of an iCalendar TEXT property (RFC 5545 3.3.11).
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// foldICS folds a content line at 75 octets without splitting a UTF-8
// character, and ends it with CRLF.
func foldICS(l string) string {
	var b strings.Builder
	n := 0
	for _, r := range l {
		size := len(string(r))
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
	return b.String()
}

// Survey placeholders of a survey URL template.
const (
	SurveyDrill  = "{drill}"
	SurveyTeam   = "{team}"
	SurveySeason = "{season}"
)

// CheckSurveyTemplate validates an after-drill survey URL template: an http
// or https URL that may use {drill}, {team} and {season}.
func CheckSurveyTemplate(tmpl string) error {
	if tmpl == "" {
		return nil
	}
	u, err := SurveyURL(tmpl, "d-example", "Team", "2027H1")
	if err != nil {
		return err
	}
	if strings.Contains(u, "{") {
		return injectors.Errorf(injectors.EINVALID, "program.surveyURL: %q has an unknown placeholder, expected {drill}, {team} or {season}", tmpl)
	}
	return nil
}

// SurveyURL fills a survey URL template for a drill. Values are
// query-escaped.
func SurveyURL(tmpl, drillID, team, season string) (string, error) {
	s := strings.NewReplacer(SurveyDrill, url.QueryEscape(drillID), SurveyTeam, url.QueryEscape(team), SurveySeason, url.QueryEscape(season)).Replace(tmpl)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", injectors.Errorf(injectors.EINVALID, "program.surveyURL: %q is not an http or https URL", tmpl)
	}
	return s, nil
}
