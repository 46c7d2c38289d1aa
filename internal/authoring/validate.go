// Package authoring does the work of the scenario designer's commands:
// validating scenario files (optionally with a server-side dry run of every
// fault against the cluster), checking a chosen difficulty, and importing
// the persona messages of a scenario from a spreadsheet.
package authoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// FileReport is the result of validating one file.
type FileReport struct {
	File     string                  `json:"file"`
	Valid    bool                    `json:"valid"`
	Scenario string                  `json:"scenario,omitempty"`
	Errors   []*scenarios.FieldError `json:"errors"`
}

// Report is the result of validating files, in the order given.
type Report struct {
	Valid bool         `json:"valid"`
	Files []FileReport `json:"files"`
}

// FaultValidator checks one fault with its plugin; for the Kubernetes
// injector, a server-side dry run of each write against the cluster.
type FaultValidator interface {
	Validate(ctx context.Context, f control.FaultSpec) error
}

// Validate loads each file strictly with opts and, when dry is set, has
// every fault of every difficulty checked by its plugin.
func Validate(ctx context.Context, paths []string, dry FaultValidator, opts ...scenarios.Option) Report {
	rep := Report{Valid: true, Files: make([]FileReport, 0, len(paths))}
	for _, path := range paths {
		r := FileReport{File: path, Errors: []*scenarios.FieldError{}}
		s, err := scenarios.Load(path, opts...)
		switch {
		case err != nil:
			r.Errors = FieldErrors(path, err)
		case dry != nil:
			r.Scenario = s.Metadata.Name
			if errs := DryRun(ctx, dry, path, s); len(errs) > 0 {
				r.Errors = errs
			} else {
				r.Valid = true
			}
		default:
			r.Valid, r.Scenario = true, s.Metadata.Name
		}
		rep.Valid = rep.Valid && r.Valid
		rep.Files = append(rep.Files, r)
	}
	return rep
}

// WriteJSON writes the report as indented JSON.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText writes one line per valid file and, for an invalid one, each
// error as file:line:column: path: message and their count.
func (rep Report) WriteText(w io.Writer) error {
	for _, r := range rep.Files {
		if r.Valid {
			if _, err := fmt.Fprintf(w, "%s: ok (%s)\n", r.File, r.Scenario); err != nil {
				return err
			}
			continue
		}
		for _, e := range r.Errors {
			fmt.Fprintln(w, e.Error())
		}
		n := len(r.Errors)
		if _, err := fmt.Fprintf(w, "%s: %d error%s\n", r.File, n, plural(n)); err != nil {
			return err
		}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// FieldErrors returns the positioned errors of err, or one error for the
// whole file when err is not about the file's content (e.g. not found).
func FieldErrors(file string, err error) []*scenarios.FieldError {
	var list scenarios.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return []*scenarios.FieldError{{File: file, Message: err.Error()}}
}

// DryRun asks the fault's plugin to validate every fault of s at every
// difficulty it defines and returns one error per fault and difficulty
// that is refused.
func DryRun(ctx context.Context, v FaultValidator, file string, s *scenarios.Scenario) []*scenarios.FieldError {
	var out []*scenarios.FieldError
	for _, d := range s.PlayableDifficulties() {
		sd, err := s.ForDifficulty(d)
		if err != nil {
			out = append(out, &scenarios.FieldError{File: file, Path: "difficulty", Message: err.Error()})
			continue
		}
		for i, f := range sd.Faults {
			path := fmt.Sprintf("faults[%d]", i)
			spec, err := control.NewFaultSpec("validate", f)
			if err == nil {
				err = v.Validate(ctx, spec)
			}
			if err != nil {
				msg := fmt.Sprintf("fault %q is refused by %s: %s", f.ID, f.Injector, injectors.ErrorMessage(err))
				if injectors.ErrorCode(err) == injectors.EINTERNAL {
					msg = fmt.Sprintf("fault %q could not be checked by %s: %v", f.ID, f.Injector, err)
				}
				if d != "" {
					msg += fmt.Sprintf(" (difficulty %s)", d)
				}
				out = append(out, &scenarios.FieldError{File: file, Path: path, Message: msg})
			}
		}
	}
	return out
}

// CheckVariant returns an error naming the scenario's difficulties when
// variant is given and is not one of them.
func CheckVariant(s *scenarios.Scenario, variant scenarios.Difficulty) error {
	if variant == "" {
		return nil
	}
	ds := s.Difficulties()
	for _, d := range ds {
		if d == variant {
			return nil
		}
	}
	if len(ds) == 0 {
		return fmt.Errorf("--variant %q: the scenario has no difficulty variants", variant)
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = string(d)
	}
	return fmt.Errorf("--variant %q: not a difficulty of this scenario, expected one of: %s", variant, strings.Join(names, ", "))
}
