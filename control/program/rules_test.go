package program_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/injectors"
)

var now = time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)

func basePlan(t *testing.T) *program.Plan {
	t.Helper()
	p, err := program.NewPlan("2027H1", "Priya", "https://wiki.example.com/ir", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddTeam(program.TeamInput{Name: "Payments", TargetMonth: "2027-03", Scenario: "payment-db-config", Facilitator: "Fiona"}, "facilitator", now); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(program.Application{Season: "2027H1", Team: "Orders", Contact: "Olu", TargetMonth: "2027-02"}, now); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanRules(t *testing.T) {
	later := now.Add(48 * time.Hour)
	tests := []struct {
		name    string
		do      func(p *program.Plan) error
		code    string
		message string
	}{
		{"a season name that is not a half year is refused", func(*program.Plan) error {
			_, err := program.NewPlan("2027Q1", "Priya", "https://x.example", "")
			return err
		}, injectors.EINVALID, "like 2027H1"},
		{"a plan without a process document link is refused", func(*program.Plan) error {
			_, err := program.NewPlan("2027H1", "Priya", "", "")
			return err
		}, injectors.EINVALID, "process document"},
		{"a process document that is not a link is refused", func(*program.Plan) error {
			_, err := program.NewPlan("2027H1", "Priya", "javascript:alert(1)", "")
			return err
		}, injectors.EINVALID, "http or https"},
		{"an unknown time zone is refused", func(*program.Plan) error {
			_, err := program.NewPlan("2027H1", "Priya", "https://x.example", "Mars/Olympus")
			return err
		}, injectors.EINVALID, "IANA"},
		{"a team twice is refused, whatever the case", func(p *program.Plan) error {
			_, err := p.AddTeam(program.TeamInput{Name: "payments"}, "facilitator", now)
			return err
		}, injectors.ECONFLICT, "already in season"},
		{"a month outside the season is refused", func(p *program.Plan) error {
			_, err := p.AddTeam(program.TeamInput{Name: "Search", TargetMonth: "2027-09"}, "facilitator", now)
			return err
		}, injectors.EINVALID, "not in season 2027H1"},
		{"a month that is not a month is refused", func(p *program.Plan) error {
			_, err := p.AddTeam(program.TeamInput{Name: "Search", TargetMonth: "March"}, "facilitator", now)
			return err
		}, injectors.EINVALID, "YYYY-MM"},
		{"an application without a contact is refused", func(p *program.Plan) error {
			_, err := p.Apply(program.Application{Team: "Search"}, now)
			return err
		}, injectors.EINVALID, "contact is required"},
		{"a planned team cannot be accepted again", func(p *program.Plan) error {
			_, err := p.Accept("Payments", "facilitator", now)
			return err
		}, injectors.ECONFLICT, "only an application"},
		{"an application cannot be scheduled before it is accepted", func(p *program.Plan) error {
			_, err := p.Scheduled("Orders", "d-1", later, "facilitator", now)
			return err
		}, injectors.ECONFLICT, "only a planned drill"},
		{"a drill cannot be scheduled in the past", func(p *program.Plan) error {
			_, err := p.Scheduled("Payments", "d-1", now.Add(-time.Hour), "facilitator", now)
			return err
		}, injectors.EINVALID, "not in the future"},
		{"rescheduling without a reason is refused", func(p *program.Plan) error {
			if _, err := p.Scheduled("Payments", "d-1", later, "facilitator", now); err != nil {
				return err
			}
			_, err := p.Rescheduled("Payments", later.Add(time.Hour), "  ", "facilitator", now)
			return err
		}, injectors.EINVALID, "reason"},
		{"cancelling without a reason is refused", func(p *program.Plan) error {
			_, err := p.Cancelled("Payments", "", "facilitator", now)
			return err
		}, injectors.EINVALID, "reason"},
		{"an unknown team is not found", func(p *program.Plan) error {
			_, err := p.Accept("Nobody", "facilitator", now)
			return err
		}, injectors.ENOTFOUND, "no team"},
		{"a scheduled drill keeps its scenario", func(p *program.Plan) error {
			if _, err := p.Scheduled("Payments", "d-1", later, "facilitator", now); err != nil {
				return err
			}
			_, err := p.Update("Payments", program.TeamInput{TargetMonth: "2027-03"}, "facilitator", now)
			return err
		}, injectors.ECONFLICT, "cancel it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(basePlan(t))
			if injectors.ErrorCode(err) != tt.code || !strings.Contains(injectors.ErrorMessage(err), tt.message) {
				t.Fatalf("err %v, want %s mentioning %q", err, tt.code, tt.message)
			}
		})
	}
}

func TestNotice(t *testing.T) {
	p := basePlan(t)
	// 23:30 UTC on 14 March is 00:30 on the 15th in Berlin: the day told
	// is the plan's.
	at := time.Date(2027, 3, 14, 23, 30, 0, 0, time.UTC)
	if _, err := p.Scheduled("Payments", "d-pay", at, "facilitator", now); err != nil {
		t.Fatal(err)
	}
	n, err := program.BuildNotice(p, "payments")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the text says purpose, rules, real exercise, not an evaluation and links the process", func(t *testing.T) {
		for _, want := range []string{"Purpose:", "Rules:", "NOT an evaluation", "real recovery and propagation exercise", "https://wiki.example.com/ir", "Monday 15 March 2027", "Fiona"} {
			if !strings.Contains(n.Text+n.Subject, want) {
				t.Errorf("notice lacks %q:\n%s", want, n.Text)
			}
		}
		if n.Day != "2027-03-15" {
			t.Errorf("day %s, want 2027-03-15 in Europe/Berlin", n.Day)
		}
	})
	t.Run("the text keeps the time and the scenario secret", func(t *testing.T) {
		for _, secret := range []string{"00:30", "23:30", "payment-db-config"} {
			if strings.Contains(n.Text+n.Subject, secret) {
				t.Errorf("notice leaks %q", secret)
			}
		}
	})
	t.Run("the invitation is an all-day iCalendar event with folded CRLF lines", func(t *testing.T) {
		ics := string(n.ICS(now))
		for _, want := range []string{"BEGIN:VCALENDAR\r\n", "DTSTART;VALUE=DATE:20270315\r\n", "DTEND;VALUE=DATE:20270316\r\n", "UID:d-pay@firedrill\r\n", "END:VCALENDAR\r\n"} {
			if !strings.Contains(ics, want) {
				t.Errorf("ics lacks %q", want)
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
			if len(l) > 75 {
				t.Errorf("line of %d octets: %q", len(l), l)
			}
		}
		unfolded := strings.ReplaceAll(ics, "\r\n ", "")
		if !strings.Contains(unfolded, `NOT an evaluation. Nobody is graded.`) || !strings.Contains(unfolded, `\n`) {
			t.Errorf("description is not the escaped notice text")
		}
	})
	t.Run("a drill that is not scheduled has no notice", func(t *testing.T) {
		if _, err := program.BuildNotice(p, "Orders"); injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("err %v, want ECONFLICT", err)
		}
	})
}

