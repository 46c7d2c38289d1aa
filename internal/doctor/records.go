package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/ha"
)

// checkClusterRecords reports the revert records firedrill keeps in the
// cluster (ha.namespace): with marks off they are how leftovers are found.
// A drill that is running holds its records rightly; any other drill's
// records are faults left in beta.
func checkClusterRecords(ctx context.Context, r *Report, cl *cluster, opts Options) {
	var cs *ha.Client
	err := fmt.Errorf("doctor: no way to reach firedrill's state in the cluster (Options.Kubernetes.Records)")
	if opts.Kubernetes.Records != nil {
		cs, err = opts.Kubernetes.Records(ctx)
	}
	if err == nil {
		var sets []ha.DrillRecords
		if sets, err = ha.ListRecords(ctx, cs, opts.RecordsNamespace); err == nil {
			reportRecords(ctx, r, cl, opts, sets)
			return
		}
	}
	status, fix := Fail, "check that the API server answers: kubectl --context "+cl.context+" get namespaces"
	if isForbidden(err) {
		status, fix = Warn, "bind the Role firedrill-state of deploy/base/ha-rbac.yaml (kubectl apply -k deploy/overlays/single) to let doctor read the records"
	}
	r.add(Check{Section: SectionLeftovers, Name: "records", Status: status, Detail: "cannot read the revert records in namespace " + opts.RecordsNamespace + ": " + oneLine(err.Error()), Fix: fix})
}

func reportRecords(ctx context.Context, r *Report, cl *cluster, opts Options, sets []ha.DrillRecords) {
	if len(sets) == 0 {
		r.add(Check{Section: SectionLeftovers, Name: "records", Status: OK, Detail: "no revert record in namespace " + opts.RecordsNamespace + ": no fault is in beta"})
		return
	}
	var states map[string]control.DrillState
	if opts.Drills != nil {
		if all, err := opts.Drills.Drills(ctx, control.DrillFilter{}); err == nil {
			states = map[string]control.DrillState{}
			for _, s := range all {
				states[s.ID] = s.State
			}
		}
	}
	for _, s := range sets {
		var faults []string
		for _, e := range s.Entries {
			faults = append(faults, e.FaultID+" ("+e.Plugin+"/"+e.Type+")")
		}
		what := fmt.Sprintf("drill %s has %d fault(s) recorded in secret %s/%s: %s", s.DrillID, len(faults), opts.RecordsNamespace, s.Secret, strings.Join(faults, ", "))
		c := Check{Section: SectionLeftovers, Name: "records " + s.DrillID}
		switch st, known := states[s.DrillID]; {
		case known && st == control.StateRunning:
			c.Status, c.Detail = Info, what+"; the drill is running"
		case known:
			c.Status, c.Detail = Warn, what+fmt.Sprintf("; the drill is %s, so these faults should have been reverted", st)
			c.Fix = "start firedrill serve to let the engine revert them, or run: firedrill sweep (it reverts once the controller's Lease " + s.Lease + " is older than safety.deadManAfter)"
		default:
			c.Status, c.Detail = Warn, what+"; the drill is not in "+opts.DatabasePath
			c.Fix = "run: firedrill sweep (it reverts from the records alone once the controller's Lease " + s.Lease + " is older than safety.deadManAfter)"
		}
		if len(s.Broken) > 0 {
			c.Status = Fail
			c.Detail += "; unreadable keys: " + strings.Join(s.Broken, ", ")
		}
		r.add(c)
	}
}
