package record

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the history for a terminal: the numbers of the scope,
// one row per drill, the open follow-up actions and the awards.
func (h *History) WriteText(w io.Writer) error {
	scope := "all teams"
	if h.Filter.Team != "" {
		scope = "team " + h.Filter.Team
	}
	season := "all seasons"
	if h.Filter.Season != "" {
		season = "season " + h.Filter.Season
	}
	fmt.Fprintf(w, "%s, %s: %d drills, %d people trained (%d taking part)\n", scope, season, len(h.Drills), h.PeopleTrained, h.People)
	if h.RatingsHidden {
		fmt.Fprintf(w, "self-rated ability, before → after: %s (%d answers, fewer than %d)\n\n", TooFewAnswers, h.Ratings.Count, MinAnswers)
	} else {
		fmt.Fprintf(w, "self-rated ability, before → after: %.2f → %.2f (%+.0f%%) over %d answers\n\n", h.Ratings.Before, h.Ratings.After, h.Ratings.ChangePct, h.Ratings.Count)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tDRILL\tTEAM\tSCENARIO\tOUTCOME\tINCIDENT NOTICE\tRESOLUTION NOTICE\tHINTS\tBEFORE → AFTER")
	for _, d := range h.Drills {
		outcome := d.State
		if d.EndReason != "" {
			outcome = EndReasonWords(d.EndReason)
		}
		ratings := fmt.Sprintf("%.1f → %.1f", d.Ratings.Before, d.Ratings.After)
		if d.RatingsHidden {
			ratings = TooFewAnswers
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.Date, d.DrillID, dashEmpty(d.Team), d.Scenario, outcome,
			ClockPtr(d.TimeToIncidentNoticeMs), ClockPtr(d.TimeToResolutionNoticeMs), d.HintsUsed, ratings)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nopen follow-up actions: %d\n", len(h.OpenActions))
	for _, a := range h.OpenActions {
		due := a.Due
		if a.Overdue {
			due += " (overdue)"
		}
		fmt.Fprintf(w, "  - [%s] %s (%s, owner %s, due %s)\n", a.DrillID, a.Title, a.Kind, dashEmpty(a.Owner), dashEmpty(due))
	}
	fmt.Fprintln(w, "\nawards:")
	writeAwards(w, h.Awards)
	for _, ta := range h.TeamAwards {
		fmt.Fprintf(w, "\nawards of %s, season %s:\n", dashEmpty(ta.Team), ta.Season)
		writeAwards(w, ta.Awards)
	}
	return nil
}

// writeAwards lists one set of awards, one line each.
func writeAwards(w io.Writer, aw Awards) {
	if g := aw.LargestGain; g != nil {
		fmt.Fprintf(w, "  largest before/after gain: %s, %d → %d (+%d) in %s\n", g.Name, g.Before, g.After, g.Gain, g.DrillID)
	}
	if e := aw.MostEfficient; e != nil {
		fmt.Fprintf(w, "  most efficient participation: %s (%s): %s\n", e.DrillID, dashEmpty(e.Team), e.Why)
	}
	if r := aw.MostRealistic; r != nil {
		fmt.Fprintf(w, "  most realistic scenario: %s, %.2f of 5 over %d answers\n", r.Scenario, r.Score, r.Answers)
	}
	if len(aw.Designers) > 0 {
		fmt.Fprintf(w, "  thanks to the designers: %s\n", strings.Join(aw.Designers, ", "))
	}
}

// TooFewAnswers is what the history says for averages of fewer than
// MinAnswers answers.
const TooFewAnswers = "too few answers to show"

func dashEmpty(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
