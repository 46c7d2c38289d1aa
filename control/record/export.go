package record

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// Formats of Export.
const (
	FormatMarkdown = "md"
	FormatJSON     = "json"
	FormatHTML     = "html"
	FormatCSV      = "csv"
	FormatGitHub   = "github"
)

// Formats lists the export formats.
var Formats = []string{FormatMarkdown, FormatJSON, FormatHTML, FormatCSV, FormatGitHub}

// Export writes the record in the format. The formats people read
// (Markdown, HTML) are written in l, the drill's language when l is empty;
// the others are data, the same in every language.
func Export(w io.Writer, r *Record, format string, l Lang) error {
	switch format {
	case FormatMarkdown:
		return WriteMarkdown(w, r, l)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatHTML:
		return WriteHTML(w, r, l)
	case FormatCSV:
		return WriteActionsCSV(w, r)
	case FormatGitHub:
		return WriteGitHubIssues(w, r)
	}
	return injectors.Errorf(injectors.EINVALID, "export format %q is not a format, expected one of %s", format, strings.Join(Formats, ", "))
}

// Localized reports whether an export format is written in a language
// (Markdown, HTML) rather than data that is the same in every language.
func Localized(format string) bool { return format == FormatMarkdown || format == FormatHTML }

// ContentType returns the media type of an export format.
func ContentType(format string) string {
	switch format {
	case FormatMarkdown:
		return "text/markdown; charset=utf-8"
	case FormatJSON, FormatGitHub:
		return "application/json; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	}
	return "application/octet-stream"
}

// WriteJSON writes the record as indented JSON (see SCHEMA.md).
func WriteJSON(w io.Writer, r *Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a record written by WriteJSON.
func ReadJSON(rd io.Reader) (*Record, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, injectors.Errorf(injectors.EINVALID, "record is not valid JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return nil, injectors.Errorf(injectors.EINVALID, "record field %s must be %s", te.Field, te.Type)
		}
		return nil, injectors.Errorf(injectors.EINVALID, "record: %v", err)
	}
	if r.Schema != Schema {
		return nil, injectors.Errorf(injectors.EINVALID, "record $schema is %q, expected %q", r.Schema, Schema)
	}
	return &r, nil
}

// WriteActionsCSV writes the accepted follow-up actions as CSV.
func WriteActionsCSV(w io.Writer, r *Record) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"drill", "date", "team", "id", "title", "kind", "owner", "due", "proposed_by"})
	for _, a := range r.Retro.Actions {
		row := []string{r.DrillID, r.Date, r.Team, a.ID, a.Title, string(a.Kind), a.Owner, a.Due, a.ProposedBy}
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// GitHubIssue is one issue body for the GitHub REST API's "create an issue"
// endpoint (POST /repos/{owner}/{repo}/issues).
type GitHubIssue struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels"`
}

// GitHubIssues returns the accepted actions as GitHub issues.
func GitHubIssues(r *Record) []GitHubIssue {
	out := []GitHubIssue{}
	for _, a := range r.Retro.Actions {
		var b strings.Builder
		fmt.Fprintf(&b, "Follow-up from the incident drill **%s** (%s, %s).\n\n", r.Title, r.Date, r.DrillID)
		fmt.Fprintf(&b, "- Kind: %s\n", a.Kind)
		if a.Owner != "" {
			fmt.Fprintf(&b, "- Owner: %s\n", a.Owner)
		}
		if a.Due != "" {
			fmt.Fprintf(&b, "- Due: %s\n", a.Due)
		}
		fmt.Fprintf(&b, "- Scenario: %s\n- Record chain head: `%s`\n", r.Scenario.Name, r.Chain.Head)
		labels := []string{"incident-drill", "follow-up", "kind/" + string(a.Kind)}
		if r.Team != "" {
			labels = append(labels, "team/"+r.Team)
		}
		out = append(out, GitHubIssue{Title: a.Title, Body: b.String(), Labels: labels})
	}
	return out
}

// WriteGitHubIssues writes the accepted actions as a JSON array of GitHub
// issues.
func WriteGitHubIssues(w io.Writer, r *Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(GitHubIssues(r))
}

// svgDataURI embeds an SVG as an image URI, for Markdown.
func svgDataURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}