func TestSurveyURL(t *testing.T) {
	tests := []struct {
		name, tmpl, want, err string
	}{
		{"placeholders are filled and escaped", "https://forms.example.com/s?drill={drill}&team={team}&season={season}", "https://forms.example.com/s?drill=d-1&team=Team+A%26B&season=2027H1", ""},
		{"a template that is not a link is refused", "forms.example.com/{drill}", "", "http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := program.SurveyURL(tt.tmpl, "d-1", "Team A&B", "2027H1")
			if tt.err != "" {
				if err == nil || !strings.Contains(injectors.ErrorMessage(err), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("%q %v, want %q", got, err, tt.want)
			}
		})
	}
	t.Run("an unknown placeholder is refused", func(t *testing.T) {
		if err := program.CheckSurveyTemplate("https://forms.example.com/{person}"); err == nil || !strings.Contains(err.Error(), "unknown placeholder") {
			t.Fatalf("err %v, want unknown placeholder", err)
		}
	})
}

// TestReportFlagsAlteredRecord keeps a record whose journal was edited after
// the fact: the report lists the team as drilled but flags the record.
func TestReportFlagsAlteredRecord(t *testing.T) {
	h := controltest.NewHarness(t)
	h.Clock.SetTime(time.Date(2027, 1, 12, 14, 0, 0, 0, time.UTC))
	retrotest.PlayDrill(t, h, "d-pay")
	r, err := record.Load(h.Ctx, h.DB, "d-pay")
	if err != nil {
		t.Fatal(err)
	}
	r.Chain.Events[5].Payload = []byte(`{"edited":true}`)
	p := basePlan(t)
	p.Teams[0].Name = "payments" // the scenario's team, as the record has it
	rep, err := program.BuildReport(program.Period{Season: "2027H1"}, []*program.Plan{p}, []program.Kept{{DrillID: "d-pay", Record: r}}, "", h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	row := rep.Rows[0]
	if row.Status != program.RowDrilled || row.Verified || !strings.Contains(row.VerifyError, "altered") || rep.Unverified != 1 {
		t.Fatalf("row %+v (unverified %d), want drilled and flagged as altered", row, rep.Unverified)
	}
}
