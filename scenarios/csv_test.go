package scenarios_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

func TestInjectsCSV_roundTrip(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := mustLoad(t, f)
			var b bytes.Buffer
			if err := scenarios.ExportInjectsCSV(&b, s); err != nil {
				t.Fatal(err)
			}
			got, err := scenarios.ImportInjectsCSV(&b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s.Injects) {
				t.Errorf("round trip changed the injects:\ngot  %+v\nwant %+v", got, s.Injects)
			}
		})
	}
}

// An inject limited to some difficulties keeps the limit through the
// spreadsheet: before the difficulties column, export dropped it silently and
// the imported inject was played at every level.
func TestInjectsCSV_keepsDifficulties(t *testing.T) {
	s := mustLoad(t, "examples/incidents/one-sick-web-pod.yaml")
	s.Injects[0].Difficulties = []scenarios.Difficulty{scenarios.Medium, scenarios.Easy}
	var b bytes.Buffer
	if err := scenarios.ExportInjectsCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ",medium easy\n") {
		t.Errorf("export does not write the difficulties:\n%s", b.String())
	}
	got, err := scenarios.ImportInjectsCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s.Injects) {
		t.Errorf("round trip changed the injects:\ngot  %+v\nwant %+v", got, s.Injects)
	}
}

func TestImportInjectsCSV_acceptsSpreadsheetHeaders(t *testing.T) {
	in := "\ufeffTime,Persona,Channel,Text,Expected_Action,On\n" +
		"5m,cs,cs-inquiries,\"Customers cannot pay,\nsince 14:00\",Post the notice,\n" +
		",,,,,\n" +
		",cto,incident,Who leads?,,notice.missing:incident@15m+1m\n"
	got, err := scenarios.ImportInjectsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d injects, want 2 (blank row skipped)", len(got))
	}
	if got[0].ID != "inject-2" || got[0].At.String() != "5m" || got[0].Text != "Customers cannot pay,\nsince 14:00" || got[0].ExpectedAction != "Post the notice" {
		t.Errorf("first = %+v", got[0])
	}
	on := got[1].On
	if got[1].ID != "inject-4" || on == nil || on.Event != scenarios.OnNoticeMissing || on.Notice != scenarios.NoticeIncident || on.By.String() != "15m" || on.Delay.String() != "1m" {
		t.Errorf("second = %+v on %+v", got[1], on)
	}
}

func TestImportInjectsCSV_errors(t *testing.T) {
	tests := []struct {
		name, csv, want string
	}{
		{"fails on an empty file", "", "row 1, column 1: empty file, expected a header row"},
		{"fails on an unknown column", "time,persona,channel,text,mood\n", `row 1, column 5: unknown column "mood"`},
		{"fails on a missing column", "time,persona,text\n", `row 1, column 4: missing column "channel"`},
		{"fails on a bad time", "time,persona,channel,text\n5,cs,incident,hi\n", `row 2, column 1 (time): invalid duration "5"`},
		{"fails on an unknown event", "on,persona,channel,text\nfault.exploded:db,cs,incident,hi\n", `row 2, column 1 (on): unknown event "fault.exploded"`},
		{"fails on an event without its reference", "on,persona,channel,text\nfault.resolved,cs,incident,hi\n", "event fault.resolved needs a reference"},
		{"fails on both time and on", "time,on,persona,channel,text\n5m,drill.started,cs,incident,hi\n", "row 2, column 2 (on): both time and on are set"},
		{"fails on an empty text", "time,persona,channel,text\n5m,cs,incident,\n", "row 2, column 4 (text): empty text"},
		{"fails on a follow-up without text", "time,persona,channel,text,follow-up after\n5m,cs,incident,hi,3m\n", "a follow-up needs its text"},
		{"fails on an unknown difficulty", "time,persona,channel,text,difficulties\n5m,cs,incident,hi,\"easy, insane\"\n", `row 2, column 5 (difficulties): unknown difficulty "insane", expected levels from hard, medium, easy`},
		{"fails on broken quoting", "time,persona,channel,text\n5m,cs,incident,\"hi\n", "row 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenarios.ImportInjectsCSV(strings.NewReader(tt.csv))
			var list scenarios.CSVErrors
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want CSVErrors", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReplaceInjects_keepsTheRestOfTheScenario(t *testing.T) {
	data := mustRead(t, "examples/layered-payment-outage.yaml")
	orig := mustLoad(t, "examples/layered-payment-outage.yaml")
	injects, err := scenarios.ImportInjectsCSV(strings.NewReader("id,time,persona,channel,text\nonly-one,3m,cs,cs-inquiries,Is payment down?\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := scenarios.ReplaceInjects(data, injects)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse("replaced.yaml", out)
	if err != nil {
		t.Fatalf("replaced document does not load:\n%v\n%s", err, out)
	}
	if len(s.Injects) != 1 || s.Injects[0].ID != "only-one" {
		t.Errorf("injects = %+v", s.Injects)
	}
	// The robots' answers to the injects that went are warned about (they
	// never run), nothing else.
	for _, w := range s.Warnings[len(orig.Warnings):] {
		if !strings.HasPrefix(w.Path, "rehearsal.") || !strings.Contains(w.Message, "this answer never runs") {
			t.Errorf("unexpected warning after replacing the injects: %v", w)
		}
	}
	s.Injects, s.Source, s.ContentHash, s.Warnings = orig.Injects, orig.Source, orig.ContentHash, orig.Warnings
	if !reflect.DeepEqual(s, orig) {
		t.Errorf("replacing the injects changed other fields")
	}
	if !bytes.Contains(out, []byte("# A layered (composite) drill")) {
		t.Errorf("the leading comment was lost")
	}
	block, err := scenarios.MarshalInjects(injects)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(block, []byte("injects:\n  - id: only-one\n    at: 3m\n")) {
		t.Errorf("block = %s", block)
	}
}

// Reactions a cell can hold (inject.posted) survive the spreadsheet; the ones
// it cannot (a match, a check, an escalation) make the export refuse, naming
// the inject, instead of losing them on the way back.
func TestInjectsCSV_reactions(t *testing.T) {
	s := mustLoad(t, "testdata/plan-cases/reactions.yaml")
	var b bytes.Buffer
	err := scenarios.ExportInjectsCSV(&b, s)
	if err == nil || !strings.Contains(err.Error(), "inject first-call uses an escalation") {
		t.Fatalf("export of an escalation: %v, want a refusal naming first-call", err)
	}
	s.Injects = s.Injects[1:2] // cto-follows: inject.posted
	b.Reset()
	if err := scenarios.ExportInjectsCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	got, err := scenarios.ImportInjectsCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s.Injects) {
		t.Errorf("round trip changed the inject:\ngot  %+v\nwant %+v", got[0].On, s.Injects[0].On)
	}
	_, err = scenarios.ImportInjectsCSV(strings.NewReader("id,on,persona,channel,text\nx,chat.matched,cs,incident,hi\n"))
	if err == nil || !strings.Contains(err.Error(), "write this inject in the scenario file") {
		t.Errorf("import of chat.matched: %v", err)
	}
}
