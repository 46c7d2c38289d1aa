package record_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/injectors"
)

func i64(v int64) *int64 { return &v }

func rec(id, team, date string, reason string, hints int, resolveMin int64, people []record.Person, answers ...record.Answer) *record.Record {
	t, _ := time.Parse(time.DateOnly, date)
	r := &record.Record{DrillID: id, Title: "Drill " + id, Team: team, Date: date, Season: record.SeasonOf(t), StartedAt: &t, State: "closed", EndReason: reason,
		Scenario: record.ScenarioInfo{Name: "scn-" + id, Title: "Scenario " + id, Designer: "Dana"}, People: people}
	r.Metrics.HintsUsed = hints
	r.Metrics.TimeToIncidentNoticeMs = i64(5 * 60000)
	if resolveMin > 0 {
		r.Metrics.TimeToResolutionNoticeMs = i64(resolveMin * 60000)
	}
	r.Retro.Answers = answers
	var pairs [][2]int
	for _, a := range answers {
		pairs = append(pairs, [2]int{a.Before, a.After})
	}
	r.Retro.Ratings = retro.RatingsOf(pairs)
	r.Retro.Actions = []retro.Action{{ID: "a1", Title: "Alert for " + id, Kind: retro.KindAlert, Due: "2026-12-01", Status: retro.ActionAccepted}}
	return r
}

