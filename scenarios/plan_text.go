package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// describeLadder describes an inject's follow-ups for the plan.
func describeLadder(in Inject) string {
	ladder := in.Ladder()
	if len(ladder) == 0 {
		return ""
	}
	answer := "of silence"
	if in.AnsweredWhen != nil {
		answer = "unless a participant " + in.AnsweredWhen.Describe()
	}
	if len(in.Escalation) == 0 {
		return fmt.Sprintf("follow-up after %s %s: %s", mins(ladder[0].After), answer, summarize(ladder[0].Text))
	}
	var steps []string
	for _, st := range ladder {
		who := in.Persona
		if st.Persona != "" {
			who = st.Persona
		}
		steps = append(steps, fmt.Sprintf("+%s %s: %s", mins(st.After), who, summarize(st.Text)))
	}
	return fmt.Sprintf("escalation %s: %s", answer, strings.Join(steps, " → "))
}

// summarize returns text on one line, shortened to 48 terminal columns for
// a table.
func summarize(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	const max = 48
	if displayWidth(text) <= max {
		return text
	}
	var b strings.Builder
	w := 0
	for _, r := range text {
		rw := displayWidth(string(r))
		if w+rw > max-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

// WriteText writes the timeline as aligned tables. Columns are aligned by
// display width, so Korean and other wide text lines up in a terminal.
func (t *Timeline) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", t.Scenario, t.Title)
	diff := string(t.Difficulty)
	if diff == "" {
		diff = "(no variants)"
	}
	fmt.Fprintf(&b, "difficulty: %s   time limit: %s   incident channel: #%s\n", diff, mins(t.TimeLimit), t.IncidentChannel)
	writeCandidates(&b, t)
	b.WriteString("\n")
	rows := [][]string{{"AT", "WHAT", "ID", "SUMMARY", "DETAIL"}}
	for _, e := range t.Scheduled {
		rows = append(rows, []string{mins(*e.At), e.Kind, dash(e.ID), e.Summary, entryDetail(e)})
	}
	writeTable(&b, rows)
	if len(t.Waiting) > 0 {
		b.WriteString("\nWAITING ON EVENTS\n")
		rows = [][]string{{"WHEN", "EARLIEST", "WHAT", "ID", "SUMMARY", "DETAIL"}}
		for _, e := range t.Waiting {
			earliest := "-"
			if e.Earliest != nil {
				earliest = mins(*e.Earliest)
			}
			rows = append(rows, []string{e.Trigger, earliest, e.Kind, dash(e.ID), e.Summary, entryDetail(e)})
		}
		writeTable(&b, rows)
	}
	if len(t.Notes) > 0 {
		b.WriteString("\nNOTES\n")
		for _, n := range t.Notes {
			b.WriteString("- " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes rows with columns padded to the widest cell, two spaces
// apart; the last column is not padded.
func writeTable(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
}

// displayWidth is the number of terminal columns s takes: East Asian wide
// characters and emoji take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1FAFF:
			n += 2
		case r == 0x200B || (r >= 0x0300 && r <= 0x036F) || r == 0xFE0F:
		default:
			n++
		}
	}
	return n
}

func entryDetail(e TimelineEntry) string {
	parts := []string{e.Detail}
	if len(e.Layered) > 0 {
		parts = append(parts, "layered with "+strings.Join(e.Layered, ", "))
	}
	if e.Condition != "" {
		parts = append(parts, e.Condition)
	}
	if e.FollowUp != "" {
		parts = append(parts, e.FollowUp)
	}
	return strings.Join(parts, "; ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteJSON writes the timeline as indented JSON.
func (t *Timeline) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