// CSVCell neutralizes a cell a spreadsheet would run as a formula: one
// starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, as the OWASP guidance on CSV injection says.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mdText escapes text people wrote for Markdown: HTML is shown, never
// rendered (<script>, <img onerror>), and link and image syntax is taken
// literally, so no javascript: link can be made. Markdown renderers keep
// backslash escapes and entities as the characters they stand for.
var mdText = strings.NewReplacer(
	`\`, `\\`, "&", "&amp;", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "\\`", "|", `\|`, "\r", "",
)

// mdEscape escapes text for a Markdown table cell or list item; line breaks
// become <br>.
func mdEscape(s string) string {
	return strings.ReplaceAll(mdText.Replace(s), "\n", "<br>")
}

// mdHTML keeps the Markdown of a text the designer wrote (the solution) but
// shows any HTML in it instead of rendering it.
var mdHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// WriteMarkdown writes the record as Markdown, charts embedded as images,
// in l (the drill's language when l is empty). Names appear with what went
// well, never with what was lacking.
func WriteMarkdown(w io.Writer, r *Record, l Lang) error {
	return WriteMarkdownCharts(w, r, MarkdownCharts{}, l)
}

// MarkdownCharts says where the Markdown export's charts are: links to
// files (for renderers that refuse data URIs, such as GitHub's), or, when
// empty, embedded as SVG data URIs.
type MarkdownCharts struct {
	Timeline string
	Ratings  string
}

// WriteMarkdownCharts writes the record as Markdown in l with the charts at
// the given links.
func WriteMarkdownCharts(w io.Writer, r *Record, charts MarkdownCharts, l Lang) error {
	l = l.Or(r.Language())
	if charts.Timeline == "" {
		charts.Timeline = svgDataURI(TimelineSVG(r, l))
	}
	if charts.Ratings == "" {
		charts.Ratings = svgDataURI(RatingsSVG(r.Retro.Ratings, l))
	}
	var b bytes.Buffer
	writeMarkdownHead(&b, r, says{l})
	writeMarkdownMetrics(&b, r, says{l})
	writeMarkdownTimeline(&b, r, says{l}, charts.Timeline)
	writeRetroMarkdown(&b, r, says{l}, charts.Ratings)
	_, err := w.Write(b.Bytes())
	return err
}

func writeMarkdownHead(b *bytes.Buffer, r *Record, s says) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	row := func(key, value string) { p("| %s | %s |\n", s.T(key), value) }
	p("# %s: %s\n\n", s.T("rec.title"), mdEscape(r.Title))
	p("> %s\n\n", s.T("rec.blameless"))
	p("| | |\n|---|---|\n")
	row("rec.drill", "`"+strings.ReplaceAll(r.DrillID, "`", "")+"`")
	row("rec.date", s.F("rec.dateSeason", "date", mdEscape(r.Date), "season", mdEscape(r.Season)))
	row("rec.team", dash(mdEscape(r.Team)))
	row("rec.scenario", fmt.Sprintf("%s (`%s`), %s %s", mdEscape(r.Scenario.Title), strings.ReplaceAll(r.Scenario.Name, "`", ""), s.T("rec.variant"), dash(mdEscape(s.Variant(r.Scenario.Variant)))))
	if r.Scenario.Candidate != "" {
		row("rec.candidate", fmt.Sprintf("%s (`%s`)", mdEscape(r.Scenario.CandidateTitle), strings.ReplaceAll(r.Scenario.Candidate, "`", "")))
	}
	row("rec.designer", dash(mdEscape(r.Scenario.Designer)))
	outcome := s.State(r.State)
	if r.EndReason != "" {
		outcome += " (" + mdEscape(s.EndReason(r.EndReason)) + ")"
	}
	row("rec.outcome", outcome)
	row("rec.duration", s.F("rec.durationOf", "duration", Clock(r.Metrics.DurationMs), "cap", Clock(r.Scenario.TimeCap)))
	if r.TimeScale != 1 && r.TimeScale > 0 {
		row("rec.clock", s.F("rec.rehearsal", "scale", r.TimeScale))
	}
	if r.Robots {
		row("rec.playedBy", s.T("rec.robots"))
	}
	row("rec.chainHead", "`"+r.Chain.Head+"` ("+s.F("rec.events", "n", r.Chain.Count)+")")
	p("\n## %s\n\n| %s | %s |\n|---|---|\n", s.T("rec.people"), s.T("rec.name"), s.T("rec.role"))
	for _, pe := range r.People {
		role := s.Role(pe.Role)
		if pe.SignIn == control.SignInAdminToken {
			role += " (" + s.T("rec.breakGlass") + ")"
		}
		p("| %s | %s |\n", mdEscape(pe.Name), mdEscape(role))
	}
}

