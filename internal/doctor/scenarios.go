package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
	"github.com/firedrill/firedrill/scenarios"
)

// LoadScenarios loads the scenario files of dirs (every *.yaml and *.yml,
// not recursive) and files, with opts (e.g. the plugin catalog). A file
// that does not load is returned with its error; a directory that cannot be
// read is one entry with Path the directory.
func LoadScenarios(dirs, files []string, opts ...scenarios.Option) []ScenarioFile {
	// Unreadable directories come first, then the files in order.
	var out, loaded []ScenarioFile
	for _, d := range dirs {
		dirFiles, err := scenarios.LoadDir(d, opts...)
		if err != nil {
			out = append(out, ScenarioFile{Path: d, Err: fmt.Errorf("scenarios.dirs: %w", err)})
			continue
		}
		for _, f := range dirFiles {
			loaded = append(loaded, ScenarioFile{Path: f.Path, Scenario: f.Scenario, Err: f.Err})
		}
	}
	out = append(out, loaded...)
	for _, p := range files {
		s, err := scenarios.Load(p, opts...)
		out = append(out, ScenarioFile{Path: p, Scenario: s, Err: err})
	}
	return out
}

// use is one fault or probe of a scenario at one difficulty that the
// built-in Kubernetes injector serves.
type use struct {
	scenario   string
	difficulty scenarios.Difficulty
	// fault is the fault's id; for a probe, the fault whose resolvedWhen
	// holds it, or "" for an alert's check.
	fault string
	alert string
	typ   string // fault or probe type
	probe bool
	// target and params as the injector receives them.
	target injectors.Target
	params json.RawMessage
}

// who names the use without the difficulty, for grouping.
func (u use) who(multi bool) string {
	var parts []string
	if multi {
		parts = append(parts, "scenario "+u.scenario)
	}
	switch {
	case !u.probe:
		parts = append(parts, "fault "+u.fault)
	case u.alert != "":
		parts = append(parts, "alert "+u.alert)
	default:
		parts = append(parts, "probe of fault "+u.fault)
	}
	return catalog.Name + "/" + u.typ + " (" + strings.Join(parts, ", ")
}

// neededBy formats the uses, grouping difficulties:
// "kubernetes/scale (fault order-api-down, hard, medium)".
func neededBy(us []use, multi bool) string {
	type group struct {
		who   string
		diffs []string
	}
	var groups []*group
	byWho := map[string]*group{}
	for _, u := range us {
		w := u.who(multi)
		g := byWho[w]
		if g == nil {
			g = &group{who: w}
			byWho[w] = g
			groups = append(groups, g)
		}
		if u.difficulty != "" && !slices.Contains(g.diffs, string(u.difficulty)) {
			g.diffs = append(g.diffs, string(u.difficulty))
		}
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		s := g.who
		if len(g.diffs) > 0 {
			s += ", " + strings.Join(g.diffs, "/")
		}
		parts = append(parts, s+")")
	}
	const max = 4
	if len(parts) > max {
		parts = append(parts[:max], fmt.Sprintf("and %d more", len(parts)-max))
	}
	return strings.Join(parts, "; ")
}

// uses are the uses of the scenarios, and whether there is more than one
// scenario (messages then name it).
type uses struct {
	list  []use
	multi bool
}

