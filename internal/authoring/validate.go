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
	"sort"
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
	// Warnings are what the file says that is valid but probably not
	// meant; they do not make it invalid.
	Warnings []*scenarios.FieldError `json:"warnings"`
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
		r := FileReport{File: path, Errors: []*scenarios.FieldError{}, Warnings: []*scenarios.FieldError{}}
		s, err := scenarios.Load(path, opts...)
		if s != nil {
			r.Warnings = append(r.Warnings, s.Warnings...)
		}
		switch {
		case err != nil:
			for _, e := range FieldErrors(path, err) {
				if e.Warning() {
					r.Warnings = append(r.Warnings, e)
				} else {
					r.Errors = append(r.Errors, e)
				}
			}
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

// WriteText writes, for each file, its errors and warnings in file order as
// file:line:column: path: message, then one line: ok (with the number of
// warnings, if any) or the number of errors.
func (rep Report) WriteText(w io.Writer) error {
	for _, r := range rep.Files {
		all := append(append([]*scenarios.FieldError(nil), r.Errors...), r.Warnings...)
		sort.SliceStable(all, func(i, j int) bool {
			if all[i].Line != all[j].Line {
				return all[i].Line < all[j].Line
			}
			return all[i].Column < all[j].Column
		})
		for _, e := range all {
			fmt.Fprintln(w, e.Error())
		}
		warn := ""
		if n := len(r.Warnings); n > 0 {
			warn = fmt.Sprintf(", %d warning%s", n, plural(n))
		}
		var err error
		if r.Valid {
			_, err = fmt.Fprintf(w, "%s: ok (%s)%s\n", r.File, r.Scenario, warn)
		} else {
			n := len(r.Errors)
			_, err = fmt.Fprintf(w, "%s: %d error%s%s\n", r.File, n, plural(n), warn)
		}
		if err != nil {
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

// CheckVariant returns an error when variant is given and is not a
// difficulty level. A level no fault has a variant for is accepted: the
// faults run as written there, as the scenario README says, and the plan
// notes it.
func CheckVariant(s *scenarios.Scenario, variant scenarios.Difficulty) error {
	switch variant {
	case "", scenarios.Hard, scenarios.Medium, scenarios.Easy:
		return nil
	}
	ds := s.Difficulties()
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = string(d)
	}
	own := ""
	if len(names) > 0 {
		own = "; this scenario has variants for " + strings.Join(names, ", ")
	}
	return fmt.Errorf("--variant %q is not a difficulty, expected one of: hard, medium, easy%s", variant, own)
}

// PluginInfo describes a plugin for the scenario checks that need no running
// plugin: its catalog (info), the namespaces it always refuses, and which
// params name the field each fault type changes (see scenarios.TypeInfo).
func PluginInfo(info injectors.Info, protected []string, changedField func(typ string) ([]string, bool)) scenarios.PluginInfo {
	p := scenarios.PluginInfo{Name: info.Name, ProtectedNamespaces: protected}
	for _, t := range info.FaultTypes {
		ti := scenarios.TypeInfo{Name: t.Name, TargetKinds: t.TargetKinds, Schema: []byte(t.ParamsSchema)}
		if changedField != nil {
			ti.FieldParams, ti.ChangesField = changedField(t.Name)
		}
		p.FaultTypes = append(p.FaultTypes, ti)
	}
	for _, t := range info.ProbeTypes {
		p.ProbeTypes = append(p.ProbeTypes, scenarios.TypeInfo{Name: t.Name, TargetKinds: t.TargetKinds, Schema: []byte(t.ParamsSchema)})
	}
	return p
}