func writeMarkdownMetrics(b *bytes.Buffer, r *Record, s says) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	row := func(key, value string) { p("| %s | %s |\n", s.T(key), value) }
	m := r.Metrics
	p("\n## %s\n\n%s\n\n| %s | %s |\n|---|---|\n", s.T("rec.metrics"), s.T("rec.metricsNote"), s.T("rec.metric"), s.T("rec.value"))
	row("rec.firstInjected", ClockPtr(m.FirstInjectedMs))
	row("rec.timeToAck", ClockPtr(m.TimeToAckMs))
	row("rec.timeToIncident", ClockPtr(m.TimeToIncidentNoticeMs))
	row("rec.timeToResolution", ClockPtr(m.TimeToResolutionNoticeMs))
	row("rec.hintsUsed", s.F("rec.hintsValue", "used", m.HintsUsed, "skipped", m.HintsSkipped))
	row("rec.chainedFired", fmt.Sprint(m.FaultsChained))
	row("rec.capReached", s.YesNo(m.CapReached))
	if t := m.Injections; t != nil {
		row("rec.meanDetect", s.MeanOf(t.MeanTimeToDetectMs, t.Detected, t.Injections))
		row("rec.meanResolve", s.MeanOf(t.MeanTimeToResolveMs, t.Resolved, t.Injections))
	}
	p("\n| %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|\n", s.T("rec.fault"), s.T("rec.injected"), s.T("rec.detectedAfter"), s.T("rec.recoveredAfter"), s.T("rec.resolvedAfter"), s.T("rec.cameBack"), s.T("rec.reverted"))
	for _, fr := range faultRows(m.Faults) {
		// A fault is named on the row of its first injection; the rows of
		// its comebacks follow it.
		name, f := "", fr.Fault
		if fr.Span > 0 {
			name = mdEscape(f.ID)
			if f.Title != "" {
				name = mdEscape(f.Title) + " (`" + strings.ReplaceAll(f.ID, "`", "") + "`)"
			}
			if f.Chained {
				name += " " + s.T("rec.chained")
			}
		}
		recovered, reverted := "—", "—"
		if fr.In != nil {
			recovered, reverted = ClockPtr(fr.In.TimeToRecoverMs), ClockPtr(fr.In.RevertedAtMs)
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", name, s.Injected(fr), mdEscape(s.Detected(fr)), recovered, mdEscape(s.Resolved(fr)), s.CameBack(fr), reverted)
	}
	p("\n### %s\n\n| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n", s.T("rec.responses"), s.T("rec.what"), s.T("rec.channel"), s.T("rec.at"), s.T("rec.answeredAt"), s.T("rec.response"))
	for _, rs := range r.Responses {
		p("| %s | %s | %s | %s | %s |\n", mdEscape(s.Response(rs)), dash(mdEscape(rs.Channel)), Clock(rs.AtMs), ClockPtr(rs.RepliedMs), ClockPtr(rs.ResponseMs))
	}
}