// collectUses reports each scenario file and returns the Kubernetes faults
// and probes of every scenario at every difficulty.
func collectUses(r *Report, files []ScenarioFile) uses {
	var us uses
	loaded := 0
	for _, f := range files {
		if f.Err != nil {
			msgs := strings.Split(strings.TrimSpace(f.Err.Error()), "\n")
			detail := msgs[0]
			if len(msgs) > 1 {
				detail += fmt.Sprintf(" (and %d more errors)", len(msgs)-1)
			}
			r.add(Check{Section: SectionScenarios, Name: "scenario " + filepath.Base(f.Path), Status: Fail,
				Detail: oneLine(detail), Fix: "see every error with: firedrill validate " + f.Path})
			continue
		}
		loaded++
	}
	us.multi = loaded > 1
	if len(files) == 0 {
		r.add(Check{Section: SectionScenarios, Name: "scenarios", Status: Warn, Detail: "no scenario to check",
			Fix: "set scenarios.dirs in firedrill.yaml, or pass scenario files: firedrill doctor FILE..."})
	}
	for _, f := range files {
		if f.Err != nil {
			continue
		}
		s := f.Scenario
		diffs := s.PlayableDifficulties()
		faults := 0
		broken := false // a Fail check was reported for the scenario
		for _, d := range diffs {
			sd, err := s.ForDifficulty(d)
			if err != nil {
				r.add(Check{Section: SectionScenarios, Name: "scenario " + s.Metadata.Name, Status: Fail,
					Detail: fmt.Sprintf("difficulty %s: %s", d, oneLine(err.Error())), Fix: "see every error with: firedrill validate " + f.Path})
				continue
			}
			faults = len(sd.Faults)
			got, errs := kubernetesUses(s.Metadata.Name, d, sd)
			us.list = append(us.list, got...)
			for _, msg := range errs {
				broken = true
				r.add(Check{Section: SectionScenarios, Name: "scenario " + s.Metadata.Name, Status: Fail,
					Detail: oneLine(msg), Fix: "see every error with: firedrill validate " + f.Path})
			}
		}
		detail := fmt.Sprintf("%s: %d faults", f.Path, faults)
		if len(diffs) > 1 || diffs[0] != "" {
			ds := make([]string, len(diffs))
			for i, d := range diffs {
				ds[i] = string(d)
				if d == "" {
					ds[i] = "base (no difficulty chosen)"
				}
			}
			detail += ", difficulties " + strings.Join(ds, ", ")
		}
		if !broken {
			r.add(Check{Section: SectionScenarios, Name: "scenario " + s.Metadata.Name, Status: OK, Detail: detail})
		}
	}
	return us
}

// kubernetesUses returns the Kubernetes faults and probes of sd, scenario
// name at difficulty d, as the injector would receive them, and a message
// for each one that cannot be handed to it.
func kubernetesUses(name string, d scenarios.Difficulty, sd *scenarios.Scenario) ([]use, []string) {
	var out []use
	var errs []string
	for _, flt := range sd.Faults {
		if flt.Injector.Plugin == catalog.Name {
			if spec, err := control.NewFaultSpec("", flt); err != nil {
				errs = append(errs, injectors.ErrorMessage(err))
			} else {
				out = append(out, use{scenario: name, difficulty: d, fault: flt.ID, typ: flt.Injector.Type, target: spec.Target, params: spec.Params})
			}
		}
		for _, p := range flt.ResolvedWhen.Probes {
			if p.Probe.Plugin != catalog.Name {
				continue
			}
			if spec, err := control.NewProbeSpec(p); err != nil {
				errs = append(errs, "fault "+flt.ID+" resolvedWhen: "+injectors.ErrorMessage(err))
			} else {
				out = append(out, use{scenario: name, difficulty: d, fault: flt.ID, typ: p.Probe.Type, probe: true, target: spec.Target, params: spec.Params})
			}
		}
	}
	for _, a := range sd.Alerts {
		if a.Probe.Probe.Plugin != catalog.Name {
			continue
		}
		if spec, err := control.NewProbeSpec(a.Probe); err != nil {
			errs = append(errs, "alert "+a.ID+": "+injectors.ErrorMessage(err))
		} else {
			out = append(out, use{scenario: name, difficulty: d, alert: a.ID, typ: a.Probe.Probe.Type, probe: true, target: spec.Target, params: spec.Params})
		}
	}
	return out, errs
}

// targetKind is the kind of the object a fault changes: the target's, or the
// one its type implies.
func targetKind(u use) string {
	if u.target.Kind != "" {
		return u.target.Kind
	}
	switch u.typ {
	case "configmap-key":
		return "ConfigMap"
	case "secret-key":
		return "Secret"
	case "node-cordon":
		return "Node"
	}
	return ""
}

