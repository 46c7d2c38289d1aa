package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/program/webhook"
	"github.com/firedrill/firedrill/injectors"
)

// newReportCmd builds `firedrill report`: the drill program's compliance
// report from the drill database.
func newReportCmd(m *Main) *cobra.Command {
	var period program.Period
	var format, out string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "The drill program's compliance report: every planned team drilled or not, record heads, overdue teams",
		Long: `report prints the compliance report of the drill program for a year (--year)
or a season (--season 2027H1) from the drill database: every planned team,
drilled or not, with the drill's date, scenario, participants, the hash-chain
head of its kept journal and a link to its record; the reason of a cancelled
drill; and the teams overdue against "at least once a year". A kept record that
fails verification is flagged. Links use publicURL.

Formats: html (one printable page; print it to PDF from a browser), csv (one
row per planned team), json.`,
		Example: "  firedrill report --year 2027 --format html -o drill-program-2027.html",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.Contains(" html csv json ", " "+format+" ") {
				return &ExitError{Code: 2, Err: fmt.Errorf("--format %q is not a format, expected html, csv or json", format)}
			}
			if err := period.Check(); err != nil {
				return &ExitError{Code: 2, Err: errors.New(injectors.ErrorMessage(err))}
			}
			db, err := m.openRecordDB(cmd.Context())
			if err != nil {
				return err
			}
			svc := &program.Service{Store: db, Clock: clock.RealClock{}}
			rep, err := svc.Report(cmd.Context(), period, db, m.Config.PublicURL)
			if err != nil {
				return userError(err)
			}
			return writeRecordOut(m.Stdout, out, func(w io.Writer) error { return program.WriteReport(w, rep, format) })
		},
	}
	cmd.Flags().IntVar(&period.Year, "year", 0, "the year to report on, e.g. 2027")
	cmd.Flags().StringVar(&period.Season, "season", "", "the season to report on instead, e.g. 2027H1")
	cmd.Flags().StringVar(&format, "format", "html", "html, csv or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	return cmd
}

// openProgram wires the drill program: plans in the drill database, drills
// through the engine, scenarios from the library, and the notice webhook
// when program.noticeWebhook is set.
func (m *Main) openProgram(db program.Store, e *control.Engine, lib program.Scenarios) (*program.Service, error) {
	svc := &program.Service{Store: db, Drills: e, Scenarios: lib, Clock: clock.RealClock{}}
	if u := m.Config.Program.NoticeWebhook; u != "" {
		p, err := webhook.New(u, nil, clock.RealClock{})
		if err != nil {
			return nil, &ExitError{Code: 2, Err: errors.New(injectors.ErrorMessage(err))}
		}
		svc.Poster = p
	}
	return svc, nil
}
