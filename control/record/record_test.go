package record_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/injectors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// played returns the record of the drill retrotest plays, with its retro
// filled and closed.
func played(t *testing.T) (*controltest.Harness, *record.Record) {
	t.Helper()
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "drill-1")
	s := retrotest.PlayRetro(t, h, "drill-1")
	if err := s.Close(h.Ctx, "drill-1", "fiona"); err != nil {
		t.Fatal(err)
	}
	r, err := record.Load(h.Ctx, h.DB, "drill-1")
	if err != nil {
		t.Fatal(err)
	}
	return h, r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; run go test ./control/record -update and review the diff\n--- got (first 2000 bytes)\n%s", name, head(got))
	}
}

func head(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000])
	}
	return string(b)
}

func TestRecord_ContentsFromTheJournal(t *testing.T) {
	_, r := played(t)
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	if r.Date != "2026-11-23" || r.Season != "2026H2" || r.Team != "payments" || r.Scenario.Variant != "medium" || r.State != "closed" || r.EndReason != "resolved" {
		t.Fatalf("header %+v", r)
	}
	if got := *r.Metrics.TimeToIncidentNoticeMs; got != ms(6*time.Minute) {
		t.Fatalf("time to incident notice %d", got)
	}
	if f := r.Metrics.Faults[0]; f.TimeToDetectMs == nil || *f.TimeToDetectMs != ms(3*time.Minute) {
		t.Fatalf("db-config detected after %v, expected alice's message at 3m", f.TimeToDetectMs)
	}
	var inject *record.Response
	for i := range r.Responses {
		if r.Responses[i].Kind == "inject" && r.Responses[i].ID == "cc-inquiry" {
			inject = &r.Responses[i]
		}
	}
	if inject == nil || inject.ResponseMs == nil || *inject.ResponseMs != ms(2*time.Minute) {
		t.Fatalf("cc-inquiry response %+v, expected bob's reply 2m after the 5m inquiry", inject)
	}
	if len(r.ObserverNotes) != 2 || r.ObserverNotes[1].Tag != "weakness" {
		t.Fatalf("observer notes %+v", r.ObserverNotes)
	}
	rt := r.Retro
	// The averages are the participants' only: the designer submitted
	// too, but is not trained by the drill.
	if rt.Submitted != 4 || rt.Ratings.Count != 3 || rt.Ratings.Before != 1.67 || rt.Ratings.After != 3.33 || rt.Ratings.ChangePct != 100 || len(rt.Actions) != 2 || !rt.Closed {
		t.Fatalf("retro %+v", rt)
	}
	for _, a := range rt.Answers {
		if a.Anonymous && (a.Name != "" || a.Role != "") {
			t.Fatalf("anonymous answer carries a name: %+v", a)
		}
	}
	// Anonymous answers come after the named ones, out of the
	// presentation order that would place them.
	if last := rt.Answers[len(rt.Answers)-1]; last.Name != "" || !last.Anonymous || last.WentWell != "The incident notice went out at 6 minutes." {
		t.Fatalf("bob's answers should be anonymous and last: %+v", last)
	}
	for _, e := range r.Timeline {
		if e.Type == "retro.draft" {
			t.Fatalf("autosaves leaked into the timeline: %+v", e)
		}
	}
}

func TestExport_Golden(t *testing.T) {
	_, r := played(t)
	for _, f := range record.Formats {
		t.Run(f+" matches the golden file", func(t *testing.T) {
			var buf bytes.Buffer
			if err := record.Export(&buf, r, f, record.English); err != nil {
				t.Fatal(err)
			}
			golden(t, "record."+f, buf.Bytes())
		})
	}
	t.Run("timeline chart matches the golden file", func(t *testing.T) {
		golden(t, "timeline.svg", []byte(record.TimelineSVG(r, record.English)))
	})
	t.Run("ratings chart matches the golden file", func(t *testing.T) {
		golden(t, "ratings.svg", []byte(record.RatingsSVG(r.Retro.Ratings, record.English)))
	})
}

