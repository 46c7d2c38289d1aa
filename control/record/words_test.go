package record_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
)

// TestDescribe_WordsNotCodes: every event the journal holds is said in
// words a person reads, never by its event type or an id (#12 item 9).
func TestDescribe_WordsNotCodes(t *testing.T) {
	names := map[string]string{"p-1": "Kim"}
	for _, tc := range []struct {
		typ     string
		payload any
		want    string
	}{
		{control.EventDrillTimeScaleSet, control.TimeScaleSet{TimeScale: 60}, "Drill clock set to rehearsal, ×60"},
		{control.EventDrillTimeScaleSet, control.TimeScaleSet{TimeScale: 1}, "Drill clock set to real time"},
		{control.EventPersonRemoved, control.PersonRemoved{PersonID: "p-1", Reason: "left early"}, "Kim was removed from the drill: left early"},
		{"survey.link", map[string]string{"url": "https://forms.example.com/x"}, "After-drill survey link shared"},
		{retro.EventActionDecided, retro.Decision{ID: "a71", Accepted: true}, "Action accepted"},
		{retro.EventActionDecided, retro.Decision{ID: "a71"}, "Action rejected"},
		{control.EventInjectPosted, control.InjectEvent{InjectID: "cc-inquiry"}, "Scripted message"},
		{control.EventHintGiven, control.HintEvent{HintID: "h-config"}, "Hint given"},
		{control.EventFaultRecurred, control.FaultEvent{FaultID: "cascade", Cause: "leak", Recurrence: 1, Times: 3, Detail: "came back because leak is still active (1 of 3)"}, "Fault cascade came back because leak is still active (1 of 3)"},
		{control.EventFaultRecurred, control.FaultEvent{FaultID: "cascade", Recurrence: 1, Times: 3, Detail: "came back because the incident notice was posted (1 of 3)"}, "Fault cascade came back because the incident notice was posted (1 of 3)"},
		{control.EventFaultStaysFixed, control.FaultEvent{FaultID: "cascade", Cause: "leak", Detail: "leak is no longer active"}, "Fault cascade stays fixed: leak is no longer active"},
		{control.EventFaultStaysFixed, control.FaultEvent{FaultID: "cascade", Times: 3, Detail: "it came back 3 times, the most recurs.times allows"}, "Fault cascade stays fixed: it came back 3 times, as often as allowed"},
		{"room.something-new", map[string]string{}, "Another event"},
		{"drill.something-new", map[string]string{}, "Another event"},
	} {
		t.Run(tc.typ+" is worded", func(t *testing.T) {
			b, err := json.Marshal(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			_, got := record.Describe(control.Event{Type: tc.typ, Payload: b}, names)
			if got != tc.want {
				t.Fatalf("Describe(%s) = %q, want %q", tc.typ, got, tc.want)
			}
		})
	}
}

// actionIDRe is how an action's id looks (retro.ActionID).
var actionIDRe = regexp.MustCompile(`\ba\d+\b`)

// TestTimeline_ScriptNamedAsTheConsoleNamesIt: in a played drill's
// timeline, scripted messages and hints are named by persona and channel,
// alerts and actions by their titles, never by their ids.
func TestTimeline_ScriptNamedAsTheConsoleNamesIt(t *testing.T) {
	_, rec := played(t)
	var all []string
	for _, e := range rec.Timeline {
		all = append(all, e.Summary)
		switch e.Kind {
		case record.KindInject, record.KindAlert:
			for _, id := range []string{"cc-inquiry", "cto-ask", "payment-5xx"} {
				if strings.Contains(e.Summary, id) {
					t.Errorf("timeline entry %d says the id %q: %s", e.Seq, id, e.Summary)
				}
			}
		case record.KindRetro:
			if actionIDRe.MatchString(e.Summary) {
				t.Errorf("timeline entry %d says an action's id: %s", e.Seq, e.Summary)
			}
		case record.KindOther:
			t.Errorf("timeline entry %d (%s) has no words: %s", e.Seq, e.Type, e.Summary)
		}
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"Scripted message from Customer Center in #cs", "Alert “Payment API 5xx rate above 5%” firing", "Action “Alert on DB pool saturation” accepted"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
}

// TestTimelineSVG_FaultsByTitle: the timeline chart names faults by their
// titles, not their ids.
func TestTimelineSVG_FaultsByTitle(t *testing.T) {
	_, rec := played(t)
	svg := record.TimelineSVG(rec, record.English)
	if strings.Contains(svg, ">db-config<") || strings.Contains(svg, ">coupon-flag<") {
		t.Fatalf("the chart labels faults by id:\n%s", svg)
	}
	if !strings.Contains(svg, ">Payment DB pool size") {
		t.Fatalf("the chart lacks the fault's title:\n%s", svg)
	}
}

// TestExport_ResponsesInWords: the record's response times say what was
// answered, not the inject's or notice's id.
func TestExport_ResponsesInWords(t *testing.T) {
	_, rec := played(t)
	for _, format := range []string{"html", "md"} {
		var b bytes.Buffer
		if err := record.Export(&b, rec, format, record.English); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, raw := range []string{"inject cc-inquiry", "inject cto-ask", "notice incident", "notice resolution"} {
			if strings.Contains(out, raw) {
				t.Errorf("%s record says %q", format, raw)
			}
		}
		for _, want := range []string{"Scripted message", "Incident notice", "Resolution notice"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s record lacks %q", format, want)
			}
		}
	}
}
