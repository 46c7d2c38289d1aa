package scenarios

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// InjectCSVColumns are the columns of the injects spreadsheet, in the order
// ExportInjectsCSV writes them. Import accepts them in any order; time,
// persona, channel and text are required columns, the others optional.
//
// The on column holds an event trigger in one cell:
//
//	event[:ref][@by][+delay]
//
// e.g. "fault.resolved:db-config+2m", "notice.missing:incident@15m",
// "alert.firing:payment-errors", "drill.started+1m". A row has either a time
// or an on trigger. The difficulties column lists the levels an inject is
// limited to (e.g. "medium easy"); empty plays it at every level.
var InjectCSVColumns = []string{"id", "time", "on", "persona", "channel", "text", "expected action", "follow-up after", "follow-up text", "difficulties"}

// MaxCSVRows bounds how many injects one import may carry.
const MaxCSVRows = 5000

// ExportInjectsCSV writes the injects of s as a spreadsheet with a header row.
func ExportInjectsCSV(w io.Writer, s *Scenario) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(InjectCSVColumns); err != nil {
		return fmt.Errorf("export injects: %w", err)
	}
	for _, in := range s.Injects {
		if what := notInCSV(in); what != "" {
			return fmt.Errorf("export injects: inject %s uses %s, which the spreadsheet has no column for; edit it in the scenario file (nothing was exported, so that nothing is lost on import)", in.ID, what)
		}
		row := make([]string, len(InjectCSVColumns))
		row[0] = in.ID
		if in.At != nil {
			row[1] = mins(*in.At)
		}
		if in.On != nil {
			row[2] = formatTrigger(*in.On)
		}
		row[3], row[4], row[5], row[6] = in.Persona, in.Channel, in.Text, in.ExpectedAction
		if in.FollowUp != nil {
			row[7], row[8] = mins(in.FollowUp.After), in.FollowUp.Text
		}
		for _, d := range in.Difficulties {
			row[9] = strings.TrimSpace(row[9] + " " + string(d))
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export injects: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export injects: %w", err)
	}
	return nil
}

// notInCSV names what of the inject the spreadsheet cannot hold, or "".
func notInCSV(in Inject) string {
	switch {
	case len(in.Escalation) > 0:
		return "an escalation"
	case in.AnsweredWhen != nil:
		return "answeredWhen"
	case in.To != nil:
		return "a private recipient (to)"
	case len(in.Candidates) > 0:
		return "a candidates limit"
	case in.Persona == "":
		return "a back-room note without a persona"
	case in.FollowUp != nil && in.FollowUp.Persona != "":
		return "a follow-up persona"
	case in.On == nil:
		return ""
	case in.On.Event == OnChatMatched || in.On.Event == OnClusterChanged:
		return "the event " + string(in.On.Event)
	case in.On.Field != "":
		return "a notice field trigger (field, value)"
	}
	return ""
}

func formatTrigger(t EventTrigger) string {
	s := string(t.Event)
	for _, ref := range []string{t.Fault, string(t.Notice), t.Alert, t.Hint, t.Inject} {
		if ref != "" {
			s += ":" + ref
			break
		}
	}
	if t.By != nil {
		s += "@" + mins(*t.By)
	}
	if t.Delay > 0 {
		s += "+" + mins(t.Delay)
	}
	return s
}

