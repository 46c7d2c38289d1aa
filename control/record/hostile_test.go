package record_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/control/retro/retrotest"
)

// link finds "](javascript:" whose ] is not backslash-escaped.
var link = regexp.MustCompile(`(^|[^\\])\]\(javascript:`)

// hostile are texts a person could type into any field of the drill room.
var hostile = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`[click](javascript:alert(1))`,
	`![x](javascript:alert(1))`,
	`<a href="javascript:alert(1)">x</a>`,
	"`<b>`\\[x](javascript:alert(1))",
	`=HYPERLINK("http://evil.example","x")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+9)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
}

// hostileRecord is the played record with a hostile text in every field a
// person writes: names, chat, notes, notices, retro answers and questions,
// follow-up actions.
func hostileRecord(t *testing.T, text string) *record.Record {
	_, r := played(t)
	r.Title = text
	r.Team = text
	for i := range r.People {
		r.People[i].Name = text
	}
	for i := range r.Timeline {
		r.Timeline[i].Actor, r.Timeline[i].Summary = text, text
	}
	for i := range r.Notices {
		r.Notices[i].Author = text
		for k := range r.Notices[i].Fields {
			r.Notices[i].Fields[k] = text
		}
	}
	for i := range r.ObserverNotes {
		r.ObserverNotes[i].Text = text
	}
	for i := range r.Retro.Answers {
		a := &r.Retro.Answers[i]
		a.Name, a.WentWell, a.Lacking, a.Better = text, text, text, text
	}
	for i := range r.Retro.Questions {
		r.Retro.Questions[i].Text = text
	}
	r.Retro.Actions = append(r.Retro.Actions, retro.Action{ID: "a-x", Title: text, Kind: retro.KindAlert, Owner: text, Due: text, ProposedBy: text})
	return r
}

// TestExport_MarkdownShowsHTMLAndLinksAsText: nothing a person wrote becomes
// HTML or a link in the Markdown record.
func TestExport_MarkdownShowsHTMLAndLinksAsText(t *testing.T) {
	for _, text := range hostile {
		t.Run(fmt.Sprintf("%q", text), func(t *testing.T) {
			var md bytes.Buffer
			if err := record.WriteMarkdown(&md, hostileRecord(t, text), record.English); err != nil {
				t.Fatal(err)
			}
			out := md.String()
			for _, bad := range []string{"<script", "<img", "<a ", "<b>"} {
				if i := strings.Index(out, bad); i >= 0 {
					t.Fatalf("the Markdown record holds %q: …%s…", bad, out[max(0, i-60):min(len(out), i+60)])
				}
			}
			// A link needs an unescaped ] right before (javascript:.
			if m := link.FindStringIndex(out); m != nil {
				t.Fatalf("the Markdown record makes a link: …%s…", out[max(0, m[0]-60):min(len(out), m[1]+20)])
			}
			if strings.ContainsAny(text, "<[") && !strings.Contains(out, "&lt;") && !strings.Contains(out, `\[`) {
				t.Fatal("the text was dropped instead of shown escaped")
			}
		})
	}
}

// TestExport_CSVCellsNeverRunAsFormulas: every cell a spreadsheet would
// evaluate starts with an apostrophe (OWASP CSV injection).
func TestExport_CSVCellsNeverRunAsFormulas(t *testing.T) {
	for _, text := range hostile {
		t.Run(fmt.Sprintf("%q", text), func(t *testing.T) {
			var out bytes.Buffer
			if err := record.WriteActionsCSV(&out, hostileRecord(t, text)); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&out).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for _, cell := range row {
					if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
						t.Fatalf("cell %q would run as a formula", cell)
					}
				}
			}
			if last := rows[len(rows)-1]; last[4] != "'"+text && !strings.HasPrefix(text, "<") && !strings.HasPrefix(text, "[") && !strings.HasPrefix(text, "!") && !strings.HasPrefix(text, "`") {
				t.Fatalf("title cell %q, want the text behind an apostrophe", last[4])
			}
		})
	}
}

