package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

func newExportCmd(m *Main) *cobra.Command {
	var format, out, lang string
	cmd := &cobra.Command{
		Use:   "export DRILL",
		Short: "Export a drill's record: Markdown, JSON, printable HTML, or its actions as CSV or GitHub issues",
		Long: `export writes the record of a drill from the drill database: date, team,
scenario and variant, people and roles, the timeline, the engine's metrics,
response times, notices, observer notes, the retrospective and the accepted
follow-up actions.

Formats: md (Markdown with charts), json (the full record with its hash-chained
journal, see control/record/SCHEMA.md; check it later with firedrill verify),
html (one printable page; print it to PDF from a browser), csv (the accepted
actions), github (the accepted actions as GitHub issue bodies).

Markdown written to a file (-o drill.md) links its charts as SVG files beside
it (drill.timeline.svg, drill.ratings.svg), since some renderers refuse
embedded images; on standard output the charts are embedded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format) {
				return &ExitError{Code: 2, Err: fmt.Errorf("--format %q is not a format, expected one of %s", format, strings.Join(record.Formats, ", "))}
			}
			l, err := record.ParseLang(lang)
			if err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("--lang %q is not a language of the record, expected en or ko", lang)}
			}
			db, err := m.openRecordDB(cmd.Context())
			if err != nil {
				return err
			}
			r, err := record.Load(cmd.Context(), db, args[0])
			if err != nil {
				return userError(err)
			}
			l = l.Or(r.Language())
			if format == record.FormatMarkdown && out != "" && out != "-" {
				return writeMarkdownWithCharts(out, r, l)
			}
			return writeRecordOut(m.Stdout, out, func(w io.Writer) error { return record.Export(w, r, format, l) })
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "md, json, html, csv or github")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&lang, "lang", "", "language of md and html: en or ko (default: the scenario's metadata.language, else en)")
	return cmd
}

func newVerifyCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "verify RECORD.json",
		Short: "Prove a kept drill record unaltered: recompute its hash chain and every section",
		Long: `verify reads a record written by firedrill export --format json, recomputes
the hash chain of the journal it carries, checks the head it states, and
re-derives every other section from the journal. It names the altered event or
section when the record was edited. The sections are compared when the record
states a sectionsVersion this firedrill still derives (2 or 3), each as that
version derived them; a record exported by an older or newer version, or
before the version was recorded, is verified
by its hash chain alone and verify says that its sections were not compared. When the drill is in the drill database
(--data-dir), it also checks that the record's head is the kept journal's.
Exit status: 0 verified, 1 altered or unreadable.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			defer f.Close()
			r, err := record.ReadJSON(f)
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("%s: %s", args[0], injectors.ErrorMessage(err))}
			}
			v, err := record.Verify(r)
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("%s: NOT VERIFIED: %s", args[0], injectors.ErrorMessage(err))}
			}
			fmt.Fprintf(m.Stdout, "%s: verified: drill %s, %d events, head %s\n", args[0], v.DrillID, v.Events, v.Head)
			if v.NotCompared != "" {
				fmt.Fprintf(m.Stdout, "derived sections NOT compared: %s\n", v.NotCompared)
			} else {
				fmt.Fprintf(m.Stdout, "sections re-derived from the journal (sections version %d): %s\n", v.SectionsVersion, strings.Join(v.Sections, ", "))
			}
			return m.compareWithJournal(cmd.Context(), args[0], r)
		},
	}
}

func newHistoryCmd(m *Main) *cobra.Command {
	var f record.HistoryFilter
	var output string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Drills per team and season: people trained, before → after self-ratings, notice times, open actions, awards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := f.Check(); err != nil {
				return &ExitError{Code: 2, Err: errors.New(injectors.ErrorMessage(err))}
			}
			db, err := m.openRecordDB(cmd.Context())
			if err != nil {
				return err
			}
			rs, err := record.LoadAll(cmd.Context(), db)
			if err != nil {
				return userError(err)
			}
			h, err := record.BuildHistory(rs, f, clock.RealClock{}.Now())
			if err != nil {
				return userError(err)
			}
			if output == "json" {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(h)
			}
			return h.WriteText(m.Stdout)
		},
	}
	cmd.Flags().StringVar(&f.Team, "team", "", "only this team (the scenarios' metadata.team)")
	cmd.Flags().StringVar(&f.Season, "season", "", "only this half year, e.g. 2026H2")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func validFormat(f string) bool {
	for _, x := range record.Formats {
		if f == x {
			return true
		}
	}
	return false
}

// userError turns application errors into their message for the person at
// the terminal.
func userError(err error) error {
	var e *injectors.Error
	if errors.As(err, &e) && e.Code != injectors.EINTERNAL {
		return &ExitError{Code: 1, Err: errors.New(e.Message)}
	}
	return err
}

// openRecordDB opens the configured drill database (store.driver) for
// reading records; it refuses to create one.
func (m *Main) openRecordDB(ctx context.Context) (journalStore, error) {
	db, err := m.openJournalOf(ctx, m.Config.Store.Driver, false)
	return db, storeError(err)
}

// compareWithJournal checks the record's head against the drill database,
// when the drill is there.
func (m *Main) compareWithJournal(ctx context.Context, name string, r *record.Record) error {
	path := m.storeWhere(m.Config.Store.Driver)
	if m.Config.Store.Driver != driverPostgres {
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(m.Stdout, "no drill database at %s: compare the head with the one kept when the drill closed\n", path)
			return nil
		}
	}
	db, err := m.openRecordDB(ctx)
	if err != nil {
		return err
	}
	evs, err := db.Events(ctx, r.DrillID, int64(r.Chain.Count-1), 1)
	if err != nil {
		return err
	}
	switch {
	case len(evs) == 0:
		fmt.Fprintf(m.Stdout, "drill %s is not in the drill database at %s\n", r.DrillID, path)
	case evs[0].Hash != r.Chain.Head:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: NOT VERIFIED: the drill database holds a different event #%d (hash %s): this is not the kept journal", name, evs[0].Seq, evs[0].Hash)}
	default:
		fmt.Fprintf(m.Stdout, "the head matches event #%d of the drill database at %s\n", evs[0].Seq, path)
	}
	return nil
}

// writeRecordOut writes to the file, or to stdout when file is empty. The file is
// written whole or not at all.
func writeRecordOut(stdout io.Writer, file string, fn func(io.Writer) error) error {
	if file == "" || file == "-" {
		return fn(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// writeMarkdownWithCharts writes FILE.md and its charts as FILE.timeline.svg
// and FILE.ratings.svg, linked relatively, in l.
func writeMarkdownWithCharts(file string, r *record.Record, l record.Lang) error {
	stem := strings.TrimSuffix(file, filepath.Ext(file))
	charts := record.MarkdownCharts{Timeline: filepath.Base(stem) + ".timeline.svg", Ratings: filepath.Base(stem) + ".ratings.svg"}
	for name, svg := range map[string]string{charts.Timeline: record.TimelineSVG(r, l), charts.Ratings: record.RatingsSVG(r.Retro.Ratings, l)} {
		if err := writeRecordOut(nil, filepath.Join(filepath.Dir(file), name), func(w io.Writer) error {
			_, err := io.WriteString(w, svg)
			return err
		}); err != nil {
			return err
		}
	}
	return writeRecordOut(nil, file, func(w io.Writer) error { return record.WriteMarkdownCharts(w, r, charts, l) })
}