// Weaknesses are never attributed: no name appears next to what was
// lacking, in any human-readable export.
func TestExport_Blameless(t *testing.T) {
	_, r := played(t)
	var md bytes.Buffer
	if err := record.WriteMarkdown(&md, r, record.English); err != nil {
		t.Fatal(err)
	}
	sec := md.String()
	start := strings.Index(sec, "### What was lacking")
	end := strings.Index(sec, "### How we could do better")
	lacking := sec[start:end]
	for _, p := range retrotest.People {
		if strings.Contains(lacking, p.Name) {
			t.Fatalf("%s is named next to a weakness:\n%s", p.Name, lacking)
		}
	}
	if !strings.Contains(sec, "This is not an evaluation") {
		t.Fatal("the blameless copy is missing")
	}
	if strings.Contains(sec, "The notice went out at 6 minutes. — Bob") {
		t.Fatal("bob's anonymous answer carries his name")
	}
}

func TestExport_UnknownFormatIsRefused(t *testing.T) {
	_, r := played(t)
	err := record.Export(&bytes.Buffer{}, r, "pdf", "")
	if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "expected one of md, json, html, csv, github") {
		t.Fatalf("error %v", err)
	}
}

func TestVerify(t *testing.T) {
	_, r := played(t)
	var buf bytes.Buffer
	if err := record.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	kept := buf.String()
	tests := []struct {
		name string
		edit func(s string) string
		want string // "" when the record verifies
	}{
		{"untouched record verifies", func(s string) string { return s }, ""},
		{"edited event payload names the event", func(s string) string {
			// The chain comes last; the timeline's phrase quotes the text too.
			i := strings.LastIndex(s, `"text": "We are on it, back in ~20 min"`)
			if i < 0 {
				return s
			}
			return s[:i] + strings.Replace(s[i:], "~20 min", "~5 min", 1)
		}, "event #"},
		{"edited metric names the section", func(s string) string {
			return strings.Replace(s, `"timeToIncidentNoticeMs": 360000`, `"timeToIncidentNoticeMs": 60000`, 1)
		}, "record section metrics.timeToIncidentNoticeMs was altered"},
		{"edited retro answer names the section", func(s string) string {
			return strings.Replace(s, `"before": 1,`, `"before": 4,`, 1)
		}, "record section retro.answers[1].before was altered"},
		{"edited head is refused", func(s string) string {
			return strings.Replace(s, `"head": "`+r.Chain.Head, `"head": "0`+r.Chain.Head[1:], 1)
		}, "but the record states head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit(kept)
			if tt.want != "" && edited == kept {
				t.Fatal("the edit did not apply; the test data changed")
			}
			rec, err := record.ReadJSON(strings.NewReader(edited))
			if err != nil {
				t.Fatal(err)
			}
			v, err := record.Verify(rec)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if v.Head != r.Chain.Head || v.Events != len(r.Chain.Events) || len(v.Sections) < 10 {
					t.Fatalf("verification %+v", v)
				}
				return
			}
			if err == nil || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Fatalf("error %v, expected %q", err, tt.want)
			}
		})
	}
}

