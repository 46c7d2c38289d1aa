package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/scenarios"
)

// scenarioCatalog is the hook through which another file of this package
// (the plugin host wiring) makes validate and plan check injector types and
// params against the plugins: Flags adds its flags (e.g. --against CONTEXT)
// and Open returns the catalog, or nil when its flags were not given.
type scenarioCatalog struct {
	Flags func(cmd *cobra.Command)
	Open  func(cmd *cobra.Command, m *Main) (scenarios.Catalog, error)
}

var scenarioCatalogs []scenarioCatalog

// registerScenarioCatalog installs a catalog provider; call it from init.
func registerScenarioCatalog(c scenarioCatalog) {
	scenarioCatalogs = append(scenarioCatalogs, c)
}

func addCatalogFlags(cmd *cobra.Command) {
	for _, c := range scenarioCatalogs {
		if c.Flags != nil {
			c.Flags(cmd)
		}
	}
}

// loadOptions returns the scenario load options for cmd: the plugin catalog
// when a provider is registered and asked for.
func loadOptions(cmd *cobra.Command, m *Main) ([]scenarios.Option, error) {
	var opts []scenarios.Option
	for _, c := range scenarioCatalogs {
		if c.Open == nil {
			continue
		}
		cat, err := c.Open(cmd, m)
		if err != nil {
			return nil, err
		}
		if cat != nil {
			opts = append(opts, scenarios.WithCatalog(cat))
		}
	}
	return opts, nil
}

func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return &ExitError{Code: 2, Err: fmt.Errorf("--output %q is not a format, expected text or json", output)}
	}
	return nil
}

// fileReport is the result of validating one file, as printed by
// validate --output json.
type fileReport struct {
	File     string                  `json:"file"`
	Valid    bool                    `json:"valid"`
	Scenario string                  `json:"scenario,omitempty"`
	Errors   []*scenarios.FieldError `json:"errors"`
}

// fieldErrors returns the positioned errors of err, or one error for the
// whole file when err is not about the file's content (e.g. not found).
func fieldErrors(file string, err error) []*scenarios.FieldError {
	var list scenarios.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return []*scenarios.FieldError{{File: file, Message: err.Error()}}
}

func newValidateCmd(m *Main) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files and print every error with file:line:column",
		Long: `Validate loads each scenario file strictly: unknown fields, wrong types, bad
durations, unknown persona/channel/fault references, chain cycles, triggers past
the time limit, duplicate ids and broken message templates are all reported,
each as file:line:column: field.path: message. Exit status 0 when every file is
valid, 1 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			var dry faultValidator
			var opts []scenarios.Option
			if against, _ := cmd.Flags().GetString("against"); against != "" {
				// The plugins run against that context; the Kubernetes
				// injector still refuses it unless it is allowed.
				m.Config.Kubernetes.Context = against
				h, err := m.openPluginHost(cmd.Context(), cmd)
				if err != nil {
					return err
				}
				dry, opts = h, []scenarios.Option{scenarios.WithCatalog(h)}
			} else {
				var err error
				if opts, err = loadOptions(cmd, m); err != nil {
					return err
				}
			}
			reports := make([]fileReport, 0, len(args))
			valid := true
			for _, path := range args {
				r := fileReport{File: path, Errors: []*scenarios.FieldError{}}
				s, err := scenarios.Load(path, opts...)
				if err != nil {
					r.Errors = fieldErrors(path, err)
					valid = false
				} else if errs := dryRun(cmd.Context(), dry, path, s); len(errs) > 0 {
					r.Errors, r.Scenario = errs, s.Metadata.Name
					valid = false
				} else {
					r.Valid = true
					r.Scenario = s.Metadata.Name
				}
				reports = append(reports, r)
			}
			if output == "json" {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Valid bool         `json:"valid"`
					Files []fileReport `json:"files"`
				}{valid, reports}); err != nil {
					return err
				}
			} else {
				for _, r := range reports {
					if r.Valid {
						fmt.Fprintf(m.Stdout, "%s: ok (%s)\n", r.File, r.Scenario)
						continue
					}
					for _, e := range r.Errors {
						fmt.Fprintln(m.Stdout, e.Error())
					}
					n := len(r.Errors)
					fmt.Fprintf(m.Stdout, "%s: %d error%s\n", r.File, n, plural(n))
				}
			}
			if !valid {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().String("against", "", "also dry-run every fault server-side against this kubeconfig context (must be in kubernetes.allowedContexts)")
	addSettingFlag(cmd, "kubernetes.kubeconfig")
	addCatalogFlags(cmd)
	return cmd
}

func newSchemaCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario format (for yaml-language-server)",
		Long: `Schema prints the JSON Schema (draft 2020-12) of scenario files. Save it and
point your editor at it, e.g. with this first line in a scenario:

  # yaml-language-server: $schema=./scenario.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := m.Stdout.Write(scenarios.Schema())
			return err
		},
	}
}