// checkTargets checks the namespaces and objects the faults and probes
// target.
func checkTargets(ctx context.Context, r *Report, cl *cluster, us uses, opts Options) {
	faultNS := map[string][]use{}
	probeNS := map[string][]use{}
	for _, u := range us.list {
		switch {
		case !u.probe && targetKind(u) == "Node":
			// Nodes are cluster-scoped: checkObjects checks their opt-in.
		case !u.probe:
			faultNS[u.target.Namespace] = append(faultNS[u.target.Namespace], u)
		case u.target.Namespace != "":
			probeNS[u.target.Namespace] = append(probeNS[u.target.Namespace], u)
		}
	}
	for _, ns := range sortedKeys(faultNS) {
		checkNamespace(ctx, r, cl, ns, faultNS[ns], true, us.multi, opts)
	}
	for _, ns := range sortedKeys(probeNS) {
		if _, done := faultNS[ns]; !done {
			checkNamespace(ctx, r, cl, ns, probeNS[ns], false, us.multi, opts)
		}
	}
	checkObjects(ctx, r, cl, us)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkNamespace checks that a namespace faults target exists, is opted in
// and is not protected (optIn false: a namespace only probes read, which
// need not be opted in).
func checkNamespace(ctx context.Context, r *Report, cl *cluster, ns string, us []use, optIn, multi bool, opts Options) {
	by := neededBy(us, multi)
	name := "namespace " + ns
	if ns == "" {
		r.add(Check{Section: SectionScenarios, Name: "namespace (empty)", Status: Fail,
			Detail: "target.namespace is empty, needed by " + by, Fix: "set target.namespace of the fault in the scenario"})
		return
	}
	if always := catalog.AlwaysProtected(); slices.Contains(always, ns) {
		r.add(Check{Section: SectionScenarios, Name: name, Status: Fail,
			Detail: fmt.Sprintf("%s is protected: firedrill never acts in %s (needed by %s)", ns, strings.Join(always, ", "), by),
			Fix:    "target an application namespace of the beta cluster in the scenario"})
		return
	}
	if slices.Contains(opts.Kubernetes.ProtectedNamespaces, ns) {
		r.add(Check{Section: SectionScenarios, Name: name, Status: Fail,
			Detail: fmt.Sprintf("%s is listed in kubernetes.protectedNamespaces (needed by %s)", ns, by),
			Fix:    "target another namespace in the scenario, or remove " + ns + " from kubernetes.protectedNamespaces if it is a drill target"})
		return
	}
	obj, err := cl.in.Namespace(ctx, ns)
	switch {
	case err != nil:
		r.add(Check{Section: SectionScenarios, Name: name, Status: Fail,
			Detail: "cannot read it: " + oneLine(err.Error()), Fix: "see the RBAC checks below; deploy/base/rbac.yaml grants get namespaces"})
		return
	case !obj.Exists:
		status := Fail
		if !optIn {
			status = Warn
		}
		r.add(Check{Section: SectionScenarios, Name: name, Status: status,
			Detail: fmt.Sprintf("does not exist in context %s (needed by %s)", cl.context, by),
			Fix:    fmt.Sprintf("fix target.namespace in the scenario, or create it: kubectl --context %s create namespace %s", cl.context, ns)})
		return
	case obj.Deleting:
		r.add(Check{Section: SectionScenarios, Name: name, Status: Fail, Detail: "is being deleted (needed by " + by + ")",
			Fix: "wait for the deletion to finish and recreate it, or target another namespace"})
		return
	}
	if !optIn {
		r.add(Check{Section: SectionScenarios, Name: name, Status: OK, Detail: "exists (probes only: no opt-in needed)"})
		return
	}
	if v := obj.DrillTarget; v != "true" {
		detail := fmt.Sprintf("is not opted in to drills: no label %s=true", catalog.DrillTargetLabel)
		if v != "" {
			detail = fmt.Sprintf("is not opted in to drills: label %s=%q, not \"true\"", catalog.DrillTargetLabel, v)
		}
		r.add(Check{Section: SectionScenarios, Name: name, Status: Fail, Detail: detail + " (needed by " + by + ")",
			Fix: fmt.Sprintf("kubectl --context %s label namespace %s %s=true --overwrite", cl.context, ns, catalog.DrillTargetLabel)})
		return
	}
	r.add(Check{Section: SectionScenarios, Name: name, Status: OK, Detail: fmt.Sprintf("exists and is opted in (%s=true)", catalog.DrillTargetLabel)})
}

// object is a target a fault acts on.
type object struct {
	kind, namespace, name string
	selector              map[string]string
}

func (o object) String() string {
	if o.name == "" {
		return fmt.Sprintf("pods matching %s in %s", selectorString(o.selector), o.namespace)
	}
	if o.namespace == "" {
		return o.kind + " " + o.name
	}
	return o.kind + " " + o.namespace + "/" + o.name
}

// checkObjects warns about targets that do not exist (the fault would fail
// to prepare) and fails nodes that are not opted in.
func checkObjects(ctx context.Context, r *Report, cl *cluster, us uses) {
	// Selectors are maps: key objects by their string.
	objs := map[string][]use{}
	var order []object
	addObj := func(o object, u use) {
		key := o.String()
		if _, ok := objs[key]; !ok {
			order = append(order, o)
		}
		objs[key] = append(objs[key], u)
	}
	for _, u := range us.list {
		if u.probe {
			continue
		}
		kind := targetKind(u)
		switch {
		case len(u.target.Selector) > 0:
			addObj(object{kind: "Pod", namespace: u.target.Namespace, selector: u.target.Selector}, u)
		case kind != "" && u.target.Name != "":
			ns := u.target.Namespace
			if kind == "Node" {
				ns = ""
			}
			addObj(object{kind: kind, namespace: ns, name: u.target.Name}, u)
		}
		var p struct {
			Restart string `json:"restart"`
		}
		if len(u.params) > 0 && json.Unmarshal(u.params, &p) == nil && p.Restart != "" {
			k, n, _ := strings.Cut(p.Restart, "/")
			if kk := map[string]string{"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}[k]; kk != "" && n != "" {
				addObj(object{kind: kk, namespace: u.target.Namespace, name: n}, u)
			}
		}
	}
	found := 0
	for _, o := range order {
		by := neededBy(objs[o.String()], us.multi)
		ok, check := checkObject(ctx, cl, o, by)
		if ok {
			found++
			continue
		}
		r.add(check)
	}
	if found > 0 {
		r.add(Check{Section: SectionScenarios, Name: "targets", Status: OK, Detail: fmt.Sprintf("%d target objects exist", found)})
	}
}

// checkObject looks the object up; it returns true when it is there and
// fit, or the check saying what is wrong.
func checkObject(ctx context.Context, cl *cluster, o object, by string) (bool, Check) {
	name := strings.ToLower(o.kind) + " " + o.name
	if o.namespace != "" {
		name = strings.ToLower(o.kind) + " " + o.namespace + "/" + o.name
	}
	if o.selector != nil {
		name = "pods " + o.namespace + " " + selectorString(o.selector)
		n, err := cl.in.CountPods(ctx, o.namespace, o.selector)
		switch {
		case err != nil:
			return false, Check{Section: SectionScenarios, Name: name, Status: Warn,
				Detail: fmt.Sprintf("cannot list them (needed by %s): %s", by, oneLine(err.Error())), Fix: "see the RBAC checks below"}
		case n == 0:
			return false, Check{Section: SectionScenarios, Name: name, Status: Warn,
				Detail: fmt.Sprintf("no pod matches (needed by %s)", by),
				Fix:    "deploy the workload before the drill, or fix target.selector in the scenario"}
		}
		return true, Check{}
	}
	obj, err := cl.in.Object(ctx, o.kind, o.namespace, o.name)
	switch {
	case injectors.ErrorCode(err) == injectors.EINVALID:
		return false, Check{Section: SectionScenarios, Name: name, Status: Warn,
			Detail: injectors.ErrorMessage(err), Fix: "fix target.kind in the scenario"}
	case err != nil:
		return false, Check{Section: SectionScenarios, Name: name, Status: Warn,
			Detail: fmt.Sprintf("cannot read it (needed by %s): %s", by, oneLine(err.Error())), Fix: "see the RBAC checks below"}
	case !obj.Exists:
		return false, Check{Section: SectionScenarios, Name: name, Status: Warn,
			Detail: fmt.Sprintf("does not exist in context %s (needed by %s)", cl.context, by),
			Fix:    "create it before the drill, or fix the fault's target in the scenario"}
	case o.kind == "Node" && obj.DrillTarget != "true":
		return false, Check{Section: SectionScenarios, Name: name, Status: Fail,
			Detail: fmt.Sprintf("is not opted in to drills: no label %s=true (needed by %s)", catalog.DrillTargetLabel, by),
			Fix:    fmt.Sprintf("kubectl --context %s label node %s %s=true", cl.context, o.name, catalog.DrillTargetLabel)}
	}
	return true, Check{}
}

// selectorString writes a label selector as kubectl does: "k=v,k2=v2",
// sorted by key.
func selectorString(sel map[string]string) string {
	parts := make([]string, 0, len(sel))
	for _, k := range sortedKeys(sel) {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}
