package program_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// library is the scenario library of the program tests: retrotest's
// payment scenario.
type library map[string]*scenarios.Scenario

func (l library) Scenario(name string) (*scenarios.Scenario, error) {
	if s, ok := l[name]; ok {
		return s, nil
	}
	return nil, injectors.Errorf(injectors.ENOTFOUND, "No scenario named %q in the library.", name)
}

// newService returns a program service over a harness: the real engine
// (manual, on the fake clock) and the real SQLite drill database.
func newService(t *testing.T, now time.Time) (*program.Service, *controltest.Harness) {
	t.Helper()
	h := controltest.NewHarness(t)
	h.Clock.SetTime(now)
	sc := retrotest.Scenario()
	return &program.Service{Store: h.DB, Drills: h.Engine, Scenarios: library{sc.Metadata.Name: sc}, Clock: h.Clock}, h
}

// ok returns v, failing the test on err.
func ok[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestSeasonToComplianceReport is the program end to end on the fake clock:
// a season of three teams, two drills scheduled (one reaches its briefing
// on its own at its time and is run to its retro; the other is cancelled
// with a reason), and the compliance report lists the drilled team with its
// record head, the cancelled one, and the overdue one.
func TestSeasonToComplianceReport(t *testing.T) {
	jan5 := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	s, h := newService(t, jan5)
	ctx := h.Ctx
	plan, team := ok[*program.Plan](t), ok[*program.Team](t)
	plan(s.CreateSeason(ctx, "2027H1", "Priya", "https://wiki.example.com/incident-process", "", "facilitator"))
	plan(s.AddTeam(ctx, "2027H1", program.TeamInput{Name: "Payments", TargetMonth: "2027-01", Designer: "Dmitri", Facilitator: "Fiona", Scenario: "payment-db-config"}, "facilitator"))
	plan(s.Apply(ctx, program.Application{Season: "2027H1", Team: "Orders", Contact: "Olu", TargetMonth: "2027-02", Note: "new on-call rotation"}))
	plan(s.Accept(ctx, "2027H1", "Orders", "facilitator"))
	plan(s.UpdateTeam(ctx, "2027H1", "Orders", program.TeamInput{TargetMonth: "2027-02", Designer: "Eun", Facilitator: "Fiona", Scenario: "payment-db-config"}, "facilitator"))
	plan(s.AddTeam(ctx, "2027H1", program.TeamInput{Name: "Search", TargetMonth: "2027-01", Facilitator: "Fiona"}, "facilitator"))

	payAt := time.Date(2027, 1, 12, 14, 0, 0, 0, time.UTC)
	p := plan(s.Schedule(ctx, "2027H1", "Payments", payAt, "facilitator"))
	pay := team(p.Team("Payments")).DrillID
	p = plan(s.Schedule(ctx, "2027H1", "Orders", time.Date(2027, 2, 9, 10, 0, 0, 0, time.UTC), "facilitator"))
	orders := team(p.Team("Orders")).DrillID
	if _, err := s.Schedule(ctx, "2027H1", "Search", payAt, "facilitator"); injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "to design") {
		t.Fatalf("scheduling a drill still to design: %v, want a conflict saying it is to design", err)
	}

	d := h.Drill(pay)
	if d.State != control.StateScheduled || d.Scenario.Metadata.Team != "Payments" {
		t.Fatalf("Payments' drill is %s for team %q, want scheduled for Payments", d.State, d.Scenario.Metadata.Team)
	}
	h.Advance(pay, payAt.Sub(h.Clock.Now())-time.Minute)
	if got := h.Drill(pay).State; got != control.StateScheduled {
		t.Fatalf("a minute before its time the drill is %s, want scheduled", got)
	}
	h.Advance(pay, time.Minute)
	if got := h.Drill(pay).State; got != control.StateBriefing {
		t.Fatalf("at its time the drill is %s, want briefing", got)
	}
	if n := len(h.Injector.Calls("inject")); n != 0 {
		t.Fatalf("%d faults injected before anyone pressed Start", n)
	}

	plan(s.Cancel(ctx, "2027H1", "Orders", "the beta cluster is being upgraded that week", "facilitator"))
	if od := h.Drill(orders); od.State != control.StateAborted || !strings.Contains(od.Why, "beta cluster is being upgraded") {
		t.Fatalf("the cancelled drill is %s (%q), want aborted with the reason", od.State, od.Why)
	}

	retrotest.AddPeople(t, h, pay)
	retrotest.Play(t, h, pay)
	if got := h.Drill(pay).State; got != control.StateRetro {
		t.Fatalf("Payments' drill is %s, want retro", got)
	}
	head := h.Drill(pay).Head

	h.Clock.SetTime(time.Date(2027, 2, 15, 9, 0, 0, 0, time.UTC))
	rep := ok[*program.Report](t)(s.Report(ctx, program.Period{Year: 2027}, h.DB, "https://drill.example.com"))
	rows := map[string]program.ReportRow{}
	for _, r := range rep.Rows {
		rows[r.Team] = r
	}
	if len(rows) != 3 || rep.Planned != 3 || rep.Drilled != 1 {
		t.Fatalf("report rows %v, planned %d, drilled %d; want 3 teams, 1 drilled", rows, rep.Planned, rep.Drilled)
	}
	payRow := rows["Payments"]
	if payRow.Status != program.RowDrilled || payRow.Head != head || !payRow.Verified || payRow.Date != "2027-01-12" ||
		payRow.RecordURL != "https://drill.example.com/room/"+pay+"/record" || payRow.Overdue ||
		strings.Join(payRow.Participants, ",") != "Alice,Bob,Carol" {
		t.Fatalf("Payments row %+v, want drilled on 2027-01-12 with head %s, verified, participants Alice,Bob,Carol", payRow, head)
	}
	if r := rows["Orders"]; r.Status != string(program.StatusCancelled) || r.CancelReason != "the beta cluster is being upgraded that week" || r.DrillID != orders {
		t.Fatalf("Orders row %+v, want cancelled with its reason", r)
	}
	if r := rows["Search"]; r.Status != string(program.StatusPlanned) || !r.Overdue {
		t.Fatalf("Search row %+v, want planned and overdue", r)
	}
	if strings.Join(rep.Overdue, ",") != "Orders,Search" {
		t.Fatalf("overdue %v, want Orders (cancelled, never drilled) and Search (its month passed)", rep.Overdue)
	}

	t.Run("the CSV lists every team with the record head", func(t *testing.T) {
		var buf bytes.Buffer
		if err := program.WriteReport(&buf, rep, program.FormatCSV); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(program.CSVHeader, ",") {
			t.Fatalf("csv %v, want the header and 3 rows", recs)
		}
		if recs[1][1] != "Payments" || recs[1][10] != head || recs[1][11] != "yes" {
			t.Fatalf("first row %v, want Payments with head %s verified", recs[1], head)
		}
	})
	t.Run("the printable page names the head, the reason and the overdue teams", func(t *testing.T) {
		var buf bytes.Buffer
		if err := program.WriteReport(&buf, rep, program.FormatHTML); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{head, "the beta cluster is being upgraded that week", "Orders, Search", "/room/" + pay + "/record"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("HTML report lacks %q", want)
			}
		}
	})
	t.Run("the season's awards come from the season's drills", func(t *testing.T) {
		plan := ok[*program.Plan](t)(h.DB.Plan(ctx, "2027H1"))
		kept := ok[[]program.Kept](t)(program.KeptRecords(ctx, h.DB))
		aw := ok[record.Awards](t)(program.SeasonAwards(plan, kept, h.Clock.Now()))
		if aw.MostEfficient == nil || aw.MostEfficient.DrillID != pay || !strings.Contains(strings.Join(aw.Designers, ","), "Dmitri") {
			t.Fatalf("awards %+v, want Payments' drill as the most efficient and Dmitri thanked", aw)
		}
	})
	t.Run("the plan's journal keeps every change with its reason", func(t *testing.T) {
		plan := ok[*program.Plan](t)(h.DB.Plan(ctx, "2027H1"))
		var actions []string
		for _, e := range plan.Journal {
			actions = append(actions, e.Team+":"+e.Action)
		}
		want := ":season-created Payments:planned Orders:applied Orders:accepted Orders:updated Search:planned Payments:scheduled Orders:scheduled Orders:cancelled"
		if strings.Join(actions, " ") != want {
			t.Fatalf("journal %v\nwant %s", actions, want)
		}
		if last := plan.Journal[len(plan.Journal)-1]; last.Reason != "the beta cluster is being upgraded that week" || last.Seq != int64(len(plan.Journal)) {
			t.Fatalf("last entry %+v, want the cancellation with its reason", last)
		}
	})
}