func writeMarkdownTimeline(b *bytes.Buffer, r *Record, s says, chart string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("\n## %s\n\n![%s](%s)\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n", s.T("rec.timeline"), s.T("chart.timeline"), chart, s.T("rec.time"), s.T("rec.kind"), s.T("rec.who"), s.T("rec.what"))
	for _, e := range r.Timeline {
		p("| %s | %s | %s | %s |\n", Clock(e.AtMs), mdEscape(s.Kind(e.Kind)), mdEscape(s.Actor(r, e)), mdEscape(s.Summary(e)))
	}
	p("\n## %s\n\n", s.T("rec.notices"))
	for _, n := range r.Notices {
		p("- %s\n", s.F("rec.noticeLine", "title", mdEscape(s.NoticeTitle(n)), "at", Clock(n.AtMs), "author", mdEscape(n.Author), "channel", mdEscape(n.Channel)))
		for _, row := range s.NoticeRows(n) {
			p("  - %s: %s\n", mdEscape(s.FieldLabel(n.Kind, row)), mdEscape(s.Option(row)))
		}
	}
	st, wk := noteBalance(r.ObserverNotes)
	p("\n## %s\n\n%s\n\n", s.T("rec.notes"), s.F("rec.balance", "strengths", st, "weaknesses", wk))
	for _, n := range r.ObserverNotes {
		p("- %s **%s**: %s\n", Clock(n.AtMs), mdEscape(s.Tag(n.Tag)), mdEscape(n.Text))
	}
}

func writeRetroMarkdown(b *bytes.Buffer, r *Record, s says, ratingsChart string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	rt := r.Retro
	p("\n## %s\n\n%s\n\n", s.T("rec.retro"), s.F("rec.submitted", "n", rt.Submitted, "m", rt.People))
	if rt.AnonymousPending {
		p("%s\n\n", s.T("rec.anonymousPending"))
	}
	p("![%s](%s)\n\n", s.T("chart.ratings"), ratingsChart)
	p("%s\n", s.F(countKey("rec.ratingsLine", rt.Ratings.Count), "before", fmt.Sprintf("%.2f", rt.Ratings.Before), "after", fmt.Sprintf("%.2f", rt.Ratings.After),
		"change", fmt.Sprintf("%+.0f%%", rt.Ratings.ChangePct), "count", rt.Ratings.Count))
	p("\n### %s\n\n", s.T("rec.wentWell"))
	for _, a := range rt.Answers {
		if strings.TrimSpace(a.WentWell) != "" {
			p("- %s%s\n", mdEscape(a.WentWell), byName(a))
		}
	}
	p("\n### %s\n\n", s.T("rec.lacking"))
	for _, a := range rt.Answers {
		if strings.TrimSpace(a.Lacking) != "" {
			p("- %s\n", mdEscape(a.Lacking))
		}
	}
	p("\n### %s\n\n", s.T("rec.better"))
	for _, a := range rt.Answers {
		if strings.TrimSpace(a.Better) != "" {
			p("- %s\n", mdEscape(a.Better))
		}
	}
	for _, q := range rt.Extra {
		p("\n### %s\n\n", mdEscape(q.Text))
		for _, a := range rt.Answers {
			if v := strings.TrimSpace(a.Extra[q.ID]); v != "" {
				p("- %s\n", mdEscape(v))
			}
		}
	}
	p("\n### %s\n\n", s.T("rec.questions"))
	for _, q := range rt.Questions {
		p("- [%s] %s\n", map[bool]string{true: "x", false: " "}[q.Answered], mdEscape(q.Text))
	}
	p("\n### %s\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n", s.T("rec.actions"), s.T("rec.actTitle"), s.T("rec.actKind"), s.T("rec.actOwner"), s.T("rec.actDue"))
	for _, a := range rt.Actions {
		p("| %s | %s | %s | %s |\n", mdEscape(a.Title), mdEscape(s.ActionKind(a.Kind)), dash(mdEscape(a.Owner)), dash(mdEscape(a.Due)))
	}
	if r.Scenario.Solution != "" {
		p("\n## %s\n\n%s\n", s.T("rec.solution"), mdHTML.Replace(r.Scenario.Solution))
	}
}

// AnonymousPendingNote is what the record says while anonymous answers are
// sealed, before the retro closes (in English; words.json has it in Korean).
var AnonymousPendingNote = English.T("rec.anonymousPending")

func byName(a Answer) string {
	if a.Anonymous || a.Name == "" {
		return ""
	}
	return " — " + mdEscape(a.Name)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// noteBalance counts the observer's strength and weakness notes.
func noteBalance(notes []Note) (strengths, weaknesses int) {
	for _, n := range notes {
		switch n.Tag {
		case "strength":
			strengths++
		case "weakness":
			weaknesses++
		}
	}
	return strengths, weaknesses
}