func newPlanCmd(m *Main) *cobra.Command {
	var output, variant string
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Print the planned timeline of a scenario: what fires when, what waits on what",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			s, err := loadForCommand(cmd, m, args[0])
			if err != nil {
				return err
			}
			if variant != "" && !hasDifficulty(s, scenarios.Difficulty(variant)) {
				return &ExitError{Code: 2, Err: fmt.Errorf("--variant %q: %s", variant, difficultyChoices(s))}
			}
			t, err := scenarios.Plan(s, scenarios.Difficulty(variant))
			if err != nil {
				return err
			}
			if output == "json" {
				return t.WriteJSON(m.Stdout)
			}
			return t.WriteText(m.Stdout)
		},
	}
	cmd.Flags().StringVar(&variant, "variant", "", "difficulty to plan: hard, medium or easy (default: the scenario's difficulty)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	addCatalogFlags(cmd)
	return cmd
}

func newInjectsCmd(m *Main) *cobra.Command {
	injects := &cobra.Command{
		Use:   "injects",
		Short: "Move a scenario's scripted persona messages to and from a spreadsheet (CSV)",
	}
	var out string
	export := &cobra.Command{
		Use:   "export FILE",
		Short: "Write the injects of a scenario as CSV: " + strings.Join(scenarios.InjectCSVColumns, ", "),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadForCommand(cmd, m, args[0])
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := scenarios.ExportInjectsCSV(&b, s); err != nil {
				return err
			}
			return writeOut(m.Stdout, out, b.Bytes())
		},
	}
	export.Flags().StringVarP(&out, "out", "o", "", "write the CSV to this file instead of standard output")

	var csvPath string
	var write bool
	imp := &cobra.Command{
		Use:   "import FILE --csv INJECTS.csv",
		Short: "Read injects from CSV, check them against the scenario, and print the injects block (or --write it into FILE)",
		Long: `Import reads injects from a spreadsheet (columns: ` + strings.Join(scenarios.InjectCSVColumns, ", ") + `;
time, persona, channel and text are required), puts them in place of the
scenario's injects and validates the result, naming the CSV row of each
problem. Without --write it prints the YAML injects block to paste; with
--write it replaces the injects in FILE, keeping the other fields.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if csvPath == "" {
				return &ExitError{Code: 2, Err: errors.New("--csv is required: the spreadsheet to import")}
			}
			f, err := os.Open(csvPath)
			if err != nil {
				return err
			}
			defer f.Close()
			list, rows, err := scenarios.ImportInjectsCSVRows(f)
			if err != nil {
				var cerrs scenarios.CSVErrors
				if errors.As(err, &cerrs) {
					for _, e := range cerrs {
						fmt.Fprintf(m.Stdout, "%s: %s\n", csvPath, e)
					}
					return &ExitError{Code: 1}
				}
				return err
			}
			path := args[0]
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			merged, err := scenarios.ReplaceInjects(data, list)
			if err != nil {
				return err
			}
			opts, err := loadOptions(cmd, m)
			if err != nil {
				return err
			}
			if _, err := scenarios.Parse(path, merged, opts...); err != nil {
				for _, e := range fieldErrors(path, err) {
					fmt.Fprintln(m.Stdout, csvRowMessage(csvPath, e, rows))
				}
				return &ExitError{Code: 1}
			}
			if write {
				st, err := os.Stat(path)
				if err != nil {
					return err
				}
				if err := os.WriteFile(path, merged, st.Mode().Perm()); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "%s: %d injects imported from %s\n", path, len(list), csvPath)
				return nil
			}
			block, err := scenarios.MarshalInjects(list)
			if err != nil {
				return err
			}
			_, err = m.Stdout.Write(block)
			return err
		},
	}
	imp.Flags().StringVar(&csvPath, "csv", "", "the spreadsheet to import (CSV with a header row)")
	imp.Flags().BoolVar(&write, "write", false, "replace the injects in FILE instead of printing them")
	addCatalogFlags(imp)
	injects.AddCommand(export, imp)
	return injects
}

var injectPath = regexp.MustCompile(`^injects\[(\d+)\]`)

// csvRowMessage names the spreadsheet row of an error about an imported
// inject; other errors are printed as they are.
func csvRowMessage(csvPath string, e *scenarios.FieldError, rows []int) string {
	if m := injectPath.FindStringSubmatch(e.Path); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i < len(rows) {
			return fmt.Sprintf("%s: row %d: %s: %s", csvPath, rows[i], e.Path, e.Message)
		}
	}
	return e.Error()
}

// loadForCommand loads a scenario, printing its errors and failing with
// exit status 1 when it is invalid.
func loadForCommand(cmd *cobra.Command, m *Main, path string) (*scenarios.Scenario, error) {
	opts, err := loadOptions(cmd, m)
	if err != nil {
		return nil, err
	}
	s, err := scenarios.Load(path, opts...)
	if err != nil {
		for _, e := range fieldErrors(path, err) {
			fmt.Fprintln(m.Stderr, e.Error())
		}
		return nil, &ExitError{Code: 1}
	}
	return s, nil
}

func hasDifficulty(s *scenarios.Scenario, d scenarios.Difficulty) bool {
	for _, x := range s.Difficulties() {
		if x == d {
			return true
		}
	}
	return false
}

func difficultyChoices(s *scenarios.Scenario) string {
	ds := s.Difficulties()
	if len(ds) == 0 {
		return "the scenario has no difficulty variants"
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = string(d)
	}
	return "not a difficulty of this scenario, expected one of: " + strings.Join(names, ", ")
}

func writeOut(stdout io.Writer, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