func TestVerify_NamesTheEditedEvent(t *testing.T) {
	_, r := played(t)
	var seq int64
	for _, e := range r.Chain.Events {
		if e.Type == control.EventNoticePosted {
			seq = e.Seq
			break
		}
	}
	var buf bytes.Buffer
	_ = record.WriteJSON(&buf, r)
	rec, _ := record.ReadJSON(&buf)
	rec.Chain.Events[seq-1].Payload = json.RawMessage(strings.Replace(string(rec.Chain.Events[seq-1].Payload), "P1", "P3", 1))
	_, err := record.Verify(rec)
	want := "event #" + itoa(seq) + " (notice.posted at 6:00) was altered"
	if err == nil || !strings.Contains(injectors.ErrorMessage(err), want) {
		t.Fatalf("error %v, expected %q", err, want)
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestReadJSON_RefusesOtherDocuments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON is refused with the offset", `{"$schema": `, "record: unexpected EOF"},
		{"another schema is refused", `{"$schema": "x"}`, `record $schema is "x"`},
		{"unknown fields are refused", `{"$schema": "x", "extra": 1}`, `unknown field "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := record.ReadJSON(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Fatalf("error %v, expected %q", err, tt.want)
			}
		})
	}
}

func TestSeasonOf(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 6, 30, 23, 59, 0, 0, time.UTC), "2026H1"},
		{time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "2026H2"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2027H1"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := record.SeasonOf(tt.at); got != tt.want {
				t.Fatalf("season of %s = %s, expected %s", tt.at, got, tt.want)
			}
		})
	}
}

// A chain re-sealed by hand after a forged event is a valid chain, but its
// head no longer matches the kept one, and an event the engine never wrote
// is refused when the journal is replayed.
func TestVerify_ForgedChainIsRefused(t *testing.T) {
	_, r := played(t)
	last := r.Chain.Events[len(r.Chain.Events)-1]
	forged := control.Event{DrillID: r.DrillID, Type: control.EventFaultInjected, Time: last.Time, DrillTime: last.DrillTime, Actor: "engine", Payload: json.RawMessage(`{"faultId":"ghost"}`)}
	if err := forged.Seal(last.Seq, last.Hash); err != nil {
		t.Fatal(err)
	}
	r.Chain.Events = append(r.Chain.Events, forged)
	r.Chain.Count, r.Chain.Head = len(r.Chain.Events), forged.Hash
	_, err := record.Verify(r)
	if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "cannot be replayed") {
		t.Fatalf("error %v, expected EINVALID: cannot be replayed", err)
	}
}

func TestRecord_LiveQuestionsAreTimed(t *testing.T) {
	h := controltest.NewHarness(t)
	e := h.Engine
	d, err := e.CreateDrill(h.Ctx, control.DrillRequest{ID: "live", Scenario: retrotest.Scenario(), Actor: "fiona"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range retrotest.People {
		if _, err := e.AddPerson(h.Ctx, d.ID, p, "fiona"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Start(h.Ctx, d.ID, "fiona"); err != nil {
		t.Fatal(err)
	}
	post := func(who, kind, ch, text string) {
		t.Helper()
		if _, err := e.PostMessage(h.Ctx, d.ID, control.PostMessage{Channel: ch, AuthorID: who, AuthorKind: kind, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	h.AdvanceTo(d.ID, 10*time.Minute)
	// The facilitator asks live as the CTO; alice answers 90 s later in
	// the same channel (a message elsewhere first does not count).
	post("cto", control.AuthorPersona, "incident", "What is the customer impact right now?")
	h.AdvanceTo(d.ID, 11*time.Minute)
	post("alice", control.AuthorPerson, "cs", "Checking with the customer center.")
	h.AdvanceTo(d.ID, 11*time.Minute+30*time.Second)
	post("alice", control.AuthorPerson, "incident", "About 200 customers cannot pay since 14:00.")
	// A live alert is not a question, and an unanswered question has no time.
	post("mon", control.AuthorPersona, "alerts", "[FIRING] payment errors")
	h.AdvanceTo(d.ID, 12*time.Minute)
	post("cc", control.AuthorPersona, "cs", "When will it be over?")
	r, err := record.Load(h.Ctx, h.DB, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rs := range r.Responses {
		if rs.Kind != "question" {
			continue
		}
		s := rs.ID + "@" + rs.Channel + " at " + time.Duration(rs.AtMs*int64(time.Millisecond)).String()
		if rs.ResponseMs != nil {
			s += " answered after " + time.Duration(*rs.ResponseMs*int64(time.Millisecond)).String()
		}
		got = append(got, s)
	}
	want := []string{"cto@incident at 10m0s answered after 1m30s", "cc@cs at 12m0s"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("live questions timed as %q, want %q", got, want)
	}
}