// TestRecord_AnonymousAnswersCannotBeLinked: with two anonymous answers,
// each section is ordered on its own, so the position of what one person
// found lacking does not tell what they found went well, or who they are.
func TestRecord_AnonymousAnswersCannotBeLinked(t *testing.T) {
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "drill-1")
	s := retro.NewService(h.Engine, h.DB, retrotest.Keys())
	answers := map[string]retro.Answers{
		"alice": {WentWell: "z: alice went well", Lacking: "a: alice lacking", Better: "m: alice better", Before: 1, After: 5, Anonymous: true},
		"bob":   {WentWell: "a: bob went well", Lacking: "z: bob lacking", Better: "b: bob better", Before: 4, After: 4, Anonymous: true},
		"carol": {WentWell: "carol went well", Lacking: "carol lacking", Better: "carol better", Before: 2, After: 3},
	}
	for _, who := range []string{"alice", "bob", "carol"} {
		if _, err := s.Submit(h.Ctx, "drill-1", who, answers[who]); err != nil {
			t.Fatal(err)
		}
	}
	// Open: the record holds the named answer and says the anonymous
	// ones come at the close; its journal holds them sealed only.
	r, err := record.Load(h.Ctx, h.DB, "drill-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Retro.Answers; len(got) != 1 || got[0].Name != "Carol" || !r.Retro.AnonymousPending || r.Retro.Submitted != 1 {
		t.Fatalf("open retro: answers %+v pending %v, want Carol's only, the anonymous ones pending", got, r.Retro.AnonymousPending)
	}
	noTrace := func(r *record.Record) {
		t.Helper()
		var buf bytes.Buffer
		if err := record.WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Chain.Events {
			if (e.Type == retro.EventDraft || e.Type == retro.EventSubmitted) && e.Actor != "carol" && e.Actor != retro.AnonymousActor {
				t.Fatalf("event #%d: an anonymous save journaled under %q", e.Seq, e.Actor)
			}
		}
		for _, who := range []string{"alice", "bob"} {
			for _, section := range []string{" went well", " lacking", " better"} {
				if i := strings.Index(buf.String(), who+section); i >= 0 && !strings.Contains(buf.String()[max(0, i-2000):i], `"anonymous": true`) {
					t.Fatalf("%s's answer %q is in the JSON record outside the published anonymous answers", who, who+section)
				}
			}
		}
	}
	noTrace(r)
	if err := s.Close(h.Ctx, "drill-1", "fiona"); err != nil {
		t.Fatal(err)
	}
	if r, err = record.Load(h.Ctx, h.DB, "drill-1"); err != nil {
		t.Fatal(err)
	}
	noTrace(r)
	got := r.Retro.Answers
	if len(got) != 3 || got[0].Name != "Carol" || r.Retro.AnonymousPending || r.Retro.Submitted != 3 {
		t.Fatalf("answers %+v, want Carol's named answer first, then the two published", got)
	}
	for _, a := range got[1:] {
		if !a.Anonymous || a.Name != "" {
			t.Fatalf("answer %+v, want anonymous", a)
		}
		for _, who := range []string{"alice", "bob"} {
			if strings.HasSuffix(a.WentWell, who+" went well") && strings.HasSuffix(a.Lacking, who+" lacking") {
				t.Fatalf("%s's sections stay together in one row: %+v", who, a)
			}
		}
	}
	if got[1].Before != 1 || got[1].After != 5 || got[2].Before != 4 {
		t.Fatalf("ratings %+v, want each before/after pair kept, ordered by value", got[1:])
	}
	if rt := r.Retro.Ratings; rt.Count != 3 {
		t.Fatalf("ratings %+v, want the published anonymous pairs counted with Carol's", rt)
	}
	if _, err := record.Verify(r); err != nil {
		t.Fatalf("the record no longer verifies against its journal: %v", err)
	}
}