func TestBuildHistory(t *testing.T) {
	p := func(name string, role control.Role) record.Person {
		return record.Person{ID: strings.ToLower(name), Name: name, Role: role}
	}
	team := []record.Person{p("Alice", control.RoleParticipant), p("Bob", control.RoleParticipant), p("Dana", control.RoleDesigner)}
	records := []*record.Record{
		rec("b", "payments", "2026-10-02", "resolved", 1, 30, team,
			record.Answer{Name: "Alice", Before: 2, After: 4, Extra: map[string]string{"realism": "4"}},
			record.Answer{Anonymous: true, Before: 1, After: 5}),
		rec("a", "payments", "2026-09-01", "resolved", 0, 50, append(team, p("ALICE ", control.RoleParticipant), p("Erin", control.RoleDesigner)),
			record.Answer{Name: "Bob", Before: 2, After: 3, Extra: map[string]string{"realism": "5"}}),
		rec("c", "orders", "2026-03-01", "cap", 3, 0, []record.Person{p("Carol", control.RoleParticipant)},
			record.Answer{Name: "Carol", Before: 1, After: 5}),
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

	t.Run("team and season select their drills, oldest first", func(t *testing.T) {
		h, err := record.BuildHistory(records, record.HistoryFilter{Team: "payments", Season: "2026H2"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Drills) != 2 || h.Drills[0].DrillID != "a" || h.Drills[1].DrillID != "b" {
			t.Fatalf("drills %+v", h.Drills)
		}
		if h.PeopleTrained != 2 || h.People != 4 {
			t.Fatalf("people trained %d, people %d; expected Alice and Bob trained, 4 people", h.PeopleTrained, h.People)
		}
		if h.Ratings.Before != 1.67 || h.Ratings.After != 4 || h.Ratings.ChangePct != 140 {
			t.Fatalf("ratings %+v", h.Ratings)
		}
		if len(h.NoticeTrend) != 2 || len(h.OpenActions) != 2 || !h.OpenActions[0].Overdue {
			t.Fatalf("trend %+v actions %+v", h.NoticeTrend, h.OpenActions)
		}
		aw := h.Awards
		if aw.LargestGain == nil || aw.LargestGain.Name != "Alice" || aw.LargestGain.Gain != 2 {
			t.Fatalf("largest gain %+v: the anonymous +4 is not eligible, Alice's +2 wins", aw.LargestGain)
		}
		if aw.MostEfficient == nil || aw.MostEfficient.DrillID != "a" {
			t.Fatalf("most efficient %+v: fewer hints wins over a faster notice", aw.MostEfficient)
		}
		if aw.MostRealistic == nil || aw.MostRealistic.Scenario != "scn-a" || aw.MostRealistic.Score != 5 {
			t.Fatalf("most realistic %+v", aw.MostRealistic)
		}
		if strings.Join(aw.Designers, ",") != "Dana,Erin" {
			t.Fatalf("designers %v", aw.Designers)
		}
		if strings.Join(h.Teams, ",") != "orders,payments" || strings.Join(h.Seasons, ",") != "2026H1,2026H2" {
			t.Fatalf("teams %v seasons %v", h.Teams, h.Seasons)
		}
	})
	t.Run("a drill that hit the cap is not the most efficient", func(t *testing.T) {
		h, err := record.BuildHistory(records, record.HistoryFilter{Team: "orders"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if h.Awards.MostEfficient != nil || h.Awards.LargestGain.Name != "Carol" {
			t.Fatalf("awards %+v", h.Awards)
		}
	})
	t.Run("awards are given per team and season, the latest season first", func(t *testing.T) {
		more := append(records, rec("d", "orders", "2026-11-01", "resolved", 2, 40, []record.Person{p("Dae", control.RoleParticipant)},
			record.Answer{Name: "Dae", Before: 3, After: 4}))
		h, err := record.BuildHistory(more, record.HistoryFilter{}, now)
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ team, season, gain, efficient string }
		var got []row
		for _, ta := range h.TeamAwards {
			r := row{team: ta.Team, season: ta.Season}
			if ta.Awards.LargestGain != nil {
				r.gain = ta.Awards.LargestGain.Name
			}
			if ta.Awards.MostEfficient != nil {
				r.efficient = ta.Awards.MostEfficient.DrillID
			}
			got = append(got, r)
		}
		want := []row{{"orders", "2026H2", "Dae", "d"}, {"payments", "2026H2", "Alice", "a"}, {"orders", "2026H1", "Carol", ""}}
		if len(got) != len(want) {
			t.Fatalf("team awards %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("team awards %+v, want %+v", got, want)
			}
		}
		// Carol's +4 in orders' first half year wins the pooled award, but
		// not orders' second half year, which Dae's +1 wins.
		if h.Awards.LargestGain.Name != "Carol" {
			t.Fatalf("pooled largest gain %+v", h.Awards.LargestGain)
		}
	})
	t.Run("a team's filter gives that team's awards only", func(t *testing.T) {
		h, err := record.BuildHistory(records, record.HistoryFilter{Team: "payments"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.TeamAwards) != 1 || h.TeamAwards[0].Team != "payments" || h.TeamAwards[0].Season != "2026H2" {
			t.Fatalf("team awards %+v", h.TeamAwards)
		}
	})
	t.Run("a malformed season is refused", func(t *testing.T) {
		_, err := record.BuildHistory(records, record.HistoryFilter{Season: "2026-2"}, now)
		if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "like 2026H2") {
			t.Fatalf("error %v", err)
		}
	})
}

// History over real journals: the played drill, and a drill created but
// never run, which is not part of the history.
func TestLoadAll_History(t *testing.T) {
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "drill-1")
	if err := retrotest.PlayRetro(t, h, "drill-1").Close(h.Ctx, "drill-1", "fiona"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "drill-2", Scenario: retrotest.Scenario()}); err != nil {
		t.Fatal(err)
	}
	rs, err := record.LoadAll(h.Ctx, h.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d records, expected 2", len(rs))
	}
	hist, err := record.BuildHistory(rs, record.HistoryFilter{Season: "2026H2"}, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Three participants rated themselves (Bob anonymously, published at
	// the close); the designer's answers carry no rating and count neither
	// as trained nor in the averages.
	if len(hist.Drills) != 1 || hist.PeopleTrained != 3 || hist.Ratings.Count != 3 || hist.Ratings.Before != hist.Drills[0].Ratings.Before || hist.Ratings.After != hist.Drills[0].Ratings.After || len(hist.OpenActions) != 2 {
		t.Fatalf("history %+v", hist)
	}
	if hist.Awards.LargestGain == nil || hist.Awards.LargestGain.Name != "Alice" || hist.Awards.MostRealistic == nil {
		t.Fatalf("awards %+v", hist.Awards)
	}
}

func BenchmarkAssemble(b *testing.B) {
	h := controltest.NewHarness(b)
	retrotest.PlayDrill(b, h, "drill-1")
	retrotest.PlayRetro(b, h, "drill-1")
	evs := h.Events("drill-1")
	b.ResetTimer()
	for b.Loop() {
		if _, err := record.Assemble(evs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := controltest.NewHarness(b)
	retrotest.PlayDrill(b, h, "drill-1")
	retrotest.PlayRetro(b, h, "drill-1")
	r, err := record.Load(h.Ctx, h.DB, "drill-1")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := record.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// The text of the history names the scope, every drill, the open actions
// and the awards; empty cells show a dash.
func TestHistory_WriteText(t *testing.T) {
	team := []record.Person{{ID: "alice", Name: "Alice", Role: control.RoleParticipant}, {ID: "dana", Name: "Dana", Role: control.RoleDesigner}}
	records := []*record.Record{
		rec("a", "payments", "2026-09-01", "resolved", 1, 30, team, record.Answer{Name: "Alice", Before: 2, After: 4, Extra: map[string]string{"realism": "4"}}),
		rec("b", "", "2026-10-01", "", 0, 0, nil),
	}
	h, err := record.BuildHistory(records, record.HistoryFilter{Season: "2026H2"}, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := h.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"all teams, season 2026H2: 2 drills, 1 people trained",
		"2026-09-01  a      payments  scn-a",
		"2026-10-01  b      —",
		"open follow-up actions: 2",
		"(overdue)",
		"largest before/after gain: Alice, 2 → 4 (+2) in a",
		"thanks to the designers: Dana",
		"awards of payments, season 2026H2:",
		"awards of —, season 2026H2:",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("history text lacks %q:\n%s", want, b.String())
		}
	}
}

// TestBuildHistory_Rehearsals: a drill run on a rehearsal clock is left out
// of the history (people trained, ratings, awards) unless asked, and marked
// when listed.
func TestBuildHistory_Rehearsals(t *testing.T) {
	kim := []record.Person{{ID: "kim", Name: "Kim", Role: control.RoleParticipant}}
	lee := []record.Person{{ID: "lee", Name: "Lee", Role: control.RoleParticipant}}
	real := rec("real", "payments", "2026-10-02", "resolved", 0, 30, kim, record.Answer{Name: "Kim", Before: 2, After: 4})
	rehearsal := rec("rehearsal", "payments", "2026-10-03", "resolved", 0, 1, lee, record.Answer{Name: "Lee", Before: 1, After: 5})
	rehearsal.TimeScale = 60
	// Robots played this one on a real-time clock: still a rehearsal.
	robots := rec("robots", "payments", "2026-10-04", "resolved", 0, 1, []record.Person{{ID: "robin", Name: "Robin", Role: control.RoleParticipant}}, record.Answer{Name: "Robin", Before: 1, After: 5})
	robots.TimeScale, robots.Robots = 1, true
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		filter     record.HistoryFilter
		drills     int
		trained    int
		leftOut    int
		markedLast float64
		gainTo     string
	}{
		{"rehearsals and robot drills are left out unless asked, and win no award", record.HistoryFilter{}, 1, 1, 2, 0, "Kim"},
		{"asked for, rehearsals are listed and marked", record.HistoryFilter{Rehearsals: true}, 3, 3, 0, 1, "Lee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := record.BuildHistory([]*record.Record{real, rehearsal, robots}, tt.filter, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Drills) != tt.drills || h.PeopleTrained != tt.trained || h.RehearsalsLeftOut != tt.leftOut {
				t.Fatalf("%d drills, %d trained, %d left out; want %d, %d, %d", len(h.Drills), h.PeopleTrained, h.RehearsalsLeftOut, tt.drills, tt.trained, tt.leftOut)
			}
			if got := h.Drills[len(h.Drills)-1].TimeScale; got != tt.markedLast {
				t.Fatalf("last drill time scale %v, want %v", got, tt.markedLast)
			}
			if g := h.Awards.LargestGain; g == nil || g.Name != tt.gainTo {
				t.Fatalf("largest gain %+v, want %s", g, tt.gainTo)
			}
		})
	}
}

// A rehearsal still being played is neither listed nor counted among the
// rehearsals left out: the history page said "1 rehearsal(s) left out"
// while the drill was running.
func TestBuildHistory_aRunningRehearsalIsNotCountedAsLeftOut(t *testing.T) {
	kim := []record.Person{{ID: "kim", Name: "Kim", Role: control.RoleParticipant}}
	real := rec("real", "payments", "2026-10-02", "resolved", 0, 30, kim, record.Answer{Name: "Kim", Before: 2, After: 4})
	done := rec("done", "payments", "2026-10-03", "resolved", 0, 1, kim)
	done.TimeScale = 60
	running := rec("running", "payments", "2026-10-04", "", 0, 0, kim)
	running.TimeScale, running.State = 60, string(control.StateRunning)
	h, err := record.BuildHistory([]*record.Record{real, done, running}, record.HistoryFilter{}, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Drills) != 1 || h.RehearsalsLeftOut != 1 {
		t.Fatalf("%d drills, %d rehearsals left out; want 1 and 1 (the ended rehearsal only)", len(h.Drills), h.RehearsalsLeftOut)
	}
}

// The history shows self-rating averages only for groups of MinAnswers
// answers or more: a drill or a selection with fewer gives its count and
// says "too few answers to show", never the averages or the spread, which
// would give away one person's (anonymous) ratings.
func TestBuildHistory_tooFewAnswersAreNotAveraged(t *testing.T) {
	a := func(before, after int) record.Answer {
		return record.Answer{Anonymous: true, Before: before, After: after}
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		answers []record.Answer
		hidden  bool
	}{
		{"no answer shows nothing to hide", nil, false},
		{"one answer is hidden", []record.Answer{a(1, 5)}, true},
		{"two answers are hidden", []record.Answer{a(1, 5), a(2, 3)}, true},
		{"three answers are averaged", []record.Answer{a(1, 5), a(2, 3), a(3, 4)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := record.BuildHistory([]*record.Record{rec("x", "payments", "2026-10-02", "resolved", 0, 30, nil, tt.answers...)}, record.HistoryFilter{}, now)
			if err != nil {
				t.Fatal(err)
			}
			for what, got := range map[string]struct {
				r      retro.Ratings
				hidden bool
			}{"the drill": {h.Drills[0].Ratings, h.Drills[0].RatingsHidden}, "the pooled ratings": {h.Ratings, h.RatingsHidden}} {
				if got.hidden != tt.hidden || got.r.Count != len(tt.answers) {
					t.Fatalf("%s: %+v hidden %v, want %d answers, hidden %v", what, got.r, got.hidden, len(tt.answers), tt.hidden)
				}
				if tt.hidden && (got.r.Before != 0 || got.r.After != 0 || got.r.ChangePct != 0 || len(got.r.Pairs) != 0) {
					t.Fatalf("%s: %+v gives away ratings of fewer than %d answers", what, got.r, record.MinAnswers)
				}
				if len(tt.answers) == 3 && (got.r.Before != 2 || got.r.After != 4) {
					t.Fatalf("%s: %+v, want 2 → 4", what, got.r)
				}
			}
			var text strings.Builder
			if err := h.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text.String(), record.TooFewAnswers) != tt.hidden {
				t.Fatalf("text history says %q: %v, want %v:\n%s", record.TooFewAnswers, !tt.hidden, tt.hidden, text.String())
			}
		})
	}
}
