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
	"github.com/firedrill/firedrill/control/retro"
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

// Export writes the record in the format.
func Export(w io.Writer, r *Record, format string) error {
	switch format {
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatCSV:
		return WriteActionsCSV(w, r)
	case FormatGitHub:
		return WriteGitHubIssues(w, r)
	}
	return injectors.Errorf(injectors.EINVALID, "export format %q is not a format, expected one of %s", format, strings.Join(Formats, ", "))
}

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

// WriteMarkdown writes the record as Markdown, charts embedded as images.
// Names appear with what went well, never with what was lacking.
func WriteMarkdown(w io.Writer, r *Record) error {
	return WriteMarkdownCharts(w, r, MarkdownCharts{})
}

// MarkdownCharts says where the Markdown export's charts are: links to
// files (for renderers that refuse data URIs, such as GitHub's), or, when
// empty, embedded as SVG data URIs.
type MarkdownCharts struct {
	Timeline string
	Ratings  string
}

// WriteMarkdownCharts writes the record as Markdown with the charts at the
// given links.
func WriteMarkdownCharts(w io.Writer, r *Record, charts MarkdownCharts) error {
	if charts.Timeline == "" {
		charts.Timeline = svgDataURI(TimelineSVG(r))
	}
	if charts.Ratings == "" {
		charts.Ratings = svgDataURI(RatingsSVG(r.Retro.Ratings))
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Drill record: %s\n\n", mdEscape(r.Title))
	p("> %s\n\n", retro.Blameless)
	p("| | |\n|---|---|\n")
	p("| Drill | `%s` |\n| Date | %s (season %s) |\n| Team | %s |\n", strings.ReplaceAll(r.DrillID, "`", ""), mdEscape(r.Date), mdEscape(r.Season), dash(mdEscape(r.Team)))
	p("| Scenario | %s (`%s`), variant %s |\n| Designer | %s |\n", mdEscape(r.Scenario.Title), strings.ReplaceAll(r.Scenario.Name, "`", ""), dash(mdEscape(r.Scenario.Variant)), dash(mdEscape(r.Scenario.Designer)))
	p("| Outcome | %s%s |\n| Duration | %s (cap %s) |\n", r.State, paren(mdEscape(EndReasonWords(r.EndReason))), Clock(r.Metrics.DurationMs), Clock(r.Scenario.TimeCap))
	if r.TimeScale != 1 && r.TimeScale > 0 {
		p("| Drill clock | rehearsal, ×%g (drill times below are drill minutes) |\n", r.TimeScale)
	}
	if r.Robots {
		p("| Played by | robot participants: a rehearsal, never in the history or the awards |\n")
	}
	p("| Chain head | `%s` (%d events) |\n\n", r.Chain.Head, r.Chain.Count)

	p("## People\n\n| Name | Role |\n|---|---|\n")
	for _, pe := range r.People {
		role := string(pe.Role)
		if pe.SignIn == control.SignInAdminToken {
			role += " (signed in with the break-glass admin token)"
		}
		p("| %s | %s |\n", mdEscape(pe.Name), mdEscape(role))
	}
	m := r.Metrics
	p("\n## Metrics\n\nTimes are on the drill clock, counted from the first fault injection.\n\n| Metric | Value |\n|---|---|\n")
	p("| First fault injected at | %s |\n| Time to acknowledge | %s |\n| Time to incident notice | %s |\n| Time to resolution notice | %s |\n",
		ClockPtr(m.FirstInjectedMs), ClockPtr(m.TimeToAckMs), ClockPtr(m.TimeToIncidentNoticeMs), ClockPtr(m.TimeToResolutionNoticeMs))
	p("| Hints used | %d (skipped %d) |\n| Chained faults fired | %d |\n| Cap reached | %s |\n\n", m.HintsUsed, m.HintsSkipped, m.FaultsChained, yesNo(m.CapReached))
	p("| Fault | Injected | Detected after | Recovered after | Resolved after | Reverted |\n|---|---|---|---|---|---|\n")
	for _, f := range m.Faults {
		name := mdEscape(f.ID)
		if f.Title != "" {
			name = mdEscape(f.Title) + " (`" + strings.ReplaceAll(f.ID, "`", "") + "`)"
		}
		p("| %s%s | %s | %s | %s | %s | %s |\n", name, map[bool]string{true: " (chained)"}[f.Chained], ClockPtr(f.InjectedAtMs), ClockPtr(f.TimeToDetectMs), ClockPtr(f.TimeToRecoverMs), ClockPtr(f.TimeToResolveMs), ClockPtr(f.RevertedAtMs))
	}
	p("\n### Response times\n\n| What | Channel | At | Answered at | Response |\n|---|---|---|---|---|\n")
	for _, rs := range r.Responses {
		p("| %s | %s | %s | %s | %s |\n", mdEscape(ResponseWords(rs)), dash(mdEscape(rs.Channel)), Clock(rs.AtMs), ClockPtr(rs.RepliedMs), ClockPtr(rs.ResponseMs))
	}
	p("\n## Timeline\n\n![Drill timeline](%s)\n\n| Time | Kind | Who | What |\n|---|---|---|---|\n", charts.Timeline)
	for _, e := range r.Timeline {
		p("| %s | %s | %s | %s |\n", Clock(e.AtMs), mdEscape(e.Kind), mdEscape(e.Actor), mdEscape(e.Summary))
	}
	p("\n## Notices as posted\n\n")
	for _, n := range r.Notices {
		title := n.Title
		if title == "" {
			title = n.Kind
		}
		p("- **%s** at %s by %s in #%s\n", mdEscape(title), Clock(n.AtMs), mdEscape(n.Author), mdEscape(n.Channel))
		rows := n.Rows
		if len(rows) == 0 {
			_, rows = noticeRows(nil, n.Fields)
		}
		for _, r := range rows {
			p("  - %s: %s\n", mdEscape(r.Label), mdEscape(r.Value))
		}
	}
	st, wk := noteBalance(r.ObserverNotes)
	p("\n## Observer notes\n\n%d strengths, %d weaknesses (the practice aims for 1:1).\n\n", st, wk)
	for _, n := range r.ObserverNotes {
		p("- %s **%s**: %s\n", Clock(n.AtMs), mdEscape(n.Tag), mdEscape(n.Text))
	}
	writeRetroMarkdown(&b, r, charts.Ratings)
	_, err := w.Write(b.Bytes())
	return err
}

func writeRetroMarkdown(b *bytes.Buffer, r *Record, ratingsChart string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	rt := r.Retro
	p("\n## Retrospective\n\n%d of %d people submitted.\n\n", rt.Submitted, rt.People)
	if rt.AnonymousPending {
		p("%s\n\n", AnonymousPendingNote)
	}
	p("![Self-ratings before and after](%s)\n\n", ratingsChart)
	p("Self-rated incident-response ability (asked after the drill, before and after): **%.2f → %.2f (%+.0f%%)** over %d answers.\n",
		rt.Ratings.Before, rt.Ratings.After, rt.Ratings.ChangePct, rt.Ratings.Count)
	p("\n### What went well\n\n")
	for _, a := range rt.Answers {
		if strings.TrimSpace(a.WentWell) != "" {
			p("- %s%s\n", mdEscape(a.WentWell), byName(a))
		}
	}
	p("\n### What was lacking and how to improve\n\n")
	for _, a := range rt.Answers {
		if strings.TrimSpace(a.Lacking) != "" {
			p("- %s\n", mdEscape(a.Lacking))
		}
	}
	p("\n### How we could do better next time\n\n")
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
	p("\n### Questions\n\n")
	for _, q := range rt.Questions {
		p("- [%s] %s\n", map[bool]string{true: "x", false: " "}[q.Answered], mdEscape(q.Text))
	}
	p("\n### Follow-up actions (accepted)\n\n| Title | Kind | Owner | Due |\n|---|---|---|---|\n")
	for _, a := range rt.Actions {
		p("| %s | %s | %s | %s |\n", mdEscape(a.Title), mdEscape(string(a.Kind)), dash(mdEscape(a.Owner)), dash(mdEscape(a.Due)))
	}
	if r.Scenario.Solution != "" {
		p("\n## The designer's intended solution\n\n%s\n", mdHTML.Replace(r.Scenario.Solution))
	}
}

// AnonymousPendingNote is what the record says while anonymous answers are
// sealed, before the retro closes.
const AnonymousPendingNote = "Anonymous answers are published, without their authors, when the retrospective closes."

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

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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
