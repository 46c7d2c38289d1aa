package program

import (
	"encoding/csv"
	"encoding/json"
	"html/template"
	"io"
	"strings"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// Report formats.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatHTML = "html"
)

// Formats lists the report formats.
var Formats = []string{FormatHTML, FormatCSV, FormatJSON}

// ContentType returns the media type of a report format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// WriteReport writes the report in a format: a printable HTML page, CSV
// (one row per planned team) or JSON.
func WriteReport(w io.Writer, rep *Report, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatCSV:
		return writeCSV(w, rep)
	case FormatHTML:
		return reportPage.Execute(w, rep)
	}
	return injectors.Errorf(injectors.EINVALID, "format %q is not a report format, expected html, csv or json", format)
}

// CSVHeader is the header row of the CSV report.
var CSVHeader = []string{"season", "team", "status", "target_month", "date", "scenario", "participants", "designer", "facilitator",
	"drill_id", "record_head", "record_verified", "verify_error", "record_url", "cancel_reason", "last_drill", "overdue"}

func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		verified := ""
		if r.DrillID != "" {
			verified = yesNo(r.Verified)
		}
		if err := cw.Write([]string{r.Season, record.CSVCell(r.Team), r.Status, r.TargetMonth, r.Date, record.CSVCell(r.Scenario), record.CSVCell(strings.Join(r.Participants, "; ")),
			record.CSVCell(r.Designer), record.CSVCell(r.Facilitator), r.DrillID, r.Head, verified, record.CSVCell(r.VerifyError), r.RecordURL, record.CSVCell(r.CancelReason),
			r.LastDrill, yesNo(r.Overdue)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drill program compliance report {{.Period}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.head { font-family: monospace; font-size: .8em; word-break: break-all; }
.bad { color: #a00; font-weight: bold; }
.overdue { background: #fde8e8; }
.summary li { margin: .2em 0; }
@media print { a { color: inherit; text-decoration: none; } body { margin: 0; } }
</style>
</head>
<body>
<h1>Drill program compliance report: {{.Period}}</h1>
<p>As of {{.AsOf}}. Generated {{.GeneratedAt.Format "2006-01-02 15:04 MST"}} by firedrill. Requirement: a drill plan, at least one drill a year per team, and a kept record of each drill.</p>
<ul class="summary">
<li>{{.Planned}} planned team drill(s); {{.Drilled}} drilled.</li>
<li>Overdue against "at least once a year": {{if .Overdue}}<span class="bad">{{join .Overdue ", "}}</span>{{else}}none{{end}}.</li>
<li>Kept records failing verification: {{if .Unverified}}<span class="bad">{{.Unverified}}</span>{{else}}none{{end}}.</li>
</ul>
<table>
<thead><tr><th>Season</th><th>Team</th><th>Status</th><th>Planned</th><th>Date</th><th>Scenario</th><th>Participants</th><th>Record (hash-chain head)</th><th>Last drill</th></tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Overdue}} class="overdue"{{end}}>
<td>{{.Season}}</td>
<td>{{.Team}}{{if .Overdue}}<br><span class="bad">overdue</span>{{end}}</td>
<td>{{.Status}}{{if .CancelReason}}<br>reason: {{.CancelReason}}{{end}}</td>
<td>{{.TargetMonth}}</td>
<td>{{.Date}}</td>
<td>{{if .Scenario}}{{.Scenario}}{{else}}to design{{end}}</td>
<td>{{join .Participants ", "}}</td>
<td class="head">{{if .DrillID}}<a href="{{.RecordURL}}">{{.DrillID}}</a><br>{{.Head}}{{if .Verified}}<br>verified{{else}}<br><span class="bad">NOT VERIFIED: {{.VerifyError}}</span>{{end}}{{end}}</td>
<td>{{.LastDrill}}</td>
</tr>
{{end}}</tbody>
</table>
</body>
</html>
`))