// CSVError is one problem in an injects spreadsheet, at a 1-based row (the
// header is row 1) and column.
type CSVError struct {
	Row     int    `json:"row"`
	Column  int    `json:"column"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *CSVError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("row %d, column %d (%s): %s", e.Row, e.Column, e.Field, e.Message)
	}
	return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Column, e.Message)
}

// CSVErrors is every problem found in a spreadsheet.
type CSVErrors []*CSVError

func (l CSVErrors) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// ImportInjectsCSV reads injects from a spreadsheet written by
// ExportInjectsCSV or by hand. It checks the cells (times, triggers,
// required values); references to personas, channels and faults are checked
// when the injects are loaded as part of a scenario. Rows whose cells are
// all empty are skipped. Missing ids become inject-<row>.
func ImportInjectsCSV(r io.Reader) ([]Inject, error) {
	injects, _, err := ImportInjectsCSVRows(r)
	return injects, err
}

// ImportInjectsCSVRows is ImportInjectsCSV that also returns the spreadsheet
// row of each inject, so that errors found later can name the row.
func ImportInjectsCSVRows(r io.Reader) ([]Inject, []int, error) {
	cr := csv.NewReader(io.LimitReader(r, MaxFileSize+1))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, CSVErrors{{Row: 1, Column: 1, Message: "empty file, expected a header row: " + strings.Join(InjectCSVColumns, ", ")}}
	}
	if err != nil {
		return nil, nil, csvReadError(err)
	}
	var errs CSVErrors
	col := map[string]int{}
	for i, h := range header {
		name := normalizeColumn(h)
		known := false
		for _, c := range InjectCSVColumns {
			if c == name {
				known = true
			}
		}
		switch {
		case !known:
			errs = append(errs, &CSVError{Row: 1, Column: i + 1, Message: fmt.Sprintf("unknown column %q, expected one of: %s", h, strings.Join(InjectCSVColumns, ", "))})
		case col[name] != 0:
			errs = append(errs, &CSVError{Row: 1, Column: i + 1, Message: fmt.Sprintf("duplicate column %q", h)})
		default:
			col[name] = i + 1
		}
	}
	for _, req := range []string{"persona", "channel", "text"} {
		if col[req] == 0 {
			errs = append(errs, &CSVError{Row: 1, Column: len(header) + 1, Message: fmt.Sprintf("missing column %q", req)})
		}
	}
	if col["time"] == 0 && col["on"] == 0 {
		errs = append(errs, &CSVError{Row: 1, Column: len(header) + 1, Message: `missing column "time" (or "on" for event triggers)`})
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	var out []Inject
	var rows []int
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, append(errs, csvReadError(err)...)
		}
		if row-1 > MaxCSVRows {
			return nil, nil, append(errs, &CSVError{Row: row, Column: 1, Message: fmt.Sprintf("more than %d rows", MaxCSVRows)})
		}
		cell := func(name string) (string, int) {
			i := col[name]
			if i == 0 || i > len(rec) {
				return "", i
			}
			return strings.TrimSpace(rec[i-1]), i
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		bad := func(name, format string, args ...any) {
			_, c := cell(name)
			errs = append(errs, &CSVError{Row: row, Column: c, Field: name, Message: fmt.Sprintf(format, args...)})
		}
		var in Inject
		in.ID, _ = cell("id")
		if in.ID == "" {
			in.ID = fmt.Sprintf("inject-%d", row)
		}
		in.Persona, _ = cell("persona")
		in.Channel, _ = cell("channel")
		if i := col["text"]; i > 0 && i <= len(rec) {
			in.Text = rec[i-1] // keep the text exactly, line breaks included
		}
		in.ExpectedAction, _ = cell("expected action")
		for _, req := range []string{"persona", "channel", "text"} {
			if v, _ := cell(req); v == "" {
				bad(req, "empty %s", req)
			}
		}
		tm, _ := cell("time")
		on, _ := cell("on")
		switch {
		case tm != "" && on != "":
			bad("on", "both time and on are set, expected one of them")
		case tm == "" && on == "":
			bad("time", "no time and no on trigger, expected a drill time like 15m or a trigger like fault.resolved:db-config")
		case tm != "":
			d, err := ParseDuration(tm)
			if err != nil {
				bad("time", "%v", err)
			} else {
				in.At = &d
			}
		default:
			t, err := parseTrigger(on)
			if err != nil {
				bad("on", "%v", err)
			} else {
				in.On = t
			}
		}
		fa, _ := cell("follow-up after")
		ft, _ := cell("follow-up text")
		switch {
		case fa != "" && ft == "":
			bad("follow-up text", "a follow-up needs its text")
		case fa == "" && ft != "":
			bad("follow-up after", "a follow-up needs a wait, e.g. 5m")
		case fa != "":
			d, err := ParseDuration(fa)
			if err != nil {
				bad("follow-up after", "%v", err)
			} else {
				in.FollowUp = &FollowUp{After: d, Text: rec[col["follow-up text"]-1]}
			}
		}
		if ds, _ := cell("difficulties"); ds != "" {
			for _, d := range strings.FieldsFunc(ds, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
				if lvl := Difficulty(strings.ToLower(d)); validDifficulty(lvl) {
					in.Difficulties = append(in.Difficulties, lvl)
				} else {
					bad("difficulties", "unknown difficulty %q, expected levels from hard, medium, easy separated by spaces, e.g. \"medium easy\"", d)
				}
			}
		}
		out = append(out, in)
		rows = append(rows, row)
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return out, rows, nil
}

func normalizeColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	h = strings.NewReplacer("_", " ", "followup", "follow-up", "follow up", "follow-up").Replace(h)
	if h == "expectedaction" {
		h = "expected action"
	}
	return h
}

func csvReadError(err error) CSVErrors {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return CSVErrors{{Row: pe.Line, Column: pe.Column, Message: pe.Err.Error()}}
	}
	return CSVErrors{{Row: 1, Column: 1, Message: err.Error()}}
}

// parseTrigger parses "event[:ref][@by][+delay]".
func parseTrigger(s string) (*EventTrigger, error) {
	t := &EventTrigger{}
	rest := s
	if i := strings.LastIndex(rest, "+"); i >= 0 {
		d, err := ParseDuration(rest[i+1:])
		if err != nil {
			return nil, fmt.Errorf("delay: %v", err)
		}
		t.Delay = d
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		d, err := ParseDuration(rest[i+1:])
		if err != nil {
			return nil, fmt.Errorf("by: %v", err)
		}
		t.By = &d
		rest = rest[:i]
	}
	ev, ref, _ := strings.Cut(rest, ":")
	t.Event = EventKind(strings.TrimSpace(ev))
	ref = strings.TrimSpace(ref)
	switch t.Event {
	case OnDrillStarted:
	case OnFaultInjected, OnFaultResolved, OnFaultRecurred:
		t.Fault = ref
	case OnNoticePosted, OnNoticeMissing:
		t.Notice = NoticeKind(ref)
	case OnHintGiven:
		t.Hint = ref
	case OnAlertFiring, OnAlertResolved:
		t.Alert = ref
	case OnInjectPosted:
		t.Inject = ref
	case OnChatMatched, OnClusterChanged:
		return nil, fmt.Errorf("event %s needs a match or a check, which a spreadsheet cell cannot hold; write this inject in the scenario file", t.Event)
	default:
		return nil, fmt.Errorf("unknown event %q in %q, expected event[:ref][@by][+delay] with event one of: drill.started, fault.injected, fault.resolved, fault.recurred, notice.posted, notice.missing, hint.given, alert.firing, alert.resolved, inject.posted", ev, s)
	}
	if ref == "" && t.Event != OnDrillStarted && t.Event != OnHintGiven {
		return nil, fmt.Errorf("event %s needs a reference, e.g. %s:%s", t.Event, t.Event, exampleRef(t.Event))
	}
	return t, nil
}

func exampleRef(e EventKind) string {
	switch e {
	case OnNoticePosted, OnNoticeMissing:
		return "incident"
	case OnAlertFiring, OnAlertResolved:
		return "payment-errors"
	case OnInjectPosted:
		return "cs-first-call"
	}
	return "db-config"
}
