package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
	"github.com/firedrill/firedrill/internal/authoring"
	"github.com/firedrill/firedrill/scenarios"
)

// addCatalogFlags adds the flags that make a scenario command check
// injector types and params against the plugins: --plugins, or a plugin
// directory given with --plugin-dir.
func addCatalogFlags(cmd *cobra.Command) {
	cmd.Flags().Bool("plugins", false, "check injector types and params against the plugins (plugins.dir and built-ins)")
	addSettingFlag(cmd, "plugins.dir")
}

// builtinCatalog is the catalog of the plugins built into this binary,
// always available without starting them: scenario commands check fault
// and probe types, params, target kinds and namespaces against it by
// default, and warn about plugins it does not describe.
func builtinCatalog() scenarios.StaticCatalog {
	return scenarios.StaticCatalog{
		authoring.PluginInfo(catalog.Describe(), catalog.AlwaysProtected(), catalog.ChangedField),
	}
}

// loadOptions returns the scenario load options for cmd: the plugins'
// catalog when its flags ask for it, else the built-in catalog.
func loadOptions(cmd *cobra.Command, m *Main) ([]scenarios.Option, error) {
	on, _ := cmd.Flags().GetBool("plugins")
	if !on && !cmd.Flags().Changed("plugin-dir") {
		return []scenarios.Option{scenarios.WithCatalog(builtinCatalog())}, nil
	}
	h, err := m.openPluginHost(cmd.Context(), cmd)
	if err != nil {
		return nil, err
	}
	return []scenarios.Option{scenarios.WithCatalog(h)}, nil
}

func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return &ExitError{Code: 2, Err: fmt.Errorf("--output %q is not a format, expected text or json", output)}
	}
	return nil
}

// fieldErrors returns the positioned errors of err (see authoring.FieldErrors).
func fieldErrors(file string, err error) []*scenarios.FieldError {
	return authoring.FieldErrors(file, err)
}

func newValidateCmd(m *Main) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files and print every error with file:line:column",
		Long: `Validate loads each scenario file strictly: unknown fields, wrong types, bad
durations, unknown persona/channel/fault references, chain cycles, triggers past
the time limit, duplicate ids and broken message templates are all reported,
each as file:line:column: field.path: message. Fault and probe types, their
params, target kinds and namespaces are checked against the built-in plugins'
catalog (with --plugins, against every plugin in plugins.dir too); a plugin
that is not available to check against is named in a warning. Warnings
(text lost to a YAML comment, two faults changing the same field...) do not
fail validation. Exit status 0 when every file is valid, 1 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			dry, opts, err := m.validateAgainst(cmd)
			if err != nil {
				return err
			}
			rep := authoring.Validate(cmd.Context(), args, dry, opts...)
			if output == "json" {
				err = rep.WriteJSON(m.Stdout)
			} else {
				err = rep.WriteText(m.Stdout)
			}
			if err != nil {
				return err
			}
			if !rep.Valid {
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
	var output, variant, candidate string
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
			if err := authoring.CheckVariant(s, scenarios.Difficulty(variant)); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if len(s.Candidates) > 0 && candidate == "" {
				return &ExitError{Code: 2, Err: fmt.Errorf("%s keeps candidates, expected --candidate with one of: %s", args[0], s.DescribeCandidates())}
			}
			t, err := scenarios.PlanCandidate(s, candidate, scenarios.Difficulty(variant))
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if output == "json" {
				return t.WriteJSON(m.Stdout)
			}
			return t.WriteText(m.Stdout)
		},
	}
	cmd.Flags().StringVar(&variant, "variant", "", "difficulty to plan: hard, medium or easy (default: the scenario's difficulty)")
	cmd.Flags().StringVar(&candidate, "candidate", "", "candidate to plan, for a scenario that keeps candidates (required there)")
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
			opts, err := loadOptions(cmd, m)
			if err != nil {
				return err
			}
			im, err := authoring.ImportInjects(args[0], csvPath, opts...)
			if err != nil {
				return err
			}
			if len(im.Problems) > 0 {
				for _, p := range im.Problems {
					fmt.Fprintln(m.Stdout, p)
				}
				return &ExitError{Code: 1}
			}
			if write {
				if err := im.Write(); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "%s: %d injects imported from %s\n", im.Path, len(im.Injects), csvPath)
				return nil
			}
			block, err := im.Block()
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

func writeOut(stdout io.Writer, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// validateAgainst returns what validate checks with: with --against
// CONTEXT, the plugins run against that context (the Kubernetes injector
// still refuses it unless it is allowed) and dry-run every fault; otherwise
// the catalog of --plugins, if asked for.
func (m *Main) validateAgainst(cmd *cobra.Command) (authoring.FaultValidator, []scenarios.Option, error) {
	against, _ := cmd.Flags().GetString("against")
	if against == "" {
		opts, err := loadOptions(cmd, m)
		return nil, opts, err
	}
	m.Config.Kubernetes.Context = against
	h, err := m.openPluginHost(cmd.Context(), cmd)
	if err != nil {
		return nil, nil, err
	}
	return h, []scenarios.Option{scenarios.WithCatalog(h)}, nil
}
