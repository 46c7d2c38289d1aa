package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// drillInfo is what the drill database says about one drill.
type drillInfo struct {
	found  bool
	title  string
	state  control.DrillState
	faults map[string]*faultInfo
}

// faultInfo is the journal's last word on one fault of a drill.
type faultInfo struct {
	last   string // the type of the fault's latest event
	record []byte // the latest revert record
	// keep is set when the scenario keeps the fault after the drill ends
	// (autoRevertAtEnd: false).
	keep bool
}

// checkLeftovers reports the objects still carrying firedrill's marks and,
// from the drill database, whether their drill still runs and how to revert
// them.
func checkLeftovers(ctx context.Context, r *Report, cl *cluster, opts Options) {
	left, err := cl.in.FindLeftovers(ctx, "")
	if err != nil {
		status, fix := Fail, "check that the API server answers: kubectl --context "+cl.context+" get namespaces"
		if isForbidden(err) {
			status, fix = Warn, "bind the ClusterRole firedrill-leftovers of deploy/base/rbac.yaml (kubectl apply -f deploy/base/rbac.yaml) to let doctor scan"
		}
		r.add(Check{Section: SectionLeftovers, Name: "scan", Status: status, Detail: "cannot scan for leftovers: " + oneLine(err.Error()), Fix: fix})
		return
	}
	if len(left) == 0 {
		r.add(Check{Section: SectionLeftovers, Name: "scan", Status: OK, Detail: "no object carries firedrill's fault annotations"})
		return
	}
	drills := map[string]*drillInfo{}
	var sums map[string]control.DrillSummary
	var dbErr error
	if opts.Drills != nil {
		all, err := opts.Drills.Drills(ctx, control.DrillFilter{})
		if err != nil {
			dbErr = err
		} else {
			sums = map[string]control.DrillSummary{}
			for _, s := range all {
				sums[s.ID] = s
			}
		}
	}
	for _, l := range left {
		if isCopy(l, left) {
			continue // reverted with its Deployment
		}
		info := drills[l.DrillID]
		if info == nil && sums != nil {
			info, err = loadDrill(ctx, opts, sums, l.DrillID)
			if err != nil {
				dbErr = err
				info = nil
			} else {
				drills[l.DrillID] = info
			}
		}
		r.add(leftoverCheck(cl, opts, l, left, info, dbErr))
	}
}

func loadDrill(ctx context.Context, opts Options, sums map[string]control.DrillSummary, id string) (*drillInfo, error) {
	sum, ok := sums[id]
	if !ok {
		return &drillInfo{}, nil
	}
	info := &drillInfo{found: true, title: sum.Title, state: sum.State, faults: map[string]*faultInfo{}}
	evs, err := opts.Drills.Events(ctx, id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read the journal of drill %s: %w", id, err)
	}
	keep := map[string]bool{}
	for _, e := range evs {
		switch {
		case e.Type == control.EventDrillCreated:
			var p control.DrillCreated
			if json.Unmarshal(e.Payload, &p) == nil && p.Scenario != nil {
				for _, f := range p.Scenario.Faults {
					keep[f.ID] = f.AutoRevertAtEnd != nil && !*f.AutoRevertAtEnd
				}
			}
		case control.InNamespace(e.Type, control.NamespaceFault):
			var p control.FaultEvent
			if json.Unmarshal(e.Payload, &p) != nil || p.FaultID == "" {
				continue
			}
			fi := info.faults[p.FaultID]
			if fi == nil {
				fi = &faultInfo{}
				info.faults[p.FaultID] = fi
			}
			fi.last = e.Type
			if len(p.Record) > 0 {
				fi.record = p.Record
				if opts.OpenRecord != nil {
					if plain, err := opts.OpenRecord(p.Record); err == nil {
						fi.record = plain
					}
				}
			}
		}
	}
	for id, fi := range info.faults {
		fi.keep = keep[id]
	}
	return info, nil
}

// leftoverCheck classifies one leftover.
func leftoverCheck(cl *cluster, opts Options, l catalog.Leftover, all []catalog.Leftover, info *drillInfo, dbErr error) Check {
	obj := l.Kind + " " + l.Name
	if l.Namespace != "" {
		obj = l.Kind + " " + l.Namespace + "/" + l.Name
	}
	c := Check{Section: SectionLeftovers, Name: strings.ToLower(obj)}
	what := fmt.Sprintf("%s still carries fault %s of drill %s", obj, l.FaultID, l.DrillID)
	var fi *faultInfo
	if info != nil && info.faults != nil {
		fi = info.faults[l.FaultID]
	}
	var record []byte
	if fi != nil {
		record = fi.record
	}
	byHand := revertCommands(cl.context, l, all, record)
	switch {
	case opts.Drills == nil:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s; no drill database at %s to tell whether that drill still runs", what, opts.DatabasePath)
		c.Fix = "if no drill is running, revert it by hand:\n" + byHand
	case dbErr != nil:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s; the drill database at %s cannot tell: %s", what, opts.DatabasePath, oneLine(dbErr.Error()))
		c.Fix = "if no drill is running, revert it by hand:\n" + byHand
	case info == nil || !info.found:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s: a fault of drill %s was never reverted (the drill is not in the drill database at %s)", what, l.DrillID, opts.DatabasePath)
		c.Fix = "revert it by hand (or from the controller whose database holds the drill):\n" + byHand
	case live(info.state) && (fi == nil || fi.last != control.EventFaultReverted):
		c.Status, c.Detail = Info, fmt.Sprintf("%s (%s), which is %s: in effect as planned", what, info.title, info.state)
		c.Fix = "it is reverted when the drill ends"
	case fi != nil && fi.keep && fi.last != control.EventFaultReverted && (info.state == control.StateEnded || info.state == control.StateRetro):
		c.Status, c.Detail = Warn, fmt.Sprintf("%s (%s, %s): the scenario keeps it after the end (autoRevertAtEnd: false)", what, info.title, info.state)
		c.Fix = "revert it when the retrospective no longer needs it:\n" + byHand
	default:
		step := "no fault event"
		if fi != nil {
			step = "last step " + fi.last
		}
		c.Status, c.Detail = Fail, fmt.Sprintf("%s: a fault of drill %s was never reverted (drill %s, %s)", what, l.DrillID, info.state, step)
		c.Fix = byHand
		if info.state.Open() && fi != nil && len(fi.record) > 0 && fi.last != control.EventFaultReverted {
			c.Fix = "restart firedrill serve on this data directory: it reverts the faults of ended and aborted drills on start; or by hand:\n" + byHand
		}
	}
	return c
}

// live reports whether a drill in state s may have faults in effect on
// purpose.
func live(s control.DrillState) bool {
	switch s {
	case control.StateDraft, control.StateScheduled, control.StateBriefing, control.StateRunning:
		return true
	}
	return false
}
