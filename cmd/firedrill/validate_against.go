package main

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// faultValidator is what the server-side dry run needs from the plugin host.
type faultValidator interface {
	Validate(ctx context.Context, f control.FaultSpec) error
}

// dryRunScenario asks the fault's plugin to validate every fault of s at
// every difficulty it defines — for the Kubernetes injector, a server-side
// dry run of each write against the cluster — and returns one error per
// fault and difficulty that the cluster refuses.
func dryRunScenario(ctx context.Context, v faultValidator, file string, s *scenarios.Scenario) []*scenarios.FieldError {
	var out []*scenarios.FieldError
	for _, d := range s.PlayableDifficulties() {
		sd, err := s.ForDifficulty(d)
		if err != nil {
			out = append(out, &scenarios.FieldError{File: file, Path: "difficulty", Message: err.Error()})
			continue
		}
		for i, f := range sd.Faults {
			if err := v.Validate(ctx, control.NewFaultSpec("validate", f)); err != nil {
				path := fmt.Sprintf("faults[%d]", i)
				msg := fmt.Sprintf("fault %q is refused by %s: %s", f.ID, f.Injector, control.ErrorMessage(err))
				if control.ErrorCode(err) == control.EINTERNAL {
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

// dryRun runs dryRunScenario when v is set.
func dryRun(ctx context.Context, v faultValidator, file string, s *scenarios.Scenario) []*scenarios.FieldError {
	if v == nil {
		return nil
	}
	return dryRunScenario(ctx, v, file, s)
}
